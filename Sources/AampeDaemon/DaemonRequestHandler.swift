internal import AampeCore
internal import AampeProtocol
internal import AampeSegments
public import AampeServer
internal import NIOPosix
internal import SwiftProtobuf

/// The daemon's operations. Cheap ones answer on the event loop; RELOAD maps files, so it runs on a
/// thread pool.
///
/// RECOMMEND, SIMILAR_ITEMS and TRACK answer on the event loop: they take microseconds (TRACK's log
/// write goes to the page cache; its fsync runs in the background).
///
/// SCORE, PULL and ACK are defined by the protocol but not served yet,
/// so the server answers them with UNSUPPORTED_OPERATION, as a versioned protocol reports an operation a
/// server lacks.
public struct DaemonRequestHandler: RequestHandler {
    let generations: GenerationManager
    let statistics: ServerStatistics
    let threadPool: NIOThreadPool
    let serverVersion: String
    let recommendations: RecommendationService?

    init(
        generations: GenerationManager,
        statistics: ServerStatistics,
        threadPool: NIOThreadPool,
        serverVersion: String,
        recommendations: RecommendationService?
    ) {
        self.recommendations = recommendations
        self.generations = generations
        self.statistics = statistics
        self.threadPool = threadPool
        self.serverVersion = serverVersion
    }

    /// The operations served, RELOAD only with the admin token.
    public var operations: [OperationSupport] {
        [
            OperationSupport(opcode: .ping),
            OperationSupport(opcode: .recommend),
            OperationSupport(opcode: .similarItems),
            OperationSupport(opcode: .track),
            OperationSupport(opcode: .stats),
            OperationSupport(opcode: .reload, requiresAdmin: true),
        ]
    }

    /// Answers `request` through `responder`, on the event loop or, for RELOAD, from the thread pool.
    public func handle(_ request: Request, responder: Responder) {
        do {
            switch request.opcode {
            case .ping:
                // PingResponse has PingRequest's encoding (payload is field 1 in both), so a well-formed
                // request body is the answer; parsing checks that it is well-formed.
                _ = try request.frame.decodeBody(as: Aampe_V1_PingRequest.self)
                responder.respond(serializedBody: request.frame.body)
            case .recommend:
                let message = try request.frame.decodeBody(as: Aampe_V1_RecommendRequest.self)
                responder.respond(try service().recommend(message))
            case .similarItems:
                let message = try request.frame.decodeBody(as: Aampe_V1_SimilarItemsRequest.self)
                responder.respond(try service().similarItems(message))
            case .track:
                let message = try request.frame.decodeBody(as: Aampe_V1_TrackRequest.self)
                do {
                    responder.respond(try service().track(message))
                } catch let error as RealtimeLogError {
                    responder.fail(
                        .unavailable,
                        "the real-time log cannot be written, nothing was accepted: \(error)",
                        retryAfterMillis: DaemonConfiguration.defaultRetryAfterMillis
                    )
                }
            case .stats:
                _ = try request.frame.decodeBody(as: Aampe_V1_StatsRequest.self)
                // Percentiles scan histograms: off the event loop, so other connections do not wait.
                let handler = self
                threadPool.submit { _ in responder.respond(handler.statsResponse()) }
            case .reload:
                _ = try request.frame.decodeBody(as: Aampe_V1_ReloadRequest.self)
                let generations = self.generations
                threadPool.submit { state in
                    guard case .active = state else {
                        return responder.fail(.shuttingDown, "the server is shutting down")
                    }
                    do {
                        let outcome = try generations.reload()
                        var response = Aampe_V1_ReloadResponse()
                        if let previous = outcome.previous { response.previousGeneration = previous.rawValue }
                        if let current = outcome.current { response.generation = current.rawValue }
                        response.changed = outcome.changed
                        responder.respond(response)
                    } catch {
                        responder.fail(.internalError, "reload failed; still serving the previous generation: \(error)")
                    }
                }
            default:
                responder.fail(.unsupportedOperation, "\(request.opcode.name) is not served")
            }
        } catch let error as ProtocolError {
            responder.fail(error)
        } catch {
            responder.fail(.internalError, "\(error)")
        }
    }

    private func service() throws(ProtocolError) -> RecommendationService {
        guard let recommendations else {
            throw ProtocolError(
                code: .unavailable,
                message: "recommendations are not configured",
                retryAfterMillis: DaemonConfiguration.defaultRetryAfterMillis
            )
        }
        return recommendations
    }

    func statsResponse() -> Aampe_V1_StatsResponse {
        var response = Aampe_V1_StatsResponse()
        let uptime = statistics.uptime.components
        response.uptimeMillis = UInt64(uptime.seconds) * 1000 + UInt64(uptime.attoseconds / 1_000_000_000_000_000)
        if let generation = generations.current { response.generation = generation.number.rawValue }
        response.openConnections = UInt32(statistics.currentConnections)
        response.acceptedConnections = statistics.totalAcceptedConnections
        response.rejectedConnections = statistics.totalRejectedConnections
        response.serverVersion = serverVersion
        if let log = recommendations?.log {
            response.realtimeLogSyncFailures = UInt64(log.syncFailureCount)
            response.realtimeLogRefusingWrites = log.isRefusingWrites
        }
        response.operations = statistics.snapshot().map { snapshot in
            var operation = Aampe_V1_OperationStats()
            operation.opcode = UInt32(snapshot.opcode.rawValue)
            operation.name = snapshot.opcode.name
            operation.count = snapshot.count
            operation.errors = snapshot.errors
            operation.latencyP50Nanos = snapshot.p50Nanos
            operation.latencyP99Nanos = snapshot.p99Nanos
            operation.latencyP999Nanos = snapshot.p999Nanos
            operation.latencyMaxNanos = snapshot.maxNanos
            return operation
        }
        return response
    }
}

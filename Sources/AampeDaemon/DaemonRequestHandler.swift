internal import AampeCore
internal import AampeLearning
internal import AampeOutbox
internal import AampeProtocol
internal import AampeSegments
public import AampeServer
internal import Logging
internal import NIOPosix
internal import SwiftProtobuf

/// The daemon's operations. Cheap ones answer on the event loop; RELOAD maps files, so it runs on a
/// thread pool.
///
/// RECOMMEND, SIMILAR_ITEMS, SCORE and TRACK answer on the event loop: they take microseconds (TRACK's log
/// write goes to the page cache; its fsync runs in the background).
///
/// PULL, ACK, CLOCK and REQUEUE change the outbox on the event loop and answer once the changes are
/// durable, from the outbox committer's thread (Operations/OutboxOperations.swift).
public struct DaemonRequestHandler: RequestHandler {
    let generations: GenerationManager
    let statistics: ServerStatistics
    let threadPool: NIOThreadPool
    let serverVersion: String
    let recommendations: RecommendationService?
    let outbox: OutboxService?
    let logger: Logger?
    /// SCORE's `retry_after_millis` while the live generation has no model.
    let unavailableRetryAfterMillis: UInt32

    init(
        generations: GenerationManager,
        statistics: ServerStatistics,
        threadPool: NIOThreadPool,
        serverVersion: String,
        recommendations: RecommendationService?,
        outbox: OutboxService? = nil,
        logger: Logger? = nil,
        unavailableRetryAfterMillis: UInt32 = DaemonConfiguration.defaultRetryAfterMillis
    ) {
        self.logger = logger
        self.unavailableRetryAfterMillis = unavailableRetryAfterMillis
        self.recommendations = recommendations
        self.outbox = outbox
        self.generations = generations
        self.statistics = statistics
        self.threadPool = threadPool
        self.serverVersion = serverVersion
    }

    /// The operations served, RELOAD, CLOCK and REQUEUE only with the admin token.
    public var operations: [OperationSupport] {
        var served = [
            OperationSupport(opcode: .ping),
            OperationSupport(opcode: .recommend),
            OperationSupport(opcode: .similarItems),
            OperationSupport(opcode: .track),
            OperationSupport(opcode: .score),
        ]
        if outbox != nil { served += [OperationSupport(opcode: .pull), OperationSupport(opcode: .ack)] }
        served += [OperationSupport(opcode: .stats), OperationSupport(opcode: .reload, requiresAdmin: true)]
        if outbox != nil {
            served += [
                OperationSupport(opcode: .clock, requiresAdmin: true),
                OperationSupport(opcode: .requeue, requiresAdmin: true),
            ]
        }
        return served
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
                responder.respond(serializedMessage: try service().recommendSerialized(message))
            case .similarItems:
                let message = try request.frame.decodeBody(as: Aampe_V1_SimilarItemsRequest.self)
                responder.respond(serializedMessage: try service().similarItemsSerialized(message))
            case .score:
                let message = try request.frame.decodeBody(as: Aampe_V1_ScoreRequest.self)
                // One read of the live views: the model and the landscape come from the same generation.
                let (model, landscape) = generations.views(ServedModel.self, ServedLandscape.self)
                responder.respond(
                    serializedMessage: try ScoreOperation.answer(
                        message,
                        model: model,
                        landscape: landscape,
                        unavailableRetryAfterMillis: unavailableRetryAfterMillis
                    )
                )
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
            case .pull:
                try pull(try request.frame.decodeBody(as: Aampe_V1_PullRequest.self), responder: responder)
            case .ack:
                try ack(try request.frame.decodeBody(as: Aampe_V1_AckRequest.self), responder: responder)
            case .clock:
                try clock(try request.frame.decodeBody(as: Aampe_V1_ClockRequest.self), responder: responder)
            case .requeue:
                try requeue(try request.frame.decodeBody(as: Aampe_V1_RequeueRequest.self), responder: responder)
            case .reload:
                _ = try request.frame.decodeBody(as: Aampe_V1_ReloadRequest.self)
                let generations = self.generations
                let outbox = self.outbox
                let logger = self.logger
                let freshness = self.recommendations?.freshness
                threadPool.submit { state in
                    guard case .active = state else {
                        return responder.fail(.shuttingDown, "the server is shutting down")
                    }
                    do {
                        // New outbox batches are picked up with the generation; a folder that cannot be
                        // listed is logged and does not fail the reload of the generation.
                        do {
                            try outbox?.rescan()
                        } catch {
                            logger?.error("cannot list the outbox folder: \(error)")
                        }
                        let outcome = try generations.reload()
                        // RELOAD is also how `aampectl import catalog` tells the daemon the catalog
                        // changed: the overlay reads it now. A new generation already did, on load, but
                        // only logged a failure; reading again lets the answer say so.
                        do {
                            try freshness?.refresh(served: generations.view(ServedRecommender.self))
                        } catch {
                            return responder.fail(
                                .internalError,
                                "generation \(outcome.current.map { String($0.rawValue) } ?? "none") is served, but the catalog overlay was not refreshed: \(error)"
                            )
                        }
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
        if let outbox {
            let counts = outbox.counts()
            response.outbox.pending = UInt64(counts.pending)
            response.outbox.leased = UInt64(counts.leased)
            response.outbox.delivered = UInt64(counts.delivered)
            response.outbox.failed = UInt64(counts.failed)
            response.outbox.dead = UInt64(counts.dead)
            response.outbox.expired = UInt64(counts.expired)
            response.outboxBatches = UInt32(outbox.batchCount)
            response.outboxJournalFailed = outbox.journalFailure != nil
            response.clockMicros = outbox.clock.now().rawValue
            response.clockIsSimulated = outbox.clock.isSimulated
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

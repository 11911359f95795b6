public import AampeProtocol
internal import Crypto
internal import Foundation
public import NIOCore
internal import NIOPosix
public import SwiftProtobuf
import Synchronization

/// An asynchronous client of `aamped`: connects lazily, authenticates, pipelines requests (any number of
/// concurrent calls share one connection and are matched by request id), times out each request, and
/// reconnects on the next call after the connection drops.
///
/// ```swift
/// let client = AampeClient(configuration: .init(address: .unix(path: dataDirectory.socketPath)))
/// let stats = try await client.stats()
/// ```
public final class AampeClient: Sendable {
    /// How to reach and authenticate to the server.
    public struct Configuration: Sendable {
        public var address: BindAddress
        public var credential: Credential = .none
        /// Ask for admin rights (RELOAD); the credential must be the admin token unless the client runs as
        /// the daemon's own user on the Unix socket.
        public var wantsAdmin = false
        public var clientName = "aamped-client"
        /// How long one request may take, from sending to its last frame. Default 10 s.
        public var requestTimeout: Duration = .seconds(10)
        /// How long connecting and the handshake may take. Default 5 s.
        public var connectTimeout: Duration = .seconds(5)
        /// The largest response body accepted. Default 64 MiB.
        public var maximumBodyBytes = 64 << 20

        public init(address: BindAddress, credential: Credential = .none) {
            self.address = address
            self.credential = credential
        }
    }

    /// What HELLO proves.
    public enum Credential: Sendable {
        /// Nothing: enough on the Unix socket.
        case none
        /// The token itself.
        case token([UInt8])
        /// HMAC-SHA256(token, nonce): the token never crosses the network.
        case tokenHMAC([UInt8])
    }

    /// An open, authenticated connection.
    struct Connection: Sendable {
        var channel: any Channel
        var greeting: Aampe_V1_Greeting
        var hello: Aampe_V1_HelloResponse
    }

    public let configuration: Configuration
    private let group: any EventLoopGroup
    private enum ConnectionState {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case connected(Connection)
    }

    private let state = Mutex(ConnectionState.idle)
    private let nextRequestID = Atomic<UInt32>(1)

    /// A client; nothing connects until the first call.
    /// `group` defaults to NIO's shared singleton group.
    public init(configuration: Configuration, group: (any EventLoopGroup)? = nil) {
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
    }

    // MARK: Operations

    /// PING: the server echoes `payload`.
    public func ping(payload: [UInt8] = []) async throws -> Aampe_V1_PingResponse {
        var request = Aampe_V1_PingRequest()
        request.payload = .init(payload)
        return try await call(.ping, request, as: Aampe_V1_PingResponse.self)
    }

    /// STATS: the server's counters.
    public func stats() async throws -> Aampe_V1_StatsResponse {
        try await call(.stats, Aampe_V1_StatsRequest(), as: Aampe_V1_StatsResponse.self)
    }

    /// RELOAD: map the generation `CURRENT` names now. Needs an admin session.
    public func reload() async throws -> Aampe_V1_ReloadResponse {
        try await call(.reload, Aampe_V1_ReloadRequest(), as: Aampe_V1_ReloadResponse.self)
    }

    /// RECOMMEND: items for a user (or for context items alone).
    public func recommend(_ request: Aampe_V1_RecommendRequest) async throws -> Aampe_V1_RecommendResponse {
        try await call(.recommend, request, as: Aampe_V1_RecommendResponse.self)
    }

    /// SCORE: a user's personalization scores for one goal.
    public func score(_ request: Aampe_V1_ScoreRequest) async throws -> Aampe_V1_ScoreResponse {
        try await call(.score, request, as: Aampe_V1_ScoreResponse.self)
    }

    /// SIMILAR_ITEMS: items like one item.
    public func similarItems(_ request: Aampe_V1_SimilarItemsRequest) async throws -> Aampe_V1_SimilarItemsResponse {
        try await call(.similarItems, request, as: Aampe_V1_SimilarItemsResponse.self)
    }

    /// TRACK: real-time events.
    public func track(_ events: [Aampe_V1_TrackEvent]) async throws -> Aampe_V1_TrackResponse {
        var request = Aampe_V1_TrackRequest()
        request.events = events
        return try await call(.track, request, as: Aampe_V1_TrackResponse.self)
    }

    /// PULL: leases up to `maximum` due messages to `consumer` for `leaseSeconds` (channels: empty for
    /// every channel). A large answer arrives in several frames, merged here.
    public func pull(
        consumer: String,
        maximum: Int,
        leaseSeconds: Int,
        channels: [String] = []
    ) async throws -> Aampe_V1_PullResponse {
        var request = Aampe_V1_PullRequest()
        request.consumer = consumer
        request.maximumMessages = UInt32(clamping: maximum)
        request.leaseSeconds = UInt32(clamping: leaseSeconds)
        request.channels = channels
        return try await call(.pull, request, as: Aampe_V1_PullResponse.self)
    }

    /// ACK: settles leased messages, each on its own; the answer has one result per acknowledgement, in
    /// order.
    public func ack(_ acknowledgements: [Aampe_V1_Acknowledgement]) async throws -> Aampe_V1_AckResponse {
        var request = Aampe_V1_AckRequest()
        request.acknowledgements = acknowledgements
        return try await call(.ack, request, as: Aampe_V1_AckResponse.self)
    }

    /// CLOCK: reads the outbox's clock, or moves a simulated one (`setMicros`, or `advanceMicros` forward).
    /// Moving needs an admin session.
    public func clock(setMicros: Int64? = nil, advanceMicros: Int64 = 0) async throws -> Aampe_V1_ClockResponse {
        var request = Aampe_V1_ClockRequest()
        if let setMicros { request.setMicros = setMicros }
        request.advanceMicros = advanceMicros
        return try await call(.clock, request, as: Aampe_V1_ClockResponse.self)
    }

    /// REQUEUE: dead messages whose window is open back to pending. Needs an admin session.
    public func requeueDead() async throws -> Aampe_V1_RequeueResponse {
        var request = Aampe_V1_RequeueRequest()
        request.dead = true
        return try await call(.requeue, request, as: Aampe_V1_RequeueResponse.self)
    }

    /// The server's GREETING of the current connection (connecting if needed).
    public func greeting() async throws -> Aampe_V1_Greeting {
        try await connect().connection.greeting
    }

    /// Sends `message` as `opcode` and merges the frames of the answer into a `Response`; an error frame throws
    /// ``ClientError/server(opcode:code:message:)``.
    public func call<Response: SwiftProtobuf.Message>(
        _ opcode: Opcode,
        version: UInt8 = 1,
        _ message: some SwiftProtobuf.Message,
        as type: Response.Type
    ) async throws -> Response {
        let frames = try await request(opcode, version: version, message)
        guard let last = frames.last else { throw ClientError.invalidResponse(opcode: opcode, reason: "no frames") }
        try Self.throwIfError(last)
        do {
            // PROTOCOL.md: a response split over several frames is their merge in order.
            var response = Response()
            for frame in frames { try response.merge(serializedBytes: Array(frame.body.readableBytesView)) }
            return response
        } catch {
            throw ClientError.invalidResponse(opcode: opcode, reason: "body is not a \(Response.protoMessageName)")
        }
    }

    /// Sends `message` as `opcode` and returns every frame of the answer (several for a streamed
    /// response), the last possibly an error frame.
    ///
    /// A server may close an idle connection at the moment a request goes out on it. When a request fails
    /// that way on a connection that was already open, it is sent once more on a new connection: every
    /// operation of the protocol tolerates a repeat (reads are idempotent, TRACK and ACK deduplicate, PULL
    /// is at-least-once by design).
    public func request(
        _ opcode: Opcode,
        version: UInt8 = 1,
        _ message: some SwiftProtobuf.Message
    ) async throws -> [Frame] {
        let (connection, isFresh) = try await connect()
        do {
            return try await send(opcode, version: version, message, on: connection.channel)
        } catch ClientError.connectionClosed where !isFresh {
            let (retry, _) = try await connect()
            return try await send(opcode, version: version, message, on: retry.channel)
        }
    }

    /// Closes the connection; a later call reconnects.
    public func close() async {
        let previous = state.withLock { state -> ConnectionState in
            defer { state = .idle }
            return state
        }
        switch previous {
        case .connected(let connection): try? await connection.channel.close()
        case .connecting(let future): try? await future.get().channel.close()
        case .idle: break
        }
    }

    // MARK: Connecting

    private func send(
        _ opcode: Opcode,
        version: UInt8,
        _ message: some SwiftProtobuf.Message,
        on channel: any Channel
    ) async throws -> [Frame] {
        let id = nextRequestID.wrappingAdd(1, ordering: .relaxed).oldValue
        let frame = Frame(header: FrameHeader(opcode: opcode, opcodeVersion: version, requestID: id), message: message)
        let promise = channel.eventLoop.makePromise(of: [Frame].self)
        channel.writeAndFlush(
            PendingRequest(frame: frame, promise: promise, timeout: Self.timeAmount(configuration.requestTimeout))
        ).whenFailure { error in
            promise.fail(ClientError.connectionClosed(opcode: opcode, requestID: id))
        }
        return try await promise.futureResult.get()
    }

    /// The live connection, or a new one when there is none or it closed. Concurrent callers share one
    /// connection attempt.
    private func connect() async throws -> (connection: Connection, isFresh: Bool) {
        let future = state.withLock { state -> EventLoopFuture<Connection>? in
            switch state {
            case .connected(let connection) where connection.channel.isActive:
                return nil
            case .connecting(let attempt):
                return attempt
            case .idle, .connected:
                let attempt = makeConnection()
                state = .connecting(attempt)
                return attempt
            }
        }
        guard let future else {
            if case .connected(let connection) = state.withLock({ $0 }) { return (connection, false) }
            return try await connect()
        }
        do {
            let connection = try await future.get()
            state.withLock { state in
                if case .connecting(let attempt) = state, attempt === future { state = .connected(connection) }
            }
            return (connection, true)
        } catch {
            state.withLock { state in
                if case .connecting(let attempt) = state, attempt === future { state = .idle }
            }
            throw error
        }
    }

    private func makeConnection() -> EventLoopFuture<Connection> {
        let loop = group.next()
        let greeting = loop.makePromise(of: Frame.self)
        let configuration = self.configuration
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(Self.timeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(
                        ByteToMessageHandler(FrameDecoder(maximumBodyLength: configuration.maximumBodyBytes))
                    )
                    try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                    try pipeline.addHandler(ClientHandler(greeting: greeting))
                }
            }
        let address = configuration.address
        let channelFuture: EventLoopFuture<any Channel>
        switch address {
        case .unix(let path): channelFuture = bootstrap.connect(unixDomainSocketPath: path)
        case .tcp(let host, let port):
            channelFuture = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1).connect(
                host: host,
                port: port
            )
        }
        let promise = loop.makePromise(of: Connection.self)
        let timeout = loop.scheduleTask(in: Self.timeAmount(configuration.connectTimeout)) {
            greeting.fail(
                ClientError.connectionFailed(
                    address: address.description,
                    reason: "no GREETING within the connect timeout"
                )
            )
        }
        promise.completeWithTask {
            let channel: any Channel
            do {
                channel = try await channelFuture.get()
            } catch {
                timeout.cancel()
                let failure = ClientError.connectionFailed(address: address.description, reason: "\(error)")
                greeting.fail(failure)  // no channel ever saw it; complete it so it is not leaked
                throw failure
            }
            do {
                let greetingFrame = try await greeting.futureResult.get()
                timeout.cancel()
                let greetingMessage = try greetingFrame.decodeBody(as: Aampe_V1_Greeting.self)
                let hello = try await self.handshake(on: channel, greeting: greetingMessage)
                return Connection(channel: channel, greeting: greetingMessage, hello: hello)
            } catch {
                timeout.cancel()
                try? await channel.close()
                throw error
            }
        }
        return promise.futureResult
    }

    private func handshake(on channel: any Channel, greeting: Aampe_V1_Greeting) async throws -> Aampe_V1_HelloResponse
    {
        var hello = Aampe_V1_HelloRequest()
        hello.protocolMajor = UInt32(FrameHeader.currentMajorVersion)
        hello.clientName = configuration.clientName
        hello.wantsAdmin = configuration.wantsAdmin
        switch configuration.credential {
        case .none: break
        case .token(let token): hello.token = .init(token)
        case .tokenHMAC(let token):
            hello.tokenHmac = .init(
                HMAC<SHA256>.authenticationCode(for: Array(greeting.nonce), using: SymmetricKey(data: token))
            )
        }
        let frames = try await send(.hello, version: 1, hello, on: channel)
        guard let last = frames.last else { throw ClientError.invalidResponse(opcode: .hello, reason: "no frames") }
        if last.header.status == .error {
            let error = (try? last.decodeBody(as: Aampe_V1_ErrorResponse.self)) ?? Aampe_V1_ErrorResponse()
            throw ClientError.handshakeRefused(
                address: configuration.address.description,
                code: ErrorCode(rawValue: error.code),
                message: error.message
            )
        }
        return try last.decodeBody(as: Aampe_V1_HelloResponse.self)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func throwIfError(_ frame: Frame) throws {
        guard frame.header.status == .error else { return }
        let error = (try? frame.decodeBody(as: Aampe_V1_ErrorResponse.self)) ?? Aampe_V1_ErrorResponse()
        throw ClientError.server(
            opcode: frame.header.opcode,
            code: ErrorCode(rawValue: error.code),
            message: error.message
        )
    }
}

internal import AampeProtocol
internal import Logging
public import NIOCore
internal import NIOPosix
public import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What every connection of a server shares.
final class ServerShared: Sendable {
    let configuration: ServerConfiguration
    let handler: any RequestHandler
    let statistics: ServerStatistics
    /// Served operations indexed by opcode: an array, since opcodes are small and this is looked up on
    /// every request.
    private let operationsByOpcode: [OperationSupport?]
    var logger: Logger { configuration.logger }

    func operation(_ opcode: Opcode) -> OperationSupport? {
        let index = Int(opcode.rawValue)
        return index < operationsByOpcode.count ? operationsByOpcode[index] : nil
    }

    init(configuration: ServerConfiguration, handler: any RequestHandler, statistics: ServerStatistics) {
        self.configuration = configuration
        self.handler = handler
        self.statistics = statistics
        let highest = handler.operations.map { Int($0.opcode.rawValue) }.max() ?? 0
        var byOpcode = [OperationSupport?](repeating: nil, count: highest + 1)
        for operation in handler.operations { byOpcode[Int(operation.opcode.rawValue)] = operation }
        self.operationsByOpcode = byOpcode
    }
}

/// The protocol server: listens on Unix and TCP addresses, and runs every connection through the frame
/// codec and a ``ConnectionHandler``, with the application's ``RequestHandler`` behind it.
///
/// It knows frames, sessions and limits, not recommendations or outboxes. As a `Service` it runs until
/// graceful shutdown (SIGTERM, SIGINT through ServiceLifecycle): it stops accepting, lets requests in
/// flight finish for up to ``ServerConfiguration/shutdownGracePeriodMillis``, then closes what is left.
public final class Server: Service, Sendable {
    private let shared: ServerShared
    private let group: any EventLoopGroup
    private let state = Mutex(RunState())
    private let nextSessionID = Atomic<UInt64>(1)
    private let listening = Mutex<[CheckedContinuation<[SocketAddress], any Error>]>([])

    private struct RunState {
        var listeners: [any Channel] = []
        var connections: [ObjectIdentifier: any Channel] = [:]
        var boundAddresses: [SocketAddress]?
        var unixSocketPaths: [String] = []
        var isShuttingDown = false
    }

    /// A server that will serve `handler` on `group`'s event loops. Statistics are shared with the
    /// caller, who reports them (STATS).
    public init(
        configuration: ServerConfiguration,
        handler: any RequestHandler,
        statistics: ServerStatistics,
        group: any EventLoopGroup
    ) throws {
        try configuration.validate()
        self.shared = ServerShared(configuration: configuration, handler: handler, statistics: statistics)
        self.group = group
    }

    /// The server's statistics.
    public var statistics: ServerStatistics { shared.statistics }

    /// Binds every address, serves until graceful shutdown or cancellation, then drains and closes.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// The addresses actually bound (with the port chosen when a TCP port was 0), once listening.
    public func boundAddresses() async throws -> [SocketAddress] {
        if let addresses = state.withLock({ $0.boundAddresses }) { return addresses }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { $0.boundAddresses }
            if let ready {
                continuation.resume(returning: ready)
            } else {
                listening.withLock { $0.append(continuation) }
            }
        }
    }

    /// Binds every address and starts accepting.
    public func start() async throws {
        var listeners: [any Channel] = []
        do {
            for address in shared.configuration.addresses {
                listeners.append(try await bind(address))
            }
        } catch {
            for listener in listeners { try? await listener.close() }
            failWaiters(error)
            throw error
        }
        let addresses = listeners.compactMap(\.localAddress)
        state.withLock { state in
            state.listeners = listeners
            state.boundAddresses = addresses
        }
        for waiter in listening.withLock({ waiters in
            defer { waiters.removeAll() }
            return waiters
        }) {
            waiter.resume(returning: addresses)
        }
        shared.logger.info("listening on \(shared.configuration.addresses.map(\.description).joined(separator: ", "))")
    }

    private func failWaiters(_ error: any Error) {
        for waiter in listening.withLock({ waiters in
            defer { waiters.removeAll() }
            return waiters
        }) {
            waiter.resume(throwing: error)
        }
    }

    /// Stops accepting, drains connections for the grace period, closes the rest, removes Unix sockets.
    public func shutdown() async {
        let (listeners, connections, paths) = state.withLock { state -> ([any Channel], [any Channel], [String]) in
            state.isShuttingDown = true
            return (state.listeners, Array(state.connections.values), state.unixSocketPaths)
        }
        for listener in listeners { try? await listener.close() }
        shared.logger.info("shutting down: \(connections.count) connections to drain")
        for connection in connections { connection.pipeline.fireUserInboundEventTriggered(DrainEvent()) }
        let deadline = ContinuousClock.now + .milliseconds(shared.configuration.shutdownGracePeriodMillis)
        while ContinuousClock.now < deadline, state.withLock({ !$0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining = state.withLock { Array($0.connections.values) }
        if !remaining.isEmpty {
            shared.logger.warning("closing \(remaining.count) connections still busy after the grace period")
        }
        for connection in remaining { try? await connection.close() }
        for path in paths { unlink(path) }
    }

    // MARK: Listening

    private func bind(_ address: BindAddress) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // A client that half-closes (finishes sending) still gets its answers, or the error frame
            // for a frame it cut short.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Answers queued for a slow reader above 1 MiB pause reading from it (see
            // ConnectionHandler.channelWritabilityChanged); below 256 KiB, reading resumes.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { [self] channel in
                self.initialize(channel, transport: address.transport)
            }
        switch address {
        case .unix(let path):
            try UnixSocketPath.prepare(path)
            // > DESIGN.md §7: "The Unix socket is mode 0660."
            // Bind under a temporary name, set the mode, then rename into place, so that the socket is
            // never reachable at its real path with the umask's mode.
            let temporaryPath = path + ".binding-\(getpid())"
            unlink(temporaryPath)
            let channel: any Channel
            do {
                channel = try await bootstrap.bind(unixDomainSocketPath: temporaryPath).get()
            } catch {
                throw ServerError.bindFailed(address: address.description, reason: "\(error)")
            }
            guard chmod(temporaryPath, 0o660) == 0, rename(temporaryPath, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? await channel.close()
                unlink(temporaryPath)
                throw ServerError.bindFailed(address: address.description, reason: reason)
            }
            state.withLock { $0.unixSocketPaths.append(path) }
            return channel
        case .tcp(let host, let port):
            do {
                return try await bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1).bind(
                    host: host,
                    port: port
                ).get()
            } catch {
                throw ServerError.bindFailed(address: address.description, reason: "\(error)")
            }
        }
    }

    private func initialize(_ channel: any Channel, transport: String) -> EventLoopFuture<Void> {
        let statistics = shared.statistics
        let maximum = shared.configuration.limits.maximumConnections
        let admitted = state.withLock { state -> Bool in
            guard !state.isShuttingDown, state.connections.count < maximum else { return false }
            state.connections[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else {
            statistics.rejectedConnections.wrappingAdd(1, ordering: .relaxed)
            let retryAfterMillis = self.shared.configuration.connectionsRetryAfterMillis
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    RefuseConnectionHandler(
                        frame: .error(
                            .tooManyConnections,
                            message: "the server holds \(maximum) connections",
                            requestID: 0,
                            opcode: Opcode(rawValue: 0),
                            retryAfterMillis: retryAfterMillis
                        )
                    )
                )
            }
        }
        statistics.acceptedConnections.wrappingAdd(1, ordering: .relaxed)
        statistics.openConnections.wrappingAdd(1, ordering: .relaxed)
        channel.closeFuture.whenComplete { [self] _ in
            // Counted out before it leaves the map: shutdown() returns once the map is empty, and the
            // count must then read 0.
            statistics.openConnections.wrappingSubtract(1, ordering: .relaxed)
            self.state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        let sessionID = nextSessionID.wrappingAdd(1, ordering: .relaxed).oldValue
        let shared = self.shared
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionHandler(shared: shared, transport: transport, sessionID: sessionID)
            )
        }
    }
}

/// Answers a connection over the limit with one error frame, then closes it.
final class RefuseConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let frame: Frame

    init(frame: Frame) {
        self.frame = frame
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: FrameHeader.length + frame.body.readableBytes)
        buffer.writeFrame(frame)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// Getting a Unix socket path ready to bind.
enum UnixSocketPath {
    /// Removes a stale socket file: one that is a socket and that nobody answers on. Refuses a live
    /// socket (another server) and anything that is not a socket.
    static func prepare(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ServerError.socketPathInUse(path: path, reason: "exists and is not a socket; not removing it")
        }
        if isAnswering(path) {
            throw ServerError.socketPathInUse(path: path, reason: "another server is answering on this socket")
        }
        unlink(path)
    }

    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}

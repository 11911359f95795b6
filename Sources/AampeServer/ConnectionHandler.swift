internal import AampeProtocol
internal import Logging
internal import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Sent down a connection's pipeline when the server begins shutting down.
struct DrainEvent: Sendable {}

/// One connection: cuts frames, greets, authenticates, enforces limits and timeouts, dispatches requests
/// to the application, and writes responses, following ``ConnectionStateMachine``.
///
/// The handler decodes and encodes frames itself instead of through separate codec handlers: measured
/// with tools/bench-protocol, NIO's generic `ByteToMessageHandler` and `MessageToByteHandler` took 41 % of
/// the server's CPU per PING (boxing every frame as `NIOAny`, one pending write per response). Responses
/// produced while a read burst is processed go into one buffer, written and flushed once at
/// `channelReadComplete`, so pipelined requests share a buffer and a syscall.
///
/// The clock is read once per read (not twice per request): every frame of a read is stamped with that
/// time, and the answers given while the read is processed are counted in the statistics at
/// `channelReadComplete`, with one more clock read, as the time from their read to the flush that sends
/// them. Statistics go to the event loop's own shard (``ServerStatistics/Shard``), looked up once.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // The properties every request touches are `@exclusivity(unchecked)`: Swift's run-time check of each
    // access (a call, an access-set insertion and a thread-local lookup) was 15 % of aamped's samples under
    // PING load, and about 10 % with these unchecked (perf, 16 × 16). Overlapping accesses cannot happen:
    // the handler runs on its event loop only, and the one access held across calls out, `processor`'s
    // during `process`, reaches code that never touches `processor` (received, dispatch, deliver, close).
    // The compile-time checks still apply.
    @exclusivity(unchecked) private var processor: NIOSingleStepByteToMessageProcessor<FrameDecoder>
    @exclusivity(unchecked) private var outbound = ByteBuffer()
    @exclusivity(unchecked) private var machine: ConnectionStateMachine
    private let shared: ServerShared
    private let transport: String
    private var nonce: [UInt8] = []
    private var peerUID: UInt32?
    @exclusivity(unchecked) private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    @exclusivity(unchecked) private var isReading = false
    @exclusivity(unchecked) private var isClosing = false
    private let sessionID: UInt64
    @exclusivity(unchecked) private var statistics: ServerStatistics.Shard
    /// Answers given during the current read burst, counted when it is flushed.
    @exclusivity(unchecked) private var answeredInBurst: [(opcode: Opcode, isError: Bool, receivedAt: NIODeadline)] = []

    init(shared: ServerShared, transport: String, sessionID: UInt64) {
        self.shared = shared
        self.transport = transport
        self.sessionID = sessionID
        self.statistics = shared.statistics.fallbackShard
        self.machine = ConnectionStateMachine(limits: shared.configuration.limits, now: .now())
        self.processor = NIOSingleStepByteToMessageProcessor(
            FrameDecoder(maximumBodyLength: shared.configuration.limits.maximumBodyBytes)
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbound = context.channel.allocator.buffer(capacity: 4096)
        statistics = shared.statistics.shard(for: context.eventLoop)
    }

    func channelActive(context: ChannelHandlerContext) {
        var generator = SystemRandomNumberGenerator()
        nonce = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        if transport == "unix" { readPeerCredentials(context: context) }
        sendGreeting(context: context)
        flush(context: context)
        armTimer(at: .now() + .milliseconds(Int64(shared.configuration.limits.handshakeTimeoutMillis)))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        recordAnsweredInBurst()
        machine.closed()
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Backpressure: a client that sends requests but does not read the answers fills the outbound buffer
    /// past the high watermark; the server then stops reading from it until the buffer drains below the
    /// low one, so its queued answers stay bounded.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReading = true
        let now = NIODeadline.now()
        do {
            try processor.process(buffer: unwrapInboundIn(data)) { frame in
                guard !isClosing else { return }
                received(frame, context: context, now: now)
            }
        } catch {
            failed(error, context: context)
        }
    }

    private func received(_ frame: Frame, context: ChannelHandlerContext, now: NIODeadline) {
        switch machine.frameReceived(frame.header, now: now) {
        case .reject(let code, let message):
            let error = errorFrame(code, message, for: frame.header)
            if code.closesConnection { close(after: error, context: context) } else { append(error) }
        case .authenticate:
            authenticate(frame, context: context, now: now)
        case .dispatch(let session):
            dispatch(frame, session: session, context: context, now: now)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        recordAnsweredInBurst()
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(error, context: context)
    }

    /// A decoding error answers with its error frame and closes; anything else just closes.
    private func failed(_ error: any Error, context: ChannelHandlerContext) {
        if let error = error as? ProtocolError {
            shared.logger.debug("closing connection \(sessionID): \(error)")
            let frame = Frame.error(
                error.code,
                message: error.message,
                requestID: error.requestID ?? 0,
                opcode: error.opcode ?? Opcode(rawValue: 0),
                retryAfterMillis: error.retryAfterMillis
            )
            close(after: frame, context: context)
        } else {
            shared.logger.debug("closing connection \(sessionID) after an error: \(error)")
            close(after: nil, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            if machine.beginDraining() { close(after: nil, context: context) }
            return
        }
        if case .inputClosed = event as? ChannelEvent {
            // The client finished sending: a frame it cut short is answered with MALFORMED_FRAME;
            // otherwise what is in flight is answered, then the connection closes.
            do {
                let now = NIODeadline.now()
                try processor.finishProcessing(seenEOF: true) { frame in received(frame, context: context, now: now) }
            } catch {
                return failed(error, context: context)
            }
            flush(context: context)
            if machine.beginDraining() { close(after: nil, context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Handshake

    private func sendGreeting(context: ChannelHandlerContext) {
        var greeting = Aampe_V1_Greeting()
        greeting.protocolMajor = UInt32(FrameHeader.currentMajorVersion)
        greeting.protocolMinor = 0
        greeting.serverVersion = shared.configuration.serverVersion
        greeting.nonce = .init(nonce)
        greeting.transport = transport
        let limits = shared.configuration.limits
        greeting.limits.maximumBodyBytes = UInt32(limits.maximumBodyBytes)
        greeting.limits.maximumInFlightRequests = UInt32(limits.maximumInFlightRequests)
        greeting.limits.handshakeTimeoutMillis = UInt32(limits.handshakeTimeoutMillis)
        greeting.limits.idleTimeoutMillis = UInt32(limits.idleTimeoutMillis)
        let hello = OperationSupport(opcode: .hello, newestVersion: ConnectionStateMachine.helloNewestVersion)
        greeting.operations = ([hello] + shared.handler.operations).map { support in
            var operation = Aampe_V1_OperationSupport()
            operation.opcode = UInt32(support.opcode.rawValue)
            operation.name = support.opcode.name
            operation.newestVersion = UInt32(support.newestVersion)
            return operation
        }
        append(Frame(header: FrameHeader(opcode: .greeting, requestID: 0), message: greeting))
    }

    private func authenticate(_ frame: Frame, context: ChannelHandlerContext, now: NIODeadline) {
        let hello: Aampe_V1_HelloRequest
        do {
            hello = try frame.decodeBody()
        } catch {
            return refuseHello(frame, .authenticationFailed, "HELLO body does not parse", context: context)
        }
        guard hello.protocolMajor == UInt32(FrameHeader.currentMajorVersion) else {
            return refuseHello(
                frame,
                .unsupportedMajorVersion,
                "HELLO asks for protocol \(hello.protocolMajor)",
                context: context
            )
        }
        var grant = Credentials.Grant.none
        switch hello.credential {
        case .token(let token)?:
            grant = shared.configuration.credentials?.grant(forToken: Array(token)) ?? .none
        case .tokenHmac(let mac)?:
            grant = shared.configuration.credentials?.grant(forHMAC: Array(mac), nonce: nonce) ?? .none
        case nil:
            // The Unix socket's file mode (0660) already decided who may connect; peers running as the
            // daemon's own user, or root, get admin rights.
            if transport == "unix" {
                let ownUID = UInt32(geteuid())
                grant = (peerUID == ownUID || peerUID == 0) ? .admin : .client
            }
        }
        guard grant != .none else {
            return refuseHello(frame, .authenticationFailed, "credential missing or wrong", context: context)
        }
        if hello.wantsAdmin && grant != .admin {
            return refuseHello(frame, .authenticationFailed, "admin rights need the admin credential", context: context)
        }
        let session = Session(
            id: sessionID,
            transport: transport,
            isAdmin: grant == .admin,
            clientName: Session.keptClientName(fromHello: hello.clientName)
        )
        machine.helloSucceeded(session, now: now)
        armTimer(at: now + .milliseconds(Int64(shared.configuration.limits.idleTimeoutMillis)))
        var response = Aampe_V1_HelloResponse()
        response.isAdmin = session.isAdmin
        response.sessionID = session.id
        let header = FrameHeader(
            opcode: .hello,
            opcodeVersion: frame.header.opcodeVersion,
            requestID: frame.header.requestID
        )
        append(Frame(header: header, message: response))
        shared.logger.debug(
            "session \(session.id) authenticated over \(transport) as \(session.isAdmin ? "admin" : "client") (\(session.clientName))"
        )
    }

    private func refuseHello(_ frame: Frame, _ code: ErrorCode, _ message: String, context: ChannelHandlerContext) {
        shared.logger.info("refused HELLO on connection \(sessionID) over \(transport): \(message)")
        close(after: errorFrame(code, message, for: frame.header), context: context)
    }

    private func readPeerCredentials(context: ChannelHandlerContext) {
        #if os(Linux)
        guard let provider = context.channel as? any SocketOptionProvider else { return }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(PeerCredentials.socketOption)
        )
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        future.whenSuccess { credentials in bound.value.peerUID = credentials.uid }
        #endif
    }

    // MARK: Dispatch

    private func dispatch(_ frame: Frame, session: Session, context: ChannelHandlerContext, now: NIODeadline) {
        let header = frame.header
        guard let support = shared.operation(header.opcode) else {
            return rejectDispatched(
                header,
                .unsupportedOperation,
                "this server does not serve \(header.opcode.name)",
                context: context,
                now: now
            )
        }
        guard header.opcodeVersion >= 1 && header.opcodeVersion <= support.newestVersion else {
            return rejectDispatched(
                header,
                .unsupportedOperationVersion,
                "\(header.opcode.name) version \(header.opcodeVersion); this server serves 1 ... \(support.newestVersion)",
                context: context,
                now: now
            )
        }
        if support.requiresAdmin && !session.isAdmin {
            return rejectDispatched(
                header,
                .permissionDenied,
                "\(header.opcode.name) needs an admin session",
                context: context,
                now: now
            )
        }
        let responder = Responder(
            connection: NIOLoopBound(self, eventLoop: context.eventLoop),
            header: header,
            receivedAt: now,
            maximumBodyBytes: shared.configuration.limits.maximumBodyBytes
        )
        shared.handler.handle(Request(frame: frame, session: session), responder: responder)
    }

    private func rejectDispatched(
        _ header: FrameHeader,
        _ code: ErrorCode,
        _ message: String,
        context: ChannelHandlerContext,
        now: NIODeadline
    ) {
        append(errorFrame(code, message, for: header))
        statistics.record(header.opcode, nanoseconds: 1, isError: true)
        if machine.responseCompleted(requestID: header.requestID, now: now) { close(after: nil, context: context) }
    }

    /// A frame from the application's ``Responder``, on the event loop.
    func deliver(_ header: FrameHeader, body: ResponseBody, isFinal: Bool, receivedAt: NIODeadline) {
        guard let context, !isClosing else { return }
        switch body {
        case .bytes(let bytes):
            outbound.writeFrameHeader(header, bodyLength: bytes.count)
            outbound.writeBytes(bytes)
        case .buffer(let buffer):
            outbound.writeFrameHeader(header, bodyLength: buffer.readableBytes)
            outbound.writeImmutableBuffer(buffer)
        }
        guard isFinal else { return }
        let isError = header.status == .error
        let now: NIODeadline
        if isReading {
            // Answered while its read is processed: it leaves with the read's flush, which times it.
            answeredInBurst.append((header.opcode, isError, receivedAt))
            now = receivedAt
        } else {
            now = NIODeadline.now()
            statistics.record(
                header.opcode,
                nanoseconds: UInt64(max(0, (now - receivedAt).nanoseconds)),
                isError: isError
            )
        }
        if machine.responseCompleted(requestID: header.requestID, now: now) { close(after: nil, context: context) }
    }

    /// Counts the answers of the read burst that ends now, with one clock read for all of them.
    private func recordAnsweredInBurst() {
        guard !answeredInBurst.isEmpty else { return }
        statistics.record(answeredInBurst, flushedAt: .now())
        answeredInBurst.removeAll(keepingCapacity: true)
    }

    /// Flushes answers that arrived from another thread, unless a read burst will flush them anyway.
    func flushIfIdle() {
        guard let context, !isReading else { return }
        flush(context: context)
    }

    // MARK: Writing and closing

    /// Adds a frame to the pending output.
    private func append(_ frame: Frame) {
        outbound.writeFrame(frame)
    }

    /// Writes and flushes the pending output as one buffer.
    private func flush(context: ChannelHandlerContext) {
        guard outbound.readableBytes > 0 else { return }
        let pending = outbound
        outbound = context.channel.allocator.buffer(capacity: 4096)
        context.writeAndFlush(wrapOutboundOut(pending), promise: nil)
    }

    private func errorFrame(_ code: ErrorCode, _ message: String, for header: FrameHeader) -> Frame {
        // A slot frees as soon as any request in flight is answered, so a short wait is enough.
        let retryAfterMillis = code == .tooManyInFlight ? shared.configuration.inFlightRetryAfterMillis : 0
        return Frame.error(
            code,
            message: message,
            requestID: header.requestID,
            opcode: header.opcode,
            opcodeVersion: header.opcodeVersion,
            retryAfterMillis: retryAfterMillis
        )
    }

    /// Writes `frame` (if any) after everything already pending, flushes, and closes once it is out.
    private func close(after frame: Frame?, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        if let frame { append(frame) }
        let pending = outbound
        outbound = context.channel.allocator.buffer(capacity: 0)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(pending)).whenComplete { _ in boundContext.value.close(promise: nil) }
    }

    // MARK: Timers

    private func armTimer(at deadline: NIODeadline) {
        timer?.cancel()
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) { bound.value.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard let context else { return }
        switch machine.timerFired(now: .now()) {
        case .rearm(let deadline):
            armTimer(at: deadline)
        case .close(let code, let message):
            shared.logger.debug("closing connection \(sessionID): \(message)")
            close(
                after: Frame.error(code, message: message, requestID: 0, opcode: Opcode(rawValue: 0)),
                context: context
            )
        case .stop:
            break
        }
    }
}

/// Linux's `struct ucred` (`<sys/socket.h>`, behind `_GNU_SOURCE`, so not visible through Glibc): the
/// peer process of a Unix socket, as `getsockopt(SOL_SOCKET, SO_PEERCRED)` reports it.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// `SO_PEERCRED` on Linux (asm-generic/socket.h).
    static let socketOption: Int32 = 17
}

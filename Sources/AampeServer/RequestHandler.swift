public import AampeProtocol
public import NIOCore
public import SwiftProtobuf

/// The application side of the server: what `AampeDaemon` plugs in.
///
/// The server owns framing, the handshake, authentication, limits, timeouts and statistics. It hands
/// every authenticated request for an operation listed in ``operations`` to ``handle(_:responder:)``,
/// on the connection's event loop. The handler answers through the ``Responder`` exactly once with a
/// final frame, either at once (cheap operations, which then never leave the event loop) or later from
/// any thread (operations that block, which must not run on the event loop).
public protocol RequestHandler: Sendable {
    /// The operations served, with the newest version of each. GREETING announces them; any other opcode
    /// is answered with UNSUPPORTED_OPERATION and any newer version with UNSUPPORTED_OPERATION_VERSION.
    var operations: [OperationSupport] { get }

    /// Answers one request.
    func handle(_ request: Request, responder: Responder)
}

/// An operation and the newest version of it that a server serves.
public struct OperationSupport: Sendable, Hashable {
    public var opcode: Opcode
    public var newestVersion: UInt8
    /// Whether only admin sessions may call it.
    public var requiresAdmin: Bool

    public init(opcode: Opcode, newestVersion: UInt8 = 1, requiresAdmin: Bool = false) {
        self.opcode = opcode
        self.newestVersion = newestVersion
        self.requiresAdmin = requiresAdmin
    }
}

/// A request as the application sees it.
public struct Request: Sendable {
    /// The frame, body still serialized.
    public var frame: Frame
    /// Who sent it.
    public var session: Session

    /// The request's opcode.
    public var opcode: Opcode { frame.header.opcode }
}

/// Answers one request. Safe to use from any thread; it hops to the connection's event loop.
///
/// A struct holding the connection and the request's header: answering allocates no closure, which
/// matters at hundreds of thousands of requests a second.
///
/// A message longer than the server's `maximumBodyBytes` goes out as several frames, cut between
/// top-level fields by ``MessageSplitter``, every frame but the last flagged MORE: PROTOCOL.md promises
/// that no frame's body exceeds the limit GREETING announced, so a client may size its buffers by it.
public struct Responder: Sendable {
    let connection: NIOLoopBound<ConnectionHandler>
    let header: FrameHeader
    let receivedAt: NIODeadline
    let maximumBodyBytes: Int

    /// Sends `message` as the final (or only) frame of the response; as several frames when it is longer
    /// than the body limit.
    public func respond(_ message: some SwiftProtobuf.Message) {
        send(message, isFinal: true)
    }

    /// Sends `bytes`, a response message serialized by the caller, as the final (or only) frame; as several
    /// frames when it is longer than the body limit. For a response built on one thread and sent from
    /// another (PULL serializes its answer on the event loop while its leases are being synced, and the
    /// sync's thread sends it).
    public func respond(serializedMessage bytes: [UInt8]) {
        send(bytes, isFinal: true)
    }

    /// Sends `body`, already serialized, as the final frame: for a response whose encoding equals the
    /// request's (PING echoes its payload), which the body limit already bounded.
    public func respond(serializedBody body: ByteBuffer) {
        assert(body.readableBytes <= maximumBodyBytes, "an echoed body is no longer than the request's")
        deliver(.ok, flags: [], body: .buffer(body), isFinal: true)
    }

    /// Sends `message` as one frame (or several, when it is longer than the body limit) of a streamed
    /// response; a final ``respond(_:)`` must follow.
    public func stream(_ message: some SwiftProtobuf.Message) {
        send(message, isFinal: false)
    }

    /// Ends the response with an error frame. `retryAfterMillis` 0 tells the client not to retry.
    public func fail(_ code: ErrorCode, _ message: String, retryAfterMillis: UInt32 = 0) {
        var error = Aampe_V1_ErrorResponse()
        error.code = code.rawValue
        error.message = message
        error.retryAfterMillis = retryAfterMillis
        deliver(.error, flags: [], body: .bytes(Self.serialize(error)), isFinal: true)
    }

    /// Ends the response with the error's code, message and retry hint.
    public func fail(_ error: ProtocolError) {
        fail(error.code, error.message, retryAfterMillis: error.retryAfterMillis)
    }

    private static func serialize(_ message: some SwiftProtobuf.Message) -> [UInt8] {
        // Serializing a message built in memory cannot fail: proto3 has no required fields.
        try! message.serializedBytes()
    }

    private func send(_ message: some SwiftProtobuf.Message, isFinal: Bool) {
        send(Self.serialize(message), isFinal: isFinal)
    }

    private func send(_ bytes: [UInt8], isFinal: Bool) {
        if bytes.count <= maximumBodyBytes {
            return deliver(.ok, flags: isFinal ? [] : .more, body: .bytes(bytes), isFinal: isFinal)
        }
        let ranges: [Range<Int>]
        do {
            ranges = try MessageSplitter.split(bytes, maximumBytes: maximumBodyBytes)
        } catch {
            return fail(error)
        }
        let pieces = ranges.map { Array(bytes[$0]) }
        let header = self.header
        let receivedAt = self.receivedAt
        onEventLoop { connection in
            for (index, piece) in pieces.enumerated() {
                let isLast = isFinal && index == pieces.count - 1
                let frameHeader = FrameHeader(
                    opcode: header.opcode,
                    opcodeVersion: header.opcodeVersion,
                    requestID: header.requestID,
                    flags: isLast ? [] : .more
                )
                connection.deliver(frameHeader, body: .bytes(piece), isFinal: isLast, receivedAt: receivedAt)
            }
        }
    }

    private func deliver(_ status: FrameStatus, flags: FrameFlags, body: ResponseBody, isFinal: Bool) {
        let header = FrameHeader(
            opcode: self.header.opcode,
            opcodeVersion: self.header.opcodeVersion,
            requestID: self.header.requestID,
            status: status,
            flags: flags
        )
        let connection = self.connection
        let receivedAt = self.receivedAt
        if connection.eventLoop.inEventLoop {
            connection.value.deliver(header, body: body, isFinal: isFinal, receivedAt: receivedAt)
        } else {
            connection.eventLoop.execute {
                connection.value.deliver(header, body: body, isFinal: isFinal, receivedAt: receivedAt)
                connection.value.flushIfIdle()
            }
        }
    }

    /// Runs `work` on the connection's event loop, flushing afterwards when it ran from elsewhere.
    private func onEventLoop(_ work: @escaping @Sendable (ConnectionHandler) -> Void) {
        let connection = self.connection
        if connection.eventLoop.inEventLoop {
            work(connection.value)
        } else {
            connection.eventLoop.execute {
                work(connection.value)
                connection.value.flushIfIdle()
            }
        }
    }
}

/// A response body: serialized message bytes, or a buffer to send as it is.
enum ResponseBody: Sendable {
    case bytes([UInt8])
    case buffer(ByteBuffer)
}

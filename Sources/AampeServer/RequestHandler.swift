public import AampeProtocol
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
public struct Responder: Sendable {
    let header: FrameHeader
    let deliver: @Sendable (Frame, _ isFinal: Bool) -> Void

    /// Sends `message` as the final (or only) frame of the response.
    public func respond(_ message: some SwiftProtobuf.Message) {
        deliver(Frame(header: responseHeader(flags: []), message: message), true)
    }

    /// Sends `message` as one frame of a streamed response; a final ``respond(_:)`` must follow.
    public func stream(_ message: some SwiftProtobuf.Message) {
        deliver(Frame(header: responseHeader(flags: .more), message: message), false)
    }

    /// Ends the response with an error frame.
    public func fail(_ code: ErrorCode, _ message: String, retryAfterMillis: UInt32 = 0) {
        deliver(
            Frame.error(
                code,
                message: message,
                requestID: header.requestID,
                opcode: header.opcode,
                opcodeVersion: header.opcodeVersion,
                retryAfterMillis: retryAfterMillis
            ),
            true
        )
    }

    /// Ends the response with the error's code and message.
    public func fail(_ error: ProtocolError) {
        fail(error.code, error.message)
    }

    private func responseHeader(flags: FrameFlags) -> FrameHeader {
        FrameHeader(
            opcode: header.opcode,
            opcodeVersion: header.opcodeVersion,
            requestID: header.requestID,
            status: .ok,
            flags: flags
        )
    }
}

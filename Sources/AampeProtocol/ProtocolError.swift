/// A protocol failure: which code, and a message that names the frame (opcode, request id, offset) and
/// the reason. Never includes body bytes.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The wire code this error maps to.
    public var code: ErrorCode
    /// What went wrong, for people.
    public var message: String
    /// The request the error belongs to, when the frame header was readable.
    public var requestID: UInt32?
    /// The opcode of that request.
    public var opcode: Opcode?
    /// When the client may try again, for `ErrorResponse.retry_after_millis`; 0 means "do not retry".
    public var retryAfterMillis: UInt32

    /// An error with `code` and `message`.
    public init(
        code: ErrorCode,
        message: String,
        requestID: UInt32? = nil,
        opcode: Opcode? = nil,
        retryAfterMillis: UInt32 = 0
    ) {
        self.code = code
        self.message = message
        self.requestID = requestID
        self.opcode = opcode
        self.retryAfterMillis = retryAfterMillis
    }

    public var description: String {
        var location = ""
        if let opcode { location += " \(opcode.name)" }
        if let requestID { location += " request \(requestID)" }
        return "\(code.name)\(location): \(message)"
    }
}

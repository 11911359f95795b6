/// A stable numeric error code, carried in `ErrorResponse.code`. PROTOCOL.md lists them.
///
/// A struct over a number rather than an enum, as swift-service-lifecycle models `ServiceGroupError.Code`:
/// a code that a newer server adds decodes as an unknown code instead of breaking an older client.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The bytes do not form a frame: wrong magic, or a connection that ended inside a frame.
    public static let malformedFrame = ErrorCode(rawValue: 1)
    /// The frame's major version is not one the server speaks.
    public static let unsupportedMajorVersion = ErrorCode(rawValue: 2)
    /// The server does not serve this opcode (yet, or any more).
    public static let unsupportedOperation = ErrorCode(rawValue: 3)
    /// The server serves the opcode, but not at this version.
    public static let unsupportedOperationVersion = ErrorCode(rawValue: 4)
    /// The body is longer than the server's limit; the connection closes.
    public static let frameTooLarge = ErrorCode(rawValue: 5)
    /// An operation arrived before a successful HELLO; the connection closes.
    public static let handshakeRequired = ErrorCode(rawValue: 6)
    /// The credential in HELLO was wrong or missing; the connection closes.
    public static let authenticationFailed = ErrorCode(rawValue: 7)
    /// The operation needs the admin credential.
    public static let permissionDenied = ErrorCode(rawValue: 8)
    /// More requests are in flight on this connection than the server allows.
    public static let tooManyInFlight = ErrorCode(rawValue: 9)
    /// The server has as many connections as it allows; this one closes.
    public static let tooManyConnections = ErrorCode(rawValue: 10)
    /// HELLO did not arrive in time; the connection closes.
    public static let handshakeTimeout = ErrorCode(rawValue: 11)
    /// The connection was idle too long; it closes.
    public static let idleTimeout = ErrorCode(rawValue: 12)
    /// The body does not parse as the operation's message, or a field is out of range.
    public static let invalidRequest = ErrorCode(rawValue: 13)
    /// What the request names does not exist.
    public static let notFound = ErrorCode(rawValue: 14)
    /// The server cannot answer now (no generation loaded yet, for example); retry later.
    public static let unavailable = ErrorCode(rawValue: 15)
    /// The server is shutting down and takes no new requests.
    public static let shuttingDown = ErrorCode(rawValue: 16)
    /// The server failed; the message says how.
    public static let internalError = ErrorCode(rawValue: 17)
    /// A request reused the id of a request still in flight on this connection. The error frame carries
    /// that id, so the client cannot tell which request it answers; the connection closes.
    public static let duplicateRequestID = ErrorCode(rawValue: 18)
    /// A frame that only the server sends (GREETING), or a response status in a request.
    public static let unexpectedFrame = ErrorCode(rawValue: 19)
    /// ACK: the lease token is not the message's latest lease; it was leased again since (or the token was
    /// never its). Nothing changed.
    public static let staleLease = ErrorCode(rawValue: 20)
    /// ACK: the lease lapsed and the message then expired or died before the ACK arrived. Nothing changed.
    public static let leaseExpired = ErrorCode(rawValue: 21)
    /// ACK: this lease was already acknowledged with another status. Nothing changed.
    public static let conflictingAck = ErrorCode(rawValue: 22)
    /// ACK: no served batch has a message with this id.
    public static let unknownMessage = ErrorCode(rawValue: 23)
    /// PULL, ACK, REQUEUE: the outbox journal could not be written or synced, so the request's changes may
    /// not be durable; the outbox refuses PULL and ACK until the server restarts.
    public static let journalFailed = ErrorCode(rawValue: 24)

    /// Every code this build knows, in numeric order.
    public static let all: [ErrorCode] = (1...24).map { ErrorCode(rawValue: $0) }

    /// The name used in PROTOCOL.md and logs.
    public var name: String {
        switch rawValue {
        case 1: "MALFORMED_FRAME"
        case 2: "UNSUPPORTED_MAJOR_VERSION"
        case 3: "UNSUPPORTED_OPERATION"
        case 4: "UNSUPPORTED_OPERATION_VERSION"
        case 5: "FRAME_TOO_LARGE"
        case 6: "HANDSHAKE_REQUIRED"
        case 7: "AUTHENTICATION_FAILED"
        case 8: "PERMISSION_DENIED"
        case 9: "TOO_MANY_IN_FLIGHT"
        case 10: "TOO_MANY_CONNECTIONS"
        case 11: "HANDSHAKE_TIMEOUT"
        case 12: "IDLE_TIMEOUT"
        case 13: "INVALID_REQUEST"
        case 14: "NOT_FOUND"
        case 15: "UNAVAILABLE"
        case 16: "SHUTTING_DOWN"
        case 17: "INTERNAL_ERROR"
        case 18: "DUPLICATE_REQUEST_ID"
        case 19: "UNEXPECTED_FRAME"
        case 20: "STALE_LEASE"
        case 21: "LEASE_EXPIRED"
        case 22: "CONFLICTING_ACK"
        case 23: "UNKNOWN_MESSAGE"
        case 24: "JOURNAL_FAILED"
        default: "UNKNOWN_\(rawValue)"
        }
    }

    /// Whether the sender closes the connection after an error frame with this code.
    public var closesConnection: Bool {
        [
            .malformedFrame, .unsupportedMajorVersion, .frameTooLarge, .handshakeRequired, .authenticationFailed,
            .tooManyConnections, .handshakeTimeout, .idleTimeout, .duplicateRequestID, .unexpectedFrame,
        ].contains(self)
    }

    public var description: String { "\(name) (\(rawValue))" }
}

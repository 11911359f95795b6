public import AampeProtocol

/// Why a client call failed. Descriptions name the address, the operation and the request.
public enum ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Connecting failed.
    case connectionFailed(address: String, reason: String)
    /// The server refused the handshake.
    case handshakeRefused(address: String, code: ErrorCode, message: String)
    /// The server did not answer in time.
    case timedOut(opcode: Opcode, requestID: UInt32, afterMillis: Int)
    /// The connection closed before the response was complete.
    case connectionClosed(opcode: Opcode, requestID: UInt32)
    /// The server answered with an error frame.
    case server(opcode: Opcode, code: ErrorCode, message: String)
    /// The server's answer did not follow the protocol.
    case invalidResponse(opcode: Opcode, reason: String)

    public var description: String {
        switch self {
        case .connectionFailed(let address, let reason): "\(address): cannot connect: \(reason)"
        case .handshakeRefused(let address, let code, let message):
            "\(address): handshake refused: \(code.name): \(message)"
        case .timedOut(let opcode, let requestID, let millis):
            "\(opcode.name) request \(requestID): no answer within \(millis) ms"
        case .connectionClosed(let opcode, let requestID):
            "\(opcode.name) request \(requestID): the connection closed before the answer"
        case .server(let opcode, let code, let message): "\(opcode.name): server error \(code.name): \(message)"
        case .invalidResponse(let opcode, let reason): "\(opcode.name): invalid response: \(reason)"
        }
    }

    /// The server's error code, for `.server` and `.handshakeRefused`.
    public var serverCode: ErrorCode? {
        switch self {
        case .server(_, let code, _), .handshakeRefused(_, let code, _): code
        default: nil
        }
    }
}

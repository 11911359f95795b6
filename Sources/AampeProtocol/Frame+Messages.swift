public import NIOCore
public import SwiftProtobuf

extension Frame {
    /// A frame carrying `message` as its body.
    public init(
        header: FrameHeader,
        message: some SwiftProtobuf.Message,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        // Serializing a message built in memory cannot fail: it has no required fields in proto3.
        let bytes: [UInt8] = try! message.serializedBytes()
        var body = allocator.buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        self.init(header: header, body: body)
    }

    /// An ERROR frame answering `requestID` of `opcode`.
    public static func error(
        _ code: ErrorCode,
        message: String,
        requestID: UInt32,
        opcode: Opcode,
        opcodeVersion: UInt8 = 1,
        retryAfterMillis: UInt32 = 0
    ) -> Frame {
        var response = Aampe_V1_ErrorResponse()
        response.code = code.rawValue
        response.message = message
        response.retryAfterMillis = retryAfterMillis
        let header = FrameHeader(opcode: opcode, opcodeVersion: opcodeVersion, requestID: requestID, status: .error)
        return Frame(header: header, message: response)
    }

    /// The body parsed as `type`, or an ``ProtocolError`` with `INVALID_REQUEST` naming the frame.
    public func decodeBody<Message: SwiftProtobuf.Message>(as type: Message.Type = Message.self) throws -> Message {
        do {
            // Parsed in place from the receive buffer: no copy of the body.
            return try Message(serializedBytes: body.readableBytesSpan)
        } catch {
            throw ProtocolError(
                code: .invalidRequest,
                message: "body is not a valid \(Message.protoMessageName)",
                requestID: header.requestID,
                opcode: header.opcode
            )
        }
    }
}

public import NIOCore

/// Cuts a byte stream into ``Frame``s.
///
/// The header is checked as soon as its bytes arrive and before the body is awaited: a wrong magic, an
/// unknown major version, or a body length over `maximumBodyLength` throws at once, so a peer that
/// announces 4 GiB makes the receiver buffer nothing beyond 16 bytes. After a throw the stream is
/// unusable; the connection answers with an error frame and closes.
///
/// Not `Sendable`: a decoder belongs to one channel pipeline.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// The longest body accepted.
    public let maximumBodyLength: Int
    private var bytesConsumed = 0

    /// A decoder accepting bodies of up to `maximumBodyLength` bytes.
    public init(maximumBodyLength: Int) {
        precondition(maximumBodyLength >= 0 && maximumBodyLength <= Int(UInt32.max), "maximum body length out of range")
        self.maximumBodyLength = maximumBodyLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        // Reject garbage from its first two bytes, without waiting for a whole header.
        if buffer.readableBytes >= 2,
            let magic = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt16.self),
            magic != FrameHeader.magic
        {
            throw ProtocolError(code: .malformedFrame, message: "bad magic at stream offset \(bytesConsumed)")
        }
        guard buffer.readableBytes >= FrameHeader.length else { return nil }
        let start = buffer.readerIndex
        let major: UInt8 = buffer.getInteger(at: start + 2)!
        let flags: UInt8 = buffer.getInteger(at: start + 3)!
        let opcode = Opcode(rawValue: buffer.getInteger(at: start + 4, endianness: .little)!)
        let opcodeVersion: UInt8 = buffer.getInteger(at: start + 6)!
        let status: UInt8 = buffer.getInteger(at: start + 7)!
        let requestID: UInt32 = buffer.getInteger(at: start + 8, endianness: .little)!
        let bodyLength: UInt32 = buffer.getInteger(at: start + 12, endianness: .little)!
        guard major == FrameHeader.currentMajorVersion else {
            throw ProtocolError(
                code: .unsupportedMajorVersion,
                message: "major version \(major); this side speaks \(FrameHeader.currentMajorVersion)",
                requestID: requestID,
                opcode: opcode
            )
        }
        guard UInt64(bodyLength) <= UInt64(maximumBodyLength) else {
            throw ProtocolError(
                code: .frameTooLarge,
                message: "body of \(bodyLength) bytes; the limit is \(maximumBodyLength)",
                requestID: requestID,
                opcode: opcode
            )
        }
        let frameLength = FrameHeader.length + Int(bodyLength)
        guard buffer.readableBytes >= frameLength else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameHeader.length)
        let body = buffer.readSlice(length: Int(bodyLength))!
        bytesConsumed += frameLength
        var header = FrameHeader(opcode: opcode, opcodeVersion: opcodeVersion, requestID: requestID)
        header.flags = FrameFlags(rawValue: flags)
        header.status = FrameStatus(rawValue: status)
        return Frame(header: header, body: body)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 {
            // Name the frame that was cut short when its header arrived whole.
            var requestID: UInt32?
            var opcode: Opcode?
            if buffer.readableBytes >= FrameHeader.length {
                requestID = buffer.getInteger(at: buffer.readerIndex + 8, endianness: .little)
                opcode = buffer.getInteger(at: buffer.readerIndex + 4, endianness: .little).map { Opcode(rawValue: $0) }
            }
            throw ProtocolError(
                code: .malformedFrame,
                message:
                    "stream ended inside a frame after \(buffer.readableBytes) bytes, at stream offset \(bytesConsumed)",
                requestID: requestID,
                opcode: opcode
            )
        }
        return nil
    }
}

/// Writes ``Frame``s.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data: Frame, out: inout ByteBuffer) {
        out.writeFrame(data)
    }
}

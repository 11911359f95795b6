public import NIOCore

/// One protocol frame: a fixed 16-byte header and a body.
///
/// ```
/// +--------+------+---------------------------------------------------------+
/// | offset | size | field (little-endian)                                   |
/// +--------+------+---------------------------------------------------------+
/// |      0 |    2 | magic: 0x61 0x6D ("am")                                 |
/// |      2 |    1 | major version (u8) = 1                                  |
/// |      3 |    1 | flags (u8): bit 0 MORE (more frames of this response)   |
/// |      4 |    2 | opcode (u16)                                            |
/// |      6 |    1 | opcode version (u8)                                     |
/// |      7 |    1 | status (u8): 0 OK, 1 ERROR; always 0 in requests        |
/// |      8 |    4 | request id (u32), echoed in every response frame        |
/// |     12 |    4 | body length in bytes (u32)                              |
/// |     16 |    n | body: a Protocol Buffers message (proto-spec/aampe.proto)|
/// +--------+------+---------------------------------------------------------+
/// ```
public struct Frame: Sendable, Equatable {
    /// The header's fields.
    public var header: FrameHeader
    /// The serialized message; its length is the header's body length.
    public var body: ByteBuffer

    /// A frame with `header`, whose body length is taken from `body`.
    public init(header: FrameHeader, body: ByteBuffer) {
        self.header = header
        self.body = body
    }
}

/// The fields of a frame header, apart from the body length, which the encoder takes from the body.
public struct FrameHeader: Sendable, Hashable {
    /// `"am"`, the first two bytes of every frame.
    public static let magic: UInt16 = 0x6D61
    /// Bytes in a header.
    public static let length = 16
    /// The major version of the frame format this build speaks.
    public static let currentMajorVersion: UInt8 = 1

    /// The frame format's major version.
    public var majorVersion: UInt8
    /// Flags; see ``FrameFlags``.
    public var flags: FrameFlags
    /// The operation.
    public var opcode: Opcode
    /// The operation's version.
    public var opcodeVersion: UInt8
    /// OK or ERROR; requests carry OK.
    public var status: FrameStatus
    /// Chosen by the client, echoed by the server; the server's unsolicited frames use 0.
    public var requestID: UInt32

    /// A header of the current major version.
    public init(
        opcode: Opcode,
        opcodeVersion: UInt8 = 1,
        requestID: UInt32,
        status: FrameStatus = .ok,
        flags: FrameFlags = []
    ) {
        self.majorVersion = Self.currentMajorVersion
        self.flags = flags
        self.opcode = opcode
        self.opcodeVersion = opcodeVersion
        self.status = status
        self.requestID = requestID
    }
}

/// Frame flags.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// More frames of this response follow; the last frame of a response does not carry it.
    public static let more = FrameFlags(rawValue: 1 << 0)
}

/// Whether a frame is a normal message or an error.
public struct FrameStatus: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The body is the operation's request or response message.
    public static let ok = FrameStatus(rawValue: 0)
    /// The body is an `ErrorResponse`.
    public static let error = FrameStatus(rawValue: 1)
}

/// An operation code. Unknown codes are representable, so that a server can answer them with
/// `UNSUPPORTED_OPERATION`.
public struct Opcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Server to client, unsolicited, first frame of every connection.
    public static let greeting = Opcode(rawValue: 1)
    public static let hello = Opcode(rawValue: 2)
    public static let ping = Opcode(rawValue: 3)
    public static let recommend = Opcode(rawValue: 4)
    public static let similarItems = Opcode(rawValue: 5)
    public static let track = Opcode(rawValue: 6)
    public static let score = Opcode(rawValue: 7)
    public static let pull = Opcode(rawValue: 8)
    public static let ack = Opcode(rawValue: 9)
    public static let stats = Opcode(rawValue: 10)
    public static let reload = Opcode(rawValue: 11)
    /// Reads or moves the clock the outbox runs on (admin).
    public static let clock = Opcode(rawValue: 12)
    /// Puts dead outbox messages back to pending (admin).
    public static let requeue = Opcode(rawValue: 13)

    /// Every operation defined by this version of the protocol, in opcode order.
    public static let all: [Opcode] = [
        .greeting, .hello, .ping, .recommend, .similarItems, .track, .score, .pull, .ack, .stats, .reload, .clock,
        .requeue,
    ]

    /// The name used in PROTOCOL.md, logs and statistics.
    public var name: String {
        switch self {
        case .greeting: "GREETING"
        case .hello: "HELLO"
        case .ping: "PING"
        case .recommend: "RECOMMEND"
        case .similarItems: "SIMILAR_ITEMS"
        case .track: "TRACK"
        case .score: "SCORE"
        case .pull: "PULL"
        case .ack: "ACK"
        case .stats: "STATS"
        case .reload: "RELOAD"
        case .clock: "CLOCK"
        case .requeue: "REQUEUE"
        default: "OPCODE_\(rawValue)"
        }
    }

    public var description: String { name }
}

extension ByteBuffer {
    /// Writes a frame: header, then body.
    @inlinable
    public mutating func writeFrame(_ frame: Frame) {
        writeFrameHeader(frame.header, bodyLength: frame.body.readableBytes)
        writeImmutableBuffer(frame.body)
    }

    /// Writes a 16-byte header announcing `bodyLength` bytes of body.
    @inlinable
    public mutating func writeFrameHeader(_ header: FrameHeader, bodyLength: Int) {
        precondition(bodyLength <= Int(UInt32.max), "body of \(bodyLength) bytes cannot be framed")
        writeInteger(FrameHeader.magic, endianness: .little)
        writeInteger(header.majorVersion)
        writeInteger(header.flags.rawValue)
        writeInteger(header.opcode.rawValue, endianness: .little)
        writeInteger(header.opcodeVersion)
        writeInteger(header.status.rawValue)
        writeInteger(header.requestID, endianness: .little)
        writeInteger(UInt32(bodyLength), endianness: .little)
    }
}

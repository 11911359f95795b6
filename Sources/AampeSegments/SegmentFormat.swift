public import AampeCore

// The byte layout of a segment file. `proto-spec/segment-format.md` is the normative description;
// the tables here are the same tables. All integers are little-endian.
//
//   +-------------------+  offset 0
//   | header (64 bytes) |
//   +-------------------+  64, and every part below starts on a 64-byte boundary
//   | column parts ...  |  values, offsets, data, block tables, zstd frames, hash indexes
//   +-------------------+
//   | column directory  |  one entry per column, then its CRC-32C
//   +-------------------+
//   | trailer (32 bytes)|  points at the directory; ends the file
//   +-------------------+

/// The fixed header at offset 0.
///
/// ```
/// +--------+------+--------------------------------------------------------+
/// | offset | size | field                                                  |
/// +--------+------+--------------------------------------------------------+
/// |      0 |    8 | magic "AAMPESEG"                                       |
/// |      8 |    2 | major format version (u16)                             |
/// |     10 |    2 | minor format version (u16)                             |
/// |     12 |    2 | file kind (u16)                                        |
/// |     14 |    2 | flags (u16), zero in 1.0                               |
/// |     16 |   16 | segment id (128 random bits)                           |
/// |     32 |    8 | created-at: microseconds since the Unix epoch (i64)    |
/// |     40 |   20 | reserved, zero in 1.0                                  |
/// |     60 |    4 | CRC-32C of bytes 0 ..< 60 (u32)                        |
/// +--------+------+--------------------------------------------------------+
/// ```
public struct SegmentHeader: Hashable, Sendable {
    /// The 8 bytes every segment file starts with.
    public static let magic: [UInt8] = Array("AAMPESEG".utf8)
    /// Header length in bytes.
    public static let length = 64
    /// The major version this build writes and reads. A file with another major version is refused.
    public static let currentMajorVersion: UInt16 = 1
    /// The minor version this build writes. Files with a newer minor version are read; what they add
    /// is ignored.
    public static let currentMinorVersion: UInt16 = 0

    /// Major format version.
    public var majorVersion: UInt16
    /// Minor format version.
    public var minorVersion: UInt16
    /// What the file holds.
    public var kind: SegmentKind
    /// A random id that tells this file from any other.
    public var segmentID: SegmentID
    /// When the writer started.
    public var createdAt: Timestamp

    func encoded() -> [UInt8] {
        var bytes = ByteWriter()
        bytes.append(Self.magic)
        bytes.append(majorVersion)
        bytes.append(minorVersion)
        bytes.append(kind.rawValue)
        bytes.append(UInt16(0))
        bytes.append(segmentID.bytes)
        bytes.append(createdAt.rawValue)
        bytes.appendZeros(20)
        bytes.append(CRC32C.checksum(bytes.bytes))
        assert(bytes.bytes.count == Self.length)
        return bytes.bytes
    }
}

/// What a segment file holds. Readers check it against what they expect.
public struct SegmentKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code stored in the header.
    public var rawValue: UInt16
    /// Wraps a stored code.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A file with no particular role (tests, tools).
    public static let generic = SegmentKind(rawValue: 0)
    /// Imported events of one day.
    public static let events = SegmentKind(rawValue: 1)
    /// The user landscape: one vector per user and the user dictionary.
    public static let landscape = SegmentKind(rawValue: 2)
    /// Timing estimates per user and window.
    public static let timing = SegmentKind(rawValue: 3)
    /// The item-item neighbour table, popularity and the item dictionary.
    public static let items = SegmentKind(rawValue: 4)
    /// Model coefficients.
    public static let model = SegmentKind(rawValue: 5)
    /// Personalization scores per user.
    public static let scores = SegmentKind(rawValue: 6)
    /// Per-user recent history for recommendations.
    public static let history = SegmentKind(rawValue: 7)
    /// The messages of one assignment run (`outbox/<batch>/messages.seg`).
    public static let outbox = SegmentKind(rawValue: 8)

    public var description: String {
        switch rawValue {
        case 0: "generic"
        case 1: "events"
        case 2: "landscape"
        case 3: "timing"
        case 4: "items"
        case 5: "model"
        case 6: "scores"
        case 7: "history"
        case 8: "outbox"
        default: "kind-\(rawValue)"
        }
    }
}

/// 128 random bits naming one segment file.
public struct SegmentID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes as stored.
    public var bytes: [UInt8]

    /// Wraps 16 stored bytes.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a segment id is 16 bytes")
        self.bytes = bytes
    }

    /// A new random id.
    public static func random() -> SegmentID {
        var generator = SystemRandomNumberGenerator()
        return SegmentID(bytes: (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Lowercase hex.
    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// The fixed trailer at the end of the file.
///
/// ```
/// +--------+------+--------------------------------------------------------+
/// | offset | size | field (offsets from the start of the trailer)          |
/// +--------+------+--------------------------------------------------------+
/// |      0 |    8 | directory offset from the start of the file (u64)      |
/// |      8 |    8 | directory length in bytes, its CRC included (u64)      |
/// |     16 |    8 | file length in bytes, trailer included (u64)           |
/// |     24 |    4 | CRC-32C of trailer bytes 0 ..< 24 (u32)                |
/// |     28 |    4 | magic "AEND"                                           |
/// +--------+------+--------------------------------------------------------+
/// ```
struct SegmentTrailer: Hashable {
    static let magic: [UInt8] = Array("AEND".utf8)
    static let length = 32

    var directoryOffset: UInt64
    var directoryLength: UInt64
    var fileLength: UInt64

    func encoded() -> [UInt8] {
        var bytes = ByteWriter()
        bytes.append(directoryOffset)
        bytes.append(directoryLength)
        bytes.append(fileLength)
        bytes.append(CRC32C.checksum(bytes.bytes))
        bytes.append(Self.magic)
        assert(bytes.bytes.count == Self.length)
        return bytes.bytes
    }
}

/// The column directory's fixed part.
///
/// ```
/// +--------+-----------------+---------------------------------------------+
/// | offset | size            | field                                       |
/// +--------+-----------------+---------------------------------------------+
/// |      0 |               4 | magic "ADIR"                                |
/// |      4 |               4 | column count (u32)                          |
/// |      8 |               4 | entry length in bytes (u32), 192 in 1.0     |
/// |     12 |               4 | reserved, zero                              |
/// |     16 | count × entry   | column entries, in column order             |
/// |    end |               4 | CRC-32C of every directory byte before it   |
/// +--------+-----------------+---------------------------------------------+
/// ```
enum SegmentDirectory {
    static let magic: [UInt8] = Array("ADIR".utf8)
    static let fixedLength = 16
    /// Entry length written by this build. Readers accept longer entries and ignore the extra bytes.
    static let entryLength = 192

    static func encoded(_ columns: [ColumnDescriptor]) -> [UInt8] {
        var bytes = ByteWriter()
        bytes.append(magic)
        bytes.append(UInt32(columns.count))
        bytes.append(UInt32(entryLength))
        bytes.append(UInt32(0))
        for column in columns { bytes.append(column.encodedEntry()) }
        bytes.append(CRC32C.checksum(bytes.bytes))
        return bytes.bytes
    }
}

/// One column's directory entry.
///
/// ```
/// +--------+------+--------------------------------------------------------+
/// | offset | size | field                                                  |
/// +--------+------+--------------------------------------------------------+
/// |      0 |    1 | name length in bytes (u8), 1 ... 63                    |
/// |      1 |   63 | name, UTF-8, zero-padded                               |
/// |     64 |    1 | value type (u8)                                        |
/// |     65 |    1 | codec (u8): 0 RAW, 1 ZSTD                              |
/// |     66 |    2 | flags (u16): bit 0 = part 2 holds a hash index          |
/// |     68 |    4 | vector dimension (u32): f32 elements per row, else 0   |
/// |     72 |    8 | row count (u64)                                        |
/// |     80 |    4 | rows per block (u32): ZSTD only, else 0                |
/// |     84 |    4 | reserved, zero                                         |
/// |     88 |   24 | part 0: offset (u64), length (u64), CRC-32C (u32),     |
/// |        |      |         reserved (u32)                                 |
/// |    112 |   24 | part 1, same layout                                    |
/// |    136 |   24 | part 2, same layout                                    |
/// |    160 |   32 | reserved, zero                                         |
/// +--------+------+--------------------------------------------------------+
/// ```
///
/// What the parts hold:
///
/// | type and codec          | part 0                       | part 1              | part 2     |
/// |-------------------------|------------------------------|---------------------|------------|
/// | fixed-width, RAW        | values                       | —                   | —          |
/// | bytes or UTF-8, RAW     | offsets: u64 × (rows + 1)    | value bytes         | hash index |
/// | any, ZSTD               | block table: u64 × (blocks+1)| zstd frames         | —          |
public struct ColumnDescriptor: Hashable, Sendable {
    /// The column's name, unique in its file.
    public var name: String
    /// What one row holds.
    public var type: ColumnType
    /// How the values are stored.
    public var codec: ColumnCodec
    /// Rows in the column.
    public var rowCount: Int
    /// Rows per zstd block (ZSTD only; 0 for RAW).
    public var rowsPerBlock: Int
    /// Whether part 2 holds a hash index from value to row (dictionary columns).
    public var hasHashIndex: Bool
    /// Where the column's parts are.
    var parts: [Part]

    /// A contiguous byte range of the file with its checksum.
    struct Part: Hashable, Sendable {
        var offset: UInt64
        var length: UInt64
        var checksum: UInt32
        static let empty = Part(offset: 0, length: 0, checksum: 0)
    }

    /// Total bytes the column's parts take in the file.
    public var storedBytes: Int { parts.reduce(0) { $0 + Int($1.length) } }

    func encodedEntry() -> [UInt8] {
        var bytes = ByteWriter()
        let name = Array(self.name.utf8)
        bytes.append(UInt8(name.count))
        bytes.append(name)
        bytes.appendZeros(63 - name.count)
        bytes.append(type.code)
        bytes.append(codec.rawValue)
        bytes.append(UInt16(hasHashIndex ? 1 : 0))
        bytes.append(UInt32(type.vectorDimension))
        bytes.append(UInt64(rowCount))
        bytes.append(UInt32(rowsPerBlock))
        bytes.append(UInt32(0))
        for index in 0..<3 {
            let part = index < parts.count ? parts[index] : .empty
            bytes.append(part.offset)
            bytes.append(part.length)
            bytes.append(part.checksum)
            bytes.append(UInt32(0))
        }
        bytes.appendZeros(32)
        assert(bytes.bytes.count == SegmentDirectory.entryLength)
        return bytes.bytes
    }
}

/// Little-endian serialization into a growing array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append(_ other: [UInt8]) { bytes += other }
    mutating func appendZeros(_ count: Int) { bytes += repeatElement(0, count: count) }
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Little-endian reads from a byte range, bounds-checked against the range.
struct ByteReader {
    let base: UnsafeRawBufferPointer

    /// The integer at `offset`, or `nil` when it would read past the end.
    func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T? {
        guard offset >= 0, offset <= base.count - MemoryLayout<T>.size else { return nil }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    func bytes(at offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= base.count - count else { return nil }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + count)])
    }
}

/// The alignment of every part in the file.
let partAlignment = 64

#if _endian(big)
#error("aamped's segment files are little-endian and are used in place; big-endian hosts are not supported")
#endif

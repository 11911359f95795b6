/// What one row of a column holds.
public enum ColumnType: Hashable, Sendable, CustomStringConvertible {
    case uint8, uint16, uint32, uint64, int32, int64, float32, float64, bool
    /// A fixed number of `f32` elements per row: an embedding or a landscape vector.
    case float32Vector(dimension: Int)
    /// A byte string of any length per row.
    case bytes
    /// A UTF-8 string per row; the writer checks that it is valid UTF-8.
    case utf8

    /// The code stored in the directory entry.
    var code: UInt8 {
        switch self {
        case .uint8: 1
        case .uint16: 2
        case .uint32: 3
        case .uint64: 4
        case .int32: 5
        case .int64: 6
        case .float32: 7
        case .float64: 8
        case .bool: 9
        case .float32Vector: 10
        case .bytes: 11
        case .utf8: 12
        }
    }

    init?(code: UInt8, vectorDimension: Int) {
        switch code {
        case 1: self = .uint8
        case 2: self = .uint16
        case 3: self = .uint32
        case 4: self = .uint64
        case 5: self = .int32
        case 6: self = .int64
        case 7: self = .float32
        case 8: self = .float64
        case 9: self = .bool
        case 10: self = .float32Vector(dimension: vectorDimension)
        case 11: self = .bytes
        case 12: self = .utf8
        default: return nil
        }
    }

    /// Bytes per row for fixed-width types; `nil` for bytes and UTF-8.
    public var rowWidth: Int? {
        switch self {
        case .uint8, .bool: 1
        case .uint16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .float32Vector(let dimension): 4 * dimension
        case .bytes, .utf8: nil
        }
    }

    /// Whether rows vary in length.
    public var isVariableLength: Bool { rowWidth == nil }

    var vectorDimension: Int {
        if case .float32Vector(let dimension) = self { return dimension }
        return 0
    }

    public var description: String {
        switch self {
        case .uint8: "u8"
        case .uint16: "u16"
        case .uint32: "u32"
        case .uint64: "u64"
        case .int32: "i32"
        case .int64: "i64"
        case .float32: "f32"
        case .float64: "f64"
        case .bool: "bool"
        case .float32Vector(let dimension): "f32[\(dimension)]"
        case .bytes: "bytes"
        case .utf8: "utf8"
        }
    }
}

/// How a column's values are stored.
public enum ColumnCodec: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// Uncompressed, used in place from the mapping. For hot, randomly accessed data.
    case raw = 0
    /// Independent zstd frames of a fixed number of rows, decompressed on demand. For bulky, cold data.
    case zstd = 1

    public var description: String { self == .raw ? "RAW" : "ZSTD" }
}

/// A fixed-width value type that a column stores as-is, little-endian.
public protocol SegmentScalar: BitwiseCopyable, Sendable {
    /// The column type that stores this Swift type.
    static var columnType: ColumnType { get }
}

extension UInt8: SegmentScalar { public static var columnType: ColumnType { .uint8 } }
extension UInt16: SegmentScalar { public static var columnType: ColumnType { .uint16 } }
extension UInt32: SegmentScalar { public static var columnType: ColumnType { .uint32 } }
extension UInt64: SegmentScalar { public static var columnType: ColumnType { .uint64 } }
extension Int32: SegmentScalar { public static var columnType: ColumnType { .int32 } }
extension Int64: SegmentScalar { public static var columnType: ColumnType { .int64 } }
extension Float: SegmentScalar { public static var columnType: ColumnType { .float32 } }
extension Double: SegmentScalar { public static var columnType: ColumnType { .float64 } }
extension Bool: SegmentScalar { public static var columnType: ColumnType { .bool } }

/// A dense, zero-based row index into one kind of table: user `i` of the landscape, item `j` of the
/// neighbour table.
///
/// External ids (strings from the customer's systems) are mapped to dense indices once, at import, so
/// that everything learned can live in arrays. The `Kind` parameter keeps a user index from being used
/// where an item index is meant.
public struct DenseIndex<Kind: DenseIndexKind>: RawRepresentable, Hashable, Comparable, Sendable {
    /// The row number.
    public var rawValue: UInt32

    /// Wraps a row number.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Wraps a row number given as an `Int`. A negative or too-large value is a caller's bug.
    public init(_ row: Int) {
        precondition(row >= 0 && row <= Int(UInt32.max), "dense index \(row) out of range")
        self.rawValue = UInt32(row)
    }

    /// The row number as an `Int`, for subscripting.
    public var row: Int { Int(rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension DenseIndex: CustomStringConvertible {
    public var description: String { "\(Kind.name)#\(rawValue)" }
}

/// A tag type that names what a ``DenseIndex`` counts.
public protocol DenseIndexKind: Sendable {
    /// A short lowercase name used in messages, such as `user`.
    static var name: String { get }
}

/// Tags an index into the user table.
public enum UserKind: DenseIndexKind { public static let name = "user" }
/// Tags an index into the item catalog.
public enum ItemKind: DenseIndexKind { public static let name = "item" }
/// Tags an index into the table of event names.
public enum EventTypeKind: DenseIndexKind { public static let name = "event-type" }

/// A user's dense row index.
public typealias UserIndex = DenseIndex<UserKind>
/// An item's dense row index.
public typealias ItemIndex = DenseIndex<ItemKind>
/// An event type's dense row index.
public typealias EventTypeIndex = DenseIndex<EventTypeKind>

/// The number of a published generation of learned artifacts (`generations/<N>/`). Numbers only grow.
public struct GenerationNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number as written in the folder name.
    public var rawValue: UInt64

    /// Wraps a generation number.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The number after this one.
    public var next: GenerationNumber { GenerationNumber(rawValue: rawValue + 1) }

    public var description: String { String(rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

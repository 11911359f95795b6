public import AampeCore
internal import AampeSegments

extension OutboxBatch {
    /// One message's columns in place in the mapped file, for an encoder that copies them out as they
    /// are (PULL's answer), without building an ``OutboxRecord``. Valid only inside
    /// ``withRawRow(at:_:)``'s closure.
    ///
    /// The texts are the UTF-8 the writer took from Swift strings, protected by the segment's checksums;
    /// the string lists are ``OutboxBatch/encodeStrings(_:)``'s layout, walked with ``forEachString(in:_:)``.
    public struct RawRow {
        public var user: UnsafeRawBufferPointer
        public var campaign: UnsafeRawBufferPointer
        public var formula: UnsafeRawBufferPointer
        public var variant: UInt32
        /// ``OutboxBatch/encodeStrings(_:)`` of the labels.
        public var labels: UnsafeRawBufferPointer
        public var channel: OutboxChannel
        public var address: UnsafeRawBufferPointer
        /// ``OutboxBatch/encodeStrings(_:)`` of name, text, name, text, ….
        public var fields: UnsafeRawBufferPointer
        /// ``OutboxBatch/encodeStrings(_:)`` of the item ids.
        public var items: UnsafeRawBufferPointer
        public var windowStart: Timestamp
        public var windowEnd: Timestamp
        public var propensity: Double
        /// `preferential` or `conditioned`, as ``OutboxRecord/mode``.
        public var mode: String
    }

    /// Calls `body` with row `row`'s columns in place. Every column of a batch is RAW, so nothing is
    /// copied or decompressed.
    public func withRawRow<Result>(at row: Int, _ body: (RawRow) throws -> Result) throws -> Result {
        let channel = OutboxChannel(rawValue: try channels.value(at: row)) ?? .push
        return try body(
            RawRow(
                user: users.rawValue(at: row),
                campaign: campaigns.rawValue(at: row),
                formula: formulas.rawValue(at: row),
                variant: try variants.value(at: row),
                labels: labels.rawValue(at: row),
                channel: channel,
                address: addresses.rawValue(at: row),
                fields: fields.rawValue(at: row),
                items: items.rawValue(at: row),
                windowStart: Timestamp(rawValue: try windowStarts.value(at: row)),
                windowEnd: Timestamp(rawValue: try windowEnds.value(at: row)),
                propensity: try propensities.value(at: row),
                mode: try modes.value(at: row) == 1 ? "preferential" : "conditioned"
            )
        )
    }

    /// Calls `body` with each string of an ``encodeStrings(_:)`` list in place, in order; throws
    /// ``OutboxError/invalidBatch(path:_:)`` on bytes that writer could not have written.
    public static func forEachString(
        in list: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        func malformed() -> OutboxError {
            OutboxError.invalidBatch(path: "outbox batch", "a string list is cut short or runs past its value")
        }
        guard list.count >= 4 else { throw malformed() }
        let count = Int(UInt32(littleEndian: list.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        var offset = 4
        for _ in 0..<count {
            guard list.count - offset >= 4 else { throw malformed() }
            let length = Int(UInt32(littleEndian: list.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard length <= list.count - offset else { throw malformed() }
            try body(UnsafeRawBufferPointer(rebasing: list[offset..<offset + length]))
            offset += length
        }
        guard offset == list.count else { throw malformed() }
    }
}

import AampeCore
public import AampeSegments
public import AampeStore

/// Writing one event segment file: the single place that lays out ``EventColumn``s on disk.
public enum EventSegmentFile {
    /// The columns of one file, row-aligned: element `i` of every array (and the `i`-th property range)
    /// describes event `i`.
    public struct Rows: Sendable {
        /// Microseconds since the epoch, UTC.
        public var timestamps: [Int64] = []
        /// Dense user indices (`user_keys`).
        public var users: [UInt32] = []
        /// Dense event-type indices (`event_types`).
        public var eventTypes: [UInt32] = []
        /// ``EventColumn/noItem`` where the event has none.
        public var items: [UInt32] = []
        /// `nan` where the event has none.
        public var values: [Double] = []
        /// Dedupe fingerprint, the high 64 bits of the hash.
        public var keyHigh: [UInt64] = []
        /// 32 more bits of the hash, then the UTC day in the low 32 bits.
        public var keyLow: [UInt64] = []
        /// Line numbers in the source file, counting from 1.
        public var sourceLines: [UInt64] = []
        /// Every event's properties JSON, concatenated; event `i` ends at `propertyEnds[i]`.
        public var properties: [UInt8] = []
        /// See ``properties``; non-decreasing, the last equal to `properties.count`.
        public var propertyEnds: [Int] = []

        /// No rows.
        public init() {}

        /// The number of events.
        public var count: Int { timestamps.count }
    }

    /// Writes `rows`, all of UTC day `day`, as the segment file `path` (fsynced and renamed into place by
    /// the segment writer), and describes it for the `event_segments` manifest under `relativePath`.
    public static func write(
        _ rows: Rows,
        day: Int64,
        to path: String,
        relativePath: String,
        configuration: SegmentWriterConfiguration
    ) throws -> EventSegmentRecord {
        precondition(
            [
                rows.users.count, rows.eventTypes.count, rows.items.count, rows.values.count, rows.keyHigh.count,
                rows.keyLow.count, rows.sourceLines.count, rows.propertyEnds.count,
            ].allSatisfy { $0 == rows.count },
            "event columns must be row-aligned"
        )
        let writer = try SegmentWriter(path: path, kind: .events, configuration: configuration)
        try writer.writeColumn(
            EventColumn.timestamp.rawValue,
            codec: EventColumn.timestamp.codec,
            values: rows.timestamps
        )
        try writer.writeColumn(EventColumn.user.rawValue, codec: EventColumn.user.codec, values: rows.users)
        try writer.writeColumn(
            EventColumn.eventType.rawValue,
            codec: EventColumn.eventType.codec,
            values: rows.eventTypes
        )
        try writer.writeColumn(EventColumn.item.rawValue, codec: EventColumn.item.codec, values: rows.items)
        try writer.writeColumn(EventColumn.value.rawValue, codec: EventColumn.value.codec, values: rows.values)
        try writer.writeColumn(EventColumn.keyHigh.rawValue, codec: EventColumn.keyHigh.codec, values: rows.keyHigh)
        try writer.writeColumn(EventColumn.keyLow.rawValue, codec: EventColumn.keyLow.codec, values: rows.keyLow)
        try writer.writeColumn(
            EventColumn.sourceLine.rawValue,
            codec: EventColumn.sourceLine.codec,
            values: rows.sourceLines
        )
        try rows.properties.withUnsafeBytes { bytes in
            try rows.propertyEnds.withUnsafeBufferPointer { ends in
                try writer.writeBytesColumn(
                    EventColumn.properties.rawValue,
                    codec: EventColumn.properties.codec,
                    bytes: bytes,
                    ends: ends
                )
            }
        }
        try writer.finish()
        return EventSegmentRecord(
            path: relativePath,
            utcDay: day,
            rows: rows.count,
            minTimestamp: Timestamp(rawValue: rows.timestamps.min() ?? 0),
            maxTimestamp: Timestamp(rawValue: rows.timestamps.max() ?? 0)
        )
    }
}

import AampeCore
import AampeSegments
import AampeStore

/// Accepted events of one UTC day from one input file, held column by column until they are written as
/// a segment part.
///
/// Event segment files (kind `events`) have these columns, one row per event:
///
/// | column        | type  | codec | meaning                                                        |
/// |---------------|-------|-------|----------------------------------------------------------------|
/// | `timestamp`   | i64   | ZSTD  | microseconds since the epoch, UTC                              |
/// | `user`        | u32   | ZSTD  | dense user index (`user_keys`)                                  |
/// | `event_type`  | u32   | ZSTD  | dense event-type index (`event_types`)                          |
/// | `item`        | u32   | ZSTD  | dense item index (`item_keys`), or 0xFFFFFFFF for none          |
/// | `value`       | f64   | ZSTD  | revenue, rating or other value, or NaN for none                |
/// | `key_high`    | u64   | RAW   | dedupe fingerprint, high 64 bits of hash                       |
/// | `key_low`     | u64   | RAW   | 32 more bits of hash, then the UTC day in the low 32 bits      |
/// | `source_line` | u64   | ZSTD  | line number in the source file (`event_sources`)               |
/// | `properties`  | bytes | ZSTD  | other properties as a JSON object, or empty                    |
struct EventBatch {
    static let noItem = UInt32.max

    let day: Int64
    var timestamps: [Int64] = []
    var users: [UInt32] = []
    var eventTypes: [UInt32] = []
    var items: [UInt32] = []
    var values: [Double] = []
    var keyHigh: [UInt64] = []
    var keyLow: [UInt64] = []
    var lines: [UInt64] = []
    var properties: [UInt8] = []
    var propertyEnds: [Int] = []

    init(day: Int64) {
        self.day = day
    }

    var count: Int { timestamps.count }

    mutating func reserve(_ rows: Int) {
        timestamps.reserveCapacity(rows)
        users.reserveCapacity(rows)
        eventTypes.reserveCapacity(rows)
        items.reserveCapacity(rows)
        values.reserveCapacity(rows)
        keyHigh.reserveCapacity(rows)
        keyLow.reserveCapacity(rows)
        lines.reserveCapacity(rows)
        propertyEnds.reserveCapacity(rows)
    }

    /// Adds one row and returns whether the batch is full (``Limits/importRowsPerSegmentPart``).
    @inline(__always)
    mutating func append(
        timestamp: Int64,
        user: UInt32,
        eventType: UInt32,
        item: UInt32,
        value: Double,
        fingerprint: FingerprintSet.Fingerprint,
        line: Int64,
        properties: UnsafeRawBufferPointer?
    ) -> Bool {
        timestamps.append(timestamp)
        users.append(user)
        eventTypes.append(eventType)
        items.append(item)
        values.append(value)
        keyHigh.append(fingerprint.high)
        keyLow.append(fingerprint.low)
        lines.append(UInt64(line))
        if let properties, !properties.isEmpty { self.properties.append(contentsOf: properties) }
        propertyEnds.append(self.properties.count)
        return timestamps.count >= Limits.importRowsPerSegmentPart
    }

    /// Writes the rows as the segment file `path` (fsynced and renamed into place) and describes it.
    func write(to path: String, relativePath: String, configuration: SegmentWriterConfiguration) throws -> EventSegmentRecord {
        let writer = try SegmentWriter(path: path, kind: .events, configuration: configuration)
        try writer.writeColumn("timestamp", codec: .zstd, values: timestamps)
        try writer.writeColumn("user", codec: .zstd, values: users)
        try writer.writeColumn("event_type", codec: .zstd, values: eventTypes)
        try writer.writeColumn("item", codec: .zstd, values: items)
        try writer.writeColumn("value", codec: .zstd, values: values)
        try writer.writeColumn("key_high", codec: .raw, values: keyHigh)
        try writer.writeColumn("key_low", codec: .raw, values: keyLow)
        try writer.writeColumn("source_line", codec: .zstd, values: lines)
        try properties.withUnsafeBytes { bytes in
            try propertyEnds.withUnsafeBufferPointer { ends in
                try writer.writeBytesColumn("properties", codec: .zstd, bytes: bytes, ends: ends)
            }
        }
        try writer.finish()
        return EventSegmentRecord(
            path: relativePath,
            utcDay: day,
            rows: count,
            minTimestamp: Timestamp(rawValue: timestamps.min() ?? 0),
            maxTimestamp: Timestamp(rawValue: timestamps.max() ?? 0)
        )
    }
}

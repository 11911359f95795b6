import AampeCore
import AampeEvents
import AampeSegments
import AampeStore

/// Accepted events of one UTC day from one input file, held column by column until they are written as
/// a segment part (``EventSegmentFile``, whose ``EventColumn`` lists the columns).
struct EventBatch {
    let day: Int64
    private(set) var rows = EventSegmentFile.Rows()

    init(day: Int64) {
        self.day = day
    }

    var count: Int { rows.count }

    mutating func reserve(_ count: Int) {
        rows.timestamps.reserveCapacity(count)
        rows.users.reserveCapacity(count)
        rows.eventTypes.reserveCapacity(count)
        rows.items.reserveCapacity(count)
        rows.values.reserveCapacity(count)
        rows.keyHigh.reserveCapacity(count)
        rows.keyLow.reserveCapacity(count)
        rows.sourceLines.reserveCapacity(count)
        rows.propertyEnds.reserveCapacity(count)
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
        rows.timestamps.append(timestamp)
        rows.users.append(user)
        rows.eventTypes.append(eventType)
        rows.items.append(item)
        rows.values.append(value)
        rows.keyHigh.append(fingerprint.high)
        rows.keyLow.append(fingerprint.low)
        rows.sourceLines.append(UInt64(line))
        if let properties, !properties.isEmpty { rows.properties.append(contentsOf: properties) }
        rows.propertyEnds.append(rows.properties.count)
        return rows.count >= Limits.importRowsPerSegmentPart
    }

    /// Writes the rows as the segment file `path` (fsynced and renamed into place) and describes it.
    func write(
        to path: String,
        relativePath: String,
        configuration: SegmentWriterConfiguration
    ) throws -> EventSegmentRecord {
        try EventSegmentFile.write(rows, day: day, to: path, relativePath: relativePath, configuration: configuration)
    }
}

public import AampeCore
import AampeSegments
public import AampeStore

/// The imported events of a data directory: segment files under `events/<YYYY-MM-DD>/`, listed in the
/// `event_segments` manifest. This is the read side every consumer of events uses (training, reports,
/// `aampectl events`); the importers in `AampeIngest` write through ``EventSegmentFile``.
///
/// A segment file is visible only once the manifest lists it. An import writes (and fsyncs) a file's
/// segments first and lists them in one SQLite transaction after, so a killed import leaves at most
/// unlisted files behind, which readers never see and the next import deletes.
///
/// Each read lists the segments in the manifest, then maps each file only for as long as it reads it;
/// concurrent reads from several threads are fine. Every call blocks on SQLite and file I/O, so none
/// belongs on an event loop.
public struct EventStore: Sendable {
    /// The data directory whose `events/` folder holds the segments.
    public let dataDirectory: DataDirectory
    /// The store whose `event_segments` manifest and key dictionaries say what is visible.
    public let store: Store

    /// The events of `dataDirectory`, listed in `store`. Opens nothing until a read.
    public init(dataDirectory: DataDirectory, store: Store) {
        self.dataDirectory = dataDirectory
        self.store = store
    }

    /// The folder of one UTC day's segments, relative to `events/`.
    package static func dayFolder(_ day: Int64) -> String {
        CivilDate(daysSinceEpoch: day).description
    }

    /// The absolute path of a manifest path.
    public func absolutePath(_ relativePath: String) -> String {
        dataDirectory.eventsPath + "/" + relativePath
    }

    /// The stored fingerprints of one day's events, for dedupe.
    package func fingerprints(day: Int64, segments: [EventSegmentRecord]) throws -> [(high: UInt64, low: UInt64)] {
        var result: [(high: UInt64, low: UInt64)] = []
        for segment in segments where segment.utcDay == day {
            let reader = try SegmentReader(path: absolutePath(segment.path))
            let high = try reader.scalarColumn(EventColumn.keyHigh.rawValue, as: UInt64.self)
            let low = try reader.scalarColumn(EventColumn.keyLow.rawValue, as: UInt64.self)
            result.reserveCapacity(result.count + high.count)
            // Both columns are RAW, so a scan hands over the mapped values in one piece.
            var highs: [UInt64] = []
            try high.scan { highs.append(contentsOf: $0) }
            var row = 0
            try low.scan { lows in
                for value in lows {
                    result.append((highs[row], value))
                    row += 1
                }
            }
        }
        return result
    }

    /// The event segments committed so far and dictionaries that cover every index they use: what one
    /// pass over the events reads, however many imports commit meanwhile.
    public struct Snapshot: Sendable {
        /// The listed segments, in manifest order.
        public var segments: [EventSegmentRecord]
        /// Users, items and event types by dense index.
        public var keys: KeyDictionaries
    }

    /// Takes a ``Snapshot``. The segment list is read first and the dictionaries after it: dictionaries
    /// only grow, and an import commits a file's new ids with its segments, so dictionaries read later
    /// cover every index of the listed segments even when an import commits in between.
    public func snapshot() throws -> Snapshot {
        let segments = try store.ingestion.eventSegments()
        let keys = try store.ingestion.keyDictionaries()
        return Snapshot(segments: segments, keys: keys)
    }

    /// Calls `body` with every stored event, in manifest order (day, then commit order, then row).
    public func forEachEvent(_ body: (StoredEvent) throws -> Void) throws {
        let snapshot = try snapshot()
        let keys = snapshot.keys
        try forEachIndexedEvent(of: snapshot) { event in
            try body(
                StoredEvent(
                    userID: keys.userIDs[Int(event.user)],
                    event: keys.eventTypes[Int(event.eventType)],
                    timestamp: event.timestamp,
                    itemID: event.item == EventColumn.noItem ? nil : keys.itemIDs[Int(event.item)],
                    value: event.value.isNaN ? nil : event.value,
                    propertiesJSON: try event.propertiesJSON()
                )
            )
        }
    }

    /// One stored event by dense indices (which index the snapshot's `keys`); its properties are read
    /// only when asked for.
    public struct IndexedEvent {
        public var timestamp: Timestamp
        public var user: UInt32
        public var eventType: UInt32
        /// ``EventColumn/noItem`` where the event has none.
        public var item: UInt32
        /// `nan` where the event has none.
        public var value: Double
        let properties: BytesColumn
        let row: Int

        /// The event's other properties as a JSON object, or empty.
        public func propertiesJSON() throws -> String { try properties.string(at: row) }
    }

    /// Calls `body` with every event of the segments of `snapshot`, in manifest order, one at a time,
    /// with every column but the properties decoded.
    public func forEachIndexedEvent(of snapshot: Snapshot, _ body: (IndexedEvent) throws -> Void) throws {
        for segment in snapshot.segments {
            let reader = try SegmentReader(path: absolutePath(segment.path))
            let timestamps = try reader.scalarColumn(EventColumn.timestamp.rawValue, as: Int64.self)
            let users = try reader.scalarColumn(EventColumn.user.rawValue, as: UInt32.self)
            let types = try reader.scalarColumn(EventColumn.eventType.rawValue, as: UInt32.self)
            let items = try reader.scalarColumn(EventColumn.item.rawValue, as: UInt32.self)
            let values = try reader.scalarColumn(EventColumn.value.rawValue, as: Double.self)
            let properties = try reader.bytesColumn(EventColumn.properties.rawValue)
            for row in 0..<timestamps.count {
                try body(
                    IndexedEvent(
                        timestamp: Timestamp(rawValue: try timestamps.value(at: row)),
                        user: try users.value(at: row),
                        eventType: try types.value(at: row),
                        item: try items.value(at: row),
                        value: try values.value(at: row),
                        properties: properties,
                        row: row
                    )
                )
            }
        }
    }

    /// The CSV header ``writeCSV(_:)`` writes.
    public static let csvHeader = "user_id,event,timestamp,item_id,value,properties"

    /// Every stored event as CSV (``csvHeader``, then one row per event in ``forEachEvent(_:)``'s
    /// order): ISO-8601 times with microseconds, whole values without a fraction, RFC 4180 quoting, so
    /// `aampectl import events --format csv` reads the output back to the same events. `write` gets
    /// chunks of about 64 KiB.
    public func writeCSV(_ write: (String) throws -> Void) throws {
        var output = Self.csvHeader + "\n"
        try forEachEvent { event in
            let value = event.value.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) } ?? ""
            let fields = [
                event.userID, event.event, event.timestamp.iso8601Microseconds, event.itemID ?? "", value,
                event.propertiesJSON,
            ]
            output += fields.map(CSVText.field).joined(separator: ",") + "\n"
            if output.utf8.count > 1 << 16 {
                try write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        try write(output)
    }

    /// The columns of one event segment, decoded, for passes that work on dense indices (training).
    public struct IndexedEvents: Sendable {
        /// Microseconds since the epoch, UTC.
        public var timestampMicros: [Int64] = []
        /// Dense user indices (`user_keys`).
        public var users: [UInt32] = []
        /// Dense event-type indices (`event_types`).
        public var eventTypes: [UInt32] = []
        /// ``EventColumn/noItem`` where the event has none.
        public var items: [UInt32] = []
        /// `nan` where the event has none.
        public var values: [Double] = []

        /// No events; append to the columns in step.
        public init() {}
    }

    /// Calls `body` with the events of every segment of `snapshot` as dense indices (which index
    /// `snapshot.keys`), in manifest order, one segment at a time; with the number of segments done and in all, for progress. Far cheaper than
    /// ``forEachEvent(_:)``, which resolves every id to a string.
    public func forEachSegment(
        of snapshot: Snapshot,
        _ body: (IndexedEvents, _ done: Int, _ total: Int) throws -> Void
    ) throws {
        let segments = snapshot.segments
        for (index, segment) in segments.enumerated() {
            let reader = try SegmentReader(path: absolutePath(segment.path))
            var events = IndexedEvents()
            events.timestampMicros.reserveCapacity(segment.rows)
            events.users.reserveCapacity(segment.rows)
            events.eventTypes.reserveCapacity(segment.rows)
            events.items.reserveCapacity(segment.rows)
            events.values.reserveCapacity(segment.rows)
            try reader.scalarColumn(EventColumn.timestamp.rawValue, as: Int64.self).scan {
                events.timestampMicros.append(contentsOf: $0)
            }
            try reader.scalarColumn(EventColumn.user.rawValue, as: UInt32.self).scan {
                events.users.append(contentsOf: $0)
            }
            try reader.scalarColumn(EventColumn.eventType.rawValue, as: UInt32.self).scan {
                events.eventTypes.append(contentsOf: $0)
            }
            try reader.scalarColumn(EventColumn.item.rawValue, as: UInt32.self).scan {
                events.items.append(contentsOf: $0)
            }
            try reader.scalarColumn(EventColumn.value.rawValue, as: Double.self).scan {
                events.values.append(contentsOf: $0)
            }
            try body(events, index + 1, segments.count)
        }
    }

    /// Counts of stored events by UTC day and event name, and distinct active users by day.
    public func dailyCounts() throws -> [DailyEventCounts] {
        let snapshot = try snapshot()
        let keys = snapshot.keys
        var byDay: [Int64: (events: [String: Int], users: Set<UInt32>)] = [:]
        for segment in snapshot.segments {
            let reader = try SegmentReader(path: absolutePath(segment.path))
            let users = try reader.scalarColumn(EventColumn.user.rawValue, as: UInt32.self)
            let types = try reader.scalarColumn(EventColumn.eventType.rawValue, as: UInt32.self)
            var entry = byDay[segment.utcDay] ?? ([:], [])
            try users.scan { entry.users.formUnion($0) }
            try types.scan { buffer in
                for type in buffer { entry.events[keys.eventTypes[Int(type)], default: 0] += 1 }
            }
            byDay[segment.utcDay] = entry
        }
        return byDay.keys.sorted().map { day in
            DailyEventCounts(
                date: CivilDate(daysSinceEpoch: day).description,
                events: byDay[day]!.events,
                activeUsers: byDay[day]!.users.count
            )
        }
    }
}

/// One stored event, with its ids and names resolved.
public struct StoredEvent: Hashable, Sendable {
    /// The external user id.
    public var userID: String
    /// The event name.
    public var event: String
    /// When it happened, microseconds since the epoch, UTC.
    public var timestamp: Timestamp
    /// The external item id; `nil`: the event has no item.
    public var itemID: String?
    /// The event's value (revenue, rating); `nil`: none.
    public var value: Double?
    /// Other properties as a JSON object, or empty.
    public var propertiesJSON: String
}

/// What one UTC day holds.
public struct DailyEventCounts: Hashable, Sendable, Codable {
    /// `YYYY-MM-DD`.
    public var date: String
    /// Events by name.
    public var events: [String: Int]
    /// Distinct users with at least one event.
    public var activeUsers: Int

    enum CodingKeys: String, CodingKey {
        case date, events
        case activeUsers = "active_users"
    }
}

public import AampeCore
internal import GRDB

/// The external ids and names that dense indices stand for, in index order: `userIDs[i]` is the external
/// id of user index `i`.
public struct KeyDictionaries: Sendable {
    /// External user ids, by user index.
    public var userIDs: [String] = []
    /// External item ids, by item index.
    public var itemIDs: [String] = []
    /// Event names, by event-type index.
    public var eventTypes: [String] = []

    /// Empty dictionaries.
    public init() {}
}

/// One event segment file as the manifest lists it.
public struct EventSegmentRecord: Hashable, Sendable {
    /// The path relative to `events/`, such as `2026-11-01/r3-f1-p0.seg`.
    public var path: String
    /// The UTC day all its events fall on, in days since 1970-01-01.
    public var utcDay: Int64
    /// How many events it holds.
    public var rows: Int
    /// Its earliest and latest event timestamps.
    public var minTimestamp: Timestamp
    /// See ``minTimestamp``.
    public var maxTimestamp: Timestamp

    /// A record of a segment file.
    public init(path: String, utcDay: Int64, rows: Int, minTimestamp: Timestamp, maxTimestamp: Timestamp) {
        self.path = path
        self.utcDay = utcDay
        self.rows = rows
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
    }
}

/// One input file whose events an import commits, with the segments they were written to.
public struct EventSourceRecord: Sendable {
    /// The import run.
    public var runID: Int64
    /// The input file's path as given.
    public var path: String
    /// The format it was read as.
    public var format: String
    /// Its size on disk.
    public var fileBytes: Int64
    /// What the import counted in it.
    public var rowsRead: Int64
    /// Events stored from it.
    public var accepted: Int64
    /// Events left out because an identical one was already stored or read.
    public var duplicates: Int64
    /// Records quarantined.
    public var rejected: Int64
    /// The segment files holding its accepted events, already written and synced.
    public var segments: [EventSegmentRecord]

    /// A record of one committed input file.
    public init(
        runID: Int64,
        path: String,
        format: String,
        fileBytes: Int64,
        rowsRead: Int64,
        accepted: Int64,
        duplicates: Int64,
        rejected: Int64,
        segments: [EventSegmentRecord]
    ) {
        self.runID = runID
        self.path = path
        self.format = format
        self.fileBytes = fileBytes
        self.rowsRead = rowsRead
        self.accepted = accepted
        self.duplicates = duplicates
        self.rejected = rejected
        self.segments = segments
    }
}

/// A messaging channel a profile can hold an address for.
public enum Channel: String, Sendable, Codable, CaseIterable, Hashable {
    case email, sms, push
}

/// An address on one channel, and whether the user agreed to be messaged there.
public struct ChannelAddress: Hashable, Sendable, Codable {
    /// The channel.
    public var channel: Channel
    /// The address on it: an email address, a phone number or a push token.
    public var address: String
    /// Whether the user agreed to be messaged there.
    public var hasConsent: Bool

    /// An address on `channel`.
    public init(channel: Channel, address: String, hasConsent: Bool) {
        self.channel = channel
        self.address = address
        self.hasConsent = hasConsent
    }
}

/// New values for one user's profile. A `nil` field keeps what is stored; attributes are merged key by
/// key into the stored ones (RFC 7396 JSON merge patch), and each channel given replaces that channel.
public struct ProfileUpsert: Hashable, Sendable {
    /// The user, which must already be in the user dictionary (or in the same commit).
    public var userIndex: UserIndex
    /// The country; `nil` keeps the stored one.
    public var country: String?
    /// The language; `nil` keeps the stored one.
    public var language: String?
    /// The IANA time zone name; `nil` keeps the stored one.
    public var timeZone: String?
    /// The first name; `nil` keeps the stored one.
    public var firstName: String?
    /// A JSON object of other attributes, or `nil` for none.
    public var attributesJSON: String?
    /// Addresses to set; each replaces the stored address on its channel. Empty changes none.
    public var channels: [ChannelAddress]

    /// An upsert for `userIndex` that changes nothing until fields are set.
    public init(userIndex: UserIndex) {
        self.userIndex = userIndex
        self.channels = []
    }
}

/// New values for one catalog item; `nil` keeps what is stored, as in ``ProfileUpsert``.
public struct CatalogItemUpsert: Hashable, Sendable {
    /// The item, which must already be in the item dictionary (or in the same commit).
    public var itemIndex: ItemIndex
    /// The title; `nil` keeps the stored one.
    public var title: String?
    /// The category name; `nil` keeps the stored one.
    public var category: String?
    /// Stock; `nil` keeps the stored value.
    public var isInStock: Bool?
    /// The price; `nil` keeps the stored one.
    public var price: Double?
    /// The item's page; `nil` keeps the stored one.
    public var url: String?
    /// The item's image; `nil` keeps the stored one.
    public var imageURL: String?
    /// A JSON object of other attributes, or `nil` for none.
    public var attributesJSON: String?
    /// Attribute values to index for queries such as `genres = Action`; each attribute named here
    /// replaces that attribute's stored values.
    public var attributeValues: [String: [String]]

    /// An upsert for `itemIndex` that changes nothing until fields are set.
    public init(itemIndex: ItemIndex) {
        self.itemIndex = itemIndex
        self.attributeValues = [:]
    }
}

/// Everything one step of an import makes visible, written in one transaction: new dictionary entries,
/// then a committed input file with its event segments, and profile and catalog upserts.
public struct IngestionCommit: Sendable {
    /// New external user ids; the first gets index `firstNewUserIndex`, which must equal the number of
    /// users already stored.
    public var newUserIDs: ArraySlice<String> = []
    /// The index of the first of ``newUserIDs``.
    public var firstNewUserIndex = 0
    /// New external item ids, from index ``firstNewItemIndex``, which must equal the items already stored.
    public var newItemIDs: ArraySlice<String> = []
    /// The index of the first of ``newItemIDs``.
    public var firstNewItemIndex = 0
    /// New event names, from index ``firstNewEventTypeIndex``, which must equal the names already stored.
    public var newEventTypes: ArraySlice<String> = []
    /// The index of the first of ``newEventTypes``.
    public var firstNewEventTypeIndex = 0
    /// The input file whose events become visible, if this commit carries events.
    public var source: EventSourceRecord?
    /// Profile changes, applied after the dictionaries and the events.
    public var profiles: [ProfileUpsert] = []
    /// Catalog changes, applied after the profiles.
    public var catalogItems: [CatalogItemUpsert] = []

    /// An empty commit.
    public init() {}
}

/// A stored profile, as read back.
public struct StoredProfile: Hashable, Sendable {
    /// The external user id.
    public var externalID: String
    /// The country; `nil`: never imported.
    public var country: String?
    /// The language; `nil`: never imported.
    public var language: String?
    /// The IANA time zone name; `nil`: never imported.
    public var timeZone: String?
    /// The first name; `nil`: never imported.
    public var firstName: String?
    /// The other attributes, as a JSON object.
    public var attributesJSON: String
    /// The stored addresses, by channel name.
    public var channels: [ChannelAddress]
}

/// A stored catalog item, as read back.
public struct StoredCatalogItem: Hashable, Sendable {
    /// The external item id.
    public var externalID: String
    /// The title; `nil`: never imported.
    public var title: String?
    /// The category name; `nil`: never imported.
    public var category: String?
    /// Stock; `nil`: the catalog never said.
    public var isInStock: Bool?
    /// The price; `nil`: never imported.
    public var price: Double?
    /// The item's page; `nil`: never imported.
    public var url: String?
    /// The item's image; `nil`: never imported.
    public var imageURL: String?
    /// The other attributes, as a JSON object.
    public var attributesJSON: String
    /// Indexed attribute values, by attribute, each list sorted.
    public var attributeValues: [String: [String]]
}

/// Reads and writes what imports produce: the id dictionaries, the event-segment manifest, profiles and
/// the catalog.
///
/// Reach it as ``Store/ingestion``; it is a view over the store and costs nothing to make. Imports write
/// only through ``commit(_:)``, one transaction per step, so a reader sees each input file's events,
/// dictionary entries and upserts all at once or not at all. Dictionaries only grow: an index, once
/// given, names the same id for ever. Each read method is its own read transaction: two calls may see
/// two different commits, so a reader that needs the dictionaries to cover every listed segment reads
/// the dictionaries after the segment list, not before.
public struct IngestionRepository: Sendable {
    let store: Store

    /// Every dictionary, in index order.
    public func keyDictionaries() throws -> KeyDictionaries {
        try store.read("read dictionaries") { db in
            var keys = KeyDictionaries()
            keys.userIDs = try String.fetchAll(db, sql: "SELECT external_id FROM user_keys ORDER BY user_index")
            keys.itemIDs = try String.fetchAll(db, sql: "SELECT external_id FROM item_keys ORDER BY item_index")
            keys.eventTypes = try String.fetchAll(db, sql: "SELECT name FROM event_types ORDER BY event_type_index")
            return keys
        }
    }

    /// Writes `commit` in one transaction: either all of it becomes visible or none does.
    ///
    /// Throws if a first-new index does not follow the stored dictionary, which would mean a second
    /// importer wrote in between (imports take the data directory's import lock, so that is a bug).
    @discardableResult
    public func commit(_ commit: IngestionCommit) throws -> Int64? {
        let now = store.clock().rawValue
        return try store.write("commit import") { db in
            try Self.appendKeys(
                db,
                table: "user_keys",
                index: "user_index",
                key: "external_id",
                values: commit.newUserIDs,
                first: commit.firstNewUserIndex,
                path: store.path
            )
            try Self.appendKeys(
                db,
                table: "item_keys",
                index: "item_index",
                key: "external_id",
                values: commit.newItemIDs,
                first: commit.firstNewItemIndex,
                path: store.path
            )
            try Self.appendKeys(
                db,
                table: "event_types",
                index: "event_type_index",
                key: "name",
                values: commit.newEventTypes,
                first: commit.firstNewEventTypeIndex,
                path: store.path
            )
            var sourceID: Int64?
            if let source = commit.source {
                try db.execute(
                    sql: """
                        INSERT INTO event_sources (run_id, path, format, file_bytes, rows_read, accepted,
                                                   duplicates, rejected, committed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        source.runID, source.path, source.format, source.fileBytes, source.rowsRead,
                        source.accepted, source.duplicates, source.rejected, now,
                    ]
                )
                let id = db.lastInsertedRowID
                sourceID = id
                let insert = try db.makeStatement(
                    sql: """
                        INSERT INTO event_segments (source_id, path, utc_day, rows, min_timestamp, max_timestamp)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                )
                for segment in source.segments {
                    try insert.execute(arguments: [
                        id, segment.path, segment.utcDay, segment.rows,
                        segment.minTimestamp.rawValue, segment.maxTimestamp.rawValue,
                    ])
                }
            }
            try Self.upsertProfiles(db, commit.profiles, now: now)
            try Self.upsertCatalogItems(db, commit.catalogItems, now: now)
            return sourceID
        }
    }

    private static func appendKeys(
        _ db: Database,
        table: String,
        index: String,
        key: String,
        values: ArraySlice<String>,
        first: Int,
        path: String
    ) throws {
        guard !values.isEmpty else { return }
        // `table`, `index` and `key` are constants of this file, never input.
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        guard count == first else {
            throw StoreError.database(
                path: path,
                operation: "append to \(table)",
                reason: "expected \(first) existing rows and found \(count); another import wrote concurrently"
            )
        }
        // One statement per 65,536 keys, which SQLite unpacks from a JSON array in C: the first import of
        // a million users spent most of its commit binding one row per statement (tools/bench-import).
        let insert = try db.makeStatement(
            sql: "INSERT INTO \(table) (\(index), \(key)) SELECT ? + key, value FROM json_each(?)"
        )
        var start = values.startIndex
        while start < values.endIndex {
            let end = min(start + 65_536, values.endIndex)
            try insert.execute(arguments: [first + (start - values.startIndex), Self.jsonArray(values[start..<end])])
            start = end
        }
    }

    /// `values` as a JSON array of strings.
    static func jsonArray(_ values: ArraySlice<String>) -> String {
        var output: [UInt8] = [UInt8(ascii: "[")]
        output.reserveCapacity(values.count * 16)
        let hex = Array("0123456789abcdef".utf8)
        for (position, value) in values.enumerated() {
            if position > 0 { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    output.append(UInt8(ascii: "\\"))
                    output.append(byte)
                case ..<0x20:
                    output.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hex[Int(byte >> 4)], hex[Int(byte & 15)],
                    ])
                default:
                    output.append(byte)
                }
            }
            output.append(UInt8(ascii: "\""))
        }
        output.append(UInt8(ascii: "]"))
        return String(decoding: output, as: UTF8.self)
    }

    private static func upsertProfiles(_ db: Database, _ profiles: [ProfileUpsert], now: Int64) throws {
        guard !profiles.isEmpty else { return }
        let profile = try db.makeStatement(
            sql: """
                INSERT INTO profiles (user_index, country, language, time_zone, first_name, attributes, updated_at)
                VALUES (?, ?, ?, ?, ?, json(coalesce(?, '{}')), ?)
                ON CONFLICT (user_index) DO UPDATE SET
                    country = coalesce(excluded.country, country),
                    language = coalesce(excluded.language, language),
                    time_zone = coalesce(excluded.time_zone, time_zone),
                    first_name = coalesce(excluded.first_name, first_name),
                    attributes = json_patch(attributes, excluded.attributes),
                    updated_at = excluded.updated_at
                """
        )
        let channel = try db.makeStatement(
            sql: """
                INSERT INTO user_channels (user_index, channel, address, has_consent, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_index, channel) DO UPDATE SET
                    address = excluded.address, has_consent = excluded.has_consent, updated_at = excluded.updated_at
                """
        )
        for upsert in profiles {
            let user = Int64(upsert.userIndex.rawValue)
            try profile.execute(arguments: [
                user, upsert.country, upsert.language, upsert.timeZone,
                upsert.firstName, upsert.attributesJSON, now,
            ])
            for address in upsert.channels {
                try channel.execute(arguments: [
                    user, address.channel.rawValue, address.address,
                    address.hasConsent ? 1 : 0, now,
                ])
            }
        }
    }

    private static func upsertCatalogItems(_ db: Database, _ items: [CatalogItemUpsert], now: Int64) throws {
        guard !items.isEmpty else { return }
        let item = try db.makeStatement(
            sql: """
                INSERT INTO catalog_items (item_index, title, category, is_in_stock, price, url, image_url,
                                           attributes, updated_at, changed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, json(coalesce(?, '{}')), ?, ?)
                ON CONFLICT (item_index) DO UPDATE SET
                    title = coalesce(excluded.title, title),
                    category = coalesce(excluded.category, category),
                    is_in_stock = coalesce(excluded.is_in_stock, is_in_stock),
                    price = coalesce(excluded.price, price),
                    url = coalesce(excluded.url, url),
                    image_url = coalesce(excluded.image_url, image_url),
                    attributes = json_patch(attributes, excluded.attributes),
                    updated_at = excluded.updated_at,
                    -- SET reads the row as it was, so this compares the old content with the new.
                    changed_at = CASE
                        WHEN (title, category, is_in_stock, price, url, image_url, attributes)
                            IS (coalesce(excluded.title, title), coalesce(excluded.category, category),
                                coalesce(excluded.is_in_stock, is_in_stock), coalesce(excluded.price, price),
                                coalesce(excluded.url, url), coalesce(excluded.image_url, image_url),
                                json_patch(attributes, excluded.attributes))
                        THEN changed_at ELSE excluded.changed_at END
                """
        )
        let clear = try db.makeStatement(
            sql: "DELETE FROM item_attribute_values WHERE item_index = ? AND attribute = ?"
        )
        let value = try db.makeStatement(
            sql: "INSERT OR IGNORE INTO item_attribute_values (item_index, attribute, value) VALUES (?, ?, ?)"
        )
        for upsert in items {
            let index = Int64(upsert.itemIndex.rawValue)
            try item.execute(arguments: [
                index, upsert.title, upsert.category, upsert.isInStock.map { $0 ? 1 : 0 },
                upsert.price, upsert.url, upsert.imageURL, upsert.attributesJSON, now, now,
            ])
            for (attribute, values) in upsert.attributeValues.sorted(by: { $0.key < $1.key }) {
                try clear.execute(arguments: [index, attribute])
                for text in values { try value.execute(arguments: [index, attribute, text]) }
            }
        }
    }

    /// The committed event segments whose day lies in `days`, in day order and, within a day, in commit
    /// order.
    public func eventSegments(days: ClosedRange<Int64>? = nil) throws -> [EventSegmentRecord] {
        try store.read("read event segments") { db in
            let range = days ?? Int64.min...Int64.max
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT path, utc_day, rows, min_timestamp, max_timestamp FROM event_segments
                    WHERE utc_day BETWEEN ? AND ? ORDER BY utc_day, id
                    """,
                arguments: [range.lowerBound, range.upperBound]
            )
            return rows.map { row in
                EventSegmentRecord(
                    path: row["path"],
                    utcDay: row["utc_day"],
                    rows: row["rows"],
                    minTimestamp: Timestamp(rawValue: row["min_timestamp"]),
                    maxTimestamp: Timestamp(rawValue: row["max_timestamp"])
                )
            }
        }
    }

    /// The profile of the user with external id `externalID`, or `nil` when there is none. This scans
    /// the dictionary (it has no index on external ids): for tests and one-off reads.
    public func profile(externalID: String) throws -> StoredProfile? {
        try store.read("read profile") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT k.user_index, p.country, p.language, p.time_zone, p.first_name, p.attributes
                        FROM user_keys k JOIN profiles p USING (user_index) WHERE k.external_id = ?
                        """,
                    arguments: [externalID]
                )
            else { return nil }
            let user: Int64 = row["user_index"]
            let channels = try Row.fetchAll(
                db,
                sql: "SELECT channel, address, has_consent FROM user_channels WHERE user_index = ? ORDER BY channel",
                arguments: [user]
            ).compactMap { row -> ChannelAddress? in
                guard let channel = Channel(rawValue: row["channel"]) else { return nil }
                return ChannelAddress(channel: channel, address: row["address"], hasConsent: row["has_consent"] == 1)
            }
            return StoredProfile(
                externalID: externalID,
                country: row["country"],
                language: row["language"],
                timeZone: row["time_zone"],
                firstName: row["first_name"],
                attributesJSON: row["attributes"],
                channels: channels
            )
        }
    }

    /// The catalog item with external id `externalID`, or `nil` when there is none. A scan, as above.
    public func catalogItem(externalID: String) throws -> StoredCatalogItem? {
        try store.read("read catalog item") { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT k.item_index, c.title, c.category, c.is_in_stock, c.price, c.url, c.image_url,
                               c.attributes
                        FROM item_keys k JOIN catalog_items c USING (item_index) WHERE k.external_id = ?
                        """,
                    arguments: [externalID]
                )
            else { return nil }
            let index: Int64 = row["item_index"]
            var values: [String: [String]] = [:]
            for value in try Row.fetchAll(
                db,
                sql:
                    "SELECT attribute, value FROM item_attribute_values WHERE item_index = ? ORDER BY attribute, value",
                arguments: [index]
            ) {
                values[value["attribute"], default: []].append(value["value"])
            }
            let stock: Int64? = row["is_in_stock"]
            return StoredCatalogItem(
                externalID: externalID,
                title: row["title"],
                category: row["category"],
                isInStock: stock.map { $0 == 1 },
                price: row["price"],
                url: row["url"],
                imageURL: row["image_url"],
                attributesJSON: row["attributes"],
                attributeValues: values
            )
        }
    }
}

extension Store {
    /// Dictionaries, the event-segment manifest, profiles and the catalog.
    public var ingestion: IngestionRepository { IngestionRepository(store: self) }
}

public import AampeCore
internal import GRDB

/// Who a data directory is and which schema wrote it: the single row of the `meta` table.
public struct Meta: Hashable, Sendable {
    /// A random id given at `init`, so that files copied between data directories can be told apart.
    public var dataDirectoryID: String
    /// The number of migrations applied.
    public var schemaVersion: Int
    /// When `init` first ran.
    public var createdAt: Timestamp
}

struct MetaRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meta"
    var id: Int
    var dataDirectoryID: String
    var schemaVersion: Int
    var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id
        case dataDirectoryID = "data_directory_id"
        case schemaVersion = "schema_version"
        case createdAt = "created_at"
    }
}

extension Store {
    /// The data directory's identity and schema version.
    public func meta() throws -> Meta {
        try read("read meta") { db in
            guard let record = try MetaRecord.fetchOne(db, key: 1) else {
                throw StoreError.notAnAampeDatabase(path: path, reason: "the meta row is missing")
            }
            return Meta(
                dataDirectoryID: record.dataDirectoryID,
                schemaVersion: record.schemaVersion,
                createdAt: Timestamp(rawValue: record.createdAt)
            )
        }
    }

    /// Row counts of the stored tables, by table name, for `aampectl status`.
    ///
    /// Each feature that adds a table adds its name to ``inventoryTables``.
    public func inventory() throws -> [InventoryEntry] {
        try read("count rows") { db in
            try Self.inventoryTables.map { table in
                InventoryEntry(name: table, count: try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0)
            }
        }
    }

    /// Tables whose row counts `aampectl status` reports, in display order. Names are constants of this
    /// module, never input, which is why they may be spliced into SQL.
    static let inventoryTables = [
        "runs", "user_keys", "item_keys", "event_types", "event_sources", "event_segments", "profiles",
        "user_channels", "catalog_items",
    ]
}

/// How many rows one stored table holds.
public struct InventoryEntry: Hashable, Sendable, Codable {
    /// The table's name.
    public var name: String
    /// Its row count.
    public var count: Int

    /// An entry for `name` with `count` rows.
    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

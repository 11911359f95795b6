internal import GRDB

/// A catalog row in bulk form, keyed by dense item index.
public struct CatalogRow: Hashable, Sendable {
    /// The item's dense index.
    public var itemIndex: Int
    /// The title; `nil`: never imported.
    public var title: String?
    /// The category name; `nil`: none.
    public var category: String?
    /// Stock; `nil`: the catalog never said.
    public var isInStock: Bool?
    /// The price, in the catalog's currency; `nil`: unknown.
    public var price: Double?
    /// Indexed attribute values by attribute name.
    public var attributeValues: [String: [String]]
    /// When an import last wrote the row (whether or not it changed it), microseconds since the epoch
    /// (the store's clock).
    public var updatedAtMicros: Int64 = 0
}

/// The catalog rows a generation does not hold yet: what the daemon's catalog overlay is read from.
public struct CatalogChanges: Sendable {
    /// Rows changed after the watermark asked for, and every row of an item past the generation's items,
    /// in item-index order.
    public var rows: [CatalogRow]
    /// The external ids of the rows' items that are past the generation's items, by dense item index.
    public var newItemIDs: [Int: String]
}

/// One channel address of one user, in bulk form.
public struct ChannelRow: Hashable, Sendable {
    /// The user's dense index.
    public var userIndex: Int
    /// The channel.
    public var channel: Channel
    /// The address on it: an email address, a phone number or a push token.
    public var address: String
    /// Whether the user agreed to be messaged there.
    public var hasConsent: Bool
}

extension IngestionRepository {
    /// Every catalog item with its indexed attribute values, in item-index order: what training snapshots
    /// for filters. Two queries, no per-item round trips.
    public func catalogRows() throws -> [CatalogRow] {
        try store.read("read catalog") { db in
            try Self.catalogRows(db, where: "", arguments: [])
        }
    }

    /// The catalog rows whose content changed after `changedAfterMicros` (a row written again with the
    /// same content keeps its change time), plus every row of an item at or past `newFromItemIndex` (a
    /// generation's item count: such items cannot be in it, whenever their row was written), with the new
    /// items' external ids. One read transaction, so rows and ids agree.
    public func catalogChanges(changedAfterMicros: Int64, newFromItemIndex: Int) throws -> CatalogChanges {
        try store.read("read catalog changes") { db in
            let rows = try Self.catalogRows(
                db,
                where: "WHERE changed_at > ? OR item_index >= ?",
                arguments: [changedAfterMicros, newFromItemIndex]
            )
            var ids: [Int: String] = [:]
            let keys = try Row.fetchCursor(
                db,
                sql: """
                    SELECT k.item_index, k.external_id FROM item_keys k JOIN catalog_items c USING (item_index)
                    WHERE k.item_index >= ?
                    """,
                arguments: [newFromItemIndex]
            )
            while let row = try keys.next() { ids[row[0]] = row[1] }
            return CatalogChanges(rows: rows, newItemIDs: ids)
        }
    }

    /// When each of `items` (dense indices) last had its catalog row written (changed or not),
    /// microseconds since the epoch; items without a catalog row are absent. The indices are integers, so
    /// writing them into the SQL is safe.
    public func catalogUpdateTimes(of items: [Int]) throws -> [Int: Int64] {
        guard !items.isEmpty else { return [:] }
        return try store.read("read catalog update times") { db in
            var times: [Int: Int64] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT item_index, updated_at FROM catalog_items WHERE item_index IN ("
                    + items.map(String.init).joined(separator: ",") + ")"
            )
            while let row = try rows.next() { times[row[0]] = row[1] }
            return times
        }
    }

    /// Catalog rows matching `filter` (a WHERE clause over `catalog_items`, or empty) with their attribute
    /// values, in item-index order. Two queries, no per-item round trips.
    private static func catalogRows(
        _ db: Database,
        where filter: String,
        arguments: StatementArguments
    ) throws -> [CatalogRow] {
        var rows: [CatalogRow] = []
        var position: [Int: Int] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT item_index, title, category, is_in_stock, price, updated_at FROM catalog_items "
                + filter + " ORDER BY item_index",
            arguments: arguments
        ) {
            let index: Int = row["item_index"]
            let stock: Int64? = row["is_in_stock"]
            position[index] = rows.count
            rows.append(
                CatalogRow(
                    itemIndex: index,
                    title: row["title"],
                    category: row["category"],
                    isInStock: stock.map { $0 == 1 },
                    price: row["price"],
                    attributeValues: [:],
                    updatedAtMicros: row["updated_at"]
                )
            )
        }
        guard !rows.isEmpty else { return rows }
        // Every value when the rows are the whole catalog; otherwise only theirs, on the same filter.
        let values =
            filter.isEmpty
            ? "SELECT item_index, attribute, value FROM item_attribute_values ORDER BY item_index, attribute, value"
            : "SELECT item_index, attribute, value FROM item_attribute_values "
                + "WHERE item_index IN (SELECT item_index FROM catalog_items " + filter + ") "
                + "ORDER BY item_index, attribute, value"
        for row in try Row.fetchAll(db, sql: values, arguments: filter.isEmpty ? [] : arguments) {
            let index: Int = row[0]
            guard let at = position[index] else { continue }
            rows[at].attributeValues[row[1], default: []].append(row[2])
        }
        return rows
    }

    /// Every channel address, in user-index order.
    public func channelRows() throws -> [ChannelRow] {
        try store.read("read channels") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT user_index, channel, address, has_consent FROM user_channels ORDER BY user_index, channel"
            ).compactMap { row in
                guard let channel = Channel(rawValue: row["channel"]) else { return nil }
                return ChannelRow(
                    userIndex: row["user_index"],
                    channel: channel,
                    address: row["address"],
                    hasConsent: row["has_consent"] == 1
                )
            }
        }
    }
}

extension IngestionRepository {
    /// Every user's IANA time zone from the profiles, by dense user index; users without one are absent.
    public func timeZones() throws -> [Int: String] {
        try store.read("read time zones") { db in
            var zones: [Int: String] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT user_index, time_zone FROM profiles WHERE time_zone IS NOT NULL AND time_zone != ''"
            )
            while let row = try rows.next() { zones[row[0]] = row[1] }
            return zones
        }
    }
}

extension IngestionRepository {
    /// Every profile with its channel addresses (or those of the user indices `users`), by dense user
    /// index: what assignment reads for its audience rules and rendering. Two queries, no per-user round
    /// trips. Users without a profile row are absent. The indices are integers, so writing them into the
    /// SQL is safe.
    public func profiles(only users: [Int]? = nil) throws -> [Int: StoredProfile] {
        try store.read("read profiles") { db in
            var profiles: [Int: StoredProfile] = [:]
            let filter =
                users.map { list in " WHERE user_index IN (" + list.map(String.init).joined(separator: ",") + ")" }
                ?? ""
            // Cursors and column positions, not names: a million profiles spent most of their time in
            // materialized rows and case-insensitive name lookups (tools/bench-assign, perf).
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT k.user_index, k.external_id, p.country, p.language, p.time_zone, p.first_name, p.attributes
                    FROM user_keys k JOIN profiles p USING (user_index)
                    """ + filter
            )
            while let row = try rows.next() {
                profiles[row[0]] = StoredProfile(
                    externalID: row[1],
                    country: row[2],
                    language: row[3],
                    timeZone: row[4],
                    firstName: row[5],
                    attributesJSON: row[6],
                    channels: []
                )
            }
            let channels = try Row.fetchCursor(
                db,
                sql: "SELECT user_index, channel, address, has_consent FROM user_channels" + filter
            )
            while let row = try channels.next() {
                guard let channel = Channel(rawValue: row[1]) else { continue }
                let user: Int = row[0]
                let hasConsent: Int64 = row[3]
                profiles[user]?.channels.append(
                    ChannelAddress(channel: channel, address: row[2], hasConsent: hasConsent == 1)
                )
            }
            for user in profiles.keys { profiles[user]!.channels.sort { $0.channel.rawValue < $1.channel.rawValue } }
            return profiles
        }
    }

    /// Every catalog item as rendering reads it, by dense item index.
    public func storedCatalogItems() throws -> [Int: StoredCatalogItem] {
        try store.read("read catalog items") { db in
            var items: [Int: StoredCatalogItem] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT k.item_index, k.external_id, c.title, c.category, c.is_in_stock, c.price, c.url, c.image_url,
                           c.attributes
                    FROM item_keys k JOIN catalog_items c USING (item_index)
                    """
            ) {
                let stock: Int64? = row["is_in_stock"]
                items[row["item_index"]] = StoredCatalogItem(
                    externalID: row["external_id"],
                    title: row["title"],
                    category: row["category"],
                    isInStock: stock.map { $0 == 1 },
                    price: row["price"],
                    url: row["url"],
                    imageURL: row["image_url"],
                    attributesJSON: row["attributes"],
                    attributeValues: [:]
                )
            }
            return items
        }
    }
}

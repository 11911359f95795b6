public import AampeCore
import AampeEvents
public import AampeLearning
public import AampeStore

/// Reads a data directory's imported events as recommender interactions.
public enum InteractionLoading {
    /// Every stored event that carries an item, weighted by `settings`, plus the key dictionaries as of
    /// now (``catalog(store:itemCount:)`` reads the catalog). `progress` gets segments done and in all,
    /// on the calling thread. Events with a zero or negative weight, or a non-positive value where the
    /// value is the weight, are left out; an event without a value counts 1.
    public static func load(
        directory: DataDirectory,
        store: Store,
        settings: RecommenderSettings,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> (log: InteractionLog, keys: KeyDictionaries) {
        let events = EventStore(dataDirectory: directory, store: store)
        // One snapshot: the dictionaries cover every segment read, even if an import commits meanwhile.
        let snapshot = try events.snapshot()
        let keys = snapshot.keys
        // Per event type: a fixed weight, the event's value, or ignored; decided once, not per event.
        enum Rule {
            case fixed(Float)
            case value
            case ignored
        }
        let rules: [Rule] = keys.eventTypes.map { name in
            if RecommenderSettings.catalogEvents.contains(name) { return .ignored }
            if let listed = settings.eventWeights[name] { return listed > 0 ? .fixed(listed) : .ignored }
            return .value
        }
        let purchases = keys.eventTypes.map { RecommenderSettings.purchaseEvents.contains($0) }
        var log = InteractionLog(userCount: keys.userIDs.count, itemCount: keys.itemIDs.count)
        try events.forEachSegment(of: snapshot) { events, done, total in
            log.reserveCapacity(log.count + events.items.count)
            for row in 0..<events.items.count {
                let item = events.items[row]
                guard item != EventColumn.noItem else { continue }
                let type = Int(events.eventTypes[row])
                let weight: Float
                switch rules[type] {
                case .fixed(let value): weight = value
                case .ignored: continue
                case .value:
                    let value = events.values[row]
                    if value.isNaN {
                        weight = 1
                    } else if value > 0 && value.isFinite {
                        weight = Float(value)
                    } else {
                        continue
                    }
                }
                log.append(
                    user: events.users[row],
                    item: item,
                    weight: weight,
                    timestampSeconds: Timestamp(rawValue: events.timestampMicros[row]).secondsSinceEpoch,
                    isPurchase: purchases[type]
                )
            }
            progress?(done, total)
        }
        return (log, keys)
    }

    /// The catalog as training snapshots it, over `itemCount` items.
    public static func catalog(store: Store, itemCount: Int) throws -> ItemCatalog {
        try catalogSnapshot(store: store, itemCount: itemCount).catalog
    }

    /// The catalog as training snapshots it, over `itemCount` items, and the newest `updated_at` of the
    /// rows read (0 when there are none): the generation's catalog watermark, after which the daemon's
    /// catalog overlay takes over. One read, so the watermark describes exactly the rows read.
    public static func catalogSnapshot(
        store: Store,
        itemCount: Int
    ) throws -> (catalog: ItemCatalog, updatedAtMicros: Int64) {
        var records: [Int: CatalogRecord] = [:]
        var newest: Int64 = 0
        for row in try store.ingestion.catalogRows() {
            // Rows of items past the dictionary snapshot count too: they are the overlay's new items.
            newest = max(newest, row.updatedAtMicros)
            guard row.itemIndex < itemCount else { continue }
            records[row.itemIndex] = CatalogRecord(
                category: row.category,
                price: row.price,
                isInStock: row.isInStock,
                attributes: row.attributeValues
            )
        }
        return (ItemCatalog(itemCount: itemCount, records: records), newest)
    }
}

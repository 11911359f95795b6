/// The catalog as the recommender filters it: per item a category, a price, an availability and
/// attribute values, with the names behind the indices.
public struct ItemCatalog: Sendable {
    /// What can be sold. Stored as one byte per item.
    public enum Availability: UInt8, Sendable {
        /// Listed with zero stock; left out under ``ItemFilter/inStockOnly``.
        case outOfStock = 0
        /// Listed as in stock.
        case inStock = 1
        /// The catalog does not say; treated as in stock, so data without stock levels still serves.
        case unknown = 2
        /// The catalog has items but not this one: it is never recommended.
        case notInCatalog = 3
    }

    /// `noCategory` where the item has none.
    public var categories: [UInt32]
    /// The category names, indexed by ``categories``.
    public var categoryNames: [String]
    /// `nan` where unknown.
    public var prices: [Double]
    /// One ``Availability`` raw value per item.
    public var availability: [UInt8]
    /// Item `i`'s attribute values are `attributeValues[attributeOffsets[i] ..< attributeOffsets[i + 1]]`,
    /// each an index into `attributeKeys`, sorted.
    public var attributeOffsets: [UInt64]
    /// The attribute-value indices of every item, item by item; see ``attributeOffsets``.
    public var attributeValues: [UInt32]
    /// `name` U+001F `value`, as ``attributeKey(name:value:)`` builds it.
    public var attributeKeys: [String]

    /// The category index of an item without a category.
    public static let noCategory = UInt32.max

    /// The key of one attribute value. U+001F (unit separator) cannot occur in imported names.
    public static func attributeKey(name: String, value: String) -> String { name + "\u{1F}" + value }

    /// A catalog of `itemCount` items that knows nothing: no categories, prices or attributes, stock unknown.
    public init(itemCount: Int) {
        categories = [UInt32](repeating: Self.noCategory, count: itemCount)
        categoryNames = []
        prices = [Double](repeating: .nan, count: itemCount)
        availability = [UInt8](repeating: Availability.unknown.rawValue, count: itemCount)
        attributeOffsets = [UInt64](repeating: 0, count: itemCount + 1)
        attributeValues = []
        attributeKeys = []
    }

    /// Builds a catalog from per-item records, interning category names and attribute values.
    public init(itemCount: Int, records: [Int: CatalogRecord]) {
        self.init(itemCount: itemCount)
        var categoryIndex: [String: UInt32] = [:]
        var keyIndex: [String: UInt32] = [:]
        // Items missing from a non-empty catalog are not for sale.
        if !records.isEmpty {
            for item in 0..<itemCount { availability[item] = Availability.notInCatalog.rawValue }
        }
        var offsets: [UInt64] = [0]
        offsets.reserveCapacity(itemCount + 1)
        for item in 0..<itemCount {
            if let record = records[item] {
                if let category = record.category {
                    if let index = categoryIndex[category] {
                        categories[item] = index
                    } else {
                        let index = UInt32(categoryNames.count)
                        categoryIndex[category] = index
                        categoryNames.append(category)
                        categories[item] = index
                    }
                }
                prices[item] = record.price ?? .nan
                availability[item] =
                    (record.isInStock.map { $0 ? Availability.inStock : .outOfStock } ?? .unknown).rawValue
                var values: [UInt32] = []
                for (name, list) in record.attributes {
                    for value in list {
                        let key = Self.attributeKey(name: name, value: value)
                        if let index = keyIndex[key] {
                            values.append(index)
                        } else {
                            let index = UInt32(attributeKeys.count)
                            keyIndex[key] = index
                            attributeKeys.append(key)
                            values.append(index)
                        }
                    }
                }
                values.sort()
                attributeValues.append(contentsOf: values)
            }
            offsets.append(UInt64(attributeValues.count))
        }
        attributeOffsets = offsets
    }
}

/// One catalog item as training reads it from the store.
public struct CatalogRecord: Sendable, Hashable {
    /// The category name; `nil`: none.
    public var category: String?
    /// The price, in the catalog's currency; `nil`: unknown (the item fails any price bound).
    public var price: Double?
    /// `true` in stock, `false` out of stock, `nil` unknown (served as in stock).
    public var isInStock: Bool?
    /// Indexed attribute values by attribute name (`genres: [Action, Drama]`).
    public var attributes: [String: [String]]

    /// A record; every field defaults to unknown.
    public init(
        category: String? = nil,
        price: Double? = nil,
        isInStock: Bool? = nil,
        attributes: [String: [String]] = [:]
    ) {
        self.category = category
        self.price = price
        self.isInStock = isInStock
        self.attributes = attributes
    }
}

/// One item in a user's history, as scoring reads it.
public struct HistoryEntry: Hashable, Sendable {
    /// The item's dense index.
    public var item: UInt32
    /// The decayed affinity: Σ event weight × 2^(−age / half-life).
    public var weight: Float
    /// Seconds since the epoch of the last interaction and the last purchase (0: never bought).
    public var lastSeenSeconds: UInt32
    /// Seconds since the epoch of the last purchase; 0: never bought.
    public var lastPurchaseSeconds: UInt32

    /// An entry; `lastPurchaseSeconds` 0 means never bought.
    public init(item: UInt32, weight: Float, lastSeenSeconds: UInt32, lastPurchaseSeconds: UInt32 = 0) {
        self.item = item
        self.weight = weight
        self.lastSeenSeconds = lastSeenSeconds
        self.lastPurchaseSeconds = lastPurchaseSeconds
    }
}

/// A read-only view of a trained model, over memory that `owner` keeps alive: the mapped segment files
/// of a generation in the daemon, or a ``TrainedRecommender`` in memory for evaluation and tests.
///
/// Everything is an unsafe buffer so that scoring does no bounds-checked array access or reference
/// counting on its hot path; the buffers are validated (lengths, offsets, indices in range) when the view
/// is made, so scoring may trust them.
///
/// Make one with ``init(parts:itemCount:userCount:newestTimestampSeconds:settings:owner:)`` over mapped
/// columns (``ServedRecommender`` does this per generation), or with ``init(trained:catalog:)`` for a model
/// in memory. The view lives as long as it is referenced and keeps `owner`, and so every buffer, alive.
///
/// `@unchecked Sendable`: every stored property is a `let`, and the buffers point into memory that is
/// never written while a view exists: a sealed, published generation's mapping, or a ``TrainedRecommender``'s
/// private copies that `owner` allocated and filled before the view was made.
public final class RecommenderModel: @unchecked Sendable {
    /// The number of items; every item index in the buffers is below it.
    public let itemCount: Int
    /// The number of users with a trained history row.
    public let userCount: Int
    /// The newest training interaction, in seconds since the epoch.
    public let newestTimestampSeconds: Int64
    /// The settings the model was trained with.
    public let settings: RecommenderSettings

    let neighbourOffsets: UnsafeBufferPointer<UInt64>
    let neighbourItems: UnsafeBufferPointer<UInt32>
    let neighbourScores: UnsafeBufferPointer<Float>
    let popularity: UnsafeBufferPointer<Float>
    let popularOrder: UnsafeBufferPointer<UInt32>
    let trendingScores: UnsafeBufferPointer<Float>
    let trendingOrder: UnsafeBufferPointer<UInt32>
    let historyOffsets: UnsafeBufferPointer<UInt64>
    let historyItems: UnsafeBufferPointer<UInt32>
    let historyWeights: UnsafeBufferPointer<Float>
    let historyLastSeenSeconds: UnsafeBufferPointer<UInt32>
    let historyLastPurchaseSeconds: UnsafeBufferPointer<UInt32>
    let categories: UnsafeBufferPointer<UInt32>
    let prices: UnsafeBufferPointer<Double>
    let baseAvailability: UnsafeBufferPointer<UInt8>
    let attributeOffsets: UnsafeBufferPointer<UInt64>
    let attributeValues: UnsafeBufferPointer<UInt32>
    /// The users' served lists, when the generation keeps them (`servedListLength` > 0).
    let servedLists: ServedListColumns?
    private let owner: AnyObject

    /// The buffers a model is made of, before validation.
    public struct Parts {
        /// u64 × (items + 1): where each item's neighbours start in ``neighbourItems``.
        public var neighbourOffsets: UnsafeBufferPointer<UInt64>
        /// Neighbour item indices, strongest first per item.
        public var neighbourItems: UnsafeBufferPointer<UInt32>
        /// Each neighbour's similarity, parallel to ``neighbourItems``.
        public var neighbourScores: UnsafeBufferPointer<Float>
        /// One popularity per item.
        public var popularity: UnsafeBufferPointer<Float>
        /// Item indices, most popular first.
        public var popularOrder: UnsafeBufferPointer<UInt32>
        /// One trending score per item.
        public var trendingScores: UnsafeBufferPointer<Float>
        /// Item indices, highest trending score first.
        public var trendingOrder: UnsafeBufferPointer<UInt32>
        /// u64 × (users + 1): where each user's history starts in ``historyItems``.
        public var historyOffsets: UnsafeBufferPointer<UInt64>
        /// History item indices, most recent first per user.
        public var historyItems: UnsafeBufferPointer<UInt32>
        /// Decayed affinities, parallel to ``historyItems``.
        public var historyWeights: UnsafeBufferPointer<Float>
        /// Seconds since the epoch of the last interaction, parallel to ``historyItems``.
        public var historyLastSeenSeconds: UnsafeBufferPointer<UInt32>
        /// Seconds since the epoch of the last purchase (0: never), parallel to ``historyItems``.
        public var historyLastPurchaseSeconds: UnsafeBufferPointer<UInt32>
        /// One category index per item, or ``ItemCatalog/noCategory``.
        public var categories: UnsafeBufferPointer<UInt32>
        /// One price per item, NaN when unknown.
        public var prices: UnsafeBufferPointer<Double>
        /// One ``ItemCatalog/Availability`` raw value per item.
        public var availability: UnsafeBufferPointer<UInt8>
        /// u64 × (items + 1): where each item's attribute values start in ``attributeValues``.
        public var attributeOffsets: UnsafeBufferPointer<UInt64>
        /// Attribute-value indices, sorted per item.
        public var attributeValues: UnsafeBufferPointer<UInt32>
        /// Each user's served list, when the generation keeps them; see ``ServedLists``.
        public var servedLists: ServedListColumns?

        /// Collects the buffers; nothing is checked until the model's
        /// ``RecommenderModel/init(parts:itemCount:userCount:newestTimestampSeconds:settings:owner:)``.
        public init(
            neighbourOffsets: UnsafeBufferPointer<UInt64>,
            neighbourItems: UnsafeBufferPointer<UInt32>,
            neighbourScores: UnsafeBufferPointer<Float>,
            popularity: UnsafeBufferPointer<Float>,
            popularOrder: UnsafeBufferPointer<UInt32>,
            trendingScores: UnsafeBufferPointer<Float>,
            trendingOrder: UnsafeBufferPointer<UInt32>,
            historyOffsets: UnsafeBufferPointer<UInt64>,
            historyItems: UnsafeBufferPointer<UInt32>,
            historyWeights: UnsafeBufferPointer<Float>,
            historyLastSeenSeconds: UnsafeBufferPointer<UInt32>,
            historyLastPurchaseSeconds: UnsafeBufferPointer<UInt32>,
            categories: UnsafeBufferPointer<UInt32>,
            prices: UnsafeBufferPointer<Double>,
            availability: UnsafeBufferPointer<UInt8>,
            attributeOffsets: UnsafeBufferPointer<UInt64>,
            attributeValues: UnsafeBufferPointer<UInt32>,
            servedLists: ServedListColumns? = nil
        ) {
            self.neighbourOffsets = neighbourOffsets
            self.neighbourItems = neighbourItems
            self.neighbourScores = neighbourScores
            self.popularity = popularity
            self.popularOrder = popularOrder
            self.trendingScores = trendingScores
            self.trendingOrder = trendingOrder
            self.historyOffsets = historyOffsets
            self.historyItems = historyItems
            self.historyWeights = historyWeights
            self.historyLastSeenSeconds = historyLastSeenSeconds
            self.historyLastPurchaseSeconds = historyLastPurchaseSeconds
            self.categories = categories
            self.prices = prices
            self.availability = availability
            self.attributeOffsets = attributeOffsets
            self.attributeValues = attributeValues
            self.servedLists = servedLists
        }
    }

    /// Why a set of buffers is not a model.
    public struct InvalidModel: Error, CustomStringConvertible {
        /// Which buffer is wrong and how, by its column name.
        public var description: String
    }

    /// Validates `parts` and makes a view that keeps `owner` alive.
    public init(
        parts: Parts,
        itemCount: Int,
        userCount: Int,
        newestTimestampSeconds: Int64,
        settings: RecommenderSettings,
        owner: AnyObject
    ) throws {
        func require(_ condition: Bool, _ what: @autoclosure () -> String) throws {
            if !condition { throw InvalidModel(description: what()) }
        }
        try Self.checkOffsets(
            parts.neighbourOffsets,
            rows: itemCount,
            entries: parts.neighbourItems.count,
            name: "neighbour_offsets"
        )
        try require(
            parts.neighbourScores.count == parts.neighbourItems.count,
            "neighbour_score has \(parts.neighbourScores.count) rows, neighbour_item \(parts.neighbourItems.count)"
        )
        try require(
            parts.neighbourItems.allSatisfy { Int($0) < itemCount },
            "neighbour_item holds an item index past \(itemCount)"
        )
        for (name, count) in [
            ("popularity", parts.popularity.count), ("trending_score", parts.trendingScores.count),
            ("category", parts.categories.count), ("price", parts.prices.count),
            ("availability", parts.availability.count),
        ] {
            try require(count == itemCount, "\(name) has \(count) rows for \(itemCount) items")
        }
        try require(
            parts.popularOrder.allSatisfy { Int($0) < itemCount },
            "popular_order holds an item index past \(itemCount)"
        )
        try require(
            parts.trendingOrder.allSatisfy { Int($0) < itemCount },
            "trending_order holds an item index past \(itemCount)"
        )
        try Self.checkOffsets(
            parts.historyOffsets,
            rows: userCount,
            entries: parts.historyItems.count,
            name: "history_offsets"
        )
        for (name, count) in [
            ("history_weight", parts.historyWeights.count),
            ("history_last_seen_seconds", parts.historyLastSeenSeconds.count),
            ("history_last_purchase_seconds", parts.historyLastPurchaseSeconds.count),
        ] {
            try require(
                count == parts.historyItems.count,
                "\(name) has \(count) rows, history_item \(parts.historyItems.count)"
            )
        }
        try require(
            parts.historyItems.allSatisfy { Int($0) < itemCount },
            "history_item holds an item index past \(itemCount)"
        )
        try Self.checkOffsets(
            parts.attributeOffsets,
            rows: itemCount,
            entries: parts.attributeValues.count,
            name: "attribute_offsets"
        )
        if let lists = parts.servedLists {
            try Self.checkOffsets(lists.offsets, rows: userCount, entries: lists.items.count, name: "served_offsets")
            for (name, count) in [("served_score", lists.scores.count), ("served_because", lists.because.count)] {
                try require(count == lists.items.count, "\(name) has \(count) rows, served_item \(lists.items.count)")
            }
            try require(
                lists.items.allSatisfy { Int($0) < itemCount } && lists.because.allSatisfy { Int($0) < itemCount },
                "served_item or served_because holds an item index past \(itemCount)"
            )
            try require(
                lists.length > 0
                    && (0..<userCount).allSatisfy { lists.offsets[$0 + 1] - lists.offsets[$0] <= lists.length },
                "a served list is longer than the settings' servedListLength of \(lists.length)"
            )
        }
        self.itemCount = itemCount
        self.userCount = userCount
        self.newestTimestampSeconds = newestTimestampSeconds
        self.settings = settings
        self.neighbourOffsets = parts.neighbourOffsets
        self.neighbourItems = parts.neighbourItems
        self.neighbourScores = parts.neighbourScores
        self.popularity = parts.popularity
        self.popularOrder = parts.popularOrder
        self.trendingScores = parts.trendingScores
        self.trendingOrder = parts.trendingOrder
        self.historyOffsets = parts.historyOffsets
        self.historyItems = parts.historyItems
        self.historyWeights = parts.historyWeights
        self.historyLastSeenSeconds = parts.historyLastSeenSeconds
        self.historyLastPurchaseSeconds = parts.historyLastPurchaseSeconds
        self.categories = parts.categories
        self.prices = parts.prices
        self.baseAvailability = parts.availability
        self.attributeOffsets = parts.attributeOffsets
        self.attributeValues = parts.attributeValues
        self.servedLists = parts.servedLists
        self.owner = owner
    }

    private static func checkOffsets(
        _ offsets: UnsafeBufferPointer<UInt64>,
        rows: Int,
        entries: Int,
        name: String
    ) throws {
        guard offsets.count == rows + 1 else {
            throw InvalidModel(description: "\(name) has \(offsets.count) rows for \(rows) + 1")
        }
        var previous: UInt64 = 0
        for offset in offsets {
            guard offset >= previous else { throw InvalidModel(description: "\(name) decreases") }
            previous = offset
        }
        guard offsets.first == 0, previous == UInt64(entries) else {
            throw InvalidModel(description: "\(name) does not span its \(entries) entries")
        }
    }

    /// A view of a model trained in memory (evaluation, tests), with `catalog` for filters and, when
    /// given, the served lists computed for it.
    public convenience init(trained: TrainedRecommender, catalog: ItemCatalog? = nil, servedLists: ServedLists? = nil) {
        let box = TrainedBox(
            trained: trained,
            catalog: catalog ?? ItemCatalog(itemCount: trained.itemCount),
            servedLists: servedLists
        )
        try! self.init(
            parts: box.parts(),
            itemCount: trained.itemCount,
            userCount: trained.userCount,
            newestTimestampSeconds: trained.newestTimestampSeconds,
            settings: trained.settings,
            owner: box
        )
    }

    // MARK: Reading

    /// Item `item`'s neighbours and their similarities, best first.
    public func neighbours(of item: Int) -> (items: UnsafeBufferPointer<UInt32>, scores: UnsafeBufferPointer<Float>) {
        let start = Int(neighbourOffsets[item])
        let end = Int(neighbourOffsets[item + 1])
        return (
            UnsafeBufferPointer(rebasing: neighbourItems[start..<end]),
            UnsafeBufferPointer(rebasing: neighbourScores[start..<end])
        )
    }

    /// User `user`'s history as trained, most recent first.
    public func history(of user: Int) -> [HistoryEntry] {
        guard user >= 0 && user < userCount else { return [] }
        let start = Int(historyOffsets[user])
        let end = Int(historyOffsets[user + 1])
        var entries: [HistoryEntry] = []
        entries.reserveCapacity(end - start)
        for index in start..<end {
            entries.append(
                HistoryEntry(
                    item: historyItems[index],
                    weight: historyWeights[index],
                    lastSeenSeconds: historyLastSeenSeconds[index],
                    lastPurchaseSeconds: historyLastPurchaseSeconds[index]
                )
            )
        }
        return entries
    }

    /// Whether user `user` has a trained history. Asks the user's served list first when the model has
    /// lists: a listed item comes from a history item, and the list's offsets are the ones an answer from it
    /// has just read, where the history's are one more cache miss.
    public func hasHistory(_ user: Int) -> Bool {
        guard user >= 0 && user < userCount else { return false }
        if let lists = servedLists, lists.offsets[user + 1] > lists.offsets[user] { return true }
        return historyOffsets[user + 1] > historyOffsets[user]
    }

    /// The attribute-value indices of an item, sorted.
    public func attributeValues(of item: Int) -> UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(rebasing: attributeValues[Int(attributeOffsets[item])..<Int(attributeOffsets[item + 1])])
    }
}

/// Owns copies of a trained model's arrays for a view: buffers it allocated itself, so the pointers
/// stay valid for exactly its lifetime (a pointer escaping `withUnsafeBufferPointer` would not be).
private final class TrainedBox {
    private var allocations: [UnsafeMutableRawBufferPointer] = []
    private let trained: TrainedRecommender
    private let catalog: ItemCatalog
    private let servedLists: ServedLists?

    init(trained: TrainedRecommender, catalog: ItemCatalog, servedLists: ServedLists?) {
        self.trained = trained
        self.catalog = catalog
        self.servedLists = servedLists
    }

    deinit { for allocation in allocations { allocation.deallocate() } }

    func parts() -> RecommenderModel.Parts {
        RecommenderModel.Parts(
            neighbourOffsets: own(trained.neighbourOffsets),
            neighbourItems: own(trained.neighbourItems),
            neighbourScores: own(trained.neighbourScores),
            popularity: own(trained.popularity),
            popularOrder: own(trained.popularOrder),
            trendingScores: own(trained.trendingScores),
            trendingOrder: own(trained.trendingOrder),
            historyOffsets: own(trained.historyOffsets),
            historyItems: own(trained.historyItems),
            historyWeights: own(trained.historyWeights),
            historyLastSeenSeconds: own(trained.historyLastSeenSeconds),
            historyLastPurchaseSeconds: own(trained.historyLastPurchaseSeconds),
            categories: own(catalog.categories),
            prices: own(catalog.prices),
            availability: own(catalog.availability),
            attributeOffsets: own(catalog.attributeOffsets),
            attributeValues: own(catalog.attributeValues),
            servedLists: servedLists.map {
                ServedListColumns(
                    length: $0.length,
                    offsets: own($0.offsets),
                    items: own($0.items),
                    scores: own($0.scores),
                    because: own($0.because)
                )
            }
        )
    }

    private func own<T: BitwiseCopyable>(_ array: [T]) -> UnsafeBufferPointer<T> {
        let raw = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, array.count * MemoryLayout<T>.stride),
            alignment: MemoryLayout<T>.alignment
        )
        allocations.append(raw)
        let typed = raw.bindMemory(to: T.self)
        _ = UnsafeMutableBufferPointer(rebasing: typed[0..<array.count]).initialize(from: array)
        return UnsafeBufferPointer(rebasing: typed[0..<array.count])
    }
}

public import AampeSegments
import Foundation

/// The recommender's files in a generation, in its folder `recommender/`:
///
/// - ``items`` (kind `items`): the item dictionary (``ItemColumn/itemID``, row = dense item index), the
///   neighbour table, popularity, trending, and the catalog as of training. Every column is RAW: the
///   daemon reads them in place from the mapping.
/// - ``users`` (kind `history`): the user dictionary and each user's recent items.
/// - ``manifest``: the settings, the newest interaction and training statistics.
///
/// The column names are declared once, in ``ItemColumn`` and ``UserColumn``, for the writer and the
/// reader. `proto-spec/segment-format.md` lists the same columns for readers in other languages.
public enum RecommenderFiles {
    /// The model's folder in a generation.
    public static let model = "recommender"
    /// The item file, `recommender/items.seg`; columns in ``ItemColumn``.
    public static let items = GenerationFile(model: model, name: "items.seg")
    /// The user file, `recommender/users.seg`; columns in ``UserColumn``.
    public static let users = GenerationFile(model: model, name: "users.seg")
    /// The JSON manifest, `recommender/recommender.json` (``Manifest``).
    public static let manifest = GenerationFile(model: model, name: "recommender.json")

    /// The columns of ``items``.
    public enum ItemColumn: String, CaseIterable, Sendable {
        /// Dictionary: external item id → row.
        case itemID = "item_id"
        /// u64 × (items + 1): where each item's neighbours start in ``neighbourItem``.
        case neighbourOffsets = "neighbour_offsets"
        /// u32: neighbour item indices, strongest first per item.
        case neighbourItem = "neighbour_item"
        /// f32: the neighbour's similarity.
        case neighbourScore = "neighbour_score"
        /// f32 per item: the number of distinct users with the item in training.
        case popularity
        /// u32: item indices by popularity, highest first.
        case popularOrder = "popular_order"
        /// f32 per item: the latest days' weight against the days before.
        case trendingScore = "trending_score"
        /// u32: item indices by trending score, highest first.
        case trendingOrder = "trending_order"
        /// u32 per item: index into ``categoryName``, or `ItemCatalog.noCategory`.
        case category
        /// Strings: the category names.
        case categoryName = "category_name"
        /// f64 per item: the price, NaN when unknown.
        case price
        /// u8 per item: stock (see `ItemCatalog`).
        case availability
        /// u64 × (items + 1): where each item's attribute values start in ``attributeValue``.
        case attributeOffsets = "attribute_offsets"
        /// u32: indices into ``attributeKey``.
        case attributeValue = "attribute_value"
        /// Dictionary: `name=value` attribute keys.
        case attributeKey = "attribute_key"
    }

    /// The columns of ``users``.
    public enum UserColumn: String, CaseIterable, Sendable {
        /// Dictionary: external user id → row.
        case userID = "user_id"
        /// u64 × (users + 1): where each user's recent items start.
        case historyOffsets = "history_offsets"
        /// u32: item indices, most recent first.
        case historyItem = "history_item"
        /// f32: decayed weight.
        case historyWeight = "history_weight"
        /// u32: seconds since the epoch of the last interaction with the item.
        case historyLastSeenSeconds = "history_last_seen_seconds"
        /// u32: seconds since the epoch of the last purchase of the item, 0 for never.
        case historyLastPurchaseSeconds = "history_last_purchase_seconds"
        /// u64 × (users + 1): where each user's served list starts. This and the next three columns are
        /// present only when the settings' `servedListLength` is positive (``ServedLists``).
        case servedOffsets = "served_offsets"
        /// u32: served item indices, best first.
        case servedItem = "served_item"
        /// f32: the served item's score.
        case servedScore = "served_score"
        /// u32: the history item the served item is because of.
        case servedBecause = "served_because"
    }

    /// What `recommender.json` holds.
    public struct Manifest: Codable, Sendable, Hashable {
        /// The settings the model was trained with.
        public var settings: RecommenderSettings
        /// Seconds since the epoch.
        public var newestTimestampSeconds: Int64
        /// When training ran, ISO-8601 UTC.
        public var trainedAt: String
        /// The number of items (rows of ``items``).
        public var itemCount: Int
        /// The number of users (rows of ``users``).
        public var userCount: Int
        /// What training saw and did.
        public var statistics: TrainingStatistics
        /// The newest `updated_at` of the catalog rows training read (microseconds since the epoch; 0: the
        /// catalog was empty). The daemon's catalog overlay holds the rows updated after it. Absent in
        /// generations trained before the overlay existed; the daemon then uses ``trainedAt``.
        public var catalogUpdatedAtMicros: Int64? = nil

        enum CodingKeys: String, CodingKey {
            case settings
            case newestTimestampSeconds = "newest_timestamp_seconds"
            case trainedAt = "trained_at"
            case itemCount = "item_count"
            case userCount = "user_count"
            case statistics
            case catalogUpdatedAtMicros = "catalog_updated_at_micros"
        }
    }

    /// Writes the three files into the generation `builder` is building.
    public static func write(
        _ trained: TrainedRecommender,
        catalog: ItemCatalog,
        itemIDs: [String],
        userIDs: [String],
        into builder: GenerationBuilder,
        trainedAt: String,
        catalogUpdatedAtMicros: Int64? = nil,
        servedLists: ServedLists? = nil
    ) throws {
        precondition(
            itemIDs.count == trained.itemCount && userIDs.count == trained.userCount,
            "dictionaries must match the model"
        )
        let items = try SegmentWriter(path: try builder.path(of: Self.items), kind: .items)
        try items.writeDictionaryColumn(ItemColumn.itemID.rawValue, keys: itemIDs)
        try items.writeColumn(ItemColumn.neighbourOffsets.rawValue, values: trained.neighbourOffsets)
        try items.writeColumn(ItemColumn.neighbourItem.rawValue, values: trained.neighbourItems)
        try items.writeColumn(ItemColumn.neighbourScore.rawValue, values: trained.neighbourScores)
        try items.writeColumn(ItemColumn.popularity.rawValue, values: trained.popularity)
        try items.writeColumn(ItemColumn.popularOrder.rawValue, values: trained.popularOrder)
        try items.writeColumn(ItemColumn.trendingScore.rawValue, values: trained.trendingScores)
        try items.writeColumn(ItemColumn.trendingOrder.rawValue, values: trained.trendingOrder)
        try items.writeColumn(ItemColumn.category.rawValue, values: catalog.categories)
        try items.writeStringColumn(ItemColumn.categoryName.rawValue, values: catalog.categoryNames)
        try items.writeColumn(ItemColumn.price.rawValue, values: catalog.prices)
        try items.writeColumn(ItemColumn.availability.rawValue, values: catalog.availability)
        try items.writeColumn(ItemColumn.attributeOffsets.rawValue, values: catalog.attributeOffsets)
        try items.writeColumn(ItemColumn.attributeValue.rawValue, values: catalog.attributeValues)
        try items.writeDictionaryColumn(ItemColumn.attributeKey.rawValue, keys: catalog.attributeKeys)
        try items.finish()

        let users = try SegmentWriter(path: try builder.path(of: Self.users), kind: .history)
        try users.writeDictionaryColumn(UserColumn.userID.rawValue, keys: userIDs)
        try users.writeColumn(UserColumn.historyOffsets.rawValue, values: trained.historyOffsets)
        try users.writeColumn(UserColumn.historyItem.rawValue, values: trained.historyItems)
        try users.writeColumn(UserColumn.historyWeight.rawValue, values: trained.historyWeights)
        try users.writeColumn(UserColumn.historyLastSeenSeconds.rawValue, values: trained.historyLastSeenSeconds)
        try users.writeColumn(
            UserColumn.historyLastPurchaseSeconds.rawValue,
            values: trained.historyLastPurchaseSeconds
        )
        if let servedLists {
            precondition(
                servedLists.offsets.count == trained.userCount + 1
                    && servedLists.length == trained.settings.effectiveServedListLength,
                "served lists must match the model and its settings"
            )
            try users.writeColumn(UserColumn.servedOffsets.rawValue, values: servedLists.offsets)
            try users.writeColumn(UserColumn.servedItem.rawValue, values: servedLists.items)
            try users.writeColumn(UserColumn.servedScore.rawValue, values: servedLists.scores)
            try users.writeColumn(UserColumn.servedBecause.rawValue, values: servedLists.because)
        }
        try users.finish()

        let manifest = Manifest(
            settings: trained.settings,
            newestTimestampSeconds: trained.newestTimestampSeconds,
            trainedAt: trainedAt,
            itemCount: trained.itemCount,
            userCount: trained.userCount,
            statistics: trained.statistics,
            catalogUpdatedAtMicros: catalogUpdatedAtMicros
        )
        try GenerationJSON.write(manifest, as: Self.manifest, into: builder)
    }
}

/// A generation's recommender, mapped: the model view plus the dictionaries that translate external ids
/// and catalog names to the indices the model uses.
///
/// The daemon's generation manager builds one per generation (it is a ``ModelView``); requests share it
/// from any thread, since everything in it is immutable. It holds ``generation``, so the files stay
/// mapped and the generation is not retired under it until the last reference goes.
public final class ServedRecommender: ModelView {
    /// The model name a generation lists these files under.
    public static let model = RecommenderFiles.model

    /// The generation mapped; holding it keeps its files mapped and its shared lock held.
    public let generation: Generation
    /// The model view over the mapped columns.
    public let model: RecommenderModel
    /// The engine over ``model``, shared by every request.
    public let engine: RecommendationEngine
    /// The generation's `recommender.json`.
    public let manifest: RecommenderFiles.Manifest
    /// External item id → dense item index.
    public let itemIDs: DictionaryColumn
    /// External user id → dense user index; users without a trained history are absent.
    public let userIDs: DictionaryColumn
    /// Category names, indexed by the model's category indices.
    public let categoryNames: [String]
    /// `name` U+001F `value` attribute keys → the attribute-value indices filters use.
    public let attributeKeys: DictionaryColumn

    /// Maps and checks the recommender files of `generation`. Errors name the file and the column.
    public init(generation: Generation) throws {
        let itemsPath = generation.path(of: RecommenderFiles.items)
        let items = try generation.segment(RecommenderFiles.items)
        let users = try generation.segment(RecommenderFiles.users)
        // Every column below is checked on first use anyway; checking them all at once spreads the
        // checksums over the cores, which roughly halves the daemon's start on a 2-core machine.
        try SegmentReader.checkColumns(of: [items, users], threads: ProcessInfo.processInfo.activeProcessorCount)
        let manifest = try GenerationJSON.read(
            RecommenderFiles.Manifest.self,
            RecommenderFiles.manifest,
            of: generation
        )
        self.generation = generation
        self.manifest = manifest
        itemIDs = try items.dictionaryColumn(RecommenderFiles.ItemColumn.itemID.rawValue)
        userIDs = try users.dictionaryColumn(RecommenderFiles.UserColumn.userID.rawValue)
        attributeKeys = try items.dictionaryColumn(RecommenderFiles.ItemColumn.attributeKey.rawValue)
        let names = try items.bytesColumn(RecommenderFiles.ItemColumn.categoryName.rawValue)
        categoryNames = try (0..<names.count).map { try names.string(at: $0) }

        func raw<T: SegmentScalar>(
            _ reader: SegmentReader,
            _ name: String,
            _ type: T.Type
        ) throws -> UnsafeBufferPointer<T> {
            let column = try reader.scalarColumn(name, as: T.self)
            guard let values = column.rawValues else {
                throw SegmentError(
                    path: reader.path,
                    column: name,
                    reason: .generation(detail: "the recommender needs RAW columns")
                )
            }
            return values
        }
        // A generation whose settings keep served lists must have their four columns.
        func servedLists() throws -> ServedListColumns? {
            let length = manifest.settings.effectiveServedListLength
            guard length > 0 else { return nil }
            return ServedListColumns(
                length: length,
                offsets: try raw(users, RecommenderFiles.UserColumn.servedOffsets.rawValue, UInt64.self),
                items: try raw(users, RecommenderFiles.UserColumn.servedItem.rawValue, UInt32.self),
                scores: try raw(users, RecommenderFiles.UserColumn.servedScore.rawValue, Float.self),
                because: try raw(users, RecommenderFiles.UserColumn.servedBecause.rawValue, UInt32.self)
            )
        }
        let parts = RecommenderModel.Parts(
            neighbourOffsets: try raw(items, RecommenderFiles.ItemColumn.neighbourOffsets.rawValue, UInt64.self),
            neighbourItems: try raw(items, RecommenderFiles.ItemColumn.neighbourItem.rawValue, UInt32.self),
            neighbourScores: try raw(items, RecommenderFiles.ItemColumn.neighbourScore.rawValue, Float.self),
            popularity: try raw(items, RecommenderFiles.ItemColumn.popularity.rawValue, Float.self),
            popularOrder: try raw(items, RecommenderFiles.ItemColumn.popularOrder.rawValue, UInt32.self),
            trendingScores: try raw(items, RecommenderFiles.ItemColumn.trendingScore.rawValue, Float.self),
            trendingOrder: try raw(items, RecommenderFiles.ItemColumn.trendingOrder.rawValue, UInt32.self),
            historyOffsets: try raw(users, RecommenderFiles.UserColumn.historyOffsets.rawValue, UInt64.self),
            historyItems: try raw(users, RecommenderFiles.UserColumn.historyItem.rawValue, UInt32.self),
            historyWeights: try raw(users, RecommenderFiles.UserColumn.historyWeight.rawValue, Float.self),
            historyLastSeenSeconds: try raw(
                users,
                RecommenderFiles.UserColumn.historyLastSeenSeconds.rawValue,
                UInt32.self
            ),
            historyLastPurchaseSeconds: try raw(
                users,
                RecommenderFiles.UserColumn.historyLastPurchaseSeconds.rawValue,
                UInt32.self
            ),
            categories: try raw(items, RecommenderFiles.ItemColumn.category.rawValue, UInt32.self),
            prices: try raw(items, RecommenderFiles.ItemColumn.price.rawValue, Double.self),
            availability: try raw(items, RecommenderFiles.ItemColumn.availability.rawValue, UInt8.self),
            attributeOffsets: try raw(items, RecommenderFiles.ItemColumn.attributeOffsets.rawValue, UInt64.self),
            attributeValues: try raw(items, RecommenderFiles.ItemColumn.attributeValue.rawValue, UInt32.self),
            servedLists: try servedLists()
        )
        let categoryCount = categoryNames.count
        let keyCount = attributeKeys.count
        if parts.categories.contains(where: { $0 != ItemCatalog.noCategory && Int($0) >= categoryCount }) {
            throw SegmentError(
                path: itemsPath,
                column: RecommenderFiles.ItemColumn.category.rawValue,
                reason: .generation(detail: "a category index past category_name")
            )
        }
        if parts.attributeValues.contains(where: { Int($0) >= keyCount }) {
            throw SegmentError(
                path: itemsPath,
                column: RecommenderFiles.ItemColumn.attributeValue.rawValue,
                reason: .generation(detail: "an attribute index past attribute_key")
            )
        }
        do {
            model = try RecommenderModel(
                parts: parts,
                itemCount: itemIDs.count,
                userCount: userIDs.count,
                newestTimestampSeconds: manifest.newestTimestampSeconds,
                settings: manifest.settings,
                owner: generation
            )
        } catch let error as RecommenderModel.InvalidModel {
            throw SegmentError(
                path: itemsPath,
                reason: .generation(detail: "inconsistent recommender: \(error.description)")
            )
        }
        engine = RecommendationEngine(model: model)
    }

    /// The category index of `name`, or `nil` when no item has it.
    public func categoryIndex(_ name: String) -> UInt32? {
        categoryNames.firstIndex(of: name).map(UInt32.init)
    }

    /// The attribute-value index of `name = value`, or `nil` when no item has it.
    public func attributeIndex(name: String, value: String) -> UInt32? {
        attributeKeys.row(for: ItemCatalog.attributeKey(name: name, value: value)).map(UInt32.init)
    }
}

public import AampeSegments
import Foundation

/// The recommender's files in a generation:
///
/// - `items.seg` (kind `items`): the item dictionary (`item_id`, row = dense item index), the neighbour
///   table (`neighbour_offsets`, `neighbour_item`, `neighbour_score`), `popularity`, `popular_order`,
///   `trending_score`, `trending_order`, and the catalog as of training (`category` with
///   `category_name`, `price`, `availability`, `attribute_offsets`, `attribute_value` with
///   `attribute_key`). Every column is RAW: the daemon reads them in place from the mapping.
/// - `users.seg` (kind `history`): the user dictionary (`user_id`) and each user's recent items
///   (`history_offsets`, `history_item`, `history_weight`, `history_last_seen`, `history_last_purchase`).
/// - `recommender.json`: the settings, the newest interaction and training statistics.
///
/// `proto-spec/segment-format.md` lists the same columns for readers in other languages.
public enum RecommenderFiles {
    public static let itemsFile = "items.seg"
    public static let usersFile = "users.seg"
    public static let manifestFile = "recommender.json"

    /// What `recommender.json` holds.
    public struct Manifest: Codable, Sendable, Hashable {
        public var settings: RecommenderSettings
        /// Seconds since the epoch.
        public var newestTimestamp: Int64
        public var trainedAt: String
        public var itemCount: Int
        public var userCount: Int
        public var statistics: TrainingStatistics

        enum CodingKeys: String, CodingKey {
            case settings
            case newestTimestamp = "newest_timestamp"
            case trainedAt = "trained_at"
            case itemCount = "item_count"
            case userCount = "user_count"
            case statistics
        }
    }

    /// Writes the three files into `folder` (a generation being built).
    public static func write(
        _ trained: TrainedRecommender,
        catalog: ItemCatalog,
        itemIDs: [String],
        userIDs: [String],
        folder: String,
        trainedAt: String
    ) throws {
        precondition(itemIDs.count == trained.itemCount && userIDs.count == trained.userCount, "dictionaries must match the model")
        let items = try SegmentWriter(path: folder + "/" + itemsFile, kind: .items)
        try items.writeDictionaryColumn("item_id", keys: itemIDs)
        try items.writeColumn("neighbour_offsets", values: trained.neighbourOffsets)
        try items.writeColumn("neighbour_item", values: trained.neighbourItems)
        try items.writeColumn("neighbour_score", values: trained.neighbourScores)
        try items.writeColumn("popularity", values: trained.popularity)
        try items.writeColumn("popular_order", values: trained.popularOrder)
        try items.writeColumn("trending_score", values: trained.trendingScores)
        try items.writeColumn("trending_order", values: trained.trendingOrder)
        try items.writeColumn("category", values: catalog.categories)
        try items.writeStringColumn("category_name", values: catalog.categoryNames)
        try items.writeColumn("price", values: catalog.prices)
        try items.writeColumn("availability", values: catalog.availability)
        try items.writeColumn("attribute_offsets", values: catalog.attributeOffsets)
        try items.writeColumn("attribute_value", values: catalog.attributeValues)
        try items.writeDictionaryColumn("attribute_key", keys: catalog.attributeKeys)
        try items.finish()

        let users = try SegmentWriter(path: folder + "/" + usersFile, kind: .history)
        try users.writeDictionaryColumn("user_id", keys: userIDs)
        try users.writeColumn("history_offsets", values: trained.historyOffsets)
        try users.writeColumn("history_item", values: trained.historyItems)
        try users.writeColumn("history_weight", values: trained.historyWeights)
        try users.writeColumn("history_last_seen", values: trained.historyLastSeen)
        try users.writeColumn("history_last_purchase", values: trained.historyLastPurchase)
        try users.finish()

        let manifest = Manifest(
            settings: trained.settings,
            newestTimestamp: trained.newestTimestamp,
            trainedAt: trainedAt,
            itemCount: trained.itemCount,
            userCount: trained.userCount,
            statistics: trained.statistics
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/" + manifestFile))
    }

    /// Whether `generation` holds a recommender.
    public static func isPresent(in generation: Generation) -> Bool {
        generation.segments[itemsFile] != nil && generation.segments[usersFile] != nil
    }
}

/// A generation's recommender, mapped: the model view plus the dictionaries that translate external ids
/// and catalog names to the indices the model uses.
public final class ServedRecommender: Sendable {
    public let generation: Generation
    public let model: RecommenderModel
    public let engine: RecommendationEngine
    public let manifest: RecommenderFiles.Manifest
    public let itemIDs: DictionaryColumn
    public let userIDs: DictionaryColumn
    public let categoryNames: [String]
    public let attributeKeys: DictionaryColumn

    /// Maps and checks the recommender files of `generation`. Errors name the file and the column.
    public init(generation: Generation) throws {
        let itemsPath = generation.path + "/" + RecommenderFiles.itemsFile
        let items = try generation.segment(RecommenderFiles.itemsFile)
        let users = try generation.segment(RecommenderFiles.usersFile)
        let manifestPath = generation.path + "/" + RecommenderFiles.manifestFile
        let manifest: RecommenderFiles.Manifest
        do {
            manifest = try JSONDecoder().decode(RecommenderFiles.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        } catch {
            throw SegmentError(path: manifestPath, reason: .generation(detail: "unreadable recommender manifest: \(error)"))
        }
        self.generation = generation
        self.manifest = manifest
        itemIDs = try items.dictionaryColumn("item_id")
        userIDs = try users.dictionaryColumn("user_id")
        attributeKeys = try items.dictionaryColumn("attribute_key")
        let names = try items.bytesColumn("category_name")
        categoryNames = try (0..<names.count).map { try names.string(at: $0) }

        func raw<T: SegmentScalar>(_ reader: SegmentReader, _ name: String, _ type: T.Type) throws -> UnsafeBufferPointer<T> {
            let column = try reader.scalarColumn(name, as: T.self)
            guard let values = column.rawValues else {
                throw SegmentError(path: reader.path, column: name, reason: .generation(detail: "the recommender needs RAW columns"))
            }
            return values
        }
        let parts = RecommenderModel.Parts(
            neighbourOffsets: try raw(items, "neighbour_offsets", UInt64.self),
            neighbourItems: try raw(items, "neighbour_item", UInt32.self),
            neighbourScores: try raw(items, "neighbour_score", Float.self),
            popularity: try raw(items, "popularity", Float.self),
            popularOrder: try raw(items, "popular_order", UInt32.self),
            trendingScores: try raw(items, "trending_score", Float.self),
            trendingOrder: try raw(items, "trending_order", UInt32.self),
            historyOffsets: try raw(users, "history_offsets", UInt64.self),
            historyItems: try raw(users, "history_item", UInt32.self),
            historyWeights: try raw(users, "history_weight", Float.self),
            historyLastSeen: try raw(users, "history_last_seen", UInt32.self),
            historyLastPurchase: try raw(users, "history_last_purchase", UInt32.self),
            categories: try raw(items, "category", UInt32.self),
            prices: try raw(items, "price", Double.self),
            availability: try raw(items, "availability", UInt8.self),
            attributeOffsets: try raw(items, "attribute_offsets", UInt64.self),
            attributeValues: try raw(items, "attribute_value", UInt32.self)
        )
        let categoryCount = categoryNames.count
        let keyCount = attributeKeys.count
        if parts.categories.contains(where: { $0 != ItemCatalog.noCategory && Int($0) >= categoryCount }) {
            throw SegmentError(path: itemsPath, column: "category", reason: .generation(detail: "a category index past category_name"))
        }
        if parts.attributeValues.contains(where: { Int($0) >= keyCount }) {
            throw SegmentError(path: itemsPath, column: "attribute_value", reason: .generation(detail: "an attribute index past attribute_key"))
        }
        do {
            model = try RecommenderModel(
                parts: parts, itemCount: itemIDs.count, userCount: userIDs.count,
                newestTimestamp: manifest.newestTimestamp, settings: manifest.settings, owner: generation
            )
        } catch let error as RecommenderModel.InvalidModel {
            throw SegmentError(path: itemsPath, reason: .generation(detail: "inconsistent recommender: \(error.description)"))
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

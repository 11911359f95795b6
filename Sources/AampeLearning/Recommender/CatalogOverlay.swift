internal import AampeCore
internal import AampeSegments

/// A change to one item's price or stock that a TRACK `item_updated` event reported, each field with the
/// time it was reported, so that a catalog row written later can supersede it field by field.
public struct CatalogPatch: Sendable, Hashable {
    /// The new price; `nil`: unchanged.
    public var price: Double?
    /// When ``price`` was reported, microseconds since the epoch.
    public var priceAtMicros: Int64 = 0
    /// The new stock state; `nil`: unchanged.
    public var availability: ItemCatalog.Availability?
    /// When ``availability`` was reported, microseconds since the epoch.
    public var availabilityAtMicros: Int64 = 0

    /// A patch that changes nothing.
    public init() {}

    /// Whether the patch changes nothing.
    public var isEmpty: Bool { price == nil && availability == nil }

    /// Takes each field of `newer` that was reported at or after this one's.
    public mutating func merge(_ newer: CatalogPatch) {
        if let price = newer.price, newer.priceAtMicros >= priceAtMicros || self.price == nil {
            self.price = price
            priceAtMicros = newer.priceAtMicros
        }
        if let availability = newer.availability,
            newer.availabilityAtMicros >= availabilityAtMicros || self.availability == nil
        {
            self.availability = availability
            availabilityAtMicros = newer.availabilityAtMicros
        }
    }

    /// Forgets the fields reported at or before `micros`: a catalog row written then says the item's
    /// state as of a later moment, so it wins.
    public mutating func forget(notAfterMicros micros: Int64) {
        if price != nil && priceAtMicros <= micros { price = nil }
        if availability != nil && availabilityAtMicros <= micros { availability = nil }
    }
}

/// The catalog changes a generation does not hold yet, laid over its catalog: rows imported since
/// training (changed items and items new since training) and TRACK `item_updated` patches.
///
/// Immutable, and swapped whole (copy-on-write): the daemon builds a new overlay from its last catalog
/// read and patches on every change and publishes it with one reference swap, so a request reads one
/// consistent overlay from start to end. An overlay belongs to one generation (``generationNumber``): its
/// category and attribute indices extend that generation's, and a request served from another
/// generation ignores it.
///
/// Items new since training get the indices the data directory gave them (from the generation's item
/// count up, possibly with gaps for items that only have events); they have no neighbours, score zero in
/// backfill, and come after every known item there. Filters see an item's overlay entry instead of the
/// generation's row. Each overlay has its own ``FilterCache``, so bitmaps never mix catalog versions,
/// and a request without an overlay takes the generation's path unchanged.
public final class CatalogOverlay: Sendable {
    /// One item's catalog as the overlay says it is, in the generation's index terms (extended).
    public struct Entry: Sendable, Hashable {
        /// A category index (the generation's, or one of the overlay's past them), or
        /// ``ItemCatalog/noCategory``.
        public var category: UInt32
        /// NaN when unknown.
        public var price: Double
        /// An ``ItemCatalog/Availability`` raw value.
        public var availability: UInt8
        /// Attribute-value indices (the generation's, or the overlay's past them), sorted.
        public var attributeValues: [UInt32]
    }

    /// The generation whose catalog this overlay extends.
    public let generationNumber: UInt64
    /// Counts up with every overlay the daemon publishes.
    public let version: UInt64
    /// Items in the generation; indices at and past it are new since training.
    public let baseItemCount: Int
    /// One past the largest item index the overlay knows: the scratch size a request needs.
    public let itemCount: Int
    /// The items new since training that the overlay lists, in index order: backfill's tail.
    public let newItems: [UInt32]
    let entries: [UInt32: Entry]
    private let changedWords: [UInt64]
    private let newItemIDs: [UInt32: String]
    private let newItemIndex: [String: UInt32]
    private let extraCategories: [String: UInt32]
    private let extraAttributes: [String: UInt32]
    let filterCache = FilterCache()

    /// Items whose catalog the overlay changes or adds.
    public var entryCount: Int { entries.count }

    /// An overlay over `served`'s catalog: `rows` (dense item index → the catalog row as imported) replace
    /// the generation's rows, `patches` apply on top (the caller has already dropped patch fields that a
    /// row supersedes), and rows of items past the generation's need their id in `newItemIDs`. A patch of
    /// an item new since training without a row is left out: nothing says what the item is.
    public convenience init(
        served: ServedRecommender,
        version: UInt64,
        rows: [Int: CatalogRecord],
        newItemIDs: [Int: String],
        patches: [Int: CatalogPatch]
    ) {
        let model = served.model
        let base = model.itemCount
        var extraCategories: [String: UInt32] = [:]
        var extraAttributes: [String: UInt32] = [:]
        let baseCategoryCount = UInt32(served.categoryNames.count)
        let baseAttributeCount = UInt32(served.attributeKeys.count)

        func category(_ name: String?) -> UInt32 {
            guard let name else { return ItemCatalog.noCategory }
            if let index = served.categoryIndex(name) { return index }
            if let index = extraCategories[name] { return index }
            let index = baseCategoryCount + UInt32(extraCategories.count)
            extraCategories[name] = index
            return index
        }
        func attribute(_ name: String, _ value: String) -> UInt32 {
            if let index = served.attributeIndex(name: name, value: value) { return index }
            let key = ItemCatalog.attributeKey(name: name, value: value)
            if let index = extraAttributes[key] { return index }
            let index = baseAttributeCount + UInt32(extraAttributes.count)
            extraAttributes[key] = index
            return index
        }

        var entries: [UInt32: Entry] = [:]
        var ids: [UInt32: String] = [:]
        // Sorted, so the interned indices do not depend on dictionary order.
        for (item, row) in rows.sorted(by: { $0.key < $1.key }) {
            if item >= base {
                guard let id = newItemIDs[item] else { continue }
                ids[UInt32(item)] = id
            }
            var values: [UInt32] = []
            for (name, list) in row.attributes.sorted(by: { $0.key < $1.key }) {
                for value in list { values.append(attribute(name, value)) }
            }
            values.sort()
            entries[UInt32(item)] = Entry(
                category: category(row.category),
                price: row.price ?? .nan,
                availability: (row.isInStock.map { $0 ? ItemCatalog.Availability.inStock : .outOfStock } ?? .unknown)
                    .rawValue,
                attributeValues: values
            )
        }
        Self.apply(patches, to: &entries, model: model)
        let itemCount = max(base, (entries.keys.max().map { Int($0) + 1 }) ?? 0)
        var words = [UInt64](repeating: 0, count: max(1, (itemCount + 63) / 64))
        for item in entries.keys { words[Int(item) >> 6] |= 1 << UInt64(item & 63) }
        self.init(
            generationNumber: served.generation.number.rawValue,
            version: version,
            baseItemCount: base,
            itemCount: itemCount,
            entries: entries,
            changedWords: words,
            newItemIDs: ids,
            newItemIndex: Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) }),
            extraCategories: extraCategories,
            extraAttributes: extraAttributes
        )
    }

    private init(
        generationNumber: UInt64,
        version: UInt64,
        baseItemCount: Int,
        itemCount: Int,
        entries: [UInt32: Entry],
        changedWords: [UInt64],
        newItemIDs: [UInt32: String],
        newItemIndex: [String: UInt32],
        extraCategories: [String: UInt32],
        extraAttributes: [String: UInt32]
    ) {
        self.generationNumber = generationNumber
        self.version = version
        self.baseItemCount = baseItemCount
        self.itemCount = itemCount
        self.entries = entries
        self.changedWords = changedWords
        self.newItems = newItemIDs.keys.sorted()
        self.newItemIDs = newItemIDs
        self.newItemIndex = newItemIndex
        self.extraCategories = extraCategories
        self.extraAttributes = extraAttributes
    }

    /// This overlay with `patches` (dense item index → the item's whole patch, older fields merged in)
    /// applied on top, as version `version`: what a TRACK `item_updated` publishes. It copies the entry
    /// table rather than re-reading every row (re-interning 20,000 rows took about 60 ms, on the event
    /// loop), and leaves the rows' names, the new items and their ids as they are.
    public func updating(_ patches: [Int: CatalogPatch], version: UInt64, model: RecommenderModel) -> CatalogOverlay {
        precondition(model.itemCount == baseItemCount, "an overlay updated over another model")
        var entries = self.entries
        var words = changedWords
        Self.apply(patches, to: &entries, model: model)
        for item in patches.keys where entries[UInt32(item)] != nil {
            words[item >> 6] |= 1 << UInt64(item & 63)
        }
        return CatalogOverlay(
            generationNumber: generationNumber,
            version: version,
            baseItemCount: baseItemCount,
            itemCount: itemCount,
            entries: entries,
            changedWords: words,
            newItemIDs: newItemIDs,
            newItemIndex: newItemIndex,
            extraCategories: extraCategories,
            extraAttributes: extraAttributes
        )
    }

    /// Applies each patch to its item's entry, made from the generation's row when the item has none. A
    /// patch of an item new since training without a row is left out: nothing says what the item is.
    private static func apply(
        _ patches: [Int: CatalogPatch],
        to entries: inout [UInt32: Entry],
        model: RecommenderModel
    ) {
        for (item, patch) in patches where !patch.isEmpty {
            let key = UInt32(item)
            var entry: Entry
            if let existing = entries[key] {
                entry = existing
            } else if item < model.itemCount {
                entry = Entry(
                    category: model.categories[item],
                    price: model.prices[item],
                    availability: model.baseAvailability[item],
                    attributeValues: Array(model.attributeValues(of: item))
                )
            } else {
                continue
            }
            if let price = patch.price { entry.price = price }
            if let availability = patch.availability { entry.availability = availability.rawValue }
            entries[key] = entry
        }
    }

    /// The overlay's entry for `item`, or `nil` when the generation's row stands.
    @inline(__always) func entry(_ item: Int) -> Entry? {
        guard item < itemCount, changedWords[item >> 6] & (1 << UInt64(item & 63)) != 0 else { return nil }
        return entries[UInt32(item)]
    }

    /// The dense index of an item new since training, by its external id.
    public func newItemIndex(_ id: String) -> UInt32? { newItemIndex[id] }

    /// The external id of an item new since training.
    public func newItemID(_ item: UInt32) -> String? { newItemIDs[item] }

    /// A category index past the generation's, for a name only overlay rows use.
    public func extraCategoryIndex(_ name: String) -> UInt32? { extraCategories[name] }

    /// An attribute-value index past the generation's, for a value only overlay rows use.
    public func extraAttributeIndex(name: String, value: String) -> UInt32? {
        extraAttributes[ItemCatalog.attributeKey(name: name, value: value)]
    }

    /// Whether `entry` passes `filter`: ``RecommendationEngine/passes(_:_:_:)``'s rules on the overlay's row.
    static func passes(_ entry: Entry, _ filter: ItemFilter) -> Bool {
        let state = entry.availability
        if state == ItemCatalog.Availability.notInCatalog.rawValue { return false }
        if filter.inStockOnly && state == ItemCatalog.Availability.outOfStock.rawValue { return false }
        if let categories = filter.categories, !categories.contains(entry.category) { return false }
        if filter.minimumPrice != nil || filter.maximumPrice != nil {
            guard !entry.price.isNaN else { return false }
            if let minimum = filter.minimumPrice, entry.price < minimum { return false }
            if let maximum = filter.maximumPrice, entry.price > maximum { return false }
        }
        for condition in filter.attributeConditions {
            guard entry.attributeValues.contains(where: { condition.contains($0) }) else { return false }
        }
        return true
    }
}

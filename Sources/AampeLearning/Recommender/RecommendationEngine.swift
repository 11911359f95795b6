internal import AampeCore
import Synchronization

/// Where a recommended item came from.
public enum RecommendationSource: UInt8, Sendable, Hashable, Codable {
    /// Scored from the neighbours of the user's items; `becauseOf` names the strongest contributor.
    case neighbour = 1
    /// The item is among the most popular (distinct users in training) that passed the filter.
    case popular = 2
    /// The item is among the trending ones (see ``TrainedRecommender/trendingScores``) that passed the filter.
    case trending = 3
}

/// Catalog conditions an item must meet. Filters apply to every source, after scoring and backfill
/// lists alike, so a filtered-out item never leaks through.
public struct ItemFilter: Sendable, Hashable {
    /// Any of these categories; `nil`: any category. An empty list matches nothing (every name asked
    /// for was unknown).
    public var categories: [UInt32]? = nil
    /// Every condition must hold: the item has at least one of the condition's attribute values. A
    /// condition with no values (all unknown) matches nothing.
    public var attributeConditions: [[UInt32]] = []
    /// Leave out items the catalog lists as out of stock (unknown stock counts as in stock).
    public var inStockOnly = false
    /// Inclusive price bounds; an item without a price fails any bound.
    public var minimumPrice: Double? = nil
    /// Inclusive upper price bound, in the catalog's currency; `nil`: none.
    public var maximumPrice: Double? = nil

    /// A filter that lets every catalog item through, out-of-stock ones included.
    public init() {}
}

/// One request's settings, in model terms (indices, seconds).
public struct RecommendationOptions: Sendable {
    /// The most items to return. The answer is shorter when scoring and backfill run out of items that pass.
    public var count: Int
    /// Catalog conditions every returned item meets.
    public var filter = ItemFilter()
    /// Items never returned, as dense indices; indices outside the model are ignored.
    public var excludeItems: [UInt32] = []
    /// Leave out items in the user's history (and the context items), except those whose last
    /// interaction is at least `repeatAfterSeconds` old when that is positive.
    public var excludeSeen = true
    /// Seconds after the last interaction from which a seen item may come back; 0 or less: never.
    public var repeatAfterSeconds: Int64 = 0
    /// Leave out items bought or recommended less than this long ago, whatever `excludeSeen` says.
    public var cooldownSeconds: Int64 = 0
    /// The request's time, seconds since the epoch.
    public var nowSeconds: Int64
    /// Backfill sources in order; the default is popularity.
    public var backfill: [RecommendationSource] = [.popular]

    /// Options for `count` items at `nowSeconds` since the epoch, with the defaults for everything else.
    public init(count: Int, nowSeconds: Int64) {
        self.count = count
        self.nowSeconds = nowSeconds
    }
}

/// One recommended item.
public struct RecommendedItem: Sendable, Hashable {
    /// The item's dense index.
    public var item: UInt32
    /// The score the item was ranked by: A·S for `.neighbour`, popularity or trending score for backfill.
    public var score: Float
    /// Which ranking the item came from.
    public var source: RecommendationSource
    /// For `.neighbour`: the history or context item that contributed most.
    public var becauseOf: UInt32?

    /// An item with its score and source.
    public init(item: UInt32, score: Float, source: RecommendationSource, becauseOf: UInt32?) {
        self.item = item
        self.score = score
        self.source = source
        self.becauseOf = becauseOf
    }
}

/// Scores users against a model: A·S, the user's decayed affinities times the neighbour similarities,
/// then exclusions, filters, the top `count`, and backfill with source tags.
///
/// Safe to call from any number of threads at once. Each call borrows a scratch area (one 16-byte slot per
/// item, reset through the list of entries touched) from a small pool, so a request costs time in the
/// size of its neighbourhood, not of the catalog, and allocates almost nothing.
///
/// A filter seen again is answered from a bitmap of the items that pass it, built once per engine (so per
/// generation) and kept in a small cache (``FilterCache``): the filter becomes one bit test per
/// candidate, and backfill walks a precomputed list of the popular (or trending) items that pass.
///
/// Make one engine per model view and share it: ``ServedRecommender`` holds the one for its generation,
/// and a retrain brings a new view and a new engine rather than changing this one. The engine keeps its
/// ``model`` alive; its pool holds at most 64 scratch areas of about 24 bytes per item each. Item indices
/// are the model's dense indices; translating external ids is the caller's work.
public final class RecommendationEngine: Sendable {
    /// The model scored against. The engine keeps it, and so its memory, alive.
    public let model: RecommenderModel
    private let scratchPool = Mutex<[Scratch]>([])
    private let filterCache = FilterCache()
    private let filterPrefixLength: Int

    /// An engine over `model`, with an empty scratch pool and filter cache.
    public convenience init(model: RecommenderModel) {
        self.init(model: model, filterPrefixLength: Limits.filterBackfillPrefixItems)
    }

    /// An engine whose cached filters list `filterPrefixLength` backfill items in advance (tests use a
    /// short prefix to reach the walk past it).
    init(model: RecommenderModel, filterPrefixLength: Int) {
        self.model = model
        self.filterPrefixLength = filterPrefixLength
    }

    /// Recommendations for a user with `history` (trained plus real-time entries), `context` items from
    /// the session, and items recommended recently (for the cool-down). An empty history and context
    /// gives the backfill alone: cold start. With `overlay` (built over this engine's generation), its
    /// rows stand in for the generation's in filters, and its new items follow each backfill order.
    public func recommend(
        history: [HistoryEntry],
        context: [UInt32] = [],
        recentlyRecommended: [(item: UInt32, atSeconds: Int64)] = [],
        options: RecommendationOptions,
        availability: UnsafeBufferPointer<UInt8>? = nil,
        overlay: CatalogOverlay? = nil
    ) -> [RecommendedItem] {
        precondition(overlay.map { $0.baseItemCount == model.itemCount } ?? true, "an overlay of another model")
        let scratch = borrow(capacity: overlay?.itemCount ?? model.itemCount)
        // The area is a local struct: its counters and pointers are checked for exclusive access at
        // compile time, where the class's `var` properties cost two runtime calls per access.
        var area = scratch.area
        defer {
            area.reset()
            giveBack(scratch)
        }
        let availability = availability ?? model.baseAvailability
        // A caller's availability must cover every item: filters index it by item without a check.
        precondition(availability.count == model.itemCount, "availability must have one byte per item")
        let bits = filterBits(options.filter, availability, overlay)
        score(
            history: history,
            context: context,
            recentlyRecommended: recentlyRecommended,
            options: options,
            // Items the request may name: the overlay's new items too (they can be excluded, not scored).
            catalogCount: overlay?.itemCount ?? model.itemCount,
            area: &area
        )

        var result = best(options.count, of: area) { candidate in
            bits?.contains(Int(candidate)) ?? passes(Int(candidate), options.filter, availability, overlay: overlay)
        }
        for item in result { area.exclude(item.item) }
        backfill(&result, options: options, area: &area, availability: availability, bits: bits, overlay: overlay)
        return result
    }

    /// Trained user `user`'s answer from the generation's served list (``ServedLists``): the same items,
    /// scores, sources and order as ``recommend(history:context:recentlyRecommended:options:availability:overlay:)``
    /// gives for the user's trained history with no context and nothing recommended recently, without
    /// scoring. The list holds the user's best `length` neighbour-scored items past their own history, so
    /// the first `count` of them that pass the filter and are not excluded are the scored answer's; when
    /// fewer pass, the answer is backfilled only if the list held every candidate (it is shorter than
    /// `length`).
    ///
    /// `nil` when the list cannot answer exactly: the generation has no lists, the request keeps seen items
    /// (`excludeSeen` off) or some of them have come back (`repeatAfterSeconds`), or too few listed items
    /// pass and the list was cut. The caller then scores.
    public func recommendFromServedList(
        user: Int,
        options: RecommendationOptions,
        overlay: CatalogOverlay? = nil
    ) -> [RecommendedItem]? {
        guard let lists = model.servedLists, options.excludeSeen, user >= 0, user < model.userCount else { return nil }
        precondition(overlay.map { $0.baseItemCount == model.itemCount } ?? true, "an overlay of another model")
        // Read only when needed: each of these mapped columns is a likely cache miss per request.
        var history: Range<Int> { Int(model.historyOffsets[user])..<Int(model.historyOffsets[user + 1]) }
        if options.repeatAfterSeconds > 0 {
            // A seen item that may come back is a candidate the list left out.
            for index in history
            where options.nowSeconds - Int64(model.historyLastSeenSeconds[index]) >= options.repeatAfterSeconds {
                return nil
            }
        }
        let availability = model.baseAvailability
        let bits = filterBits(options.filter, availability, overlay)
        let listed = Int(lists.offsets[user])..<Int(lists.offsets[user + 1])
        var result: [RecommendedItem] = []
        result.reserveCapacity(options.count)
        for position in listed where result.count < options.count {
            let item = lists.items[position]
            guard !options.excludeItems.contains(item),
                bits?.contains(Int(item)) ?? passes(Int(item), options.filter, availability, overlay: overlay)
            else { continue }
            result.append(
                RecommendedItem(
                    item: item,
                    score: lists.scores[position],
                    source: .neighbour,
                    becauseOf: lists.because[position]
                )
            )
        }
        if result.count == options.count { return result }
        // A cut list may have left out items that pass this filter, ranked before any backfill.
        guard listed.count < lists.length else { return nil }
        let catalogCount = overlay?.itemCount ?? model.itemCount
        let scratch = borrow(capacity: catalogCount)
        var area = scratch.area
        defer {
            area.reset()
            giveBack(scratch)
        }
        for index in history { area.exclude(model.historyItems[index]) }
        for item in options.excludeItems where Int(item) < catalogCount { area.exclude(item) }
        for item in result { area.exclude(item.item) }
        backfill(&result, options: options, area: &area, availability: availability, bits: bits, overlay: overlay)
        return result
    }

    /// The best `length` neighbour-scored items for `history` with every history item excluded, best
    /// first: a user's served list, ranked exactly as ``recommend(history:context:recentlyRecommended:options:availability:overlay:)``
    /// ranks before its filter.
    func servedList(history: [HistoryEntry], length: Int) -> [RecommendedItem] {
        let scratch = borrow(capacity: model.itemCount)
        var area = scratch.area
        defer {
            area.reset()
            giveBack(scratch)
        }
        // Every seen item excluded, whenever seen: the list is valid while none has come back.
        var options = RecommendationOptions(count: length, nowSeconds: model.newestTimestampSeconds)
        options.repeatAfterSeconds = 0
        score(
            history: history,
            context: [],
            recentlyRecommended: [],
            options: options,
            catalogCount: model.itemCount,
            area: &area
        )
        // No filter: the list serves every filter, applied when answering.
        return best(length, of: area) { _ in true }
    }

    /// The best `count` scored candidates of `area` that are not excluded and that `passes`, best first,
    /// tagged `neighbour` with their strongest contributor. `passes` is asked only of a candidate that
    /// would be kept, since a filter costs more than the comparison.
    @inline(__always)
    private func best(_ count: Int, of area: ScratchArea, passes: (UInt32) -> Bool) -> [RecommendedItem] {
        var chosen = TopItems(capacity: count)
        for position in 0..<area.touchedCount {
            let candidate = area.touched[position]
            let slot = area.slots[Int(candidate)]
            guard slot.flags & ScratchArea.excluded == 0, slot.score > 0, chosen.wouldKeep(slot.score, candidate),
                passes(candidate)
            else { continue }
            chosen.offer(
                RecommendedItem(item: candidate, score: slot.score, source: .neighbour, becauseOf: slot.because)
            )
        }
        return chosen.items
    }

    /// Exclusions, then A·S, into `area`: what ``recommend(history:context:recentlyRecommended:options:availability:overlay:)``
    /// and the served lists' computation share, so that both rank by the same sums in the same order.
    @inline(__always)
    private func score(
        history: [HistoryEntry],
        context: [UInt32],
        recentlyRecommended: [(item: UInt32, atSeconds: Int64)],
        options: RecommendationOptions,
        catalogCount: Int,
        area: inout ScratchArea
    ) {
        let itemCount = model.itemCount
        // Exclusions first, so scoring can skip them.
        for entry in history where Int(entry.item) < itemCount {
            let seenIsFresh =
                options.repeatAfterSeconds <= 0
                || options.nowSeconds - Int64(entry.lastSeenSeconds) < options.repeatAfterSeconds
            if options.excludeSeen && seenIsFresh { area.exclude(entry.item) }
            if options.cooldownSeconds > 0 && entry.lastPurchaseSeconds > 0
                && options.nowSeconds - Int64(entry.lastPurchaseSeconds) < options.cooldownSeconds
            {
                area.exclude(entry.item)
            }
        }
        if options.excludeSeen { for item in context where Int(item) < catalogCount { area.exclude(item) } }
        for item in options.excludeItems where Int(item) < catalogCount { area.exclude(item) }
        if options.cooldownSeconds > 0 {
            for (item, atSeconds) in recentlyRecommended
            where Int(item) < catalogCount && options.nowSeconds - atSeconds < options.cooldownSeconds {
                area.exclude(item)
            }
        }

        // A·S.
        for entry in history where Int(entry.item) < itemCount && entry.weight > 0 {
            area.accumulate(from: entry.item, weight: entry.weight, model: model)
        }
        for item in context where Int(item) < itemCount {
            area.accumulate(from: item, weight: 1, model: model)
        }
    }

    /// Items like `item`: its neighbours that pass the filter, backfilled. `nil` item: an item unknown
    /// to this model (new since training), answered from the backfill alone. `overlay` as for
    /// ``recommend(history:context:recentlyRecommended:options:availability:overlay:)``.
    public func similarItems(
        to item: UInt32?,
        options: RecommendationOptions,
        availability: UnsafeBufferPointer<UInt8>? = nil,
        overlay: CatalogOverlay? = nil
    ) -> [RecommendedItem] {
        precondition(overlay.map { $0.baseItemCount == model.itemCount } ?? true, "an overlay of another model")
        let scratch = borrow(capacity: overlay?.itemCount ?? model.itemCount)
        var area = scratch.area
        defer {
            area.reset()
            giveBack(scratch)
        }
        let availability = availability ?? model.baseAvailability
        // A caller's availability must cover every item: filters index it by item without a check.
        precondition(availability.count == model.itemCount, "availability must have one byte per item")
        let bits = filterBits(options.filter, availability, overlay)
        let catalogCount = overlay?.itemCount ?? model.itemCount
        for excluded in options.excludeItems where Int(excluded) < catalogCount { area.exclude(excluded) }
        var result: [RecommendedItem] = []
        if let item, Int(item) < model.itemCount {
            area.exclude(item)
            let (items, scores) = model.neighbours(of: Int(item))
            for position in 0..<items.count where result.count < options.count {
                let neighbour = items[position]
                guard !area.isExcluded(neighbour),
                    bits?.contains(Int(neighbour))
                        ?? passes(Int(neighbour), options.filter, availability, overlay: overlay)
                else { continue }
                area.exclude(neighbour)
                result.append(
                    RecommendedItem(item: neighbour, score: scores[position], source: .neighbour, becauseOf: item)
                )
            }
        }
        backfill(&result, options: options, area: &area, availability: availability, bits: bits, overlay: overlay)
        return result
    }

    /// Whether `item` passes `filter` with the given availability; an item `overlay` lists is judged by
    /// its overlay row, and an item past the model that it does not list fails.
    public func passes(
        _ item: Int,
        _ filter: ItemFilter,
        _ availability: UnsafeBufferPointer<UInt8>,
        overlay: CatalogOverlay? = nil
    ) -> Bool {
        if let overlay {
            if let entry = overlay.entry(item) { return CatalogOverlay.passes(entry, filter) }
            guard item < model.itemCount else { return false }
        }
        let state = availability[item]
        if state == ItemCatalog.Availability.notInCatalog.rawValue { return false }
        if filter.inStockOnly && state == ItemCatalog.Availability.outOfStock.rawValue { return false }
        if let categories = filter.categories, !categories.contains(model.categories[item]) { return false }
        if filter.minimumPrice != nil || filter.maximumPrice != nil {
            let price = model.prices[item]
            guard !price.isNaN else { return false }
            if let minimum = filter.minimumPrice, price < minimum { return false }
            if let maximum = filter.maximumPrice, price > maximum { return false }
        }
        if !filter.attributeConditions.isEmpty {
            let values = model.attributeValues(of: item)
            for condition in filter.attributeConditions {
                guard values.contains(where: { condition.contains($0) }) else { return false }
            }
        }
        return true
    }

    /// The cached bitmap of `filter`, when the request filters against the generation's own availability
    /// (a bitmap describes that one only) and the filter has been seen before; `nil`: test item by item.
    /// With an overlay, the overlay's own cache: a bitmap describes one catalog version.
    private func filterBits(
        _ filter: ItemFilter,
        _ availability: UnsafeBufferPointer<UInt8>,
        _ overlay: CatalogOverlay?
    ) -> FilterBits? {
        guard availability.baseAddress == model.baseAvailability.baseAddress else { return nil }
        if let overlay {
            return overlay.filterCache.bits(for: filter) {
                FilterBits(engine: self, filter: filter, overlay: overlay, prefixLength: filterPrefixLength)
            }
        }
        return filterCache.bits(for: filter) {
            FilterBits(engine: self, filter: filter, prefixLength: filterPrefixLength)
        }
    }

    private func backfill(
        _ result: inout [RecommendedItem],
        options: RecommendationOptions,
        area: inout ScratchArea,
        availability: UnsafeBufferPointer<UInt8>,
        bits: FilterBits?,
        overlay: CatalogOverlay?
    ) {
        // Items new since training follow each order, with score 0: nothing is known of their popularity.
        let appended = overlay?.newItems ?? []
        let modelItems = model.itemCount
        for source in options.backfill where result.count < options.count {
            let order = source == .trending ? model.trendingOrder : model.popularOrder
            let scores = source == .trending ? model.trendingScores : model.popularity
            let total = order.count + appended.count
            var position = 0
            if let bits {
                // The items that pass, in this order, up to the prefix's length: the walk skips only the
                // request's exclusions, not the catalog's misses.
                let (prefix, resume) = bits.backfillPrefix(source)
                for item in prefix where result.count < options.count {
                    guard !area.isExcluded(item) else { continue }
                    area.exclude(item)
                    let score = Int(item) < modelItems ? scores[Int(item)] : 0
                    result.append(RecommendedItem(item: item, score: score, source: source, becauseOf: nil))
                }
                position = resume
            }
            while position < total && result.count < options.count {
                let item = position < order.count ? order[position] : appended[position - order.count]
                position += 1
                let index = Int(item)
                guard !area.isExcluded(item),
                    bits?.contains(index) ?? passes(index, options.filter, availability, overlay: overlay)
                else { continue }
                area.exclude(item)
                let score = index < modelItems ? scores[index] : 0
                result.append(RecommendedItem(item: item, score: score, source: source, becauseOf: nil))
            }
        }
    }

    /// A scratch area for at least `capacity` items: the model's, or an overlay's, which grows with the
    /// items new since training. A pooled area too small for it is dropped and a larger one made, so the
    /// pool follows the overlay up once rather than allocating per request.
    private func borrow(capacity: Int) -> Scratch {
        if let scratch = scratchPool.withLock({ $0.popLast() }), scratch.capacity >= capacity { return scratch }
        return Scratch(itemCount: capacity)
    }

    private func giveBack(_ scratch: Scratch) {
        scratchPool.withLock { pool in
            // A handful per thread that ever called is plenty; more would only hold memory.
            if pool.count < 64 { pool.append(scratch) }
        }
    }
}

/// The per-item working state of one request.
struct ScratchSlot {
    /// Σ affinity × similarity so far.
    var score: Float = 0
    /// The largest single contribution so far (0 when none was positive), and the item that made it.
    var best: Float = 0
    var because: UInt32 = 0
    /// ``ScratchArea/excluded`` and ``ScratchArea/touchedFlag``.
    var flags: UInt8 = 0
}

/// The memory of a scratch area: one slot per item (one cache line per neighbour visited, where separate
/// arrays cost four), and room for every item in the touched and dirty lists, so appending never grows.
///
/// `@unchecked Sendable`: the memory is mutable, and one request owns a scratch at a time: it is taken
/// from the engine's pool under its `Mutex`, used by the calling thread only, reset, and put back under
/// the same `Mutex`, which orders one owner's writes before the next owner's reads.
final class Scratch: @unchecked Sendable {
    let slots: UnsafeMutablePointer<ScratchSlot>
    let touched: UnsafeMutablePointer<UInt32>
    let dirty: UnsafeMutablePointer<UInt32>
    /// The items the slots cover.
    let capacity: Int

    init(itemCount: Int) {
        let capacity = max(1, itemCount)
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: ScratchSlot(), count: capacity)
        // One more than the items: `accumulate` writes the entry past the count before deciding to keep it.
        touched = .allocate(capacity: capacity + 1)
        dirty = .allocate(capacity: capacity + 1)
    }

    deinit {
        slots.deallocate()
        touched.deallocate()
        dirty.deallocate()
    }

    /// A fresh view for one request; every slot is zero, as ``ScratchArea/reset()`` leaves it.
    var area: ScratchArea { ScratchArea(slots: slots, touched: touched, dirty: dirty) }
}

/// One request's view of a ``Scratch``: its pointers and counters as a value the request keeps in a
/// local, reset through the list of entries it changed.
struct ScratchArea {
    static let excluded: UInt8 = 1
    static let touchedFlag: UInt8 = 2
    let slots: UnsafeMutablePointer<ScratchSlot>
    /// Items with a score, in the order first reached: `touched[0 ..< touchedCount]`.
    let touched: UnsafeMutablePointer<UInt32>
    /// Items whose slot changed (scored or excluded), to reset: `dirty[0 ..< dirtyCount]`. An item enters
    /// once, when its flags leave zero, so neither list outgrows the item count.
    let dirty: UnsafeMutablePointer<UInt32>
    var touchedCount = 0
    var dirtyCount = 0

    init(
        slots: UnsafeMutablePointer<ScratchSlot>,
        touched: UnsafeMutablePointer<UInt32>,
        dirty: UnsafeMutablePointer<UInt32>
    ) {
        self.slots = slots
        self.touched = touched
        self.dirty = dirty
    }

    @inline(__always) func isExcluded(_ item: UInt32) -> Bool {
        slots[Int(item)].flags & Self.excluded != 0
    }

    @inline(__always) mutating func exclude(_ item: UInt32) {
        let slot = slots + Int(item)
        if slot.pointee.flags == 0 {
            dirty[dirtyCount] = item
            dirtyCount += 1
        }
        slot.pointee.flags |= Self.excluded
    }

    /// Adds `weight` × similarity to every neighbour of `item`.
    ///
    /// Without branches on the slot's state: each neighbour's slot is a likely cache miss, and a
    /// mispredicted branch on it (first touch or not, excluded or not: both unpredictable) would wait for
    /// that miss before the next neighbour's load could start; as selects, the misses overlap. Measured
    /// with `perf annotate`, the branchy loop spent half its samples on the two loads. So an excluded item
    /// gets a score too, and joins `touched`; the candidate loop skips it by its flag.
    mutating func accumulate(from item: UInt32, weight: Float, model: RecommenderModel) {
        let start = Int(model.neighbourOffsets[Int(item)])
        let end = Int(model.neighbourOffsets[Int(item) + 1])
        let neighbourItems = model.neighbourItems
        let neighbourScores = model.neighbourScores
        var touchedCount = self.touchedCount
        var dirtyCount = self.dirtyCount
        for position in start..<end {
            let other = neighbourItems[position]
            let slot = slots + Int(other)
            let flags = slot.pointee.flags
            let contribution = weight * neighbourScores[position]
            let isFirstTouch = flags & Self.touchedFlag == 0
            // An item enters each list at most once: `touched` on its first touch, `dirty` when its flags
            // leave zero. The slot past the count is written either way and overwritten by the next entry.
            touched[touchedCount] = other
            touchedCount &+= isFirstTouch ? 1 : 0
            dirty[dirtyCount] = other
            dirtyCount &+= flags == 0 ? 1 : 0
            let isBest = contribution > slot.pointee.best
            slot.pointee.score += contribution
            slot.pointee.best = isBest ? contribution : slot.pointee.best
            slot.pointee.because = isBest || isFirstTouch ? item : slot.pointee.because
            slot.pointee.flags = flags | Self.touchedFlag
        }
        self.touchedCount = touchedCount
        self.dirtyCount = dirtyCount
    }

    /// Zeroes every slot this request changed.
    mutating func reset() {
        for position in 0..<dirtyCount { slots[Int(dirty[position])] = ScratchSlot() }
        dirtyCount = 0
        touchedCount = 0
    }
}

/// The best `capacity` recommended items, highest score first and, on a tie, lowest item index first:
/// insertion into a short sorted array, with the comparison inlined (the generic ``TopList`` calls a
/// closure per comparison).
struct TopItems {
    let capacity: Int
    private(set) var items: [RecommendedItem] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    @inline(__always) private static func ranksBefore(_ score: Float, _ item: UInt32, _ other: RecommendedItem) -> Bool
    {
        score != other.score ? score > other.score : item < other.item
    }

    /// Whether an item with this score would be kept: a cheap test before the filter is evaluated.
    @inline(__always) func wouldKeep(_ score: Float, _ item: UInt32) -> Bool {
        capacity > 0 && (items.count < capacity || Self.ranksBefore(score, item, items[capacity - 1]))
    }

    mutating func offer(_ element: RecommendedItem) {
        guard wouldKeep(element.score, element.item) else { return }
        if items.count == capacity { items.removeLast() }
        var position = items.count
        while position > 0 && Self.ranksBefore(element.score, element.item, items[position - 1]) { position -= 1 }
        items.insert(element, at: position)
    }
}

/// The best `capacity` elements offered, kept in order by `ranksBefore`: insertion into a short sorted
/// array, which beats a heap for the tens of entries kept (neighbours per item, items per answer).
struct TopList<Element> {
    let capacity: Int
    let ranksBefore: (Element, Element) -> Bool
    private(set) var items: [Element] = []

    init(capacity: Int, ranksBefore: @escaping (Element, Element) -> Bool) {
        self.capacity = capacity
        self.ranksBefore = ranksBefore
        items.reserveCapacity(capacity + 1)
    }

    mutating func offer(_ element: Element) {
        guard capacity > 0 else { return }
        if items.count == capacity {
            guard ranksBefore(element, items[capacity - 1]) else { return }
            items.removeLast()
        }
        var position = items.count
        while position > 0 && ranksBefore(element, items[position - 1]) { position -= 1 }
        items.insert(element, at: position)
    }
}

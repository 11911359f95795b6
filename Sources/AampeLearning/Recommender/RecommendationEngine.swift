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
}

/// Scores users against a model: A·S, the user's decayed affinities times the neighbour similarities,
/// then exclusions, filters, the top `count`, and backfill with source tags.
///
/// Safe to call from any number of threads at once. Each call borrows a scratch area (dense arrays over
/// the items, reset through the list of entries touched) from a small pool, so a request costs time in
/// the size of its neighbourhood, not of the catalog, and allocates almost nothing.
///
/// Make one engine per model view and share it: ``ServedRecommender`` holds the one for its generation,
/// and a retrain brings a new view and a new engine rather than changing this one. The engine keeps its
/// ``model`` alive; its pool holds at most 64 scratch areas of about 13 bytes per item each. Item indices
/// are the model's dense indices; translating external ids is the caller's work.
public final class RecommendationEngine: Sendable {
    /// The model scored against. The engine keeps it, and so its memory, alive.
    public let model: RecommenderModel
    private let scratchPool = Mutex<[Scratch]>([])

    /// An engine over `model`, with an empty scratch pool.
    public init(model: RecommenderModel) {
        self.model = model
    }

    /// Recommendations for a user with `history` (trained plus real-time entries), `context` items from
    /// the session, and items recommended recently (for the cool-down). An empty history and context
    /// gives the backfill alone: cold start.
    public func recommend(
        history: [HistoryEntry],
        context: [UInt32] = [],
        recentlyRecommended: [(item: UInt32, atSeconds: Int64)] = [],
        options: RecommendationOptions,
        availability: UnsafeBufferPointer<UInt8>? = nil
    ) -> [RecommendedItem] {
        let scratch = borrow()
        defer { giveBack(scratch) }
        let availability = availability ?? model.baseAvailability
        // A caller's availability must cover every item: filters index it by item without a check.
        precondition(availability.count == model.itemCount, "availability must have one byte per item")
        let itemCount = model.itemCount

        // Exclusions first, so scoring can skip them.
        for entry in history where Int(entry.item) < itemCount {
            let seenIsFresh =
                options.repeatAfterSeconds <= 0
                || options.nowSeconds - Int64(entry.lastSeenSeconds) < options.repeatAfterSeconds
            if options.excludeSeen && seenIsFresh { scratch.exclude(entry.item) }
            if options.cooldownSeconds > 0 && entry.lastPurchaseSeconds > 0
                && options.nowSeconds - Int64(entry.lastPurchaseSeconds) < options.cooldownSeconds
            {
                scratch.exclude(entry.item)
            }
        }
        if options.excludeSeen { for item in context where Int(item) < itemCount { scratch.exclude(item) } }
        for item in options.excludeItems where Int(item) < itemCount { scratch.exclude(item) }
        if options.cooldownSeconds > 0 {
            for (item, atSeconds) in recentlyRecommended
            where Int(item) < itemCount && options.nowSeconds - atSeconds < options.cooldownSeconds {
                scratch.exclude(item)
            }
        }

        // A·S.
        for entry in history where Int(entry.item) < itemCount && entry.weight > 0 {
            scratch.accumulate(from: entry.item, weight: entry.weight, model: model)
        }
        for item in context where Int(item) < itemCount {
            scratch.accumulate(from: item, weight: 1, model: model)
        }

        var chosen = TopList<RecommendedItem>(capacity: options.count) {
            $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item
        }
        for candidate in scratch.touched {
            let index = Int(candidate)
            guard scratch.flags[index] & Scratch.excluded == 0, scratch.scores[index] > 0 else { continue }
            guard passes(index, options.filter, availability) else { continue }
            chosen.offer(
                RecommendedItem(
                    item: candidate,
                    score: scratch.scores[index],
                    source: .neighbour,
                    becauseOf: scratch.because[index]
                )
            )
        }
        var result = chosen.items
        for item in result { scratch.exclude(item.item) }
        backfill(&result, options: options, scratch: scratch, availability: availability)
        return result
    }

    /// Items like `item`: its neighbours that pass the filter, backfilled. `nil` item: an item unknown
    /// to this model (new since training), answered from the backfill alone.
    public func similarItems(
        to item: UInt32?,
        options: RecommendationOptions,
        availability: UnsafeBufferPointer<UInt8>? = nil
    ) -> [RecommendedItem] {
        let scratch = borrow()
        defer { giveBack(scratch) }
        let availability = availability ?? model.baseAvailability
        // A caller's availability must cover every item: filters index it by item without a check.
        precondition(availability.count == model.itemCount, "availability must have one byte per item")
        for excluded in options.excludeItems where Int(excluded) < model.itemCount { scratch.exclude(excluded) }
        var result: [RecommendedItem] = []
        if let item, Int(item) < model.itemCount {
            scratch.exclude(item)
            let (items, scores) = model.neighbours(of: Int(item))
            for position in 0..<items.count where result.count < options.count {
                let neighbour = items[position]
                guard scratch.flags[Int(neighbour)] & Scratch.excluded == 0,
                    passes(Int(neighbour), options.filter, availability)
                else { continue }
                scratch.exclude(neighbour)
                result.append(
                    RecommendedItem(item: neighbour, score: scores[position], source: .neighbour, becauseOf: item)
                )
            }
        }
        backfill(&result, options: options, scratch: scratch, availability: availability)
        return result
    }

    /// Whether `item` passes `filter` with the given availability.
    public func passes(_ item: Int, _ filter: ItemFilter, _ availability: UnsafeBufferPointer<UInt8>) -> Bool {
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

    private func backfill(
        _ result: inout [RecommendedItem],
        options: RecommendationOptions,
        scratch: Scratch,
        availability: UnsafeBufferPointer<UInt8>
    ) {
        for source in options.backfill where result.count < options.count {
            let order = source == .trending ? model.trendingOrder : model.popularOrder
            let scores = source == .trending ? model.trendingScores : model.popularity
            for item in order where result.count < options.count {
                let index = Int(item)
                guard scratch.flags[index] & Scratch.excluded == 0, passes(index, options.filter, availability) else {
                    continue
                }
                scratch.exclude(item)
                result.append(RecommendedItem(item: item, score: scores[index], source: source, becauseOf: nil))
            }
        }
    }

    private func borrow() -> Scratch {
        if let scratch = scratchPool.withLock({ $0.popLast() }) { return scratch }
        return Scratch(itemCount: model.itemCount)
    }

    private func giveBack(_ scratch: Scratch) {
        scratch.reset()
        scratchPool.withLock { pool in
            // A handful per thread that ever called is plenty; more would only hold memory.
            if pool.count < 64 { pool.append(scratch) }
        }
    }
}

/// Dense per-item working arrays for one request, reset through the list of touched entries.
///
/// `@unchecked Sendable`: the buffers and lists are mutable, and one request owns a scratch at a time: it
/// is taken from the engine's pool under its `Mutex`, used by the calling thread only, reset, and put
/// back under the same `Mutex`, which orders one owner's writes before the next owner's reads.
final class Scratch: @unchecked Sendable {
    static let excluded: UInt8 = 1
    static let touchedFlag: UInt8 = 2
    var scores: UnsafeMutableBufferPointer<Float>
    var best: UnsafeMutableBufferPointer<Float>
    var because: UnsafeMutableBufferPointer<UInt32>
    var flags: UnsafeMutableBufferPointer<UInt8>
    /// Items with a score, in the order first reached.
    var touched: [UInt32] = []
    /// Items whose flags changed (scored or excluded), to reset.
    var dirty: [UInt32] = []

    init(itemCount: Int) {
        scores = .allocate(capacity: max(1, itemCount))
        scores.initialize(repeating: 0)
        best = .allocate(capacity: max(1, itemCount))
        best.initialize(repeating: 0)
        because = .allocate(capacity: max(1, itemCount))
        because.initialize(repeating: 0)
        flags = .allocate(capacity: max(1, itemCount))
        flags.initialize(repeating: 0)
        touched.reserveCapacity(4096)
        dirty.reserveCapacity(4096)
    }

    deinit {
        scores.deallocate()
        best.deallocate()
        because.deallocate()
        flags.deallocate()
    }

    @inline(__always) func exclude(_ item: UInt32) {
        let index = Int(item)
        if flags[index] == 0 { dirty.append(item) }
        flags[index] |= Self.excluded
    }

    func accumulate(from item: UInt32, weight: Float, model: RecommenderModel) {
        let start = Int(model.neighbourOffsets[Int(item)])
        let end = Int(model.neighbourOffsets[Int(item) + 1])
        for position in start..<end {
            let other = Int(model.neighbourItems[position])
            if flags[other] & Self.excluded != 0 { continue }
            let contribution = weight * model.neighbourScores[position]
            if flags[other] & Self.touchedFlag == 0 {
                if flags[other] == 0 { dirty.append(UInt32(other)) }
                flags[other] |= Self.touchedFlag
                touched.append(UInt32(other))
                because[other] = item
            }
            scores[other] += contribution
            if contribution > best[other] {
                best[other] = contribution
                because[other] = item
            }
        }
    }

    func reset() {
        for item in dirty {
            let index = Int(item)
            scores[index] = 0
            best[index] = 0
            flags[index] = 0
        }
        dirty.removeAll(keepingCapacity: true)
        touched.removeAll(keepingCapacity: true)
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

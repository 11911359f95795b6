import AampeCore
import Testing

@testable import AampeLearning

@Suite("filter bitmaps: a cached filter answers exactly as the filter itself, and the cache stays bounded")
struct FilterCacheTests {
    typealias W = RecommenderWorld

    let model = RecommenderModel(trained: W.train(), catalog: W.catalog)
    let now = W.time + 3_600

    /// The filters of the engine tests' `filters()` case, plus none.
    var filters: [ItemFilter] {
        let action = UInt32(
            W.catalog.attributeKeys.firstIndex(of: ItemCatalog.attributeKey(name: "genres", value: "Action"))!
        )
        let drama = UInt32(
            W.catalog.attributeKeys.firstIndex(of: ItemCatalog.attributeKey(name: "genres", value: "Drama"))!
        )
        var result = [ItemFilter()]
        func add(_ change: (inout ItemFilter) -> Void) {
            var filter = ItemFilter()
            change(&filter)
            result.append(filter)
        }
        add { $0.inStockOnly = true }
        add { $0.categories = [0] }
        add { $0.categories = [] }
        add { $0.attributeConditions = [[action]] }
        add { $0.attributeConditions = [[action], [drama]] }
        add { $0.maximumPrice = 15 }
        add {
            $0.minimumPrice = 10
            $0.maximumPrice = 20
            $0.inStockOnly = true
        }
        return result
    }

    /// Histories that exclude the most popular items, so backfill must skip entries of its prefix.
    var histories: [[HistoryEntry]] {
        [[], model.history(of: 0), model.history(of: 1), model.history(of: 2), model.history(of: 3)]
    }

    @Test(
        "RECOMMEND and SIMILAR_ITEMS: the first (item by item), second (bitmap built) and third (bitmap reused) calls agree with a fresh engine",
        arguments: [1, 2, Limits.filterBackfillPrefixItems]
    )
    func cachedAnswersMatch(prefixLength: Int) {
        // A prefix of 1 or 2 items makes backfill go past it into the rest of the order.
        let cached = RecommendationEngine(model: model, filterPrefixLength: prefixLength)
        for filter in filters {
            for count in [1, 4] {
                var options = RecommendationOptions(count: count, nowSeconds: now)
                options.filter = filter
                for history in histories {
                    let expected = RecommendationEngine(model: model).recommend(history: history, options: options)
                    for _ in 0..<3 { #expect(cached.recommend(history: history, options: options) == expected) }
                }
                for item in [nil, W.a, W.d] as [UInt32?] {
                    options.backfill = item == nil ? [.trending, .popular] : [.popular]
                    let expected = RecommendationEngine(model: model).similarItems(to: item, options: options)
                    for _ in 0..<3 { #expect(cached.similarItems(to: item, options: options) == expected) }
                }
            }
        }
    }

    @Test("a bitmap holds exactly the items that pass, and its prefix lists them in popularity order")
    func bitmapContents() {
        let engine = RecommendationEngine(model: model)
        for filter in filters {
            let bits = FilterBits(engine: engine, filter: filter, prefixLength: 2)
            let passing = (0..<4).filter { engine.passes($0, filter, model.baseAvailability) }
            #expect((0..<4).filter { bits.contains($0) } == passing)
            // Popularity B 3, A 2, C 2, D 1.
            let inOrder = [W.b, W.a, W.c, W.d].filter { passing.contains(Int($0)) }
            let prefix = bits.backfillPrefix(.popular)
            #expect(Array(prefix.items) == Array(inOrder.prefix(2)))
            // Where the walk resumes: just past the second passing item, or the end when the prefix holds all.
            let order = [W.b, W.a, W.c, W.d]
            let expectedResume = inOrder.count > 2 ? order.firstIndex(of: inOrder[2])! : 4
            #expect(prefix.resume == expectedResume)
        }
    }

    @Test("a filter gets a bitmap on its second sighting, and at most maximumCachedItemFilters are kept")
    func boundedAtTheLimit() {
        let engine = RecommendationEngine(model: model)
        let cache = FilterCache()
        #expect(cache.capacity == Limits.maximumCachedItemFilters)
        func filter(_ index: Int) -> ItemFilter {
            var filter = ItemFilter()
            filter.maximumPrice = Double(index)
            return filter
        }
        func lookup(_ index: Int) -> FilterBits? {
            cache.bits(for: filter(index)) { FilterBits(engine: engine, filter: filter(index)) }
        }
        #expect(lookup(0) == nil)  // first sighting: no bitmap yet
        let first = lookup(0)
        #expect(first != nil)
        #expect(lookup(0) === first)  // reused, not rebuilt
        for index in 1..<Limits.maximumCachedItemFilters {
            _ = lookup(index)
            _ = lookup(index)
        }
        #expect(cache.count == Limits.maximumCachedItemFilters)  // at the limit
        _ = lookup(0)  // filter 0 is now the most recently used; filter 1 the least
        _ = lookup(Limits.maximumCachedItemFilters)
        _ = lookup(Limits.maximumCachedItemFilters)  // one past the limit evicts the least recently used
        #expect(cache.count == Limits.maximumCachedItemFilters)
        #expect(lookup(0) === first)
        #expect(lookup(1) == nil)  // evicted, and seen afresh
    }
}

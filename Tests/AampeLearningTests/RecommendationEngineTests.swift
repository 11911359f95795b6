import AampeLearning
import Testing

@Suite("scoring: A·S, exclusions, filters, cool-downs, backfill and source tags")
struct RecommendationEngineTests {
    typealias W = RecommenderWorld

    let model = RecommenderModel(trained: W.train(), catalog: W.catalog)
    var engine: RecommendationEngine { RecommendationEngine(model: model) }
    let now = W.time + 3_600

    func options(_ count: Int = 4) -> RecommendationOptions { RecommendationOptions(count: count, nowSeconds: now) }
    func entry(_ item: UInt32, weight: Float = 1, seen: Int64 = W.time, bought: Int64 = 0) -> HistoryEntry {
        HistoryEntry(item: item, weight: weight, lastSeenSeconds: UInt32(seen), lastPurchaseSeconds: UInt32(bought))
    }

    @Test("u2 (B, C): A scores 2/3 + 1/3 = 1 from B's side; D, unreachable, is backfilled as popular")
    func scoresAndTags() {
        let result = engine.recommend(history: model.history(of: 2), options: options())
        #expect(result.map(\.item) == [W.a, W.d])
        #expect(abs(result[0].score - 1) < 1e-5)
        #expect(result[0].source == .neighbour && result[0].becauseOf == W.b)
        #expect(result[1].source == .popular && result[1].becauseOf == nil && result[1].score == 1)
    }

    @Test("history weights scale each item's neighbour scores")
    func weighted() {
        // A weighs 3: C gets 3·1/3 = 1 from A and 2/3 from B; D backfills.
        let result = engine.recommend(history: [entry(W.a, weight: 3), entry(W.b)], options: options())
        #expect(result.map(\.item) == [W.c, W.d])
        #expect(abs(result[0].score - 5.0 / 3) < 1e-5 && result[0].becauseOf == W.a)
    }

    @Test("an unknown (cold) user gets the popular items; context items start an anonymous session")
    func coldAndContext() {
        // Popularity B 3, A 2, C 2 (catalog lists C out of stock, but without in_stock_only it may show).
        #expect(engine.recommend(history: [], options: options()).map(\.item) == [W.b, W.a, W.c, W.d])
        #expect(engine.recommend(history: [], options: options()).allSatisfy { $0.source == .popular })
        let context = engine.recommend(history: [], context: [W.a], options: options(2))
        #expect(context.map(\.item) == [W.b, W.c])
        #expect(context.allSatisfy { $0.source == .neighbour && $0.becauseOf == W.a })
    }

    @Test("exclude_seen, exclude_items and repeat-after")
    func exclusions() {
        let history = model.history(of: 0)  // A, B
        var opts = options()
        opts.excludeItems = [W.c]
        #expect(engine.recommend(history: history, options: opts).map(\.item) == [W.d])
        opts = options()
        opts.excludeSeen = false
        // A gets 2/3 from B, B gets 2/3 from A (tie: lower index first), C 1/3 + 2/3.
        #expect(engine.recommend(history: history, options: opts).map(\.item) == [W.c, W.a, W.b, W.d])
        // Seen more than a day ago, with repeat after a day: A comes back.
        opts = options()
        opts.repeatAfterSeconds = 86_400
        let old = [entry(W.a, seen: now - 2 * 86_400), entry(W.b, seen: now - 60)]
        #expect(engine.recommend(history: old, options: opts).map(\.item).contains(W.a))
        #expect(!engine.recommend(history: old, options: opts).map(\.item).contains(W.b))
    }

    @Test("cool-down: items bought or recommended within it are left out even when seen items are allowed")
    func cooldown() {
        var opts = options()
        opts.excludeSeen = false
        opts.cooldownSeconds = 7 * 86_400
        let history = [entry(W.a, bought: now - 86_400), entry(W.b, bought: now - 30 * 86_400)]
        let result = engine.recommend(
            history: history,
            recentlyRecommended: [(W.d, now - 60), (W.c, now - 8 * 86_400)],
            options: opts
        )
        // A was bought a day ago (out), B a month ago (in), D recommended a minute ago (out), C 8 days ago (in).
        #expect(result.map(\.item) == [W.c, W.b])
    }

    @Test("filters: in stock, categories, attributes (equals / in), price range, on scored and backfilled items alike")
    func filters() {
        let history = model.history(of: 0)  // A, B → C scored 1, D backfilled
        func run(_ change: (inout ItemFilter) -> Void) -> [UInt32] {
            var opts = options()
            change(&opts.filter)
            return engine.recommend(history: history, options: opts).map(\.item)
        }
        #expect(run { _ in } == [W.c, W.d])
        #expect(run { $0.inStockOnly = true } == [W.d])  // C is out of stock; D's stock is unknown
        #expect(run { $0.categories = [1] } == [])  // category y: only B, which is seen
        #expect(run { $0.categories = [] } == [])  // every name unknown: nothing
        let drama = UInt32(
            W.catalog.attributeKeys.firstIndex(of: ItemCatalog.attributeKey(name: "genres", value: "Drama"))!
        )
        let action = UInt32(
            W.catalog.attributeKeys.firstIndex(of: ItemCatalog.attributeKey(name: "genres", value: "Action"))!
        )
        #expect(run { $0.attributeConditions = [[action]] } == [W.c])
        #expect(run { $0.attributeConditions = [[action, drama].sorted()] } == [W.c, W.d])
        #expect(run { $0.attributeConditions = [[action], [drama]] } == [W.c])
        #expect(run { $0.maximumPrice = 15 } == [])  // C costs 20, D has no price
        #expect(
            run {
                $0.minimumPrice = 20
                $0.maximumPrice = 20
            } == [W.c]
        )  // bounds are inclusive
        // An item missing from a non-empty catalog is never recommended.
        var catalog = W.catalog
        catalog.availability[3] = ItemCatalog.Availability.notInCatalog.rawValue
        let strict = RecommendationEngine(model: RecommenderModel(trained: W.train(), catalog: catalog))
        #expect(strict.recommend(history: history, options: options()).map(\.item) == [W.c])
    }

    @Test(
        "count caps the list; similar items are the neighbours, filtered, then backfill; unknown items get trending then popular"
    )
    func similar() {
        #expect(engine.recommend(history: [], options: options(1)).map(\.item) == [W.b])
        var opts = options(3)
        let similar = engine.similarItems(to: W.a, options: opts)
        #expect(similar.map(\.item) == [W.b, W.c, W.d])
        #expect(similar.map(\.source) == [.neighbour, .neighbour, .popular])
        opts.filter.inStockOnly = true
        #expect(engine.similarItems(to: W.a, options: opts).map(\.item) == [W.b, W.d])
        opts = options(2)
        opts.backfill = [.trending, .popular]
        // Every event of this world is in the last week, so trending ranks by those counts: B 3, A 2.
        let cold = engine.similarItems(to: nil, options: opts)
        #expect(cold.map(\.item) == [W.b, W.a])
        #expect(cold.allSatisfy { $0.source == .trending })
    }
}

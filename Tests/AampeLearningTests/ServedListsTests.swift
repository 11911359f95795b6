import AampeLearning
import AampeSegments
import AampeTestSupport
import Testing

@Suite("served lists: RECOMMEND from a list computed at training, the same answer as scoring")
struct ServedListsTests {
    /// A seeded world with enough users and items that lists get cut, filters leave lists short and
    /// backfill runs: 400 users with 3 to 14 interactions over 150 items, 12 neighbours per item, a catalog
    /// with 4 categories, prices 1 to 100 (some unknown) and a fifth of the items out of stock.
    struct World {
        static let users = 400
        static let items = 150
        static let time: Int64 = 1_700_000_000
        let trained: TrainedRecommender
        let catalog: ItemCatalog
        let itemIDs = (0..<World.items).map { "item-\($0)" }
        let userIDs = (0..<World.users).map { "user-\($0)" }

        init(repeatAfterDays: Int = 0) {
            var random = SplitMix64(state: 19)
            var interactions: [Interaction] = []
            for user in 0..<Self.users {
                // Users draw from one of three overlapping item ranges, so neighbours are not uniform.
                let base = Int(random.next() % 3) * 40
                for _ in 0..<(3 + Int(random.next() % 12)) {
                    interactions.append(
                        Interaction(
                            user: UInt32(user),
                            item: UInt32((base + Int(random.next() % 70)) % Self.items),
                            weight: Float(1 + random.next() % 5),
                            timestampSeconds: Self.time - Int64(random.next() % (20 * 86_400))
                        )
                    )
                }
            }
            var settings = RecommenderSettings()
            settings.similarity = .cosine
            settings.neighbours = 12
            settings.repeatAfterDays = repeatAfterDays
            trained = RecommenderTrainer.train(
                InteractionLog(interactions, userCount: Self.users, itemCount: Self.items),
                settings: settings,
                threads: 2
            )
            var records: [Int: CatalogRecord] = [:]
            for item in 0..<Self.items {
                records[item] = CatalogRecord(
                    category: ["a", "b", "c", "d"][Int(random.next() % 4)],
                    price: random.next() % 10 == 0 ? nil : Double(1 + random.next() % 100),
                    isInStock: random.next() % 5 != 0
                )
            }
            catalog = ItemCatalog(itemCount: Self.items, records: records)
        }

        func trained(listLength: Int) -> TrainedRecommender {
            var trained = trained
            trained.settings.servedListLength = listLength
            return trained
        }
    }

    /// Request variants: counts below, at and above list lengths; filters that pass most, some and few
    /// items; exclusions, including listed items.
    static func variants(_ model: RecommenderModel) -> [RecommendationOptions] {
        var variants: [RecommendationOptions] = []
        for count in [1, 5, 12, 40] {
            for filterKind in 0..<5 {
                var options = RecommendationOptions(count: count, nowSeconds: World.time + 3_600)
                switch filterKind {
                case 1: options.filter.inStockOnly = true
                case 2: options.filter.maximumPrice = 30
                case 3:
                    options.filter.inStockOnly = true
                    options.filter.categories = [1]
                case 4: options.excludeItems = [3, 41, 42, 80, 81, 82, 120]
                default: break
                }
                variants.append(options)
            }
        }
        var cooled = RecommendationOptions(count: 10, nowSeconds: World.time + 3_600)
        cooled.cooldownSeconds = 30 * 86_400
        variants.append(cooled)
        return variants
    }

    /// Every user under every variant: where the list answers, the answer is the scored one, item for item,
    /// score for score, with the same sources and reasons. Returns how many requests the lists answered
    /// and how many they left to scoring.
    static func compare(
        _ engine: RecommendationEngine,
        variants: [RecommendationOptions],
        overlay: CatalogOverlay? = nil
    ) -> (answered: Int, declined: Int) {
        var answered = 0
        var declined = 0
        for user in 0..<engine.model.userCount {
            for options in variants {
                let scored = engine.recommend(
                    history: engine.model.history(of: user),
                    options: options,
                    overlay: overlay
                )
                guard let listed = engine.recommendFromServedList(user: user, options: options, overlay: overlay) else {
                    declined += 1
                    continue
                }
                answered += 1
                #expect(listed == scored, "user \(user), count \(options.count), filter \(options.filter)")
            }
        }
        return (answered, declined)
    }

    /// Writes and publishes a generation of `trained` (with `lists` when given) in `folder`.
    static func publish(
        _ trained: TrainedRecommender,
        lists: ServedLists?,
        world: World,
        in folder: TemporaryFolder
    )
        throws -> Generation
    {
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        try RecommenderFiles.write(
            trained,
            catalog: world.catalog,
            itemIDs: world.itemIDs,
            userIDs: world.userIDs,
            into: builder,
            trainedAt: "test",
            servedLists: lists
        )
        try builder.publish()
        return try #require(try store.openCurrent())
    }

    @Test("every list length, count and filter: the list's answer is the scored answer; cut lists decline")
    func sameAnswers() {
        let world = World()
        for length in [1, 4, 16, 64] {
            let trained = world.trained(listLength: length)
            let lists = ServedLists.compute(trained, length: length)
            #expect(lists.offsets.count == World.users + 1)
            let model = RecommenderModel(trained: trained, catalog: world.catalog, servedLists: lists)
            let (answered, declined) = Self.compare(RecommendationEngine(model: model), variants: Self.variants(model))
            // Both paths must be exercised for the comparison to mean anything: short lists decline
            // often, long ones answer nearly always.
            #expect(answered > 0, "length \(length): no request answered from a list")
            if length <= 16 { #expect(declined > 0, "length \(length): no request declined") }
            if length == 64 {
                #expect(answered > 10 * declined, "length 64: \(answered) answered, \(declined) declined")
            }
        }
    }

    @Test("a list holds the best items past the user's history, best first, and is shorter only when complete")
    func listContents() {
        let world = World()
        let trained = world.trained(listLength: 40)
        let lists = ServedLists.compute(trained, length: 40)
        let model = RecommenderModel(trained: trained, catalog: world.catalog)
        let engine = RecommendationEngine(model: model)
        var everything = RecommendationOptions(count: 1_000, nowSeconds: World.time)
        everything.backfill = []
        var short = 0
        for user in 0..<World.users {
            let listed = Array(lists.items[Int(lists.offsets[user])..<Int(lists.offsets[user + 1])])
            // With no filter the catalog still leaves out nothing here (every item is in it), so the scored
            // neighbours, all of them, are the list's superset in the same order.
            let all = engine.recommend(history: model.history(of: user), options: everything).map(\.item)
            #expect(listed == Array(all.prefix(40)), "user \(user)")
            #expect(Set(listed).isDisjoint(with: model.history(of: user).map(\.item)))
            if listed.count < 40 {
                short += 1
                #expect(listed == all)
            }
        }
        #expect(short > 0 && short < World.users)
    }

    @Test("repeat-after: a list answers while every seen item is fresh, and declines once one may come back")
    func repeatAfter() {
        let world = World(repeatAfterDays: 30)
        let trained = world.trained(listLength: 32)
        let lists = ServedLists.compute(trained, length: 32)
        let model = RecommenderModel(trained: trained, catalog: world.catalog, servedLists: lists)
        let engine = RecommendationEngine(model: model)
        var options = RecommendationOptions(count: 10, nowSeconds: World.time + 3_600)
        options.repeatAfterSeconds = 30 * 86_400
        // An hour after the newest event every item was seen within 30 days (the world spans 20).
        let fresh = Self.compare(engine, variants: [options])
        #expect(fresh.answered == World.users)
        // 15 days later some users' items are older than 30 days and may come back: those decline.
        options.nowSeconds = World.time + 15 * 86_400
        let later = Self.compare(engine, variants: [options])
        #expect(later.answered > 0 && later.declined > 0)
        options.excludeSeen = false
        #expect(Self.compare(engine, variants: [options]).answered == 0)
    }

    @Test("through a generation's files, with a catalog overlay changing stock and prices and adding items")
    func generationAndOverlay() throws {
        let world = World()
        let folder = try TemporaryFolder()
        let trained = world.trained(listLength: 12)
        let lists = ServedLists.compute(trained, length: 12)
        let served = try ServedRecommender(
            generation: try Self.publish(trained, lists: lists, world: world, in: folder)
        )
        let variants = Self.variants(served.model)
        let plain = Self.compare(served.engine, variants: variants)
        #expect(plain.answered > 0 && plain.declined > 0)

        // Take every tenth item out of stock, make every seventh cheap, and add two new items.
        var patches: [Int: CatalogPatch] = [:]
        for item in stride(from: 0, to: World.items, by: 10) {
            var patch = CatalogPatch()
            patch.availability = .outOfStock
            patches[item] = patch
        }
        for item in stride(from: 0, to: World.items, by: 7) {
            var patch = patches[item] ?? CatalogPatch()
            patch.price = 2
            patches[item] = patch
        }
        let overlay = CatalogOverlay(
            served: served,
            version: 1,
            rows: [
                World.items: CatalogRecord(category: "b", price: 5, isInStock: true),
                World.items + 1: CatalogRecord(category: "a", price: 50, isInStock: true),
            ],
            newItemIDs: [World.items: "new-0", World.items + 1: "new-1"],
            patches: patches
        )
        let overlaid = Self.compare(served.engine, variants: variants, overlay: overlay)
        #expect(overlaid.answered > 0 && overlaid.declined > 0)
        // Excluding a new item works on both paths.
        var options = RecommendationOptions(count: 5, nowSeconds: World.time)
        options.excludeItems = [UInt32(World.items)]
        #expect(Self.compare(served.engine, variants: [options], overlay: overlay).answered > 0)
    }

    @Test("a generation whose settings keep lists but whose file lacks them is refused, naming the column")
    func missingColumns() throws {
        let world = World()
        let folder = try TemporaryFolder()
        let generation = try Self.publish(world.trained(listLength: 12), lists: nil, world: world, in: folder)
        let error = try #require(throws: SegmentError.self) { try ServedRecommender(generation: generation) }
        #expect("\(error)".contains("users.seg") && "\(error)".contains("served_offsets"))
    }

    @Test("a list longer than the settings' length is refused when the generation is mapped, naming the column")
    func tooLong() throws {
        let world = World()
        let trained = world.trained(listLength: 5)
        var lists = ServedLists.compute(world.trained(listLength: 6), length: 6)
        // Lists of up to 6 items under settings that promise at most 5: a 6-item list would read as cut
        // where the settings say it is complete.
        #expect(lists.offsets.indices.dropLast().contains { lists.offsets[$0 + 1] - lists.offsets[$0] == 6 })
        lists.length = 5
        let folder = try TemporaryFolder()
        let generation = try Self.publish(trained, lists: lists, world: world, in: folder)
        let error = try #require(throws: SegmentError.self) { try ServedRecommender(generation: generation) }
        #expect("\(error)".contains("a served list is longer than the settings' servedListLength of 5"))
    }
}

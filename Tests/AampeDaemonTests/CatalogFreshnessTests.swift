import AampeCore
import AampeLearning
import AampeProtocol
import AampeStore
import AampeTestSupport
import Logging
import Testing

@testable import AampeDaemon

/// The catalog overlay as the daemon keeps it, without a socket: the four-item generation of
/// ``RecommendationServiceTests`` (popularity B 3, A 2, C 2, D 1; a catalog that knows nothing, so every
/// item serves), a store in memory, and a small overlay limit so that its edge is reachable.
@Suite("catalog freshness")
struct CatalogFreshnessTests {
    /// The service with a freshness over `store`, holding at most `limit` items, refreshed once.
    static func service(
        _ folder: TemporaryFolder,
        store: Store,
        limit: Int
    ) throws -> (RecommendationService, CatalogFreshness) {
        let base = try RecommendationServiceTests.service(folder)
        let freshness = CatalogFreshness(logger: nil, maximumItems: limit) { store }
        let service = RecommendationService(
            generations: base.generations,
            realtime: RealtimeState(),
            log: nil,
            clock: base.clock,
            freshness: freshness
        )
        try freshness.refresh(served: base.generations.view(ServedRecommender.self))
        return (service, freshness)
    }

    /// A store whose item dictionary holds the generation's A B C D, then `newItems`, each with a catalog row.
    static func store(newItems: [String]) throws -> Store {
        let store = try Store.inMemory()
        var commit = IngestionCommit()
        commit.newItemIDs = ArraySlice(["A", "B", "C", "D"] + newItems)
        commit.catalogItems = newItems.indices.map { offset in
            var row = CatalogItemUpsert(itemIndex: ItemIndex(4 + offset))
            row.category = "new"
            row.isInStock = true
            row.price = 1
            return row
        }
        _ = try store.ingestion.commit(commit)
        return store
    }

    static func addItem(_ id: String, index: Int, to store: Store) throws {
        var commit = IngestionCommit()
        commit.newItemIDs = [id]
        commit.firstNewItemIndex = index
        var row = CatalogItemUpsert(itemIndex: ItemIndex(index))
        row.isInStock = true
        commit.catalogItems = [row]
        _ = try store.ingestion.commit(commit)
    }

    static func recommend(
        _ service: RecommendationService,
        _ filter: (inout Aampe_V1_ItemFilter) -> Void = { _ in }
    )
        throws -> [String]
    {
        var request = Aampe_V1_RecommendRequest()
        request.count = 10
        filter(&request.filter)
        return try service.recommend(request).items.map(\.itemID)
    }

    static func itemUpdated(_ item: String, _ properties: [String: String]) -> Aampe_V1_TrackEvent {
        var event = Aampe_V1_TrackEvent()
        event.event = "item_updated"
        event.itemID = item
        event.properties = properties
        return event
    }

    static func track(
        _ service: RecommendationService,
        _ events: [Aampe_V1_TrackEvent]
    ) throws
        -> Aampe_V1_TrackResponse
    {
        var request = Aampe_V1_TrackRequest()
        request.events = events
        return try service.track(request)
    }

    @Test(
        "rows of items new since training are backfilled after the known ones; a refresh past the limit fails and keeps the overlay"
    )
    func refreshLimit() throws {
        let folder = try TemporaryFolder()
        let store = try Self.store(newItems: ["E", "F"])
        let (service, freshness) = try Self.service(folder, store: store, limit: 2)
        // At the limit: both new items are served, after every known one.
        #expect(try Self.recommend(service) == ["B", "A", "C", "D", "E", "F"])
        #expect(try Self.recommend(service) { $0.categories = ["new"] } == ["E", "F"])
        #expect(freshness.current?.entryCount == 2)

        // One past it: the refresh fails naming the limit, and the overlay stays as it was.
        try Self.addItem("G", index: 6, to: store)
        let error = try #require(throws: CatalogOverlayError.self) {
            try freshness.refresh(served: service.generations.view(ServedRecommender.self))
        }
        #expect(error.description.contains("3 items, more than the overlay's limit of 2"))
        #expect(try Self.recommend(service) == ["B", "A", "C", "D", "E", "F"])
    }

    @Test(
        "TRACK item_updated changes filters at once; the overlay limit holds at max and max + 1, across requests and within one"
    )
    func trackLimit() throws {
        let folder = try TemporaryFolder()
        let (service, _) = try Self.service(folder, store: try Self.store(newItems: []), limit: 2)
        #expect(try Self.track(service, [Self.itemUpdated("A", ["in_stock": "false"])]).accepted == 1)
        #expect(try Self.recommend(service) { $0.inStockOnly = true } == ["B", "C", "D"])
        // The second item reaches the limit.
        #expect(try Self.track(service, [Self.itemUpdated("B", ["price": "3.5"])]).accepted == 1)
        #expect(try Self.recommend(service) { $0.maximumPrice = 4 } == ["B"])
        // A third is refused, naming the limit; an item already held still changes.
        let refused = try Self.track(
            service,
            [Self.itemUpdated("C", ["stock": "0"]), Self.itemUpdated("A", ["stock": "2"])]
        )
        #expect(refused.accepted == 1 && refused.rejected.map(\.index) == [0])
        #expect(refused.rejected.first?.reason.contains("the catalog overlay holds 2 items, its limit") == true)
        #expect(try Self.recommend(service) { $0.inStockOnly = true } == ["B", "A", "C", "D"])
    }

    @Test("within one request, the items counted against the limit include those accepted before")
    func trackLimitWithinRequest() throws {
        let folder = try TemporaryFolder()
        let (service, _) = try Self.service(folder, store: try Self.store(newItems: []), limit: 2)
        let answer = try Self.track(
            service,
            ["A", "B", "C"].map { Self.itemUpdated($0, ["availability": "out_of_stock"]) }
        )
        #expect(answer.accepted == 2 && answer.rejected.map(\.index) == [2])
        #expect(try Self.recommend(service) { $0.inStockOnly = true } == ["C", "D"])
    }

    @Test(
        "a malformed item_updated is rejected naming the property",
        arguments: [
            (["price": "abc"], "properties.price 'abc'"),
            (["price": "-1"], "properties.price '-1'"),
            (["in_stock": "maybe"], "properties.in_stock 'maybe' is not true or false"),
            (["stock": "-2"], "properties.stock '-2' is not a whole number"),
            (["availability": "soon"], "properties.availability 'soon'"),
            (["stock": "1", "in_stock": "true"], "in_stock, stock all give the stock"),
            (["colour": "red"], "needs a property price, in_stock, stock or availability"),
        ]
    )
    func malformed(properties: [String: String], reason: String) throws {
        let folder = try TemporaryFolder()
        let (service, _) = try Self.service(folder, store: try Self.store(newItems: []), limit: 2)
        let answer = try Self.track(service, [Self.itemUpdated("A", properties)])
        #expect(answer.accepted == 0)
        #expect(answer.rejected.first?.reason.contains(reason) == true, "\(answer.rejected)")
    }

    @Test("the default limit is Limits.maximumCatalogOverlayItems")
    func defaultLimit() {
        #expect(
            CatalogFreshness(logger: nil) { try Store.inMemory() }.maximumItems == Limits.maximumCatalogOverlayItems
        )
    }
}

import AampeCore
import AampeStore
import Synchronization
import Testing

@Suite("Ingestion repository")
struct IngestionRepositoryTests {
    @Test("dictionary keys with quotes, backslashes, control characters and non-ASCII text round-trip in index order")
    func awkwardKeys() throws {
        let store = try Store.inMemory()
        let awkward = ["plain", "quote\"d", "back\\slash", "tab\tand\nnewline\u{1}", "café ☕", "", "[\"json\"]"]
        // More than one insert statement's worth, so the chunking is exercised too.
        let many = awkward + (0..<70_000).map { "u\($0)" }
        var commit = IngestionCommit()
        commit.newUserIDs = ArraySlice(many)
        commit.firstNewUserIndex = 0
        try store.ingestion.commit(commit)
        #expect(try store.ingestion.keyDictionaries().userIDs == many)

        var next = IngestionCommit()
        next.newUserIDs = ["later"]
        next.firstNewUserIndex = many.count
        try store.ingestion.commit(next)
        #expect(try store.ingestion.keyDictionaries().userIDs.last == "later")
    }

    @Test(
        "a catalog row imported again unchanged keeps its change time and gets a new write time; a changed field, stock, price or attribute moves both"
    )
    func catalogChangeTimes() throws {
        let time = Mutex<Int64>(1_000)
        let store = try Store.inMemory { Timestamp(rawValue: time.withLock { $0 }) }
        func row(_ index: Int, price: Double?, genres: [String]? = nil) -> CatalogItemUpsert {
            var row = CatalogItemUpsert(itemIndex: ItemIndex(index))
            row.title = "Item \(index)"
            row.category = "x"
            row.isInStock = true
            row.price = price
            if let genres {
                row.attributesJSON = "{\"genres\":[" + genres.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
                row.attributeValues = ["genres": genres]
            }
            return row
        }
        func commit(at micros: Int64, _ rows: [CatalogItemUpsert], newItems: [String] = []) throws {
            time.withLock { $0 = micros }
            var commit = IngestionCommit()
            commit.newItemIDs = ArraySlice(newItems)
            commit.firstNewItemIndex = try store.ingestion.keyDictionaries().itemIDs.count
            commit.catalogItems = rows
            try store.ingestion.commit(commit)
        }
        func changed(after micros: Int64) throws -> [Int] {
            try store.ingestion.catalogChanges(changedAfterMicros: micros, newFromItemIndex: 4).rows.map(\.itemIndex)
        }
        let whole = [row(0, price: 5), row(1, price: 10, genres: ["Action"]), row(2, price: nil), row(3, price: 1)]
        try commit(at: 1_000, whole, newItems: ["A", "B", "C", "D"])
        #expect(try changed(after: 999) == [0, 1, 2, 3])
        #expect(try changed(after: 1_000) == [])

        // The whole catalog again, unchanged: no change, every row written.
        try commit(at: 2_000, whole)
        #expect(try changed(after: 1_000) == [])
        #expect(try store.ingestion.catalogUpdateTimes(of: [0, 1, 2, 3]) == [0: 2_000, 1: 2_000, 2: 2_000, 3: 2_000])
        // A row that leaves fields out keeps them, so it changes nothing either.
        try commit(at: 2_500, [CatalogItemUpsert(itemIndex: ItemIndex(0))])
        #expect(try changed(after: 1_000) == [])

        // Each kind of change: stock, price, an attribute value, a new title; and one row back as it was.
        var outOfStock = row(0, price: 5)
        outOfStock.isInStock = false
        var renamed = row(3, price: 1)
        renamed.title = "Renamed"
        try commit(
            at: 3_000,
            [outOfStock, row(1, price: 10, genres: ["Drama"]), row(2, price: 7), renamed]
        )
        #expect(try changed(after: 2_999) == [0, 1, 2, 3])
        try commit(at: 4_000, [row(0, price: 5), row(1, price: 10, genres: ["Drama"])])
        #expect(try changed(after: 3_000) == [0])
        #expect(try store.ingestion.catalogUpdateTimes(of: [0, 1, 2]) == [0: 4_000, 1: 4_000, 2: 3_000])
        // Items at or past the generation's count come whatever their change time.
        try commit(at: 5_000, [row(4, price: 2)], newItems: ["E"])
        #expect(try changed(after: 5_000) == [4])
    }

    @Test("a commit whose first new index does not follow the stored dictionary is refused and changes nothing")
    func wrongFirstIndex() throws {
        let store = try Store.inMemory()
        var commit = IngestionCommit()
        commit.newItemIDs = ["a", "b"]
        commit.firstNewItemIndex = 1
        #expect(throws: StoreError.self) { try store.ingestion.commit(commit) }
        #expect(try store.ingestion.keyDictionaries().itemIDs.isEmpty)
    }
}

import AampeCore
import AampeStore
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

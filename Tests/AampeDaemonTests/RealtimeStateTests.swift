import AampeCore
import Testing

@testable import AampeDaemon

@Suite("Real-time state limits")
struct RealtimeStateTests {
    func item(_ id: String, at time: Int64) -> RealtimeState.Item {
        RealtimeState.Item(itemID: id, weight: 1, timeSeconds: time, isPurchase: false)
    }

    @Test("maximumUsers users are all kept; one more evicts exactly the least recently touched")
    func userBound() {
        let state = RealtimeState(maximumUsers: 3, shards: 1)
        for user in ["u1", "u2", "u3"] { state.record(user: user, item: item("i", at: 1)) }
        #expect(state.userCount == 3)
        // u1 is touched again (by TRACK), so u2 is now the least recently touched.
        state.record(user: "u1", item: item("j", at: 2))
        state.record(user: "u4", item: item("i", at: 3))
        #expect(state.userCount == 3)
        #expect(state.user("u2") == nil)
        #expect(state.user("u1")?.items.map(\.itemID) == ["j", "i"])
        #expect(state.user("u3") != nil)
        #expect(state.user("u4") != nil)
    }

    @Test("reading a user for RECOMMEND and noting recommendations both count as touches")
    func touches() {
        let state = RealtimeState(maximumUsers: 3, shards: 1)
        for user in ["u1", "u2", "u3"] { state.record(user: user, item: item("i", at: 1)) }
        _ = state.user("u1")
        state.noteRecommended(user: "u2", items: [7], atSeconds: 5)
        state.record(user: "u4", item: item("i", at: 3))
        #expect(state.user("u3") == nil)
        #expect(state.userCount == 3)
        // An existing user's update evicts no one.
        state.record(user: "u4", item: item("k", at: 4))
        #expect(state.userCount == 3)
    }

    @Test("with 16 shards the total stays within the limit, and every user just added is kept")
    func shardedBound() {
        let state = RealtimeState(maximumUsers: 100, shards: 16)
        for number in 0..<1_000 {
            state.record(user: "user-\(number)", item: item("i", at: Int64(number)))
            #expect(state.user("user-\(number)") != nil)
        }
        // Each shard holds 100 / 16 = 6; a thousand users fill all 16 (a shard gets 62 on average).
        #expect(state.userCount == 16 * (100 / 16))
    }

    @Test("eviction stays exact over many rounds of touches (stale entries are skipped and compacted)")
    func manyRounds() {
        let state = RealtimeState(maximumUsers: 4, shards: 1)
        for round in 0..<500 {
            state.record(user: "new-\(round)", item: item("i", at: Int64(round)))
            // "hot" is touched every round, so it is never the least recently touched.
            state.record(user: "hot", item: item("i", at: Int64(round)))
        }
        #expect(state.userCount == 4)
        #expect(state.user("hot") != nil)
        #expect(state.user("new-499") != nil)
        #expect(state.user("new-498") != nil)
        #expect(state.user("new-497") != nil)
        #expect(state.user("new-496") == nil)
    }

    @Test("a user keeps maximumRealtimeItemsPerUser items; one more drops the oldest")
    func itemsPerUser() {
        let state = RealtimeState()
        let limit = Limits.maximumRealtimeItemsPerUser
        for time in 1...Int64(limit) { state.record(user: "u", item: item("i\(time)", at: time)) }
        #expect(state.user("u")?.items.count == limit)
        #expect(state.user("u")?.items.last?.itemID == "i1")
        state.record(user: "u", item: item("new", at: Int64(limit) + 1))
        #expect(state.user("u")?.items.count == limit)
        #expect(state.user("u")?.items.first?.itemID == "new")
        #expect(state.user("u")?.items.last?.itemID == "i2")
    }

    @Test("maximumRememberedRecommendationsPerUser are remembered; one more forgets the oldest")
    func recommendedPerUser() {
        let state = RealtimeState()
        let limit = Limits.maximumRememberedRecommendationsPerUser
        state.noteRecommended(user: "u", items: (0..<UInt32(limit)).map { $0 }, atSeconds: 1)
        #expect(state.user("u")?.recommended.count == limit)
        #expect(state.user("u")?.recommended.first?.item == 0)
        state.noteRecommended(user: "u", items: [UInt32(limit)], atSeconds: 2)
        #expect(state.user("u")?.recommended.count == limit)
        #expect(state.user("u")?.recommended.first?.item == 1)
        #expect(state.user("u")?.recommended.last?.item == UInt32(limit))
    }

    @Test("the idempotency-key memory holds its capacity; one more forgets the oldest key")
    func keyMemory() {
        var memory = RealtimeState.KeyMemory(capacity: 3)
        // `insert` is mutating, which `#expect` cannot call directly.
        let firstThree = ["a", "b", "c"].map { memory.insert($0) }
        #expect(firstThree == [true, true, true])
        let repeated = memory.insert("a")
        #expect(!repeated)
        let fourth = memory.insert("d")
        #expect(fourth)
        #expect(memory.set == ["b", "c", "d"])
        let forgotten = memory.insert("a")
        #expect(forgotten)
        #expect(RealtimeState.KeyMemory(capacity: Limits.maximumRememberedTrackKeys).capacity == 1_000_000)
    }

    @Test("pruning drops items a generation holds and users left empty")
    func prune() {
        let state = RealtimeState(maximumUsers: 2, shards: 1)
        state.record(user: "old", item: item("i", at: 10))
        state.record(user: "new", item: item("i", at: 30))
        state.prune(notAfterSeconds: 20)
        #expect(state.userCount == 1)
        #expect(state.user("old") == nil)
        // The freed room takes a new user without evicting.
        state.record(user: "third", item: item("i", at: 40))
        #expect(state.user("new") != nil && state.user("third") != nil)
    }
}

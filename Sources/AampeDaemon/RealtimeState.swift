internal import AampeCore
internal import AampeLearning
import Synchronization

/// What TRACK taught the daemon since the live generation was trained: each user's newest items (with
/// purchases, for exclusions) and what was recommended to whom (for cool-downs).
///
/// Users are keyed by external id, items too, so the state does not depend on a generation's dictionaries:
/// a user or item new since training is kept and resolves once a generation knows it. Scoring counts only
/// entries newer than the generation's newest event, so when a retrained generation (which folded the
/// logged events in through `aampectl import realtime`) is swapped in, the same events are not counted
/// twice; ``prune(notAfter:)`` then drops them from memory.
///
/// The users are spread over 16 locks, so RECOMMEND and TRACK on different users rarely wait for each
/// other.
final class RealtimeState: Sendable {
    struct Item: Sendable, Hashable {
        var itemID: String
        var weight: Float
        /// Seconds since the epoch.
        var time: Int64
        var isPurchase: Bool
    }

    struct User: Sendable {
        /// Newest first, at most ``Limits/maximumRealtimeItemsPerUser``.
        var items: [Item] = []
        /// Item index and time (seconds), newest last.
        var recommended: [(item: UInt32, at: Int64)] = []
    }

    private final class Shard: Sendable {
        let users = Mutex<[String: User]>([:])
    }

    private let shards: [Shard] = (0..<16).map { _ in Shard() }
    private let keys = Mutex(KeyMemory())

    /// Remembered idempotency keys, oldest forgotten first.
    struct KeyMemory {
        var set: Set<String> = []
        var order: [String] = []
        var head = 0

        /// Inserts `key`; false when it was already there.
        mutating func insert(_ key: String) -> Bool {
            guard set.insert(key).inserted else { return false }
            order.append(key)
            if set.count > Limits.maximumRememberedTrackKeys {
                set.remove(order[head])
                head += 1
                // Compact now and then so the array does not grow without bound.
                if head > Limits.maximumRememberedTrackKeys / 2 {
                    order.removeFirst(head)
                    head = 0
                }
            }
            return true
        }
    }

    private func shard(_ user: String) -> Shard {
        var hasher = Hasher()
        hasher.combine(user)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(shards.count))]
    }

    /// Remembers `key`; false when it was seen before (a duplicate event).
    func rememberKey(_ key: String) -> Bool {
        keys.withLock { $0.insert(key) }
    }

    /// Records an item event for `user`.
    func record(user: String, item: Item) {
        shard(user).users.withLock { users in
            var state = users[user] ?? User()
            // Newest first; an out-of-order event goes where its time puts it.
            var position = 0
            while position < state.items.count && state.items[position].time > item.time { position += 1 }
            state.items.insert(item, at: position)
            if state.items.count > Limits.maximumRealtimeItemsPerUser { state.items.removeLast() }
            users[user] = state
        }
    }

    /// Notes that `items` were recommended to `user` at `time`, for later cool-downs.
    func noteRecommended(user: String, items: [UInt32], at time: Int64) {
        guard !items.isEmpty else { return }
        shard(user).users.withLock { users in
            var state = users[user] ?? User()
            for item in items { state.recommended.append((item, time)) }
            let excess = state.recommended.count - Limits.maximumRememberedRecommendationsPerUser
            if excess > 0 { state.recommended.removeFirst(excess) }
            users[user] = state
        }
    }

    /// `user`'s state, copied.
    func user(_ user: String) -> User? {
        shard(user).users.withLock { $0[user] }
    }

    /// Drops items at or before `newest` (seconds), which a new generation holds, and users left empty.
    func prune(notAfter newest: Int64) {
        for shard in shards {
            shard.users.withLock { users in
                for (id, var state) in users {
                    state.items.removeAll { $0.time <= newest }
                    if state.items.isEmpty && state.recommended.isEmpty {
                        users[id] = nil
                    } else {
                        users[id] = state
                    }
                }
            }
        }
    }
}

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
/// twice; ``prune(notAfterSeconds:)`` then drops them from memory.
///
/// The users are spread over 16 locks, so RECOMMEND and TRACK on different users rarely wait for each
/// other.
///
/// **Bound and eviction.** At most `maximumUsers` users are kept (``Limits/maximumRealtimeUsers`` by
/// default, `limits: maximumRealtimeUsers` in the daemon's config file). Each shard keeps at most
/// `maximumUsers / shards` of them (rounded down; fewer shards when `maximumUsers` is below 16), so the
/// total never exceeds the limit. A new user that would overflow its shard evicts the shard's least
/// recently touched user first. A user is touched when TRACK records an item for it, when RECOMMEND notes
/// what it recommended, and when RECOMMEND reads its state. An evicted user loses only what it had in
/// memory: its events stay in the real-time log, and the next import and training fold them in.
final class RealtimeState: Sendable {
    struct Item: Sendable, Hashable {
        var itemID: String
        var weight: Float
        /// When the event happened, in seconds since the epoch (the unit the served histories use).
        var timeSeconds: Int64
        var isPurchase: Bool
    }

    struct User: Sendable {
        /// Newest first, at most ``Limits/maximumRealtimeItemsPerUser``.
        var items: [Item] = []
        /// Item index and when it was recommended, newest last.
        var recommended: [(item: UInt32, atSeconds: Int64)] = []
    }

    private final class Shard: Sendable {
        let users: Mutex<ShardUsers>

        init(capacity: Int) { users = Mutex(ShardUsers(capacity: capacity)) }
    }

    /// One shard's users in least-recently-touched order.
    ///
    /// `touches` lists (user, touch number) oldest first and may hold stale entries for users touched
    /// again or removed since; an entry is current when its number is the user's latest. Eviction pops
    /// stale entries until it meets a current one, and the list is rebuilt when stale entries outnumber
    /// the users, so every operation is O(1) amortized.
    struct ShardUsers {
        let capacity: Int
        private(set) var users: [String: (user: User, touched: UInt64)] = [:]
        private var touches: [(id: String, touched: UInt64)] = []
        private var head = 0
        private var clock: UInt64 = 0

        init(capacity: Int) { self.capacity = capacity }

        /// `id`'s state, touched.
        mutating func read(_ id: String) -> User? {
            guard let entry = users[id] else { return nil }
            touch(id, entry.user)
            return entry.user
        }

        /// Changes `id`'s state (new users start empty) and touches it; evicts the least recently touched
        /// user first when `id` is new and the shard is full.
        mutating func update(_ id: String, _ change: (inout User) -> Void) {
            var user = users[id]?.user ?? User()
            if users[id] == nil && users.count >= capacity { evictLeastRecentlyTouched() }
            change(&user)
            touch(id, user)
        }

        /// Drops items at or before `newest` (seconds) and users left empty; touches no one.
        mutating func prune(notAfterSeconds newest: Int64) {
            for (id, var entry) in users {
                entry.user.items.removeAll { $0.timeSeconds <= newest }
                if entry.user.items.isEmpty && entry.user.recommended.isEmpty {
                    users[id] = nil
                } else {
                    users[id] = entry
                }
            }
        }

        private mutating func touch(_ id: String, _ user: User) {
            clock += 1
            users[id] = (user, clock)
            touches.append((id, clock))
            if touches.count - head > 2 * users.count + 64 {
                touches = users.map { (id: $0.key, touched: $0.value.touched) }.sorted { $0.touched < $1.touched }
                head = 0
            }
        }

        private mutating func evictLeastRecentlyTouched() {
            while head < touches.count {
                let (id, touched) = touches[head]
                head += 1
                if users[id]?.touched == touched {
                    users[id] = nil
                    break
                }
            }
            if head > touches.count / 2 {
                touches.removeFirst(head)
                head = 0
            }
        }
    }

    private let shards: [Shard]

    /// State for at most `maximumUsers` users, spread over `shards` locks (16; tests use 1 to see the
    /// eviction order exactly), and at most `rememberedKeys` idempotency keys.
    init(
        maximumUsers: Int = Limits.maximumRealtimeUsers,
        shards: Int = 16,
        rememberedKeys: Int = Limits.maximumRememberedTrackKeys
    ) {
        precondition(
            maximumUsers >= 1 && shards >= 1 && rememberedKeys >= 1,
            "RealtimeState needs room for a user, a shard and a key"
        )
        let count = min(shards, maximumUsers)
        self.shards = (0..<count).map { _ in Shard(capacity: maximumUsers / count) }
        keys = Mutex(KeyMemory(capacity: rememberedKeys))
    }
    private let keys: Mutex<KeyMemory>

    /// Remembered idempotency keys, oldest forgotten first.
    struct KeyMemory {
        /// The most keys remembered: ``Limits/maximumRememberedTrackKeys`` (tests use fewer).
        let capacity: Int
        var set: Set<String> = []
        var order: [String] = []
        var head = 0

        /// Inserts `key`; false when it was already there.
        mutating func insert(_ key: String) -> Bool {
            guard set.insert(key).inserted else { return false }
            order.append(key)
            if set.count > capacity {
                set.remove(order[head])
                head += 1
                // Compact now and then so the array does not grow without bound.
                if head > capacity / 2 {
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

    /// Forgets `keys` of events that were not logged after all, so that the client's retry is not taken
    /// for a duplicate. (A key remembered again later may then be forgotten a little early.)
    func forgetKeys(_ forgotten: [String]) {
        keys.withLock { memory in
            for key in forgotten { memory.set.remove(key) }
        }
    }

    /// Records an item event for `user`.
    func record(user: String, item: Item) {
        shard(user).users.withLock { users in
            users.update(user) { state in
                // Newest first; an out-of-order event goes where its time puts it.
                var position = 0
                while position < state.items.count && state.items[position].timeSeconds > item.timeSeconds {
                    position += 1
                }
                state.items.insert(item, at: position)
                if state.items.count > Limits.maximumRealtimeItemsPerUser { state.items.removeLast() }
            }
        }
    }

    /// Notes that `items` were recommended to `user` at `time` (seconds since the epoch), for later cool-downs.
    func noteRecommended(user: String, items: [UInt32], atSeconds time: Int64) {
        guard !items.isEmpty else { return }
        shard(user).users.withLock { users in
            users.update(user) { state in
                for item in items { state.recommended.append((item, time)) }
                let excess = state.recommended.count - Limits.maximumRememberedRecommendationsPerUser
                if excess > 0 { state.recommended.removeFirst(excess) }
            }
        }
    }

    /// `user`'s state, copied; touches the user.
    func user(_ user: String) -> User? {
        shard(user).users.withLock { $0.read(user) }
    }

    /// Drops items at or before `newest` (seconds), which a new generation holds, and users left empty.
    func prune(notAfterSeconds newest: Int64) {
        for shard in shards {
            shard.users.withLock { $0.prune(notAfterSeconds: newest) }
        }
    }

    /// How many users have state (sums the shards under their locks one at a time, so only exact when
    /// nothing else runs).
    var userCount: Int {
        shards.reduce(0) { total, shard in total + shard.users.withLock { $0.users.count } }
    }
}

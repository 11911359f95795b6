import Dispatch
import Synchronization

/// Each trained user's best neighbour-scored items, computed once per generation: what a Redis cache of
/// precomputed recommendations would hold, kept next to the model so that RECOMMEND can answer a user
/// with no real-time activity by reading a list instead of scoring.
///
/// A list holds at most ``length`` items, ranked exactly as ``RecommendationEngine`` ranks them (score,
/// then item index), with every item of the user's trained history left out. Filters, `exclude_items` and
/// the catalog overlay apply when answering, not here, so one list serves every filter: see
/// ``RecommendationEngine/recommendFromServedList(user:options:overlay:)`` for when a list answers and
/// when the request is scored after all.
///
/// The cost is memory: 12 bytes per entry (item, score, the item it is because of), mapped with the
/// generation: 24 entries for 700,000 users with histories are about 200 MB.
public struct ServedLists: Sendable, Hashable {
    /// The most items per user: a list shorter than this holds every candidate the user has.
    public var length: Int
    /// User `u`'s list is `items[offsets[u] ..< offsets[u + 1]]`, best first.
    public var offsets: [UInt64]
    /// See ``offsets``.
    public var items: [UInt32]
    /// The A·S score of each listed item.
    public var scores: [Float]
    /// The history item that contributed most to each listed item.
    public var because: [UInt32]

    /// The lists of every user of `trained`, `length` items at most each, computed on every core.
    public static func compute(_ trained: TrainedRecommender, length: Int) -> ServedLists {
        precondition(length > 0, "a served list holds at least one item")
        let model = RecommenderModel(trained: trained)
        let engine = RecommendationEngine(model: model)
        // Users in chunks, so threads share the work evenly; each chunk's lists are appended in order.
        let chunkSize = 4_096
        let chunkCount = (model.userCount + chunkSize - 1) / chunkSize
        let pieces = Mutex([ServedLists?](repeating: nil, count: chunkCount))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let users = chunk * chunkSize..<min(model.userCount, (chunk + 1) * chunkSize)
            var piece = ServedLists(length: length, offsets: [0], items: [], scores: [], because: [])
            for user in users {
                piece.append(engine.servedList(history: model.history(of: user), length: length))
            }
            pieces.withLock { $0[chunk] = piece }
        }
        var lists = ServedLists(length: length, offsets: [0], items: [], scores: [], because: [])
        lists.offsets.reserveCapacity(model.userCount + 1)
        // concurrentPerform has run every chunk.
        for piece in pieces.withLock({ $0 }).map({ $0! }) {
            let base = lists.offsets.last!
            lists.offsets.append(contentsOf: piece.offsets.dropFirst().map { base + $0 })
            lists.items.append(contentsOf: piece.items)
            lists.scores.append(contentsOf: piece.scores)
            lists.because.append(contentsOf: piece.because)
        }
        return lists
    }

    /// Adds the next user's list, as ``RecommendationEngine`` ranked it.
    private mutating func append(_ list: [RecommendedItem]) {
        for entry in list {
            items.append(entry.item)
            scores.append(entry.score)
            // A neighbour-scored item always names its strongest contributor.
            because.append(entry.becauseOf!)
        }
        offsets.append(UInt64(items.count))
    }
}

/// A generation's served lists as a model reads them: buffers over the mapped columns (or over a
/// ``ServedLists`` in memory), validated with the model.
public struct ServedListColumns: @unchecked Sendable {
    /// The settings' `servedListLength`: a list shorter than it holds every candidate.
    public var length: Int
    /// u64 × (users + 1): where each user's list starts in ``items``.
    public var offsets: UnsafeBufferPointer<UInt64>
    /// Item indices, best first per user.
    public var items: UnsafeBufferPointer<UInt32>
    /// Scores, parallel to ``items``.
    public var scores: UnsafeBufferPointer<Float>
    /// The item each listed item is because of, parallel to ``items``.
    public var because: UnsafeBufferPointer<UInt32>

    /// Collects the buffers; the model checks them.
    public init(
        length: Int,
        offsets: UnsafeBufferPointer<UInt64>,
        items: UnsafeBufferPointer<UInt32>,
        scores: UnsafeBufferPointer<Float>,
        because: UnsafeBufferPointer<UInt32>
    ) {
        self.length = length
        self.offsets = offsets
        self.items = items
        self.scores = scores
        self.because = because
    }
}

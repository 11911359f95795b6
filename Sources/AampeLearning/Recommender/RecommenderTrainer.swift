import Dispatch
import Foundation
import Synchronization

/// What training produced, in memory: the neighbour table, popularity, trending and user histories, all
/// indexed by the dense item and user indices of the data directory.
public struct TrainedRecommender: Sendable {
    /// The settings trained with.
    public var settings: RecommenderSettings
    /// The number of users, rows of the history table.
    public var userCount: Int
    /// The number of items, rows of the item tables.
    public var itemCount: Int
    /// The newest interaction, in seconds since the epoch: where decay and trending are measured from.
    public var newestTimestampSeconds: Int64

    /// Item `i`'s neighbours are `neighbourItems[neighbourOffsets[i] ..< neighbourOffsets[i + 1]]`, best
    /// first, with their similarities in `neighbourScores`. An item is never its own neighbour.
    public var neighbourOffsets: [UInt64]
    /// See ``neighbourOffsets``.
    public var neighbourItems: [UInt32]
    /// See ``neighbourOffsets``.
    public var neighbourScores: [Float]

    /// Distinct users per item.
    public var popularity: [Float]
    /// Every item, most popular first (ties, and items without users, lower index first).
    public var popularOrder: [UInt32]
    /// Interactions in the last `trendingDays` minus a third of those in the `3 × trendingDays` before.
    public var trendingScores: [Float]
    /// Items with a positive trending score, highest first.
    public var trendingOrder: [UInt32]

    /// User `u`'s history is `historyItems[historyOffsets[u] ..< historyOffsets[u + 1]]`, most recent
    /// first, with the decayed affinity, the last interaction and the last purchase (seconds since the
    /// epoch, 0 for never).
    public var historyOffsets: [UInt64]
    /// See ``historyOffsets``.
    public var historyItems: [UInt32]
    /// See ``historyOffsets``.
    public var historyWeights: [Float]
    /// See ``historyOffsets``.
    public var historyLastSeenSeconds: [UInt32]
    /// See ``historyOffsets``.
    public var historyLastPurchaseSeconds: [UInt32]

    /// What training saw and did.
    public var statistics: TrainingStatistics
}

/// Counts that say what training saw and did.
public struct TrainingStatistics: Hashable, Sendable, Codable {
    /// Interactions read.
    public var interactions = 0
    /// Users left with at least one item after weighting.
    public var usersWithHistory = 0
    /// Items with at least one user.
    public var itemsWithUsers = 0
    /// Items with at least one neighbour.
    public var itemsWithNeighbours = 0
    /// Neighbour entries kept over all items.
    public var neighbourPairs = 0
    /// Users whose co-occurrence contribution was cut to their strongest items.
    public var usersCapped = 0
    /// Co-occurrence additions done: Σ over users of (their items)², the heavy part of training.
    public var cooccurrenceUpdates = 0
    /// All counts zero.
    public init() {}
}

/// Training phases, for progress reports.
/// Reading the interactions into per-user rows.
public enum TrainingPhase: String, Sendable {
    /// Counting co-occurrence and keeping each item's neighbours.
    case histories = "user histories"
    case neighbours = "item neighbours"
}

/// Builds the item-item model from interactions.
///
/// Everything is sparse: users' items and items' users are compressed rows, and co-occurrence is counted
/// one item row at a time into a dense accumulator per thread that is reset through the list of entries
/// it touched. Memory is the interactions, two compressed copies of the user × item matrix and the
/// neighbour lists; it never holds an item × item matrix.
///
/// To train, fill an ``InteractionLog`` with dense user and item indices and call
/// ``train(_:settings:threads:progress:)``; it blocks until the model is built, so run it off any event
/// loop. The per-user merge and the neighbour search run on up to `threads` threads with
/// `DispatchQueue.concurrentPerform`, so `progress` is called from the calling thread and from a worker. The result is plain values:
/// ``RecommenderFiles/write(_:catalog:itemIDs:userIDs:into:trainedAt:catalogUpdatedAtMicros:)`` stores it in a generation, and
/// ``RecommenderModel/init(trained:catalog:)`` serves it from memory. Decay and trending are measured
/// from the log's newest interaction, not the wall clock, so retraining the same log gives the same model.
public enum RecommenderTrainer {
    /// Called with a phase and its progress (`done` of `total` units) from the training thread or a worker thread.
    public typealias Progress = @Sendable (TrainingPhase, _ done: Int, _ total: Int) -> Void

    /// Trains on `log` with `settings` on up to `threads` threads (default: the active cores) and returns the model.
    /// Blocks until done; never throws: empty input gives an empty model.
    public static func train(
        _ log: InteractionLog,
        settings: RecommenderSettings,
        threads: Int? = nil,
        progress: Progress? = nil
    ) -> TrainedRecommender {
        let threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let userCount = log.userCount
        let itemCount = log.itemCount
        let newest = log.newestTimestampSeconds ?? 0
        var statistics = TrainingStatistics()
        statistics.interactions = log.count

        let matrix = UserItemMatrix(
            log: log,
            settings: settings,
            newest: newest,
            threads: max(1, threads),
            progress: progress
        )
        statistics.usersWithHistory = matrix.usersWithItems

        // Popularity: distinct users per item.
        var popularity = [Float](repeating: 0, count: itemCount)
        for item in matrix.items { popularity[Int(item)] += 1 }
        let ranked = rankedPositive(popularity)
        statistics.itemsWithUsers = ranked.count
        // Items nobody used yet (in the catalog, not in the events) follow, in index order: backfill can
        // reach them, as it reaches items the catalog overlay adds between trainings, so an item does
        // not drop out of backfill when a retrain makes it known.
        let popularOrder = ranked + (0..<UInt32(itemCount)).filter { popularity[Int($0)] <= 0 }

        let (trendingScores, trendingOrder) = trending(
            log: log,
            itemCount: itemCount,
            newest: newest,
            days: settings.trendingDays
        )

        // The co-occurrence input and the served histories both read only the matrix, and each is a
        // serial pass, so with two threads or more they are built side by side.
        let (cooccurrence, history) = Self.cooccurrenceAndHistories(
            matrix: matrix,
            settings: settings,
            itemCount: itemCount,
            isConcurrent: threads > 1
        )
        statistics.usersCapped = cooccurrence.usersCapped
        let neighbours = NeighbourSearch(input: cooccurrence, settings: settings, userCount: userCount)
            .run(threads: max(1, threads), progress: progress)
        statistics.cooccurrenceUpdates = neighbours.updates
        statistics.neighbourPairs = neighbours.items.count
        statistics.itemsWithNeighbours = (0..<itemCount).reduce(0) {
            $0 + (neighbours.offsets[$1 + 1] > neighbours.offsets[$1] ? 1 : 0)
        }

        return TrainedRecommender(
            settings: settings,
            userCount: userCount,
            itemCount: itemCount,
            newestTimestampSeconds: newest,
            neighbourOffsets: neighbours.offsets,
            neighbourItems: neighbours.items,
            neighbourScores: neighbours.scores,
            popularity: popularity,
            popularOrder: popularOrder,
            trendingScores: trendingScores,
            trendingOrder: trendingOrder,
            historyOffsets: history.offsets,
            historyItems: history.items,
            historyWeights: history.weights,
            historyLastSeenSeconds: history.lastSeenSeconds,
            historyLastPurchaseSeconds: history.lastPurchaseSeconds,
            statistics: statistics
        )
    }

    static func cooccurrenceAndHistories(
        matrix: UserItemMatrix,
        settings: RecommenderSettings,
        itemCount: Int,
        isConcurrent: Bool
    ) -> (CooccurrenceInput, UserItemMatrix.Histories) {
        guard isConcurrent else {
            return (
                CooccurrenceInput(matrix: matrix, settings: settings, itemCount: itemCount),
                matrix.histories(length: settings.historyLength)
            )
        }
        let cooccurrence = Mutex<CooccurrenceInput?>(nil)
        let history = Mutex<UserItemMatrix.Histories?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                let input = CooccurrenceInput(matrix: matrix, settings: settings, itemCount: itemCount)
                cooccurrence.withLock { $0 = input }
            } else {
                let histories = matrix.histories(length: settings.historyLength)
                history.withLock { $0 = histories }
            }
        }
        return (cooccurrence.withLock { $0! }, history.withLock { $0! })
    }

    /// Indices with a positive score, highest first, ties by the lower index.
    static func rankedPositive(_ scores: [Float]) -> [UInt32] {
        var order: [UInt32] = []
        for (index, score) in scores.enumerated() where score > 0 { order.append(UInt32(index)) }
        order.sort { (left: UInt32, right: UInt32) -> Bool in
            let a = scores[Int(left)]
            let b = scores[Int(right)]
            return a != b ? a > b : left < right
        }
        return order
    }

    static func trending(log: InteractionLog, itemCount: Int, newest: Int64, days: Int) -> ([Float], [UInt32]) {
        var scores = [Float](repeating: 0, count: itemCount)
        guard days > 0 else { return (scores, []) }
        let window = Int64(days) * 86_400
        let recentStart = newest - window
        let priorStart = newest - 4 * window
        log.items.withUnsafeBufferPointer { items in
            log.timestampSeconds.withUnsafeBufferPointer { times in
                for index in 0..<items.count {
                    let time = times[index]
                    if time > recentStart {
                        scores[Int(items[index])] += 1
                    } else if time > priorStart {
                        scores[Int(items[index])] -= 1.0 / 3.0
                    }
                }
            }
        }
        return (scores, rankedPositive(scores))
    }
}

/// Each user's distinct items with decayed affinity, last interaction and last purchase, most recent
/// first: the interactions grouped by user with a counting sort, then merged per user through dense
/// per-item scratch arrays.
struct UserItemMatrix {
    var offsets: [Int]
    var items: [UInt32]
    var affinities: [Float]
    var lastSeenSeconds: [Int64]
    var lastPurchaseSeconds: [Int64]
    var usersWithItems = 0

    init(
        log: InteractionLog,
        settings: RecommenderSettings,
        newest: Int64,
        threads: Int,
        progress: RecommenderTrainer.Progress?
    ) {
        let userCount = log.userCount
        let itemCount = log.itemCount
        let decayPerSecond = settings.halfLifeDays > 0 ? 0.693_147_180_559_945_3 / (settings.halfLifeDays * 86_400) : 0
        var parts = Self.parts(
            of: Self.groupedByUser(log),
            threads: threads,
            itemCount: itemCount,
            newest: newest,
            decayPerSecond: decayPerSecond,
            progress: progress
        )
        let total = parts.reduce(0) { $0 + $1!.items.count }
        offsets = [0]
        offsets.reserveCapacity(userCount + 1)
        items = []
        items.reserveCapacity(total)
        affinities = []
        affinities.reserveCapacity(total)
        lastSeenSeconds = []
        lastSeenSeconds.reserveCapacity(total)
        lastPurchaseSeconds = []
        lastPurchaseSeconds.reserveCapacity(total)
        // Each part is released once copied, so the peak holds the matrix about once and a half, not twice.
        for index in parts.indices {
            let part = parts[index]!
            parts[index] = nil
            let base = items.count
            offsets.append(contentsOf: part.ends.lazy.map { base + $0 })
            items.append(contentsOf: part.items)
            affinities.append(contentsOf: part.affinities)
            lastSeenSeconds.append(contentsOf: part.lastSeenSeconds)
            lastPurchaseSeconds.append(contentsOf: part.lastPurchaseSeconds)
            usersWithItems += part.usersWithItems
        }
        progress?(.histories, userCount, userCount)
    }

    /// Users are independent, so contiguous user ranges of about equal event counts are merged on
    /// separate threads, each into its own part, in user order.
    static func parts(
        of events: GroupedEvents,
        threads: Int,
        itemCount: Int,
        newest: Int64,
        decayPerSecond: Double,
        progress: RecommenderTrainer.Progress?
    ) -> [Part?] {
        let userCount = events.starts.count - 1
        let eventCount = events.starts[userCount]
        let workers = max(1, min(threads, userCount))
        var bounds = [0]
        for worker in 1..<workers {
            let target = eventCount * worker / workers
            var user = bounds[worker - 1]
            while user < userCount && events.starts[user] < target { user += 1 }
            bounds.append(user)
        }
        bounds.append(userCount)
        let ranges = (0..<workers).map { bounds[$0]..<bounds[$0 + 1] }
        let parts = Mutex<[Part?]>(Array(repeating: nil, count: workers))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let part = Part(
                events: events,
                users: ranges[worker],
                itemCount: itemCount,
                newest: newest,
                decayPerSecond: decayPerSecond,
                progress: worker == 0 ? progress : nil,
                userCount: userCount
            )
            parts.withLock { $0[worker] = part }
        }
        return parts.withLock { $0 }
    }

    /// The log's columns reordered so that each user's events are contiguous, in log order within a
    /// user. Moving the columns in one sequential pass over the log costs scattered writes, which the
    /// processor does not wait for; reading each user's events through an index would cost a dependent
    /// cache miss per column per event.
    struct GroupedEvents: Sendable {
        /// User `u`'s events are at `starts[u] ..< starts[u + 1]`.
        var starts: [Int]
        var items: [UInt32]
        var weights: [Float]
        var timestampSeconds: [Int64]
        var isPurchase: [Bool]
    }

    static func groupedByUser(_ log: InteractionLog) -> GroupedEvents {
        let userCount = log.userCount
        let count = log.count
        var starts = [Int](repeating: 0, count: userCount + 1)
        for user in log.users { starts[Int(user) + 1] += 1 }
        for user in 0..<userCount { starts[user + 1] += starts[user] }
        var grouped = GroupedEvents(
            starts: starts,
            items: [UInt32](repeating: 0, count: count),
            weights: [Float](repeating: 0, count: count),
            timestampSeconds: [Int64](repeating: 0, count: count),
            isPurchase: [Bool](repeating: false, count: count)
        )
        var cursor = starts
        cursor.withUnsafeMutableBufferPointer { cursor in
            grouped.items.withUnsafeMutableBufferPointer { items in
                grouped.weights.withUnsafeMutableBufferPointer { weights in
                    grouped.timestampSeconds.withUnsafeMutableBufferPointer { times in
                        grouped.isPurchase.withUnsafeMutableBufferPointer { purchases in
                            for index in 0..<count {
                                let user = Int(log.users[index])
                                let position = cursor[user]
                                cursor[user] = position + 1
                                items[position] = log.items[index]
                                weights[position] = log.weights[index]
                                times[position] = log.timestampSeconds[index]
                                purchases[position] = log.isPurchase[index]
                            }
                        }
                    }
                }
            }
        }
        return grouped
    }

    /// The merged rows of a contiguous range of users; `ends[k]` is where the range's `k`th user ends
    /// in this part's arrays.
    struct Part: Sendable {
        var ends: [Int] = []
        var items: [UInt32] = []
        var affinities: [Float] = []
        var lastSeenSeconds: [Int64] = []
        var lastPurchaseSeconds: [Int64] = []
        var usersWithItems = 0

        init(
            events: GroupedEvents,
            users: Range<Int>,
            itemCount: Int,
            newest: Int64,
            decayPerSecond: Double,
            progress: RecommenderTrainer.Progress?,
            userCount: Int
        ) {
            var affinity = [Float](repeating: 0, count: itemCount)
            var seen = [Int64](repeating: Int64.min, count: itemCount)
            var bought = [Int64](repeating: 0, count: itemCount)
            var touched: [UInt32] = []
            ends.reserveCapacity(users.count)
            let eventCount = events.starts[users.upperBound] - events.starts[users.lowerBound]
            items.reserveCapacity(eventCount)
            affinities.reserveCapacity(eventCount)
            lastSeenSeconds.reserveCapacity(eventCount)
            lastPurchaseSeconds.reserveCapacity(eventCount)
            for user in users {
                touched.removeAll(keepingCapacity: true)
                for position in events.starts[user]..<events.starts[user + 1] {
                    let item = Int(events.items[position])
                    let time = events.timestampSeconds[position]
                    if seen[item] == Int64.min { touched.append(UInt32(item)) }
                    let decay = decayPerSecond > 0 ? Float(exp(-Double(newest - time) * decayPerSecond)) : 1
                    affinity[item] += events.weights[position] * decay
                    seen[item] = max(seen[item], time)
                    if events.isPurchase[position] { bought[item] = max(bought[item], time) }
                }
                // Most recent first; the item index breaks ties so the order is deterministic.
                touched.sort { (left: UInt32, right: UInt32) -> Bool in
                    let a = seen[Int(left)]
                    let b = seen[Int(right)]
                    return a != b ? a > b : left < right
                }
                for item in touched {
                    let index = Int(item)
                    items.append(item)
                    affinities.append(affinity[index])
                    lastSeenSeconds.append(seen[index])
                    lastPurchaseSeconds.append(bought[index])
                    affinity[index] = 0
                    seen[index] = Int64.min
                    bought[index] = 0
                }
                if !touched.isEmpty { usersWithItems += 1 }
                ends.append(items.count)
                if user & 0xFFFF == 0 { progress?(.histories, user, userCount) }
            }
        }
    }

    /// The served histories: each user's first `length` items (0: all), times cut to 32 bits.
    typealias Histories = (
        offsets: [UInt64], items: [UInt32], weights: [Float], lastSeenSeconds: [UInt32], lastPurchaseSeconds: [UInt32]
    )

    func histories(length: Int) -> Histories {
        var result: Histories = ([0], [], [], [], [])
        let userCount = offsets.count - 1
        var kept = 0
        for user in 0..<userCount {
            let count = offsets[user + 1] - offsets[user]
            kept += length > 0 ? min(count, length) : count
        }
        result.offsets.reserveCapacity(offsets.count)
        result.items.reserveCapacity(kept)
        result.weights.reserveCapacity(kept)
        result.lastSeenSeconds.reserveCapacity(kept)
        result.lastPurchaseSeconds.reserveCapacity(kept)
        for user in 0..<userCount {
            let start = offsets[user]
            let end = length > 0 ? min(offsets[user + 1], start + length) : offsets[user + 1]
            result.items.append(contentsOf: items[start..<end])
            result.weights.append(contentsOf: affinities[start..<end])
            for index in start..<end {
                result.lastSeenSeconds.append(Self.clampedSeconds(lastSeenSeconds[index]))
                result.lastPurchaseSeconds.append(Self.clampedSeconds(lastPurchaseSeconds[index]))
            }
            result.offsets.append(UInt64(result.items.count))
        }
        return result
    }

    /// Seconds since the epoch in 32 bits (until 2106); served histories keep times at this width.
    static func clampedSeconds(_ seconds: Int64) -> UInt32 {
        UInt32(clamping: max(0, seconds))
    }
}

/// The user × item rows that co-occurrence is counted over (each user's items, cut to the strongest
/// `maximumItemsPerUser`), their transpose, and the per-entry weights BM25 needs.
///
/// `@unchecked Sendable`: built on one thread and only read once shared; its stored properties are arrays
/// and integers, which are `Sendable` themselves, so the checked conformance would do as well.
struct CooccurrenceInput: @unchecked Sendable {
    var userOffsets: [Int]
    var userItems: [UInt32]
    var userWeights: [Float]
    var itemOffsets: [Int]
    /// For each (item, user) entry of the transpose, the user's row in `userItems`. Counting an item's
    /// row visits its users in scattered places; holding the row's bounds here saves a dependent cache
    /// miss on `userOffsets` for every visit, which was a third of the neighbour search's time.
    var itemUserRows: [Range<Int>]
    var itemWeights: [Float]
    var usersCapped = 0

    init(matrix: UserItemMatrix, settings: RecommenderSettings, itemCount: Int) {
        let cap = settings.maximumItemsPerUser
        userOffsets = [0]
        userItems = []
        userWeights = []
        userItems.reserveCapacity(matrix.items.count)
        userWeights.reserveCapacity(matrix.items.count)
        for user in 0..<(matrix.offsets.count - 1) {
            let range = matrix.offsets[user]..<matrix.offsets[user + 1]
            if cap > 0 && range.count > cap {
                usersCapped += 1
                let strongest = range.sorted { (left: Int, right: Int) -> Bool in
                    let a = matrix.affinities[left]
                    let b = matrix.affinities[right]
                    return a != b ? a > b : left < right
                }.prefix(cap)
                for index in strongest.sorted() {
                    userItems.append(matrix.items[index])
                    userWeights.append(matrix.affinities[index])
                }
            } else {
                userItems.append(contentsOf: matrix.items[range])
                userWeights.append(contentsOf: matrix.affinities[range])
            }
            userOffsets.append(userItems.count)
        }
        if settings.similarity == .bm25 {
            Self.applyBM25(userOffsets: userOffsets, userItems: userItems, weights: &userWeights, itemCount: itemCount)
        }
        // Transpose.
        var starts = [Int](repeating: 0, count: itemCount + 1)
        for item in userItems { starts[Int(item) + 1] += 1 }
        for item in 0..<itemCount { starts[item + 1] += starts[item] }
        itemOffsets = starts
        itemUserRows = [Range<Int>](repeating: 0..<0, count: userItems.count)
        itemWeights = [Float](repeating: 0, count: userItems.count)
        var cursor = starts
        for user in 0..<(userOffsets.count - 1) {
            let row = userOffsets[user]..<userOffsets[user + 1]
            for index in row {
                let item = Int(userItems[index])
                itemUserRows[cursor[item]] = row
                itemWeights[cursor[item]] = userWeights[index]
                cursor[item] += 1
            }
        }
    }

    /// Okapi BM25 over the item × user matrix with items as documents and users as terms, as `implicit`
    /// weights it: idf(u) = ln(I) − ln(1 + items of u), length(i) = Σ_u a_ui, and
    /// w_ui = a_ui · (K1 + 1) / (K1 · (1 − B + B · length(i) / mean length) + a_ui) · idf(u).
    static func applyBM25(
        userOffsets: [Int],
        userItems: [UInt32],
        weights: inout [Float],
        itemCount: Int,
        k1: Float = 1.2,
        b: Float = 0.75
    ) {
        var length = [Float](repeating: 0, count: itemCount)
        for (index, item) in userItems.enumerated() { length[Int(item)] += weights[index] }
        let documents = length.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        guard documents > 0 else { return }
        let meanLength = length.reduce(0, +) / Float(documents)
        let logDocuments = Float(log(Double(documents)))
        for user in 0..<(userOffsets.count - 1) {
            let range = userOffsets[user]..<userOffsets[user + 1]
            let idf = logDocuments - Float(log1p(Double(range.count)))
            for index in range {
                let value = weights[index]
                let norm = (1 - b) + b * length[Int(userItems[index])] / meanLength
                weights[index] = value * (k1 + 1) / (k1 * norm + value) * idf
            }
        }
    }
}

/// Counts co-occurrence one item row at a time and keeps each row's best neighbours. Rows are handed
/// out in chunks to `threads` workers, each with its own dense accumulator.
///
/// `@unchecked Sendable`: its stored properties are immutable `Sendable` values read by every worker.
/// The shared output in `run` is a buffer each worker writes only at the rows of the chunks it took from
/// an atomic counter, so no row has two writers, and it is read after `concurrentPerform` returns.
struct NeighbourSearch: @unchecked Sendable {
    let input: CooccurrenceInput
    let settings: RecommenderSettings
    let userCount: Int

    struct Output {
        var offsets: [UInt64]
        var items: [UInt32]
        var scores: [Float]
        var updates: Int
    }

    func run(threads: Int, progress: RecommenderTrainer.Progress?) -> Output {
        let itemCount = input.itemOffsets.count - 1
        let chunk = 256
        let chunks = (itemCount + chunk - 1) / chunk
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let updates = Atomic<Int>(0)
        let rows = UnsafeMutableBufferPointer<[(UInt32, Float)]>.allocate(capacity: itemCount)
        rows.initialize(repeating: [])
        defer { rows.deinitialize().deallocate() }
        let rowsAddress = UInt(bitPattern: rows.baseAddress)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, chunks))) { worker in
            let rows = UnsafeMutableBufferPointer<[(UInt32, Float)]>(
                start: UnsafeMutablePointer(bitPattern: rowsAddress),
                count: itemCount
            )
            var scratch = Scratch(itemCount: itemCount)
            var workerUpdates = 0
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                if index >= chunks { break }
                for item in (index * chunk)..<min(itemCount, (index + 1) * chunk) {
                    rows[item] = neighbours(of: item, scratch: &scratch, updates: &workerUpdates)
                }
                let finished = done.add(1, ordering: .relaxed).newValue
                if worker == 0 { progress?(.neighbours, min(itemCount, finished * chunk), itemCount) }
            }
            updates.add(workerUpdates, ordering: .relaxed)
        }
        progress?(.neighbours, itemCount, itemCount)
        var output = Output(offsets: [0], items: [], scores: [], updates: updates.load(ordering: .relaxed))
        output.offsets.reserveCapacity(itemCount + 1)
        let total = rows.reduce(0) { $0 + $1.count }
        output.items.reserveCapacity(total)
        output.scores.reserveCapacity(total)
        for row in rows {
            for (item, score) in row {
                output.items.append(item)
                output.scores.append(score)
            }
            output.offsets.append(UInt64(output.items.count))
        }
        return output
    }

    /// One worker's dense accumulators, indexed by item, and the list of the items they hold counts for.
    /// Plain buffers rather than arrays: the counting loop runs Σ(items per user)² times, and an array's
    /// uniqueness check on every append was a visible share of it.
    struct Scratch: ~Copyable {
        let counts: UnsafeMutableBufferPointer<UInt32>
        let dots: UnsafeMutableBufferPointer<Float>
        let touched: UnsafeMutableBufferPointer<UInt32>
        var touchedCount = 0
        var best: [(UInt32, Float)] = []
        /// Where the loads ahead of the counting loop leave their result, so that they are kept.
        let loaded: UnsafeMutablePointer<UInt32>

        init(itemCount: Int) {
            counts = .allocate(capacity: itemCount)
            counts.initialize(repeating: 0)
            dots = .allocate(capacity: itemCount)
            dots.initialize(repeating: 0)
            // One more than the items: the counting loop writes one past the last item it keeps.
            touched = .allocate(capacity: itemCount + 1)
            touched.initialize(repeating: 0)
            loaded = .allocate(capacity: 1)
            loaded.initialize(to: 0)
        }

        deinit {
            counts.deallocate()
            dots.deallocate()
            touched.deallocate()
            loaded.deallocate()
        }
    }

    /// How many user rows the counting loop loads ahead (see ``neighbours(of:scratch:updates:)``):
    /// enough to keep the core's miss buffers busy, few enough that the rows are still in L1 when
    /// counted. On the 10^6-user bench 16 and 32 trained alike, 64 a little slower, and 1 (no loads
    /// ahead) 15–20 % slower on a quiet machine and up to twice as slow on a loaded one.
    static let rowsLoadedAhead = 16

    /// Item `item`'s neighbours, best first, ties broken by the lower index.
    func neighbours(of item: Int, scratch: inout Scratch, updates: inout Int) -> [(UInt32, Float)] {
        let usersStart = input.itemOffsets[item]
        let usersEnd = input.itemOffsets[item + 1]
        guard usersEnd > usersStart else { return [] }
        let weighted = settings.similarity == .bm25
        let counts = scratch.counts
        let dots = scratch.dots
        let touched = scratch.touched
        var touchedCount = 0
        input.userItems.withUnsafeBufferPointer { userItems in
            input.userWeights.withUnsafeBufferPointer { userWeights in
                input.itemUserRows.withUnsafeBufferPointer { itemUserRows in
                    input.itemWeights.withUnsafeBufferPointer { itemWeights in
                        var batchStart = usersStart
                        while batchStart < usersEnd {
                            let batchEnd = min(batchStart + Self.rowsLoadedAhead, usersEnd)
                            // The rows are scattered, so each is a cache miss, and the counting loop is
                            // long enough that the processor has only about three of them in flight.
                            // Loading a batch of rows' first and last entries first, in a loop that does
                            // nothing else, puts all their misses in flight at once; the counting then
                            // finds them in cache.
                            var loaded: UInt32 = 0
                            for position in batchStart..<batchEnd {
                                let row = itemUserRows[position]
                                loaded |= userItems[row.lowerBound] | userItems[row.upperBound - 1]
                                if weighted { loaded |= userWeights[row.lowerBound].bitPattern }
                            }
                            // Stored so that the loads are not optimized away.
                            scratch.loaded.pointee = loaded
                            for position in batchStart..<batchEnd {
                                let row = itemUserRows[position]
                                updates += row.count
                                if weighted {
                                    let own = itemWeights[position]
                                    for index in row {
                                        let other = Int(userItems[index])
                                        let count = counts[other]
                                        // Written always, kept only when new: a branch here would be
                                        // mispredicted about as often as an item is new to the row.
                                        touched[touchedCount] = UInt32(other)
                                        touchedCount &+= count == 0 ? 1 : 0
                                        counts[other] = count &+ 1
                                        dots[other] += own * userWeights[index]
                                    }
                                } else {
                                    for index in row {
                                        let other = Int(userItems[index])
                                        let count = counts[other]
                                        touched[touchedCount] = UInt32(other)
                                        touchedCount &+= count == 0 ? 1 : 0
                                        counts[other] = count &+ 1
                                    }
                                }
                            }
                            batchStart = batchEnd
                        }
                    }
                }
            }
        }
        let support = UInt32(max(1, settings.effectiveMinimumSupport))
        let occurrence = Float(usersEnd - usersStart)
        let users = Float(userCount)
        let similarity = settings.similarity
        let keepsAll = settings.neighbours <= 0
        var best = WorstFirstHeap(elements: scratch.best, capacity: keepsAll ? Int.max : settings.neighbours)
        input.itemOffsets.withUnsafeBufferPointer { itemOffsets in
            for other in touched[0..<touchedCount] {
                let index = Int(other)
                let together = counts[index]
                let dot = dots[index]
                counts[index] = 0
                dots[index] = 0
                guard index != item, together >= support else { continue }
                let both = Float(together)
                let otherOccurrence = Float(itemOffsets[index + 1] - itemOffsets[index])
                let score: Float =
                    switch similarity {
                    case .jaccard: both / (occurrence + otherOccurrence - both)
                    case .cosine: both / (occurrence * otherOccurrence).squareRoot()
                    case .lift: both * users / (occurrence * otherOccurrence)
                    case .bm25: dot
                    case .counts: both
                    }
                guard score > 0 else { continue }
                best.offer((other, score))
            }
        }
        let row = best.sortedBestFirst()
        best.elements.removeAll(keepingCapacity: true)
        scratch.best = best.elements
        return row
    }
}

/// The best `capacity` (item, score) pairs offered, as a binary heap with the worst kept at the root,
/// so most offers cost one comparison. "Better" is a higher score, ties by the lower item index: a total
/// order, so the pairs kept and their order do not depend on the order they were offered in.
struct WorstFirstHeap {
    var elements: [(UInt32, Float)]
    let capacity: Int

    init(elements: [(UInt32, Float)], capacity: Int) {
        self.elements = elements
        self.capacity = capacity
    }

    @inline(__always)
    static func ranksBefore(_ a: (UInt32, Float), _ b: (UInt32, Float)) -> Bool {
        a.1 != b.1 ? a.1 > b.1 : a.0 < b.0
    }

    /// Offers `element`; inlined so that the usual case, a full heap whose worst ranks before it, costs
    /// one comparison and no call.
    @inline(__always)
    mutating func offer(_ element: (UInt32, Float)) {
        if elements.count == capacity, capacity > 0, !Self.ranksBefore(element, elements[0]) { return }
        insert(element)
    }

    mutating func insert(_ element: (UInt32, Float)) {
        if elements.count < capacity {
            elements.append(element)
            var child = elements.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.ranksBefore(elements[parent], elements[child]) else { break }
                elements.swapAt(parent, child)
                child = parent
            }
            return
        }
        guard capacity > 0, Self.ranksBefore(element, elements[0]) else { return }
        elements[0] = element
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { break }
            let right = left + 1
            let worse = right < elements.count && Self.ranksBefore(elements[left], elements[right]) ? right : left
            guard Self.ranksBefore(elements[worse], elements[parent]) == false else { break }
            elements.swapAt(parent, worse)
            parent = worse
        }
    }

    func sortedBestFirst() -> [(UInt32, Float)] {
        elements.sorted(by: Self.ranksBefore)
    }
}

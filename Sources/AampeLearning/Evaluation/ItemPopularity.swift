/// How many distinct training users interacted with each item: what catalog coverage and novelty are
/// measured against.
///
/// Counting distinct (user, item) pairs, not rows, matches Recommenders on data with one row per pair
/// (its diversity metrics assume `train_df` has "no duplicate rows", and MovieLens has none) and keeps
/// event data, where a user views one item many times, from counting one user's habit as popularity.
public struct ItemPopularity: Hashable, Sendable {
    /// Distinct training users per item, indexed by dense item index. Items past the end have none.
    public let userCounts: [Int]
    /// Items with at least one training user: the catalog that catalog coverage divides by.
    public let distinctItems: Int
    /// Distinct (user, item) pairs in training, the sum of ``userCounts``: novelty's denominator.
    public let distinctPairs: Int

    /// Wraps counts computed elsewhere. A negative count is a caller's bug.
    public init(userCounts: [Int]) {
        precondition(userCounts.allSatisfy { $0 >= 0 }, "negative user count")
        self.userCounts = userCounts
        distinctItems = userCounts.count(where: { $0 > 0 })
        distinctPairs = userCounts.reduce(0, +)
    }

    /// Counts the distinct users of each item in `training`; repeated (user, item) rows count once.
    public init(training: [Interaction]) {
        // Sorting packed (item, user) keys finds the distinct pairs in one pass and 8 bytes a row.
        let pairs = training.map { UInt64($0.item) << 32 | UInt64($0.user) }.sorted()
        var counts: [Int] = []
        var previous: UInt64?
        for pair in pairs where pair != previous {
            previous = pair
            let item = Int(pair >> 32)
            if item >= counts.count { counts.append(contentsOf: repeatElement(0, count: item + 1 - counts.count)) }
            counts[item] += 1
        }
        self.init(userCounts: counts)
    }

    /// The distinct training users of `item`; 0 for an item training never saw.
    public func userCount(of item: UInt32) -> Int {
        Int(item) < userCounts.count ? userCounts[Int(item)] : 0
    }
}

/// `--split stratified`: splits interactions into train and test so that every user (or every item) keeps
/// about the same share of its rows in train, as Microsoft Recommenders' `python_stratified_split` does.
///
/// The procedure, copied from Recommenders' `_do_stratification` with `is_random=True`:
///
/// 1. If `minimumGroupSize` is above 1, drop every group with fewer rows (`min_rating_filter_pandas`:
///    "a user is called warm if he has rated at least 4 items"). Their rows go to neither side.
/// 2. Give every row a random number, drawn in input order from one generator seeded with `seed`
///    (Recommenders: `np.random.rand(data.shape[0])`), and order each group's rows by it.
/// 3. The row at 1-based position `j` of a group of `n` goes to train when `j / n <= trainRatio`
///    (Recommenders: `data["rank"] / data["count"] <= ratio`), to test otherwise.
///
/// So a group of `n` puts ``trainCount(groupSize:trainRatio:)`` rows in train: the largest `j` with
/// `j / n <= trainRatio` in floating point, which is `floor(trainRatio * n)` except where the product
/// rounds the other way. Neither `round` nor `int` of the product: `j / n` in doubles is what decides,
/// and it is what we compute. A group of one row always lands in test (1 / 1 is above any ratio below 1),
/// so a user with a single interaction is a cold-start user of the test set, in Recommenders as here.
///
/// The random numbers are SplitMix64's, not NumPy's Mersenne Twister, so the rows chosen differ from
/// Recommenders' for the same seed; the counts per group are the same. The split is a pure function of
/// the input rows in their order, the grouping, the ratio and the seed.
public struct StratifiedSplit: Hashable, Sendable {
    /// What the split keeps proportions for (`--by`).
    public enum Grouping: String, Hashable, Sendable, CaseIterable {
        /// Each user keeps about `trainRatio` of their rows in train.
        case user
        /// Each item keeps about `trainRatio` of its rows in train.
        case item
    }

    /// The grouping (`--by`); default `.user`, as in Recommenders.
    public let grouping: Grouping
    /// The share of each group that goes to train (`--ratio`), strictly between 0 and 1; default 0.75.
    public let trainRatio: Double
    /// The generator's seed (`--seed`); default 42, as in Recommenders.
    public let seed: UInt64
    /// Groups with fewer rows are dropped before splitting (Recommenders' `min_rating`); default 1, which
    /// drops nothing.
    public let minimumGroupSize: Int

    /// Validates the settings as Recommenders' `process_split_ratio` and `min_rating` checks do.
    public init(
        by grouping: Grouping = .user,
        trainRatio: Double = 0.75,
        seed: UInt64 = 42,
        minimumGroupSize: Int = 1
    ) throws(LearningError) {
        // > if ratio <= 0 or ratio >= 1: raise ValueError("Split ratio has to be between 0 and 1")
        guard trainRatio > 0, trainRatio < 1 else {
            throw LearningError.invalidOption(name: "--ratio", reason: "must be strictly between 0 and 1")
        }
        guard minimumGroupSize >= 1 else {
            throw LearningError.invalidOption(name: "minimum group size", reason: "must be at least 1")
        }
        self.grouping = grouping
        self.trainRatio = trainRatio
        self.seed = seed
        self.minimumGroupSize = minimumGroupSize
    }

    /// How many rows of a group of `groupSize` go to train: the largest `j` in `0...groupSize` with
    /// `Double(j) / Double(groupSize) <= trainRatio`.
    public static func trainCount(groupSize: Int, trainRatio: Double) -> Int {
        precondition(groupSize >= 0, "negative group size")
        guard groupSize > 0 else { return 0 }
        let size = Double(groupSize)
        // Start from the product and correct by the comparison Recommenders makes, which is what decides
        // when `trainRatio * size` and `j / size` round differently (0.29 * 100 is 28.999999999999996).
        var count = min(groupSize, max(0, Int((trainRatio * size).rounded(.down))))
        while count < groupSize, Double(count + 1) / size <= trainRatio { count += 1 }
        while count > 0, Double(count) / size > trainRatio { count -= 1 }
        return count
    }

    /// Splits `interactions`. Each side keeps the input order; rows of groups smaller than
    /// ``minimumGroupSize`` are in neither.
    public func split(_ interactions: [Interaction]) -> (train: [Interaction], test: [Interaction]) {
        guard !interactions.isEmpty else { return ([], []) }
        precondition(interactions.count <= Int(UInt32.max), "more than UInt32.max interactions")
        let groupOf: (Interaction) -> Int =
            switch grouping {
            case .user: { Int($0.user) }
            case .item: { Int($0.item) }
            }

        var generator = SplitMix64(seed: seed)
        let randomKeys = interactions.map { _ in generator.next() }

        // Counting sort of row numbers by group: the rows of group g are rowsByGroup[starts[g]..<starts[g + 1]].
        var groupCount = 0
        for interaction in interactions { groupCount = max(groupCount, groupOf(interaction) + 1) }
        var starts = [Int](repeating: 0, count: groupCount + 1)
        for interaction in interactions { starts[groupOf(interaction) + 1] += 1 }
        for group in 0..<groupCount { starts[group + 1] += starts[group] }
        var next = starts
        var rowsByGroup = [UInt32](repeating: 0, count: interactions.count)
        for (row, interaction) in interactions.enumerated() {
            let group = groupOf(interaction)
            rowsByGroup[next[group]] = UInt32(row)
            next[group] += 1
        }

        enum Side: UInt8 { case dropped, train, test }
        var sides = [Side](repeating: .dropped, count: interactions.count)
        for group in 0..<groupCount {
            let rows = starts[group]..<starts[group + 1]
            guard rows.count >= minimumGroupSize, !rows.isEmpty else { continue }
            // Ties between 64-bit keys are all but impossible; the row number settles them anyway, so
            // the order never depends on the sort algorithm.
            rowsByGroup[rows].sort { (randomKeys[Int($0)], $0) < (randomKeys[Int($1)], $1) }
            let trainRows = Self.trainCount(groupSize: rows.count, trainRatio: trainRatio)
            for (position, row) in rowsByGroup[rows].enumerated() {
                sides[Int(row)] = position < trainRows ? .train : .test
            }
        }

        var train: [Interaction] = []
        var test: [Interaction] = []
        let expectedTrainRows = Int(Double(interactions.count) * trainRatio)
        train.reserveCapacity(expectedTrainRows)
        test.reserveCapacity(interactions.count - expectedTrainRows)
        for (row, interaction) in interactions.enumerated() {
            switch sides[row] {
            case .train: train.append(interaction)
            case .test: test.append(interaction)
            case .dropped: break
            }
        }
        return (train, test)
    }
}

public import AampeCore
public import AampeLearning
import AampeStore

/// `aampectl eval recommender`: trains the recommender on a train set, ranks k items per test user, and
/// measures the ranking beside the most-popular baseline. Nothing is published.
public enum RecommenderEvaluationJob {
    /// Where the train and test sets come from.
    public enum Input: Sendable {
        /// Two MovieLens `u.data` files; the test file is read with the train file's ids.
        case ratingsFiles(train: String, test: String)
        /// One `u.data` file, split.
        case splitRatingsFile(String, StratifiedSplit)
        /// A data directory's imported events, held out by `holdout`; with `purchasesOnly` only
        /// purchases in the test set count as relevant (training still uses every event).
        case events(DataDirectory, holdout: Holdout, purchasesOnly: Bool)
    }

    /// How a data directory's events are split.
    public enum Holdout: Sendable {
        /// The last so many days are the test set.
        case lastDays(Int)
        /// Split per user or item.
        case split(StratifiedSplit)
    }

    /// What an evaluation measured, and on what.
    public struct Outcome: Sendable {
        /// The metrics of the model and of the popularity baseline.
        public var result: RecommenderEvaluation.Result
        /// The inputs in words, such as `u1.base → u1.test`.
        public var source: String
        /// Wall-clock seconds spent training and ranking, reading the input not included.
        public var secondsEvaluating: Double
    }

    /// Runs the evaluation with `settings`, ranking `k` items per user. A data directory's evaluation is
    /// recorded in its run history.
    public static func run(_ input: Input, settings: RecommenderSettings, k: Int) throws -> Outcome {
        switch input {
        case .ratingsFiles(let train, let test):
            let trainFile = try RatingsFile(contentsOf: train)
            let testFile = try RatingsFile(contentsOf: test, users: trainFile.users, items: trainFile.items)
            return try evaluate(
                train: trainFile.interactions,
                test: testFile.interactions,
                userCount: testFile.users.count,
                itemCount: testFile.items.count,
                source: "\(train) → \(test)",
                settings: settings,
                k: k
            )
        case .splitRatingsFile(let path, let splitter):
            let file = try RatingsFile(contentsOf: path)
            let (train, test) = splitter.split(file.interactions)
            return try evaluate(
                train: train,
                test: test,
                userCount: file.users.count,
                itemCount: file.items.count,
                source: "\(path), \(describe(splitter))",
                settings: settings,
                k: k
            )
        case .events(let directory, let holdout, let purchasesOnly):
            return try BatchRun.run(
                .evaluate,
                subject: RecommenderFiles.model,
                directory: directory,
                buildsGeneration: false
            ) { context in
                let (log, _) = try InteractionLoading.load(
                    directory: directory,
                    store: context.store,
                    settings: settings
                )
                var all: [Interaction] = []
                var purchases = Set<Interaction>()
                all.reserveCapacity(log.count)
                for index in 0..<log.count {
                    let interaction = Interaction(
                        user: log.users[index],
                        item: log.items[index],
                        weight: log.weights[index],
                        timestampSeconds: log.timestampSeconds[index]
                    )
                    all.append(interaction)
                    if log.isPurchase[index] { purchases.insert(interaction) }
                }
                var train: [Interaction]
                var test: [Interaction]
                var source: String
                switch holdout {
                case .lastDays(let days):
                    let cut = (log.newestTimestampSeconds ?? 0) - Int64(days) * Timestamp.secondsPerDay
                    train = all.filter { $0.timestampSeconds <= cut }
                    test = all.filter { $0.timestampSeconds > cut }
                    source =
                        "\(directory.path): events up to \(Timestamp(secondsSinceEpoch: cut)) train, the last \(days) days test"
                case .split(let splitter):
                    (train, test) = splitter.split(all)
                    source = "\(directory.path), \(describe(splitter))"
                }
                if purchasesOnly {
                    test = test.filter { purchases.contains($0) }
                    source += "; only purchases are relevant"
                }
                let outcome = try evaluate(
                    train: train,
                    test: test,
                    userCount: log.userCount,
                    itemCount: log.itemCount,
                    source: source,
                    settings: settings,
                    k: k
                )
                let counters = RunCounters([
                    "train_interactions": Int64(outcome.result.trainInteractions),
                    "test_interactions": Int64(outcome.result.testInteractions),
                    "users_evaluated": Int64(outcome.result.model.evaluatedUsers),
                ])
                return (outcome, counters)
            }
        }
    }

    static func describe(_ splitter: StratifiedSplit) -> String {
        "stratified by \(splitter.grouping.rawValue), \(splitter.trainRatio) to train, seed \(splitter.seed)"
    }

    static func evaluate(
        train: [Interaction],
        test: [Interaction],
        userCount: Int,
        itemCount: Int,
        source: String,
        settings: RecommenderSettings,
        k: Int
    ) throws -> Outcome {
        guard !train.isEmpty, !test.isEmpty else {
            throw JobError(
                .noData(
                    detail:
                        "the split left \(train.count) train and \(test.count) test interactions; both must be non-empty"
                )
            )
        }
        let clock = ContinuousClock()
        let started = clock.now
        let result = RecommenderEvaluation.run(
            train: train,
            test: test,
            userCount: userCount,
            itemCount: itemCount,
            settings: settings,
            k: k
        )
        return Outcome(result: result, source: source, secondsEvaluating: (clock.now - started).secondsValue)
    }
}

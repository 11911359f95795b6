import AampeCore
import AampeLearning
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl eval`: measure what training would give, without publishing anything.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a learner offline on held-out data.",
        subcommands: [EvalRecommenderCommand.self]
    )
}

/// `aampectl eval recommender`
struct EvalRecommenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommender",
        abstract: "Train the recommender on a train set, rank k items per test user, and report ranking metrics beside the most-popular baseline.",
        discussion: """
            Inputs, one of:
              --train FILE --test FILE              two MovieLens u.data files (user item rating timestamp, tab-separated)
              --data FILE --split stratified        one u.data file, split per user or item (--by, --ratio, --seed)
              --data-dir DIR --holdout-days D       the imported events of a data directory (any importable format):
                                                    the last D days are the test set
              --data-dir DIR --split stratified     the imported events, split per user or item

            Protocol (Microsoft Recommenders' tables): top k (default 10); items seen in train are removed; \
            any test interaction is relevant whatever its rating; precision@k = mean of hits/k; recall@k = \
            mean of hits/|test_u|; nDCG@k with binary gains and IDCG over min(k, |test_u|); MAP = mean of \
            (Σ over hits of j/rank_j) / |test_u|. Also catalog coverage, distributional coverage (entropy \
            of recommended items, bits) and novelty. Users evaluated are test users with train history.

            --sar sets SAR's settings (jaccard, 30-day half-life from the newest train event, support 1, \
            full neighbour lists). In u.data the rating is the event weight.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var recommender: RecommenderSettingsOptions

    @Option(help: ArgumentHelp("Train set (u.data layout).", valueName: "file"))
    var train: String?

    @Option(help: ArgumentHelp("Test set (u.data layout), read with the train set's ids.", valueName: "file"))
    var test: String?

    @Option(help: ArgumentHelp("One u.data file to split.", valueName: "file"))
    var data: String?

    @Option(help: ArgumentHelp("How to split: stratified.", valueName: "method"))
    var split: String?

    @Option(help: ArgumentHelp("Stratify by user or item.", valueName: "user|item"))
    var by: String = "user"

    @Option(help: ArgumentHelp("Share of each group that goes to train.", valueName: "ratio"))
    var ratio: Double = 0.75

    @Option(help: ArgumentHelp("Seed of the split's shuffle.", valueName: "seed"))
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("With the data directory's events: the last D days are the test set.", valueName: "days"))
    var holdoutDays: Int?

    @Flag(help: "With the data directory's events: count only purchases in the test set as relevant (train still uses every event).")
    var relevantPurchasesOnly = false

    @Option(name: .customShort("k"), help: ArgumentHelp("Items per user.", valueName: "k"))
    var k: Int = 10

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        _ = try recommender.settings()
        guard (1...1000).contains(k) else { throw ValidationError("-k must be 1 to 1000") }
        if let split, split != "stratified" { throw ValidationError("--split must be stratified, not '\(split)'") }
        guard by == "user" || by == "item" else { throw ValidationError("--by must be user or item, not '\(by)'") }
        let files = train != nil || test != nil
        if files {
            guard train != nil && test != nil else { throw ValidationError("--train and --test go together") }
            guard data == nil && split == nil && holdoutDays == nil else { throw ValidationError("--train/--test take no --data, --split or --holdout-days") }
        } else if data != nil {
            guard split != nil else { throw ValidationError("--data needs --split stratified") }
            guard holdoutDays == nil else { throw ValidationError("--holdout-days works on a data directory's events, not --data") }
        } else {
            guard (split != nil) != (holdoutDays != nil) else {
                throw ValidationError("give --train and --test, or --data with --split, or (for the data directory's events) one of --split and --holdout-days")
            }
            if let holdoutDays, !(1...365).contains(holdoutDays) { throw ValidationError("--holdout-days must be 1 to 365") }
        }
    }

    func splitter() throws -> StratifiedSplit {
        try StratifiedSplit(by: by == "item" ? .item : .user, trainRatio: ratio, seed: seed)
    }

    func run() async throws {
        let settings = try recommender.settings()
        var trainSet: [Interaction]
        var testSet: [Interaction]
        let userCount: Int
        let itemCount: Int
        var source: String
        if let train, let test {
            let trainFile = try RatingsFile(contentsOf: train)
            let testFile = try RatingsFile(contentsOf: test, users: trainFile.users, items: trainFile.items)
            (trainSet, testSet) = (trainFile.interactions, testFile.interactions)
            (userCount, itemCount) = (testFile.users.count, testFile.items.count)
            source = "\(train) → \(test)"
        } else if let data {
            let file = try RatingsFile(contentsOf: data)
            (trainSet, testSet) = try splitter().split(file.interactions)
            (userCount, itemCount) = (file.users.count, file.items.count)
            source = "\(data), stratified by \(by), \(ratio) to train, seed \(seed)"
        } else {
            let directory = dataDirectory.dataDirectory
            let store = try directory.openStore()
            let (log, _) = try InteractionLoading.load(directory: directory, store: store, settings: settings)
            (userCount, itemCount) = (log.userCount, log.itemCount)
            var all: [Interaction] = []
            var purchases = Set<Interaction>()
            all.reserveCapacity(log.count)
            for index in 0..<log.count {
                let interaction = Interaction(user: log.users[index], item: log.items[index], weight: log.weights[index], timestamp: log.timestamps[index])
                all.append(interaction)
                if log.isPurchase[index] { purchases.insert(interaction) }
            }
            if let holdoutDays {
                let cut = (log.newestTimestamp ?? 0) - Int64(holdoutDays) * 86_400
                trainSet = all.filter { $0.timestamp <= cut }
                testSet = all.filter { $0.timestamp > cut }
                source = "\(directory.path): events up to \(Timestamp(secondsSinceEpoch: cut)) train, the last \(holdoutDays) days test"
            } else {
                (trainSet, testSet) = try splitter().split(all)
                source = "\(directory.path), stratified by \(by), \(ratio) to train, seed \(seed)"
            }
            if relevantPurchasesOnly {
                testSet = testSet.filter { purchases.contains($0) }
                source += "; only purchases are relevant"
            }
        }
        guard !trainSet.isEmpty, !testSet.isEmpty else {
            throw ValidationError("the split left \(trainSet.count) train and \(testSet.count) test interactions; both must be non-empty")
        }
        let clock = ContinuousClock()
        let started = clock.now
        let result = RecommenderEvaluation.run(train: trainSet, test: testSet, userCount: userCount, itemCount: itemCount, settings: settings, k: k)
        let seconds = (clock.now - started).seconds
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("data: \(source)")
        print("train \(ImportReport.grouped(Int64(result.trainInteractions))) interactions, test \(ImportReport.grouped(Int64(result.testInteractions))); \(result.model.evaluatedUsers) users evaluated (\(result.testUsersWithoutHistory) test users without train history left out); \(String(format: "%.2f", seconds)) s")
        let s = result.settings
        print("model: \(s.similarity.rawValue), support ≥ \(s.effectiveMinimumSupport), \(s.neighbours == 0 ? "all" : String(s.neighbours)) neighbours, half-life \(s.halfLifeDays) days\n")
        func row(_ name: String, _ value: (RankingMetrics) -> Double, _ format: String = "%.4f") -> [String] {
            let model = value(result.model)
            let popular = value(result.popularity)
            return [name, String(format: format, model), String(format: format, popular), popular > 0 ? String(format: "%.2f×", model / popular) : "-"]
        }
        let rows = [
            ["metric", "model", "most popular", "model / popular"],
            row("precision@\(k)", \.precision), row("recall@\(k)", \.recall), row("nDCG@\(k)", \.ndcg),
            row("MAP", \.meanAveragePrecision), row("catalog coverage", \.catalogCoverage),
            row("distributional coverage (bits)", \.distributionalCoverage, "%.3f"), row("novelty (bits)", \.novelty, "%.3f"),
        ]
        print(TextTable.columns(rows, rightAligned: { $0 > 0 }))
    }
}

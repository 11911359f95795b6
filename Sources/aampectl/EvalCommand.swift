import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl eval`: measure what training would give, without publishing anything.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a learner or a policy offline on held-out or logged data.",
        subcommands: [EvalRecommenderCommand.self, EvalOPECommand.self, EvalPolicyCommand.self]
    )
}

/// `aampectl eval recommender`
struct EvalRecommenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommender",
        abstract:
            "Train the recommender on a train set, rank k items per test user, and report ranking metrics beside the most-popular baseline.",
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

    @Option(
        help: ArgumentHelp("With the data directory's events: the last D days are the test set.", valueName: "days")
    )
    var holdoutDays: Int?

    @Flag(
        help:
            "With the data directory's events: count only purchases in the test set as relevant (train still uses every event)."
    )
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
            guard data == nil && split == nil && holdoutDays == nil else {
                throw ValidationError("--train/--test take no --data, --split or --holdout-days")
            }
        } else if data != nil {
            guard split != nil else { throw ValidationError("--data needs --split stratified") }
            guard holdoutDays == nil else {
                throw ValidationError("--holdout-days works on a data directory's events, not --data")
            }
        } else {
            guard (split != nil) != (holdoutDays != nil) else {
                throw ValidationError(
                    "give --train and --test, or --data with --split, or (for the data directory's events) one of --split and --holdout-days"
                )
            }
            if let holdoutDays, !(1...365).contains(holdoutDays) {
                throw ValidationError("--holdout-days must be 1 to 365")
            }
        }
    }

    func splitter() throws -> StratifiedSplit {
        try StratifiedSplit(by: by == "item" ? .item : .user, trainRatio: ratio, seed: seed)
    }

    func input() throws -> RecommenderEvaluationJob.Input {
        if let train, let test { return .ratingsFiles(train: train, test: test) }
        if let data { return .splitRatingsFile(data, try splitter()) }
        let holdout: RecommenderEvaluationJob.Holdout = try holdoutDays.map { .lastDays($0) } ?? .split(try splitter())
        return .events(dataDirectory.dataDirectory, holdout: holdout, purchasesOnly: relevantPurchasesOnly)
    }

    func run() async throws {
        let outcome = try RecommenderEvaluationJob.run(try input(), settings: try recommender.settings(), k: k)
        let result = outcome.result
        if json {
            print(try JSONText.pretty(result))
            return
        }
        print("data: \(outcome.source)")
        print(
            "train \(ImportReport.grouped(Int64(result.trainInteractions))) interactions, test \(ImportReport.grouped(Int64(result.testInteractions))); \(result.model.evaluatedUsers) users evaluated (\(result.testUsersWithoutHistory) test users without train history left out); \(String(format: "%.2f", outcome.secondsEvaluating)) s"
        )
        let s = result.settings
        print(
            "model: \(s.similarity.rawValue), support ≥ \(s.effectiveMinimumSupport), \(s.neighbours == 0 ? "all" : String(s.neighbours)) neighbours, half-life \(s.halfLifeDays) days\n"
        )
        func row(_ name: String, _ value: (RankingMetrics) -> Double, _ format: String = "%.4f") -> [String] {
            let model = value(result.model)
            let popular = value(result.popularity)
            return [
                name, String(format: format, model), String(format: format, popular),
                popular > 0 ? String(format: "%.2f×", model / popular) : "-",
            ]
        }
        let rows = [
            ["metric", "model", "most popular", "model / popular"],
            row("precision@\(k)", \.precision), row("recall@\(k)", \.recall), row("nDCG@\(k)", \.ndcg),
            row("MAP", \.meanAveragePrecision), row("catalog coverage", \.catalogCoverage),
            row("distributional coverage (bits)", \.distributionalCoverage, "%.3f"),
            row("novelty (bits)", \.novelty, "%.3f"),
        ]
        print(TextTable.columns(rows, rightAligned: { $0 > 0 }))
    }
}

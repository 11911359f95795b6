import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl train`: learn from the imported data and publish a new generation.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn from the imported events and publish a new generation.",
        subcommands: [
            TrainRecommenderCommand.self, TrainLandscapeCommand.self, TrainTimingCommand.self, TrainModelCommand.self,
        ]
    )
}

/// The recommender's settings as flags, shared by `train recommender` and `eval recommender`.
struct RecommenderSettingsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("jaccard, cosine, lift, bm25 or counts.", valueName: "name"))
    var similarity: String = "jaccard"

    @Option(help: ArgumentHelp("Neighbours kept per item; 0 keeps all.", valueName: "N"))
    var neighbours: Int = 50

    @Option(
        help: ArgumentHelp(
            "Least number of users two items must share to be neighbours (default 1; 3 for lift).",
            valueName: "users"
        )
    )
    var minSupport: Int?

    @Option(
        help: ArgumentHelp(
            "Half-life of an interaction's weight, from the newest event; 0 turns decay off.",
            valueName: "days"
        )
    )
    var halfLifeDays: Double = 30

    @Option(help: ArgumentHelp("Recent items kept per user for serving; 0 keeps all.", valueName: "N"))
    var historyLength: Int = 50

    @Option(
        help: ArgumentHelp(
            "Trending compares this many latest days with the three times as many before.",
            valueName: "days"
        )
    )
    var trendingDays: Int = 7

    @Option(
        help: ArgumentHelp(
            "Users with more items add only their strongest this many to co-occurrence; 0: no cap.",
            valueName: "N"
        )
    )
    var maxItemsPerUser: Int = 1_000

    @Option(
        help: ArgumentHelp(
            "Items a user had may come back this many days after the last interaction; 0: never.",
            valueName: "days"
        )
    )
    var repeatAfterDays: Int = 0

    @Option(
        name: .customLong("weight"),
        help: ArgumentHelp(
            "An event type's weight, such as purchase=5 (0 ignores it). Repeatable. Defaults: product_viewed/view/item_viewed 1, add_to_cart 3, purchase 5; other events with an item weigh their value (a rating) or 1.",
            valueName: "event=weight"
        )
    )
    var weights: [String] = []

    @Flag(
        help:
            "SAR's settings: jaccard, 30-day half-life, support 1, every neighbour, every item (overrides the flags above)."
    )
    var sar = false

    func settings() throws -> RecommenderSettings {
        if sar { return .sarFaithful }
        var settings = RecommenderSettings()
        guard let similarity = RecommenderSettings.Similarity(rawValue: similarity) else {
            throw ValidationError(
                "--similarity must be one of \(RecommenderSettings.Similarity.allCases.map(\.rawValue).joined(separator: ", ")), not '\(similarity)'"
            )
        }
        settings.similarity = similarity
        settings.neighbours = neighbours
        settings.minimumSupport = minSupport
        settings.halfLifeDays = halfLifeDays
        settings.historyLength = historyLength
        settings.trendingDays = trendingDays
        settings.maximumItemsPerUser = maxItemsPerUser
        settings.repeatAfterDays = repeatAfterDays
        for pair in weights {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let weight = Float(parts[1]), weight.isFinite, weight >= 0 else {
                throw ValidationError("--weight '\(pair)' must be event=weight with a weight of 0 or more")
            }
            settings.eventWeights[parts[0]] = weight
        }
        return try Self.validated(settings)
    }

    /// `settings`, or the error naming the flag of the first setting out of range.
    static func validated(_ settings: RecommenderSettings) throws -> RecommenderSettings {
        do {
            try settings.validate()
        } catch {
            throw ValidationError("\(error.setting.flag) must be \(error.expected)")
        }
        return settings
    }
}

/// `aampectl train recommender`
struct TrainRecommenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommender",
        abstract: "Build the item-item recommender from the imported events and publish it as a new generation.",
        discussion: """
            Writes the top-N neighbours per item with their similarities, popularity, trending, and each \
            user's recent items with decayed weights (recommender/items.seg, users.seg, recommender.json). \
            The current generation's other models are carried over. aamped picks the new generation up on its next poll \
            or on `aampectl reload`.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var recommender: RecommenderSettingsOptions

    // Here, not in the shared options: evaluation and affinity exports score every user and have no
    // served lists.
    @Option(
        help: ArgumentHelp(
            "Best items kept per user, so aamped answers RECOMMEND without scoring; 12 bytes each per user; 0: none.",
            valueName: "N"
        )
    )
    var servedList: Int = 0

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws { _ = try settings() }

    func settings() throws -> RecommenderSettings {
        var settings = try recommender.settings()
        settings.servedListLength = servedList != 0 ? servedList : nil
        return try RecommenderSettingsOptions.validated(settings)
    }

    func run() async throws {
        let terminal = TerminalProgress.onTerminal()
        let report = try TrainRecommenderJob.run(
            directory: dataDirectory.dataDirectory,
            settings: try settings()
        ) {
            terminal?.show($0, $1, $2)
        }
        terminal?.finish()
        GenerationWarning.retirement(report.publication)
        print(json ? try JSONText.pretty(report) : Self.table(report))
    }

    static func table(_ report: TrainRecommenderJob.Report) -> String {
        let s = report.statistics
        var rows: [(String, String)] = [
            ("generation", GenerationWarning.summary(report.publication)),
            (
                "similarity",
                "\(report.settings.similarity.rawValue), support ≥ \(report.settings.effectiveMinimumSupport), \(report.settings.neighbours == 0 ? "all" : "\(report.settings.neighbours)") neighbours"
            ),
            (
                "half-life",
                report.settings.halfLifeDays > 0
                    ? "\(report.settings.halfLifeDays) days from \(report.newestEvent)" : "none"
            ),
            ("interactions", ImportReport.grouped(Int64(s.interactions))),
            (
                "users with history",
                "\(ImportReport.grouped(Int64(s.usersWithHistory))) of \(ImportReport.grouped(Int64(report.users)))"
            ),
            (
                "items with users",
                "\(ImportReport.grouped(Int64(s.itemsWithUsers))) of \(ImportReport.grouped(Int64(report.items)))"
            ),
            ("items with neighbours", ImportReport.grouped(Int64(s.itemsWithNeighbours))),
            ("neighbour pairs", ImportReport.grouped(Int64(s.neighbourPairs))),
            ("co-occurrence updates", ImportReport.grouped(Int64(s.cooccurrenceUpdates))),
            ("users capped", ImportReport.grouped(Int64(s.usersCapped))),
            (
                "time",
                String(
                    format: "%.2f s reading, %.2f s training, %.2f s writing",
                    report.secondsReading,
                    report.secondsTraining,
                    report.secondsWriting
                )
            ),
        ]
        if report.settings.effectiveServedListLength > 0 {
            rows.append(
                (
                    "served lists",
                    "\(ImportReport.grouped(Int64(report.servedListEntries))) entries, at most "
                        + "\(report.settings.effectiveServedListLength) per user, "
                        + String(format: "%.2f s", report.secondsServedLists)
                )
            )
        }
        return TextTable(header: ("recommender", "value"), rows: rows).rendered()
    }
}

/// A one-line phase progress display on standard error, drawn only on a terminal, at most 5 times a second.
final class TerminalProgress: @unchecked Sendable {
    // @unchecked: draws are serialized by the lock.
    private let lock = NSLock()
    private var lastDrawn = Date.distantPast

    static func onTerminal() -> TerminalProgress? {
        isatty(STDERR_FILENO) == 1 ? TerminalProgress() : nil
    }

    func show(_ phase: String, _ done: Int, _ total: Int) {
        lock.withLock {
            let now = Date()
            guard done == total || now.timeIntervalSince(lastDrawn) >= 0.2 else { return }
            lastDrawn = now
            // A phase without units to count (a fit) shows its name only.
            guard total > 0 else {
                FileHandle.standardError.write(Data("\r\(phase)…\u{1B}[K".utf8))
                return
            }
            let share = Double(done) / Double(total)
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "\r%@: %3.0f%% (%@ of %@)\u{1B}[K",
                        phase,
                        share * 100,
                        ImportReport.grouped(Int64(done)),
                        ImportReport.grouped(Int64(total))
                    ).utf8
                )
            )
        }
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

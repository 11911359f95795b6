import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl train landscape`
struct TrainLandscapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landscape",
        abstract: "Build the user landscape (a vector and a cluster per user) and publish it as a new generation.",
        discussion: """
            Aggregates each user's events per type over 7, 30 and 90 days (counts, active days, recency), \
            revenue and dayparts; applies log1p and a robust standardization; reduces to --dimensions by \
            randomized PCA; and clusters with k-means++ (--restarts runs, seeded). Writes \
            landscape/users.seg and landscape.json; the current generation's other models are carried over.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("Dimensions of the user vector.", valueName: "k"))
    var dimensions = 16

    @Option(help: ArgumentHelp("Clusters (user types).", valueName: "k"))
    var clusters = 8

    @Option(
        name: .customLong("choose-k"),
        help: ArgumentHelp("Choose k from this range by silhouette on a sample, such as 2-12.", valueName: "from-to")
    )
    var chooseK: String?

    @Option(help: ArgumentHelp("k-means runs; the lowest inertia is kept.", valueName: "N"))
    var restarts = 4

    @Option(help: ArgumentHelp("Seeds PCA, k-means and the silhouette sample.", valueName: "N"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Look-back periods of the aggregates, comma-separated.", valueName: "days"))
    var periods = "7,30,90"

    @Option(help: ArgumentHelp("The event that starts a session.", valueName: "name"))
    var sessionEvent = "app_opened"

    @Option(
        name: .customLong("revenue-event"),
        help: ArgumentHelp("An event whose value is revenue; repeatable (default purchase, order_completed).")
    )
    var revenueEvents: [String] = []

    @Option(help: ArgumentHelp("Zone of users whose profile has none.", valueName: "IANA name"))
    var defaultTimeZone = "UTC"

    @Flag(
        name: .customLong("block-weights"),
        inversion: .prefixedNo,
        help: "Weigh the activity, time and category aggregates equally before the PCA (default on)."
    )
    var blockWeights = true

    @OptionGroup var asOf: AsOfOption

    @Option(
        help: ArgumentHelp(
            "Also write the scaled users × aggregates matrix here as .npy (float32), for benchmarks.",
            valueName: "path"
        )
    )
    var exportScaled: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func settings() throws -> LandscapeSettings {
        var settings = LandscapeSettings()
        settings.dimensions = dimensions
        settings.clusters = clusters
        settings.restarts = restarts
        settings.seed = seed
        settings.sessionEvent = sessionEvent
        settings.defaultTimeZone = defaultTimeZone
        settings.weighsBlocks = blockWeights
        if !revenueEvents.isEmpty { settings.revenueEvents = Set(revenueEvents) }
        let days = periods.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !days.isEmpty, days.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--periods '\(periods)' must be comma-separated whole days, such as 7,30,90")
        }
        settings.periodsDays = days.map { $0! }
        if let chooseK {
            let bounds = chooseK.split(separator: "-").map { Int($0) }
            guard bounds.count == 2, let lower = bounds[0], let upper = bounds[1] else {
                throw ValidationError("--choose-k '\(chooseK)' must be a range such as 2-12")
            }
            settings.chooseKRange = .init(lower: lower, upper: upper)
        }
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
        return settings
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let terminal = TerminalProgress.onTerminal()
        let report = try TrainLandscapeJob.run(
            directory: dataDirectory.dataDirectory,
            settings: try settings(),
            asOf: try asOf.timestamp(),
            exportScaledPath: exportScaled
        ) { terminal?.show($0, $1, $2) }
        terminal?.finish()
        GenerationWarning.retirement(report.publication)
        print(json ? try JSONText.pretty(report) : Self.table(report))
    }

    static func table(_ report: TrainLandscapeJob.Report) -> String {
        let phases = ["reading", "scaling", "pca", "clustering", "describing", "writing"]
            .map { String(format: "%.2f s %@", report.phaseSeconds[$0] ?? 0, $0) }.joined(separator: ", ")
        var rows: [(String, String)] = [
            ("generation", GenerationWarning.summary(report.publication)),
            ("reference time", report.referenceTime),
            ("users", ImportReport.grouped(Int64(report.users))),
            ("events aggregated", ImportReport.grouped(Int64(report.eventsAggregated))),
            ("aggregates per user", "\(report.features)"),
            (
                "dimensions",
                String(
                    format: "%d, explaining %.1f %% of the variance",
                    report.dimensions,
                    report.totalExplainedVariance * 100
                )
            ),
            (
                "clusters",
                String(format: "%d, silhouette %.3f, inertia %.4g", report.clusters, report.silhouette, report.inertia)
            ),
        ]
        if !report.clusterChoices.isEmpty {
            rows.append(
                (
                    "k tried",
                    report.clusterChoices.map { String(format: "%d: %.3f", $0.k, $0.silhouette) }.joined(
                        separator: ", "
                    )
                )
            )
        }
        rows.append(
            (
                "categories",
                report.categories.isEmpty
                    ? "none in the catalog"
                    : "\(report.categories.count)"
                        + (report.categoriesLeftOut.isEmpty ? "" : ", \(report.categoriesLeftOut.count) left out")
            )
        )
        if !report.eventTypesLeftOut.isEmpty {
            rows.append(("event types left out", report.eventTypesLeftOut.joined(separator: ", ")))
        }
        rows.append(("time", phases))
        return TextTable(header: ("landscape", "value"), rows: rows).rendered() + "\n\n"
            + LandscapeShowCommand.clusterTable(report.clusterProfiles, users: report.users)
    }
}

/// `--as-of`, shared by the training commands that can rebuild a past state.
struct AsOfOption: ParsableArguments {
    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp(
            "Train as of this instant (ISO-8601, such as 2026-10-20T00:00:00Z): later events are ignored. Default: the newest event.",
            valueName: "time"
        )
    )
    var text: String?

    func timestamp() throws -> Timestamp? {
        guard let text else { return nil }
        guard let instant = Timestamp(iso8601: text) else {
            throw ValidationError("--as-of '\(text)' is not an ISO-8601 instant such as 2026-10-20T00:00:00Z")
        }
        return instant
    }

    func validate() throws { _ = try timestamp() }
}

/// What training commands print about the generation they published.
enum GenerationWarning {
    /// Warns on standard error when retiring old generations failed after publication.
    static func retirement(_ publication: GenerationPublisher.Outcome) {
        if let problem = publication.retirementError {
            FileHandle.standardError.write(
                Data(
                    "warning: generation \(publication.generation) is published, but retiring old generations failed: \(problem)\n"
                        .utf8
                )
            )
        }
    }

    /// The generation number and what it carried over.
    static func summary(_ publication: GenerationPublisher.Outcome) -> String {
        "\(publication.generation)"
            + (publication.carriedOver.isEmpty
                ? "" : " (carried over: \(publication.carriedOver.joined(separator: ", ")))")
    }
}

import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl audience`: lists of users for other tools.
struct AudienceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audience",
        abstract: "Build audiences (lists of users) and export them for messaging tools.",
        subcommands: [AudienceAffinityCommand.self]
    )
}

/// `aampectl audience affinity --attribute genres=Action`
struct AudienceAffinityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "affinity",
        abstract: "Rank users by their affinity to items with an attribute value, and export the top ones.",
        discussion: """
            The model score is Σ over the user's items of decayed affinity × (1 if the item has the value, \
            plus the share of the item's neighbour similarity on items that have it) / 2. It is reported \
            next to two baselines: the count of the user's interactions with such items, and their share \
            of the user's interactions. With --holdout-days D (default 7) the three rankings are also \
            trained on the data before the last D days and scored on who interacted with such items in \
            them. The recommender is trained in memory from the imported events with the given settings.

            Exports: pinpoint (an Amazon Pinpoint endpoint CSV: User.UserId,ChannelType,Address,... one \
            row per consented email or SMS address; users without one are left out and counted), braze \
            (external_id and the score as a custom attribute), csv (user_id, rank, score, count, share).
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var recommender: RecommenderSettingsOptions

    @Option(
        help: ArgumentHelp(
            "The attribute and value, such as genres=Action; several values (a,b) mean any of them. 'category=X' uses the catalog category.",
            valueName: "name=value"
        )
    )
    var attribute: String

    @Option(help: ArgumentHelp("Keep the best N users.", valueName: "N"))
    var top: Int?

    @Option(help: ArgumentHelp("Keep users whose model score is at least this.", valueName: "score"))
    var minScore: Double?

    @Option(
        help: ArgumentHelp(
            "Check the rankings on the last D days, trained on the days before; 0 skips the check.",
            valueName: "days"
        )
    )
    var holdoutDays: Int = 7

    @Option(help: ArgumentHelp("Write the audience to this file.", valueName: "file"))
    var export: String?

    @Option(help: ArgumentHelp("pinpoint, braze or csv.", valueName: "format"))
    var format: String = "csv"

    @Option(
        help: ArgumentHelp(
            "Export push tokens as this Pinpoint channel type (APNS, GCM, ...); without it push addresses are not exported.",
            valueName: "type"
        )
    )
    var pushChannelType: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
        _ = try request()
        if top != nil && minScore != nil { throw ValidationError("give --top or --min-score, not both") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        guard (0...365).contains(holdoutDays) else { throw ValidationError("--holdout-days must be 0 to 365") }
        guard AudienceExport.Format(rawValue: format) != nil else {
            throw ValidationError("--format must be pinpoint, braze or csv, not '\(format)'")
        }
        if export == nil && format != "csv" { throw ValidationError("--format needs --export FILE") }
    }

    func request() throws -> AudienceAffinityJob.Request {
        let parts = attribute.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--attribute '\(attribute)' must be name=value, such as genres=Action")
        }
        return AudienceAffinityJob.Request(
            attribute: parts[0],
            values: parts[1].split(separator: ",").map(String.init),
            top: top,
            minimumScore: minScore,
            holdoutDays: holdoutDays,
            settings: try recommender.settings()
        )
    }

    func run() async throws {
        let destination = export.map {
            AudienceAffinityJob.Export(
                path: $0,
                format: AudienceExport.Format(rawValue: format)!,
                pushChannelType: pushChannelType
            )
        }
        let report = try AudienceAffinityJob.run(
            directory: dataDirectory.dataDirectory,
            request: try request(),
            export: destination
        )
        if json {
            print(try JSONText.pretty(report))
            return
        }
        print("\(attribute): \(report.itemsWithAttribute) items; \(report.usersInAudience) users in the audience")
        if !report.holdout.isEmpty {
            print(
                "\nholdout: the last \(holdoutDays) days, \(report.holdoutPositives) users interacted with such items; top \(report.holdout[0].top) users of each ranking trained before them"
            )
            print(
                TextTable(
                    header: ("ranking", "precision / recall"),
                    rows: report.holdout.map {
                        (
                            $0.method == .model ? "model" : $0.method == .count ? "count baseline" : "share baseline",
                            String(format: "%.3f / %.3f", $0.precision, $0.recall)
                        )
                    }
                ).rendered()
            )
        }
        if let summary = report.export {
            print(
                "\nwrote \(summary.rows) rows for \(summary.usersExported) users to \(summary.path) (\(format)); \(summary.usersWithoutAddress) users left out without a consented address"
            )
        } else {
            print("\nrank  user  score  count  share")
            for (rank, member) in report.members.prefix(20).enumerated() {
                print(
                    String(
                        format: "%4d  %@  %.4f  %d  %.3f",
                        rank + 1,
                        member.userID,
                        member.score,
                        member.count,
                        member.share
                    )
                )
            }
            if report.members.count > 20 { print("(\(report.members.count - 20) more; --export FILE writes them all)") }
        }
    }
}

import AampeCore
import AampeLearning
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl segment`: user segments for other tools.
struct SegmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Build user segments and export them for messaging tools.",
        subcommands: [SegmentAffinityCommand.self]
    )
}

/// `aampectl segment affinity --attribute genres=Action`
struct SegmentAffinityCommand: AsyncParsableCommand {
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

    @Option(help: ArgumentHelp("The attribute and value, such as genres=Action; several values (a,b) mean any of them. 'category=X' uses the catalog category.", valueName: "name=value"))
    var attribute: String

    @Option(help: ArgumentHelp("Keep the best N users.", valueName: "N"))
    var top: Int?

    @Option(help: ArgumentHelp("Keep users whose model score is at least this.", valueName: "score"))
    var minScore: Double?

    @Option(help: ArgumentHelp("Check the rankings on the last D days, trained on the days before; 0 skips the check.", valueName: "days"))
    var holdoutDays: Int = 7

    @Option(help: ArgumentHelp("Write the segment to this file.", valueName: "file"))
    var export: String?

    @Option(help: ArgumentHelp("pinpoint, braze or csv.", valueName: "format"))
    var format: String = "csv"

    @Option(help: ArgumentHelp("Export push tokens as this Pinpoint channel type (APNS, GCM, ...); without it push addresses are not exported.", valueName: "type"))
    var pushChannelType: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
        _ = try recommender.settings()
        _ = try condition()
        if top != nil && minScore != nil { throw ValidationError("give --top or --min-score, not both") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        guard (0...365).contains(holdoutDays) else { throw ValidationError("--holdout-days must be 0 to 365") }
        guard SegmentExport.Format(rawValue: format) != nil else { throw ValidationError("--format must be pinpoint, braze or csv, not '\(format)'") }
        if export == nil && format != "csv" { throw ValidationError("--format needs --export FILE") }
    }

    func condition() throws -> (name: String, values: [String]) {
        let parts = attribute.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--attribute '\(attribute)' must be name=value, such as genres=Action")
        }
        return (parts[0], parts[1].split(separator: ",").map(String.init))
    }

    struct Report: Codable {
        var attribute: String
        var itemsWithAttribute: Int
        var usersScored: Int
        var usersInSegment: Int
        var holdout: [AttributeAffinity.HoldoutResult]
        var holdoutDays: Int
        var holdoutPositives: Int
        var export: SegmentExport.Summary?
    }

    func run() async throws {
        let settings = try recommender.settings()
        let (name, values) = try condition()
        let directory = dataDirectory.dataDirectory
        let store = try directory.openStore()
        let (log, keys) = try InteractionLoading.load(directory: directory, store: store, settings: settings)
        let rows = try store.ingestion.catalogRows()
        var hasAttribute = [Bool](repeating: false, count: keys.itemIDs.count)
        var known: Set<String> = []
        for row in rows where row.itemIndex < hasAttribute.count {
            let itemValues = name == "category" ? (row.category.map { [$0] } ?? []) : (row.attributeValues[name] ?? [])
            known.formUnion(itemValues)
            if itemValues.contains(where: values.contains) { hasAttribute[row.itemIndex] = true }
        }
        let itemsWithAttribute = hasAttribute.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard itemsWithAttribute > 0 else {
            let hint = known.isEmpty ? "no catalog item has the attribute '\(name)'" : "known values: \(known.sorted().prefix(20).joined(separator: ", "))"
            throw ValidationError("--attribute \(attribute): no catalog item matches (\(hint))")
        }

        // The check: rankings from the data before the holdout, against who acted in it.
        var holdout: [AttributeAffinity.HoldoutResult] = []
        var positives: Set<UInt32> = []
        if holdoutDays > 0, let newest = log.newestTimestamp {
            let cut = newest - Int64(holdoutDays) * 86_400
            var before = InteractionLog(userCount: log.userCount, itemCount: log.itemCount)
            for index in 0..<log.count {
                if log.timestamps[index] <= cut {
                    before.append(user: log.users[index], item: log.items[index], weight: log.weights[index], timestamp: log.timestamps[index], isPurchase: log.isPurchase[index])
                } else if hasAttribute[Int(log.items[index])] {
                    positives.insert(log.users[index])
                }
            }
            if before.count > 0 && !positives.isEmpty {
                var holdoutSettings = settings
                holdoutSettings.historyLength = 0
                let trained = RecommenderTrainer.train(before, settings: holdoutSettings)
                let scores = AttributeAffinity.scores(log: before, trained: trained, hasAttribute: hasAttribute)
                holdout = AttributeAffinity.holdout(scores: scores, positives: positives, top: top ?? positives.count)
            }
        }

        var fullSettings = settings
        fullSettings.historyLength = 0
        let trained = RecommenderTrainer.train(log, settings: fullSettings)
        // Users with no affinity at all (score 0) are not part of any segment.
        var ranked = AttributeAffinity.ranked(AttributeAffinity.scores(log: log, trained: trained, hasAttribute: hasAttribute), by: .model)
            .filter { $0.score > 0 }
        if let top { ranked = Array(ranked.prefix(top)) }
        if let minScore { ranked = ranked.filter { $0.score >= minScore } }

        var summary: SegmentExport.Summary?
        if let export {
            summary = try SegmentExport.write(
                ranked, to: export, format: SegmentExport.Format(rawValue: format)!, userIDs: keys.userIDs,
                channels: try store.ingestion.channelRows(), segmentName: "\(name)=\(values.joined(separator: ","))",
                pushChannelType: pushChannelType
            )
        }
        let report = Report(
            attribute: attribute, itemsWithAttribute: itemsWithAttribute, usersScored: log.userCount,
            usersInSegment: ranked.count, holdout: holdout, holdoutDays: holdoutDays, holdoutPositives: positives.count, export: summary
        )
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("\(attribute): \(itemsWithAttribute) items; \(ranked.count) users in the segment")
        if !holdout.isEmpty {
            print("\nholdout: the last \(holdoutDays) days, \(positives.count) users interacted with such items; top \(holdout[0].top) users of each ranking trained before them")
            print(TextTable(header: ("ranking", "precision / recall"), rows: holdout.map {
                ($0.method == .model ? "model" : $0.method == .count ? "count baseline" : "share baseline", String(format: "%.3f / %.3f", $0.precision, $0.recall))
            }).rendered())
        }
        if let summary {
            print("\nwrote \(summary.rows) rows for \(summary.usersExported) users to \(summary.path) (\(format)); \(summary.usersWithoutAddress) users left out without a consented address")
        } else if export == nil {
            print("\nrank  user  score  count  share")
            for (rank, entry) in ranked.prefix(20).enumerated() {
                print(String(format: "%4d  %@  %.4f  %d  %.3f", rank + 1, keys.userIDs[Int(entry.user)], entry.score, entry.count, entry.share))
            }
            if ranked.count > 20 { print("(\(ranked.count - 20) more; --export FILE writes them all)") }
        }
    }
}

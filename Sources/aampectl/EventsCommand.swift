import AampeCore
import AampeEvents
import AampeIngest
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl events`: read back what imports stored.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Read the imported events.",
        subcommands: [EventsSummaryCommand.self, EventsDumpCommand.self]
    )
}

/// `aampectl events summary`: what the imported data holds, per UTC day.
struct EventsSummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Show users, items and events per type per day, and active users per day."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    @Option(help: ArgumentHelp("Show only the latest N days in the table (JSON always has all).", valueName: "N"))
    var lastDays: Int?

    func validate() throws {
        if let lastDays, lastDays < 0 { throw ValidationError("--last-days must not be negative") }
    }

    struct Report: Codable {
        var users: Int
        var items: Int
        var profiles: Int
        var catalogItems: Int
        var events: Int
        var eventTypes: [String]
        var days: [DailyEventCounts]

        enum CodingKeys: String, CodingKey {
            case users, items, profiles, events, days
            case catalogItems = "catalog_items"
            case eventTypes = "event_types"
        }
    }

    func run() async throws {
        let directory = dataDirectory.dataDirectory
        let store = try directory.openStore()
        let keys = try store.ingestion.keyDictionaries()
        let counts = Dictionary(uniqueKeysWithValues: try store.inventory().map { ($0.name, $0.count) })
        let days = try EventStore(dataDirectory: directory, store: store).dailyCounts()
        let report = Report(
            users: keys.userIDs.count,
            items: keys.itemIDs.count,
            profiles: counts["profiles"] ?? 0,
            catalogItems: counts["catalog_items"] ?? 0,
            events: days.reduce(0) { $0 + $1.events.values.reduce(0, +) },
            eventTypes: keys.eventTypes,
            days: days
        )
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print(
            TextTable(
                header: ("data", "count"),
                rows: [
                    ("users", ImportReport.grouped(Int64(report.users))),
                    ("profiles", ImportReport.grouped(Int64(report.profiles))),
                    ("items", ImportReport.grouped(Int64(report.items))),
                    ("catalog items", ImportReport.grouped(Int64(report.catalogItems))),
                    ("events", ImportReport.grouped(Int64(report.events))),
                    ("event types", "\(report.eventTypes.count)"),
                ]
            ).rendered()
        )
        guard !days.isEmpty else { return }
        // One row per day: active users, then events per type in dictionary order.
        let types = report.eventTypes
        let header = ["day", "active users"] + types
        var rows = [header]
        let shown = lastDays.map { Array(days.suffix($0)) } ?? days
        if shown.count < days.count { print("(the latest \(shown.count) of \(days.count) days)") }
        for day in shown {
            rows.append(
                [day.date, ImportReport.grouped(Int64(day.activeUsers))]
                    + types.map { ImportReport.grouped(Int64(day.events[$0] ?? 0)) }
            )
        }
        print("")
        print(TextTable.columns(rows, rightAligned: { $0 > 0 }))
    }
}

/// `aampectl events dump`: every stored event as CSV, in storage order (day, then import order).
struct EventsDumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every stored event as CSV: user_id,event,timestamp,item_id,value,properties."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() async throws {
        let directory = dataDirectory.dataDirectory
        let events = EventStore(dataDirectory: directory, store: try directory.openStore())
        let stdout = FileHandle.standardOutput
        try events.writeCSV { stdout.write(Data($0.utf8)) }
    }
}

import AampeSimulator
import ArgumentParser
import Foundation

/// `aampe-sim`: a simulated app that writes what a CDP would export, plus the hidden truth.
@main
struct AampeSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aampe-sim",
        abstract: "Simulate an app's users and write their daily event dumps, users, catalog and hidden truth.",
        subcommands: [GenerateCommand.self]
    )
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a world: per-day event dumps, users.csv, catalog.csv, truth/ and summary.json.",
        discussion: "The same settings and seed give byte-identical files, whatever --threads says."
    )

    @Option(help: "Number of users.") var users = 20_000
    @Option(help: "Number of catalog items.") var items = 2_000
    @Option(help: "First UTC day, YYYY-MM-DD.") var start = "2026-10-01"
    @Option(help: "Number of days.") var days = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(name: .customLong("out"), help: "Output folder (created; must be empty unless --force).") var output: String
    @Option(help: "Dump layout: segment, csv, mixpanel or amplitude.") var format = "segment"
    @Flag(help: "Compress each dump with zstd (.zst).") var zstd = false
    @Option(help: "Share of events written twice with the same idempotency key.") var duplicateRate = 0.01
    @Option(help: "Share of events written into a later day's dump.") var lateRate = 0.005
    @Option(help: "Malformed lines added, as a share of events.") var malformedRate = 0.001
    @Option(help: "Hidden personas, 1 to 6.") var personas = 6
    @Option(help: "Variance shares of copy preferences: population,persona,individual.") var copyVariance =
        "0.2,0.3,0.5"
    @Option(help: "Standard deviation of one label preference, in logits.") var copyEffect = 0.8
    @Option(help: "Worker threads (default: the number of cores). The output does not depend on it.") var threads: Int?
    @Flag(help: "Replace what an earlier run wrote in the output folder.") var force = false
    @Flag(help: "Print the summary as JSON (the same as summary.json).") var json = false

    func run() throws {
        var settings = WorldSettings()
        settings.users = users
        settings.items = items
        settings.startDate = start
        settings.days = days
        settings.seed = seed
        settings.personas = personas
        guard let dumpFormat = WorldSettings.DumpFormat(rawValue: format) else {
            throw ValidationError("--format: \"\(format)\" is not one of segment, csv, mixpanel, amplitude")
        }
        settings.format = dumpFormat
        settings.isCompressed = zstd
        settings.duplicateRate = duplicateRate
        settings.lateRate = lateRate
        settings.malformedRate = malformedRate
        let shares = copyVariance.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard shares.count == 3, shares.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--copy-variance: \"\(copyVariance)\" is not three numbers such as 0.2,0.3,0.5")
        }
        settings.copyVarianceShares = shares.map { $0! }
        settings.copyEffectScale = copyEffect
        do {
            try settings.validate()
        } catch {
            throw ValidationError(error.description)
        }

        let simulator = Simulator(settings: settings, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let started = Date()
        let isTerminal = isatty(STDERR_FILENO) != 0
        let summary = try simulator.generate(into: output, isForced: force) { done, total in
            guard isTerminal else { return }
            FileHandle.standardError.write(Data("\rsimulating day \(done)/\(total)".utf8))
        }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let elapsed = Date().timeIntervalSince(started)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        SummaryTable.print(summary, folder: output, elapsedSeconds: elapsed)
    }
}

/// The run's summary as a terminal table.
enum SummaryTable {
    static func print(_ summary: SimulationSummary, folder: String, elapsedSeconds: Double) {
        let names = ["app_opened", "product_viewed", "add_to_cart", "checkout", "purchase"]
        let columns = ["date"] + names + ["revenue", "lines", "late", "dup", "bad", "users"]
        var rows: [[String]] = []
        for day in summary.days {
            rows.append(
                [day.date] + names.map { String(day.events[$0] ?? 0) }
                    + [
                        day.revenue, String(day.lines), String(day.lateArrivals), String(day.duplicates),
                        String(day.malformed),
                        String(day.usersWithSessions),
                    ]
            )
        }
        let totals = summary.totals
        rows.append(
            ["total"] + names.map { String(totals.eventsByName[$0] ?? 0) }
                + [
                    totals.revenue, String(totals.lines), String(totals.lateArrivals), String(totals.duplicates),
                    String(totals.malformed), "",
                ]
        )
        let widths = columns.indices.map { column in
            max(columns[column].count, rows.map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
        Swift.print(line(columns))
        for row in rows { Swift.print(line(row)) }
        Swift.print()
        let rate = Double(totals.events) / max(elapsedSeconds, 1e-9)
        Swift.print(
            "\(totals.events) events (\(totals.lines) lines: \(totals.duplicates) duplicates, \(totals.malformed) malformed; "
                + "\(totals.lateArrivals) events in a later day's dump) for \(summary.settings.users) users and "
                + "\(summary.settings.items) items in \(String(format: "%.1f", elapsedSeconds)) s: "
                + "\(Int(rate)) events/s, peak RSS \(peakResidentMiB()) MiB"
        )
        Swift.print("users = users with a session on that local day; late = lines arriving late into that day's dump")
        Swift.print(
            "Wrote \(folder)/events/ (\(summary.files.count) dumps), users.csv, catalog.csv, summary.json and truth/."
        )
    }

    static func peakResidentMiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }
}

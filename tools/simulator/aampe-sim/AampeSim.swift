import AampeSimulator
import ArgumentParser
import Foundation

/// `aampe-sim`: a simulated app that writes what a CDP would export, plus the hidden truth.
@main
struct AampeSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aampe-sim",
        abstract:
            "Simulate an app's users and write their daily event dumps, users, catalog and hidden truth; answer messages.",
        subcommands: [GenerateCommand.self, InitCommand.self, StepCommand.self, CalibrationCommand.self]
    )
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

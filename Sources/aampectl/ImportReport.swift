import AampeIngest
import Foundation

/// The terminal summary of an import run.
enum ImportReport {
    static func table(_ summary: ImportSummary) -> String {
        var lines: [String] = []
        for file in summary.files {
            if let error = file.error, file.rowsRead == 0 {
                lines.append("\(file.path): not imported: \(error)")
                continue
            }
            lines.append("\(file.path): \(file.format) (\(file.detection))")
            if let error = file.error { lines.append("  read in part: \(error)") }
        }
        if !lines.isEmpty { lines.append("") }
        let totals = summary.totals
        var rows: [(String, String)] = [
            (
                "files",
                "\(totals.files)" + (totals.filesWithErrors > 0 ? " (\(totals.filesWithErrors) with errors)" : "")
            ),
            ("rows read", grouped(totals.rowsRead)),
            ("accepted", grouped(totals.accepted)),
        ]
        if summary.subject == "events" {
            rows.append(
                (
                    "duplicates",
                    grouped(totals.duplicates)
                        + (totals.duplicates > 0 && totals.accepted == 0 ? " (everything was already imported)" : "")
                )
            )
            if totals.profileUpdates > 0 { rows.append(("profile updates (identify)", grouped(totals.profileUpdates))) }
        }
        rows.append(("rejected", grouped(totals.rejected)))
        for (reason, count) in totals.rejectedByReason.sorted(by: { $0.key < $1.key }) {
            rows.append(("  " + reason, grouped(count)))
        }
        if summary.subject != "catalog" { rows.append(("new users", grouped(totals.newUsers))) }
        if summary.subject != "users" { rows.append(("new items", grouped(totals.newItems))) }
        if summary.subject == "events" { rows.append(("new event types", grouped(totals.newEventTypes))) }
        rows.append(("run", "\(summary.runID), \(String(format: "%.2f", summary.elapsedSeconds)) s"))
        if let quarantine = summary.quarantinePath { rows.append(("quarantine", quarantine)) }
        if summary.removedLeftovers > 0 {
            rows.append(
                ("leftovers removed", "\(summary.removedLeftovers) unlisted segment files of an interrupted import")
            )
        }
        lines.append(TextTable(header: ("import \(summary.subject)", "count"), rows: rows).rendered())
        return lines.joined(separator: "\n")
    }

    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}

import AampeCore
import Foundation

/// The report document as terminal text: each section's title and notes, then its tables with aligned
/// columns (numbers right-aligned). Charts are drawn only by the HTML page; their numbers are in the
/// tables.
public enum TableReportRenderer {
    public static func render(_ document: ReportDocument) -> String {
        var out = "\(document.title)\nperiod \(document.from) to \(document.to)"
        if let campaign = document.campaign { out += ", campaign \(campaign)" }
        out += "\n"
        for section in document.sections {
            out += "\n== \(section.title) ==\n"
            for note in section.notes { out += wrap(note, width: 100, prefix: "  ") + "\n" }
            for table in section.tables {
                out += "\n\(table.title)\n"
                out += aligned(table) + "\n"
            }
        }
        return out
    }

    static func aligned(_ table: ReportTable) -> String {
        let shown = table.rows.prefix(Limits.maximumReportTableRowsShown)
        let cells = [table.columns] + shown.map { row in row.map { $0.formatted() } }
        guard !table.rows.isEmpty else { return "(no rows)" }
        let numeric = table.columns.indices.map { column in
            shown.allSatisfy { row in
                switch row[column] {
                case .integer, .number, .missing: true
                case .text: false
                }
            }
        }
        let widths = table.columns.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        var lines: [String] = []
        for (index, row) in cells.enumerated() {
            lines.append(
                row.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return numeric[column] ? padding + cell : cell + padding
                }.joined(separator: "  ")
            )
            if index == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        if table.rows.count > shown.count {
            lines.append("… \(table.rows.count - shown.count) more rows (all of them in --format csv or json)")
        }
        return lines.joined(separator: "\n")
    }

    static func wrap(_ text: String, width: Int, prefix: String) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width - prefix.count {
                lines.append(prefix + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(prefix + line) }
        return lines.joined(separator: "\n")
    }
}

/// The report document as CSV: one block per table, each `# section/table` on a line of its own, then
/// the header and the rows (RFC 4180 quoting), and a blank line between blocks. Every row is written.
public enum CSVReportRenderer {
    public static func render(_ document: ReportDocument) -> String {
        var blocks: [String] = []
        for section in document.sections {
            for table in section.tables {
                var lines = ["# \(section.kind)/\(table.name)"]
                lines.append(table.columns.map(CSVText.field).joined(separator: ","))
                for row in table.rows {
                    lines.append(row.map { CSVText.field($0.csvText) }.joined(separator: ","))
                }
                blocks.append(lines.joined(separator: "\n"))
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }
}

/// The report document as JSON: the document type, encoded with sorted keys.
public enum JSONReportRenderer {
    public static func render(_ document: ReportDocument) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}

extension ReportValue {
    /// The value in full precision, for CSV.
    var csvText: String {
        switch self {
        case .text(let text): text
        case .integer(let integer): String(integer)
        case .number(let number): number.isFinite ? String(number) : ""
        case .missing: ""
        }
    }
}

import AampeCore
import Foundation

/// A plain two-column terminal table with a header rule.
struct TextTable {
    var header: (String, String)
    var rows: [(String, String)]

    func rendered() -> String {
        let width = ([header.0] + rows.map(\.0)).map(\.count).max() ?? 0
        func line(_ left: String, _ right: String) -> String {
            left + String(repeating: " ", count: width - left.count) + "  " + right
        }
        let rightWidth = ([header.1] + rows.map(\.1)).map(\.count).max() ?? 0
        let rule = String(repeating: "-", count: width) + "  " + String(repeating: "-", count: rightWidth)
        return ([line(header.0, header.1), rule] + rows.map { line($0.0, $0.1) }).joined(separator: "\n")
    }

    /// A table of any number of columns: `rows[0]` is the header, followed by a rule. Columns for which
    /// `rightAligned` holds are padded on the left (numbers); the others on the right.
    static func columns(_ rows: [[String]], rightAligned: (Int) -> Bool = { _ in false }) -> String {
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines: [String] = []
        for (index, row) in rows.enumerated() {
            lines.append(
                row.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return rightAligned(column) ? padding + cell : cell + padding
                }.joined(separator: "  ")
            )
            if index == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    /// RFC 4180 quoting, where a field needs it.
    static func csvField(_ text: String) -> String { CSVText.field(text) }
}

/// Byte counts for people: `0 B`, `812 B`, `4.0 KiB`, `1.25 GiB`.
enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) \(units[unit])"
    }
}

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

import AampeCore

/// Draws a ``ReportTable`` for the HTML report: a heading, then the table inside a box that scrolls
/// sideways (`overflow-x: auto`), so a wide table never makes the page wider than a phone's screen.
///
/// Numbers are right-aligned in tabular figures, so that digits line up down a column, and printed with
/// ``ReportValue/formatted(digits:)``, as the terminal table prints them. A column whose every value is a
/// number has a right-aligned heading too. Past ``Limits/maximumReportTableRowsShown`` rows the table
/// stops, and a line says how many rows it left out; CSV and JSON carry them all.
enum HTMLTableRenderer {
    static func render(_ table: ReportTable) -> String {
        let shown = table.rows.prefix(Limits.maximumReportTableRowsShown)
        // Rows shorter than the header get empty cells, so the grid stays rectangular; a longer row
        // keeps its extra cells (under no heading) rather than lose data.
        let width = max(table.columns.count, shown.map(\.count).max() ?? 0)
        let isNumericColumn = (0..<width).map { column in
            var sawNumber = false
            for row in shown where column < row.count {
                switch row[column] {
                case .integer, .number: sawNumber = true
                case .missing: continue
                case .text: return false
                }
            }
            return sawNumber
        }

        var html = "<h3>\(HTMLText.escaped(table.title))</h3>\n"
        html += "<div class=\"table-wrap\" data-table=\"\(HTMLText.escaped(table.name))\">\n<table>\n<thead><tr>"
        for (column, name) in table.columns.enumerated() {
            let numeric = column < isNumericColumn.count && isNumericColumn[column] ? " class=\"num\"" : ""
            html += "<th scope=\"col\"\(numeric)>\(HTMLText.escaped(name))</th>"
        }
        for _ in table.columns.count..<max(table.columns.count, width) { html += "<th scope=\"col\"></th>" }
        html += "</tr></thead>\n<tbody>\n"
        for row in shown {
            html += "<tr>"
            for column in 0..<width {
                html += column < row.count ? cell(row[column]) : "<td></td>"
            }
            html += "</tr>\n"
        }
        if shown.isEmpty {
            html += "<tr><td class=\"empty\" colspan=\"\(max(1, width))\">No rows.</td></tr>\n"
        }
        html += "</tbody>\n</table>\n</div>\n"
        let leftOut = table.rows.count - shown.count
        if leftOut > 0 {
            html += "<p class=\"cut\">Showing the first \(shown.count) of \(table.rows.count) rows; "
            html += "\(leftOut) \(leftOut == 1 ? "row" : "rows") left out. "
            html += "The CSV and JSON formats carry every row.</p>\n"
        }
        return html
    }

    private static func cell(_ value: ReportValue) -> String {
        switch value {
        case .text(let text): "<td>\(HTMLText.escaped(text))</td>"
        case .integer, .number: "<td class=\"num\">\(HTMLText.escaped(value.formatted()))</td>"
        // A dash, not a blank: a blank cell reads as a rendering fault.
        case .missing: "<td class=\"num missing\" title=\"not defined\">–</td>"
        }
    }
}

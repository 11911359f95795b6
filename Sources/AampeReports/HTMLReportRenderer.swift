/// Renders a ``ReportDocument`` as one self-contained HTML5 page: `--format html` and `report all --html`.
///
/// The page stands alone, so it can be mailed, archived or opened from a shared drive:
/// - its CSS is inline and its charts are inline SVG; it has no script, and loads nothing (no fonts,
///   images or style sheets). Its Content-Security-Policy forbids every load and every script, so even
///   a mistake in escaping could not run code in a reader's browser;
/// - every string from the document (titles, labels, notes, cells) is escaped: they come from
///   customers' content;
/// - it fits a phone: charts scale to the page's width, and each table scrolls sideways inside its own
///   box, so the page itself is never wider than the screen.
///
/// Layout:
///
///     header     title; period, campaign, generated time
///     nav        contents: a link to each section
///     section    (one per report kind) title, notes as paragraphs, charts, tables
///
/// Each chart is an `<svg>` whose `id` is the chart's ``ReportChart/id``; see ``SVGChartRenderer``.
/// A table shows at most ``Limits/maximumReportTableRowsShown`` rows and says how many it left out.
public enum HTMLReportRenderer {
    /// The Content-Security-Policy the page declares: nothing may load, and only inline style applies.
    /// (SVG presentation attributes such as `fill` are not style, so the charts need nothing more.)
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'"

    /// The page for `document`.
    public static func render(_ document: ReportDocument) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        html += "<meta http-equiv=\"Content-Security-Policy\" content=\"\(contentSecurityPolicy)\">\n"
        html += "<title>\(HTMLText.escaped(document.title))</title>\n"
        html += "<style>\n\(HTMLReportStyle.css)</style>\n</head>\n<body>\n"
        html += header(document)
        if document.sections.isEmpty {
            html += "<main>\n<p class=\"empty\">This report has no sections.</p>\n</main>\n"
        } else {
            html += contents(document.sections)
            html += "<main>\n"
            var chartNumber = 0
            for (index, section) in document.sections.enumerated() {
                html += render(section, anchor: anchor(index), chartNumber: &chartNumber)
            }
            html += "</main>\n"
        }
        html += "</body>\n</html>\n"
        return html
    }

    /// The id of the `index`th section, which the contents link to. Built from the position, not the
    /// kind: ids must be unique and free of spaces whatever the kinds are called.
    static func anchor(_ index: Int) -> String { "section-\(index + 1)" }

    private static func header(_ document: ReportDocument) -> String {
        var html = "<header>\n<h1>\(HTMLText.escaped(document.title))</h1>\n<dl class=\"meta\">\n"
        html += "<div><dt>Period</dt><dd>\(HTMLText.escaped(document.from)) to "
        html += "\(HTMLText.escaped(document.to))</dd></div>\n"
        html += "<div><dt>Campaign</dt><dd>\(HTMLText.escaped(document.campaign ?? "all campaigns"))</dd></div>\n"
        html += "<div><dt>Generated</dt><dd>\(HTMLText.escaped(document.generatedAt))</dd></div>\n"
        html += "</dl>\n</header>\n"
        return html
    }

    private static func contents(_ sections: [ReportSection]) -> String {
        var html = "<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n"
        for (index, section) in sections.enumerated() {
            html += "<li><a href=\"#\(anchor(index))\">\(HTMLText.escaped(section.title))</a></li>\n"
        }
        html += "</ol>\n</nav>\n"
        return html
    }

    private static func render(_ section: ReportSection, anchor: String, chartNumber: inout Int) -> String {
        var html = "<section id=\"\(anchor)\" data-kind=\"\(HTMLText.escaped(section.kind))\">\n"
        html += "<h2>\(HTMLText.escaped(section.title))</h2>\n"
        for note in section.notes {
            html += "<p class=\"note\">\(HTMLText.escaped(note))</p>\n"
        }
        for chart in section.charts {
            chartNumber += 1
            let (svg, notes) = SVGChartRenderer.render(chart, prefix: "chart\(chartNumber)")
            html += "<figure>\n<figcaption>\(HTMLText.escaped(chart.title))</figcaption>\n\(svg)\n"
            for note in notes { html += "<p class=\"cut\">\(HTMLText.escaped(note))</p>\n" }
            html += "</figure>\n"
        }
        for table in section.tables {
            html += HTMLTableRenderer.render(table)
        }
        if section.tables.isEmpty && section.charts.isEmpty {
            html += "<p class=\"empty\">Nothing to show for this period.</p>\n"
        }
        html += "</section>\n"
        return html
    }
}

import AampeCore
import Foundation
import Testing

@testable import AampeReports

@Suite("HTML report renderer")
struct HTMLReportRendererTests {
    let html = HTMLReportRenderer.render(HTMLReportSample.rich)

    /// Every `name="value"` attribute value in `html`.
    static func attributeValues(_ html: String) -> [String] {
        captures(html, #"[a-zA-Z:-]+="([^"]*)""#)
    }

    /// The first capture group of every match of `pattern` in `text`.
    static func captures(_ text: String, _ pattern: String) -> [String] {
        let regex = try! Regex(pattern)
        return text.matches(of: regex).map { String($0.output[1].substring ?? "") }
    }

    /// Whether `page` contains `needle`; a function, so that a failed expectation prints the needle and
    /// not the whole page.
    static func has(_ page: String, _ needle: String) -> Bool { page.contains(needle) }

    /// How many times `needle` occurs in `haystack`.
    static func count(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    @Test("the page is one HTML5 document: doctype, charset, viewport, title, header, contents, sections")
    func structure() {
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.hasSuffix("</body>\n</html>\n"))
        #expect(Self.has(html, "<meta charset=\"utf-8\">"))
        #expect(Self.has(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(Self.has(html, "<title>Weekly report</title>"))
        #expect(Self.has(html, "<h1>Weekly report</h1>"))
        #expect(Self.has(html, "<dd>2026-01-01T00:00:00Z to 2026-01-29T00:00:00Z</dd>"))
        #expect(Self.has(html, "<dd>spring-sale</dd>"))
        #expect(Self.has(html, "<dd>2026-01-29T01:00:00Z</dd>"))
        // The contents link to each section, in order, and each link has its target.
        let sections = HTMLReportSample.rich.sections
        for (index, section) in sections.enumerated() {
            #expect(Self.has(html, "<li><a href=\"#section-\(index + 1)\">\(section.title)</a></li>"))
            #expect(Self.has(html, "<section id=\"section-\(index + 1)\" data-kind=\"\(section.kind)\">"))
        }
        #expect(Self.count("<section ", in: html) == sections.count)
        #expect(Self.has(html, "<p class=\"note\">Goal rate is goals over users messaged.</p>"))
        #expect(Self.has(html, "<p class=\"empty\">Nothing to show for this period.</p>"))
    }

    @Test("a document for all campaigns says so")
    func allCampaigns() {
        var document = HTMLReportSample.rich
        document.campaign = nil
        #expect(Self.has(HTMLReportRenderer.render(document), "<dd>all campaigns</dd>"))
    }

    @Test("every chart is an svg with its id, its type's class, a title and a viewBox at 100 % width")
    func everyChartByID() {
        let classes = [
            "timing-heatmap": "chart-heatmap", "lift-over-time": "chart-band",
            "conversions-by-label": "chart-intervals", "score-distributions": "chart-distributions",
            "opportunity-matrix": "chart-heatmap",
        ]
        for id in HTMLReportSample.chartIDs {
            let opening = html.firstMatch(
                of: try! Regex("<svg id=\"\(id)\" class=\"chart ([a-z-]+)\" viewBox=\"0 0 400 [0-9.]+\" width=\"100%\"")
            )
            #expect(opening != nil, "chart \(id)")
            #expect(opening.map { String($0.output[1].substring ?? "") } == classes[id])
        }
        #expect(Self.count("<svg ", in: html) == HTMLReportSample.chartIDs.count)
        #expect(Self.count("<title id=\"chart", in: html) == HTMLReportSample.chartIDs.count)
        #expect(Self.has(html, "<title id=\"chart1-title\">When the engine sends</title>"))
    }

    @Test("titles, labels, notes and cells from customers' content are escaped, in text and attributes")
    func escaping() {
        var document = HTMLReportSample.rich
        let hostile = HTMLReportSample.hostileLabel
        document.title = hostile
        document.campaign = hostile
        document.sections[0].title = hostile
        document.sections[0].kind = hostile
        document.sections[0].tables[0].name = hostile
        document.sections[0].tables[0].columns[0] = hostile
        document.sections[0].charts = [
            .heatmap(
                .init(
                    id: "a\"b<c",
                    title: hostile,
                    rowLabels: [hostile],
                    columnLabels: [hostile],
                    values: [[1]],
                    valueLabel: hostile
                )
            )
        ]
        let page = HTMLReportRenderer.render(document)
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
        #expect(!Self.has(page.lowercased(), "<script"))
        #expect(!Self.has(page, "alert(\"x\")"))
        #expect(!Self.has(page, "'q'"))
        #expect(Self.has(page, "<title>\(escaped)</title>"))
        #expect(Self.has(page, "<h1>\(escaped)</h1>"))
        #expect(Self.has(page, "data-kind=\"\(escaped)\""))
        #expect(Self.has(page, "data-table=\"\(escaped)\""))
        #expect(Self.has(page, "<th scope=\"col\">\(escaped)</th>"))
        #expect(Self.has(page, "<td>\(escaped)</td>"))
        #expect(Self.has(page, "<svg id=\"a&quot;b&lt;c\" "))
        #expect(Self.has(page, "<p class=\"note\">A note with \(escaped)</p>"))
        #expect(HTMLText.escaped("a\u{0}b\u{7}c\td\ne") == "a\u{FFFD}b\u{FFFD}c\td\ne")
    }

    @Test("the page loads nothing and runs nothing: no URL, no src, no script, no link, no import")
    func selfContained() {
        let lowered = html.lowercased()
        for forbidden in [
            "http:", "https:", "//", "src=", "href=\"/", "<script", "<link", "@import", "<img",
            "<iframe", "<object", "<embed", "javascript:",
        ] {
            #expect(!Self.has(lowered, forbidden), "found \(forbidden)")
        }
        // No event-handler attribute (onload=, onclick=, ...).
        #expect(Self.captures(lowered, #"\son([a-z]+)="#).isEmpty)
        // Every url() and href points inside the page.
        for target in Self.captures(lowered, #"url\(([^)]*)\)"#) { #expect(target.hasPrefix("#")) }
        for target in Self.captures(lowered, #"href="([^"]*)""#) { #expect(target.hasPrefix("#")) }
        #expect(Self.has(html, "content=\"default-src 'none'; style-src 'unsafe-inline'\""))
    }

    @Test("tables sit in a sideways-scrolling box, numbers right-aligned as formatted() prints them")
    func tables() {
        #expect(Self.has(html, ".table-wrap { overflow-x: auto;"))
        #expect(Self.count("<div class=\"table-wrap\"", in: html) == 2)
        #expect(Self.has(html, "<td class=\"num\">123456</td>"))
        #expect(Self.has(html, "<td class=\"num\">0.0639</td>"))
        #expect(Self.has(html, "<td class=\"num\">\(ReportValue.number(12_345.678).formatted())</td>"))
        #expect(Self.has(html, "<td class=\"num missing\" title=\"not defined\">–</td>"))
        #expect(Self.has(html, "<th scope=\"col\" class=\"num\">users</th>"))
        #expect(Self.has(html, "<th scope=\"col\">label</th>"))
    }

    @Test("a table stops at the limit and says how many rows it left out", arguments: [0, 1, 2])
    func longTables(extra: Int) {
        let limit = Limits.maximumReportTableRowsShown
        let rows = limit - 1 + extra  // limit - 1, limit, limit + 1
        let table = ReportTable(name: "t", title: "T", columns: ["n"], rows: (0..<rows).map { [.integer($0)] })
        let page = HTMLReportRenderer.render(
            HTMLReportSample.document(sections: [ReportSection(kind: "k", title: "K", tables: [table])])
        )
        #expect(Self.count("<tr><td", in: page) == min(rows, limit))
        #expect(Self.has(page, "<td class=\"num\">\(min(rows, limit) - 1)</td>"))
        #expect(!Self.has(page, "<td class=\"num\">\(limit)</td>"))
        if rows > limit {
            #expect(Self.has(page, "Showing the first \(limit) of \(rows) rows; 1 row left out."))
        } else {
            #expect(!Self.has(page, "left out"))
        }
    }

    @Test("the rich sample's long table is cut with a count, and its charts are whole")
    func richCut() {
        #expect(Self.has(html, "Showing the first 400 of 450 rows; 50 rows left out."))
        #expect(!Self.has(html, "Drawn: the first"))
    }

    @Test("an empty document is a valid page that says it has no sections")
    func emptyDocument() {
        let page = HTMLReportRenderer.render(HTMLReportSample.document(sections: []))
        #expect(Self.has(page, "<p class=\"empty\">This report has no sections.</p>"))
        #expect(!Self.has(page, "<nav"))
        #expect(page.hasSuffix("</body>\n</html>\n"))
    }

    static let degenerateCharts: [ReportChart] = [
        .heatmap(.init(id: "h-empty", title: "t", rowLabels: [], columnLabels: [], values: [], valueLabel: "v")),
        .heatmap(
            .init(
                id: "h-missing",
                title: "t",
                rowLabels: ["a", "b"],
                columnLabels: ["x"],
                values: [[nil], [nil]],
                valueLabel: "v"
            )
        ),
        .heatmap(
            .init(
                id: "h-one",
                title: "t",
                rowLabels: ["a"],
                columnLabels: ["x", "y"],
                values: [[5, 5]],
                valueLabel: "v"
            )
        ),
        .heatmap(
            .init(
                id: "h-ragged",
                title: "t",
                rowLabels: ["a"],
                columnLabels: [],
                values: [[1], [2, 3, .nan]],
                valueLabel: "v"
            )
        ),
        .band(
            .init(
                id: "b-empty",
                title: "t",
                xLabels: [],
                estimate: [],
                lower: [],
                upper: [],
                alwaysValidLower: [],
                alwaysValidUpper: [],
                yLabel: "y"
            )
        ),
        .band(
            .init(
                id: "b-missing",
                title: "t",
                xLabels: ["d1", "d2"],
                estimate: [nil, nil],
                lower: [nil, .nan],
                upper: [nil, .infinity],
                alwaysValidLower: [],
                alwaysValidUpper: [],
                yLabel: "y"
            )
        ),
        .band(
            .init(
                id: "b-one",
                title: "t",
                xLabels: ["d1"],
                estimate: [0],
                lower: [0],
                upper: [0],
                alwaysValidLower: [0],
                alwaysValidUpper: [0],
                yLabel: "y"
            )
        ),
        .band(
            .init(
                id: "b-short",
                title: "t",
                xLabels: ["d1", "d2", "d3"],
                estimate: [1, .nan],
                lower: [0.5],
                upper: [1.5, 2, 3, 4],
                alwaysValidLower: [],
                alwaysValidUpper: [],
                yLabel: "y"
            )
        ),
        .intervals(.init(id: "i-empty", title: "t", labels: [], estimate: [], lower: [], upper: [], valueLabel: "v")),
        .intervals(
            .init(
                id: "i-not-finite",
                title: "t",
                labels: ["a", "b"],
                estimate: [.nan, .infinity],
                lower: [.nan],
                upper: [],
                valueLabel: "v"
            )
        ),
        .intervals(
            .init(id: "i-point", title: "t", labels: ["a"], estimate: [3], lower: [3], upper: [3], valueLabel: "v")
        ),
        .intervals(
            .init(
                id: "i-huge",
                title: "t",
                labels: ["a", "b"],
                estimate: [-1e300, 1e300],
                lower: [-.greatestFiniteMagnitude, 0],
                upper: [0, .greatestFiniteMagnitude],
                valueLabel: "v"
            )
        ),
        .distributions(.init(id: "d-empty", title: "t", binEdges: [], seriesLabels: [], counts: [], valueLabel: "v")),
        .distributions(
            .init(
                id: "d-zero",
                title: "t",
                binEdges: [0, 1, 2],
                seriesLabels: ["a"],
                counts: [[0, 0]],
                valueLabel: "v"
            )
        ),
        .distributions(
            .init(
                id: "d-bad-edges",
                title: "t",
                binEdges: [.nan, 1],
                seriesLabels: ["a", "b", "c"],
                counts: [[1, 2, 3], [-4]],
                valueLabel: "v"
            )
        ),
        .distributions(
            .init(id: "d-no-bins", title: "t", binEdges: [0], seriesLabels: ["a"], counts: [[]], valueLabel: "v")
        ),
    ]

    @Test("degenerate charts still draw their svg, and no attribute holds NaN or infinity", arguments: degenerateCharts)
    func degenerate(chart: ReportChart) {
        let page = HTMLReportRenderer.render(
            HTMLReportSample.document(sections: [ReportSection(kind: "k", title: "K", charts: [chart])])
        )
        #expect(Self.has(page, "<svg id=\"\(chart.id)\" class=\"chart \(SVGChartRenderer.typeClass(chart))\""))
        for value in Self.attributeValues(page) {
            let lowered = value.lowercased()
            #expect(!lowered.contains("nan") && !lowered.contains("inf"), "attribute value \(value)")
        }
        for needle in [">nan<", ">inf<", "NaN", "Infinity"] { #expect(!Self.has(page, needle)) }
        #expect(Self.has(page, "</svg>\n</figure>"))
    }

    @Test("charts with nothing to draw say so")
    func emptyChartsSayWhy() {
        let page = HTMLReportRenderer.render(
            HTMLReportSample.document(sections: [ReportSection(kind: "k", title: "K", charts: Self.degenerateCharts)])
        )
        #expect(Self.has(page, ">No data<"))
        #expect(Self.has(page, ">No data in any cell<"))
        #expect(Self.has(page, ">No points<"))
        #expect(Self.has(page, ">No estimate at any point<"))
        #expect(Self.has(page, ">No estimate in any row<"))
        #expect(Self.has(page, ">No series<"))
        #expect(Self.has(page, ">no values<"))
        #expect(Self.has(page, ">No bins<"))
    }

    @Test("the heatmap shades cells, hatches missing ones, prints values that fit, and shows its range")
    func heatmap() {
        // The timing heatmap: values 0, 37, ..., 34 × 37 = 1258, Sunday's first window missing.
        #expect(Self.count("class=\"cell\"", in: html) >= 34)
        #expect(Self.has(html, "fill=\"url(#chart1-hatch)\" class=\"cell missing\"><title>Sun, 07–10: no data</title>"))
        #expect(Self.has(html, "<title>Mon, 07–10: 0 sends</title>"))
        #expect(Self.has(html, "<title>Sun, 16–19: 1221 sends</title>"))
        #expect(Self.has(html, ">1221</text>"))
        // The scale's ends: the smallest value palest, the largest darkest, with white text on it.
        #expect(Self.has(html, "fill=\"#deebf7\" class=\"cell\"><title>Mon, 07–10: 0 sends"))
        #expect(Self.has(html, "fill=\"#08306b\" class=\"cell\"><title>Sun, 19–22: 1258 sends"))
        #expect(Self.has(html, "class=\"cell-value on-dark\" font-size=\"9\">1258</text>"))
        #expect(Self.has(html, ">no data</text>"))
        #expect(Self.has(html, "<linearGradient id=\"chart1-scale\">"))
    }

    @Test("the band chart draws two bands, the estimate with a gap where it is missing, a zero line and ticks")
    func band() throws {
        let start = try #require(html.range(of: "<svg id=\"lift-over-time\""))
        let end = try #require(html[start.lowerBound...].range(of: "</svg>"))
        let svg = String(html[start.lowerBound..<end.upperBound])
        // Day 4 has no estimate: the line and both bands break there, in two runs each.
        #expect(Self.count("class=\"band-wide\"/>", in: svg) == 2 + 1)  // two runs, one legend swatch
        #expect(Self.count("class=\"band-narrow\"/>", in: svg) == 2 + 1)
        #expect(Self.count("<polyline", in: svg) == 2)
        #expect(Self.count("class=\"estimate-point\"", in: svg) == 27)
        #expect(Self.count("class=\"zero\"", in: svg) == 1)
        #expect(Self.count("class=\"grid\"", in: svg) >= 3)
        #expect(Self.has(svg, ">2026-01-01</text>"))
        #expect(Self.has(svg, ">goal rate difference</text>"))
    }

    @Test("the interval chart has one row per label, each with a whisker and a dot, on a shared axis")
    func intervals() throws {
        let start = try #require(html.range(of: "<svg id=\"conversions-by-label\""))
        let end = try #require(html[start.lowerBound...].range(of: "</svg>"))
        let svg = String(html[start.lowerBound..<end.upperBound])
        #expect(Self.count("<g class=\"interval\">", in: svg) == 6)
        #expect(Self.count("class=\"whisker\"", in: svg) == 18)
        #expect(Self.count("class=\"estimate-point\"", in: svg) == 6)
        #expect(Self.has(svg, "<title>discount: 0.12 (95 % 0.1 to 0.14)</title>"))
        // The long label is cut for the chart and whole in the tooltip.
        #expect(Self.has(svg, ">a label far longer than…</text>"))
        #expect(Self.has(svg, "<title>a label far longer than any chart can draw: 0.08"))
    }

    @Test("the distributions chart draws one histogram per series over the shared bins")
    func distributions() throws {
        let start = try #require(html.range(of: "<svg id=\"score-distributions\""))
        let end = try #require(html[start.lowerBound...].range(of: "</svg>"))
        let svg = String(html[start.lowerBound..<end.upperBound])
        #expect(Self.count("<g class=\"histogram\">", in: svg) == 5)
        #expect(Self.has(svg, "<title>[0.05, 0.1): 3</title>"))
        #expect(Self.has(svg, ">discount (n = "))
    }

    @Test("charts cut at the category limit, and their captions say so")
    func chartLimits() {
        let limit = Limits.maximumReportChartCategories
        let labels = (0...limit).map { "l\($0)" }
        let chart = ReportChart.Intervals(
            id: "many",
            title: "t",
            labels: labels,
            estimate: labels.map { _ in 1 },
            lower: labels.map { _ in 0 },
            upper: labels.map { _ in 2 },
            valueLabel: "v"
        )
        let page = HTMLReportRenderer.render(
            HTMLReportSample.document(sections: [ReportSection(kind: "k", title: "K", charts: [.intervals(chart)])])
        )
        #expect(Self.count("<g class=\"interval\">", in: page) == limit)
        #expect(
            Self.has(
                page,
                "<p class=\"cut\">Drawn: the first \(limit) of \(limit + 1) rows; the tables carry them all.</p>"
            )
        )
    }

    @Test("SVG numbers are finite, short and rounded to a tenth")
    func svgNumbers() {
        #expect(SVG.number(12) == "12")
        #expect(SVG.number(12.34) == "12.3")
        #expect(SVG.number(-0.05) == "-0.1" || SVG.number(-0.05) == "0")
        #expect(SVG.number(-3.26) == "-3.3")
        #expect(SVG.number(.nan) == "0")
        #expect(SVG.number(.infinity) == "0")
        #expect(SVG.number(1e300) == "100000000000")
        let scale = SVG.LinearScale(domain: 5...5, range: 0...100)
        #expect(scale(5) == 50)
        let (niced, ticks) = SVG.LinearScale(domain: 0.013...0.087, range: 0...100).niced()
        #expect(ticks.first == 0 && ticks.last.map { abs($0 - 0.1) < 1e-12 } == true)
        #expect(niced(0) == 0 && niced(0.1) == 100)
    }
}

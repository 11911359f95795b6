import AampeCore

/// Draws a ``ReportChart`` as inline SVG for the HTML report.
///
/// Every chart is one `<svg>` whose `id` is the chart's id and whose classes are `chart` and
/// `chart-<type>` (`chart-heatmap`, `chart-band`, `chart-intervals`, `chart-distributions`), with a
/// `<title>` that names it for screen readers. Its viewBox is ``SVG/width`` units wide and its width is
/// 100 %, so it scales to the page, from a phone's width up. A chart with nothing to draw still has its
/// `<svg>`, saying so, so that a reader (and a test) finds every chart the document names.
///
/// Definitions inside a chart (its title, hatching, gradient) get ids from `prefix`, which the page
/// makes unique per chart: a chart's own id is data and may hold characters an id reference cannot.
enum SVGChartRenderer {
    /// The SVG of `chart`, with a caption naming anything the chart left out.
    static func render(_ chart: ReportChart, prefix: String) -> (svg: String, notes: [String]) {
        switch chart {
        case .heatmap(let heatmap): renderHeatmap(heatmap, prefix: prefix)
        case .band(let band): renderBand(band, prefix: prefix)
        case .intervals(let intervals): renderIntervals(intervals, prefix: prefix)
        case .distributions(let distributions): renderDistributions(distributions, prefix: prefix)
        }
    }

    /// The CSS class that names a chart's type.
    static func typeClass(_ chart: ReportChart) -> String {
        switch chart {
        case .heatmap: "chart-heatmap"
        case .band: "chart-band"
        case .intervals: "chart-intervals"
        case .distributions: "chart-distributions"
        }
    }

    /// The opening `<svg>` tag and its `<title>`; `height` is in viewBox units.
    static func open(id: String, typeClass: String, title: String, height: Double, prefix: String) -> String {
        let height = max(1, height.isFinite ? height : 1)
        return "<svg id=\"\(HTMLText.escaped(id))\" class=\"chart \(typeClass)\" "
            + "viewBox=\"0 0 \(SVG.number(SVG.width)) \(SVG.number(height))\" width=\"100%\" "
            + "role=\"img\" aria-labelledby=\"\(prefix)-title\" font-size=\"\(SVG.number(SVG.fontSize))\">"
            + "<title id=\"\(prefix)-title\">\(HTMLText.escaped(title))</title>"
    }

    /// A whole chart that says it has nothing to draw.
    static func empty(id: String, typeClass: String, title: String, prefix: String, reason: String) -> String {
        open(id: id, typeClass: typeClass, title: title, height: 40, prefix: prefix)
            + text(reason, x: SVG.width / 2, y: 24, anchor: "middle", className: "chart-empty") + "</svg>"
    }

    /// A `<text>` element; `text` is escaped here.
    static func text(
        _ text: String,
        x: Double,
        y: Double,
        anchor: String = "start",
        className: String? = nil,
        fontSize: Double? = nil,
        transform: String? = nil
    ) -> String {
        var attributes = "x=\"\(SVG.number(x))\" y=\"\(SVG.number(y))\" text-anchor=\"\(anchor)\""
        if let className { attributes += " class=\"\(className)\"" }
        if let fontSize { attributes += " font-size=\"\(SVG.number(fontSize))\"" }
        if let transform { attributes += " transform=\"\(transform)\"" }
        return "<text \(attributes)>\(HTMLText.escaped(text))</text>"
    }

    /// A `<line>` element.
    static func line(
        x1: Double,
        y1: Double,
        x2: Double,
        y2: Double,
        className: String
    ) -> String {
        "<line x1=\"\(SVG.number(x1))\" y1=\"\(SVG.number(y1))\" x2=\"\(SVG.number(x2))\" "
            + "y2=\"\(SVG.number(y2))\" class=\"\(className)\"/>"
    }

    /// A label as a chart draws it: cut to the limit, because SVG text does not wrap.
    static func chartLabel(_ label: String) -> String {
        HTMLText.shortened(label, maximumCharacters: Limits.maximumReportChartLabelCharacters)
    }

    /// "Drawn: the first 60 of 75 rows; the table has them all." when `count` is over `limit`.
    static func cutNote(count: Int, limit: Int, noun: String) -> [String] {
        guard count > limit else { return [] }
        return ["Drawn: the first \(limit) of \(count) \(noun); the tables carry them all."]
    }
}

import AampeCore

extension SVGChartRenderer {
    /// One row per label: a dot at the estimate and a whisker from the lower to the upper end, on one
    /// shared axis with ticks, and a dashed line at zero when zero is on the axis. A row whose numbers
    /// are not finite keeps its label and draws nothing.
    static func renderIntervals(_ chart: ReportChart.Intervals, prefix: String) -> (svg: String, notes: [String]) {
        let typeClass = "chart-intervals"
        let total = chart.labels.count
        let notes = cutNote(count: total, limit: Limits.maximumReportChartCategories, noun: "rows")
        let count = min(total, Limits.maximumReportChartCategories)
        func at(_ values: [Double], _ index: Int) -> Double? {
            index < values.count && values[index].isFinite ? values[index] : nil
        }
        let estimate = (0..<count).map { at(chart.estimate, $0) }
        let lower = (0..<count).map { at(chart.lower, $0) }
        let upper = (0..<count).map { at(chart.upper, $0) }
        guard let extent = SVG.extent(estimate + lower + upper) else {
            let reason = count == 0 ? "No rows" : "No estimate in any row"
            return (
                empty(id: chart.id, typeClass: typeClass, title: chart.title, prefix: prefix, reason: reason), notes
            )
        }

        let labelSize = SVG.fontSize - 1
        let labels = chart.labels.prefix(count).map(chartLabel)
        let labelWidth = min(SVG.width * 0.4, (labels.map { SVG.textWidth($0, fontSize: labelSize) }.max() ?? 0) + 8)
        let left = labelWidth
        let right = SVG.width - 14
        let rowHeight = 20.0
        let top = 4.0
        let plotBottom = top + Double(count) * rowHeight
        let (x, ticks) = SVG.LinearScale(domain: extent, range: left...right).niced()
        let height = plotBottom + 36

        var svg = open(id: chart.id, typeClass: typeClass, title: chart.title, height: height, prefix: prefix)
        for row in 0..<count where row % 2 == 1 {
            svg +=
                "<rect x=\"0\" y=\"\(SVG.number(top + Double(row) * rowHeight))\" width=\"\(SVG.number(SVG.width))\" "
            svg += "height=\"\(SVG.number(rowHeight))\" class=\"stripe\"/>"
        }
        for tick in ticks {
            svg += line(x1: x(tick), y1: top, x2: x(tick), y2: plotBottom, className: "grid")
            svg += line(x1: x(tick), y1: plotBottom, x2: x(tick), y2: plotBottom + 4, className: "axis")
            svg += text(SVG.label(tick), x: x(tick), y: plotBottom + 15, anchor: "middle", fontSize: labelSize)
        }
        if x.domain.contains(0) {
            svg += line(x1: x(0), y1: top, x2: x(0), y2: plotBottom, className: "zero")
        }
        svg += line(x1: left, y1: plotBottom, x2: right, y2: plotBottom, className: "axis")
        svg += text(
            chartLabel(chart.valueLabel),
            x: (left + right) / 2,
            y: plotBottom + 30,
            anchor: "middle",
            fontSize: labelSize
        )

        for row in 0..<count {
            let middle = top + (Double(row) + 0.5) * rowHeight
            svg += text(labels[row], x: left - 6, y: middle + labelSize * 0.35, anchor: "end", fontSize: labelSize)
            var tooltip = chart.labels[row] + ": no estimate"
            svg += "<g class=\"interval\">"
            if let low = lower[row], let high = upper[row] {
                svg += line(x1: x(low), y1: middle, x2: x(high), y2: middle, className: "whisker")
                svg += line(x1: x(low), y1: middle - 4, x2: x(low), y2: middle + 4, className: "whisker")
                svg += line(x1: x(high), y1: middle - 4, x2: x(high), y2: middle + 4, className: "whisker")
                tooltip = chart.labels[row] + ": 95 % \(SVG.label(low)) to \(SVG.label(high))"
            }
            if let value = estimate[row] {
                svg +=
                    "<circle cx=\"\(SVG.number(x(value)))\" cy=\"\(SVG.number(middle))\" r=\"3.5\" class=\"estimate-point\"/>"
                tooltip = chart.labels[row] + ": \(SVG.label(value))"
                if let low = lower[row], let high = upper[row] {
                    tooltip += " (95 % \(SVG.label(low)) to \(SVG.label(high)))"
                }
            }
            svg += "<title>\(HTMLText.escaped(tooltip))</title></g>"
        }
        svg += "</svg>"
        return (svg, notes)
    }
}

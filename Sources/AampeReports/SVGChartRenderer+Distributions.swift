import AampeCore

extension SVGChartRenderer {
    /// Small multiples: one histogram per series, two to a row, all over the same bin edges so that their
    /// shapes line up. Each is scaled to its own tallest bin (series differ in size by orders of
    /// magnitude; a shared scale would flatten the small ones), and says its count and its tallest bin.
    static func renderDistributions(
        _ chart: ReportChart.Distributions,
        prefix: String
    ) -> (svg: String, notes: [String]) {
        let typeClass = "chart-distributions"
        let seriesTotal = max(chart.seriesLabels.count, chart.counts.count)
        let binTotal = chart.counts.map(\.count).max() ?? 0
        let notes =
            cutNote(count: seriesTotal, limit: Limits.maximumReportChartCategories, noun: "series")
            + cutNote(count: binTotal, limit: Limits.maximumReportChartPoints, noun: "bins")
        let seriesCount = min(seriesTotal, Limits.maximumReportChartCategories)
        let binCount = min(binTotal, Limits.maximumReportChartPoints)
        guard seriesCount > 0, binCount > 0 else {
            let reason = seriesCount == 0 ? "No series" : "No bins"
            return (
                empty(id: chart.id, typeClass: typeClass, title: chart.title, prefix: prefix, reason: reason), notes
            )
        }

        // Bars sit at their edges' values when the edges are usable (one more than the bins, finite,
        // increasing); otherwise each bin gets the same width, and the axis labels say bin numbers.
        let edges = chart.binEdges
        let hasEdges =
            edges.count == binTotal + 1 && edges.allSatisfy(\.isFinite)
            && zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 }
        let edgeAt: (Int) -> Double = { hasEdges ? edges[$0] : Double($0) }

        let labelSize = SVG.fontSize - 1
        let columns = seriesCount == 1 ? 1 : 2
        let gap = 16.0
        let panelWidth = (SVG.width - gap * Double(columns - 1)) / Double(columns)
        let panelHeight = 104.0
        let barsTop = 16.0
        let barsHeight = 62.0
        let rows = (seriesCount + columns - 1) / columns
        let height = Double(rows) * panelHeight + 16

        var svg = open(id: chart.id, typeClass: typeClass, title: chart.title, height: height, prefix: prefix)
        for series in 0..<seriesCount {
            let originX = Double(series % columns) * (panelWidth + gap)
            let originY = Double(series / columns) * panelHeight
            let label = series < chart.seriesLabels.count ? chart.seriesLabels[series] : "series \(series + 1)"
            let counts = (0..<binCount).map { bin in
                series < chart.counts.count && bin < chart.counts[series].count ? max(0, chart.counts[series][bin]) : 0
            }
            let tallest = counts.max() ?? 0
            let total = counts.reduce(0, +)
            let x = SVG.LinearScale(domain: edgeAt(0)...edgeAt(binCount), range: originX...(originX + panelWidth))
            let bottom = originY + barsTop + barsHeight

            let heading = "\(chartLabel(label)) (n = \(total))"
            svg += text(heading, x: originX, y: originY + 11, className: "panel-title", fontSize: labelSize)
            svg += "<g class=\"histogram\"><title>\(HTMLText.escaped(label)): \(total) in all, "
            svg += "tallest bin \(tallest)</title>"
            for bin in 0..<binCount where counts[bin] > 0 {
                let left = x(edgeAt(bin))
                let width = max(0.5, x(edgeAt(bin + 1)) - left - 0.5)
                let barHeight = barsHeight * Double(counts[bin]) / Double(max(1, tallest))
                svg += "<rect x=\"\(SVG.number(left))\" y=\"\(SVG.number(bottom - barHeight))\" "
                svg += "width=\"\(SVG.number(width))\" height=\"\(SVG.number(barHeight))\" class=\"bar\">"
                svg +=
                    "<title>[\(SVG.label(edgeAt(bin))), \(SVG.label(edgeAt(bin + 1)))): \(counts[bin])</title></rect>"
            }
            svg += "</g>"
            svg += line(x1: originX, y1: bottom, x2: originX + panelWidth, y2: bottom, className: "axis")
            if total == 0 {
                svg += text(
                    "no values",
                    x: originX + panelWidth / 2,
                    y: bottom - 20,
                    anchor: "middle",
                    fontSize: labelSize
                )
            }
            // The shared edges' ends and middle, as numbers (or bin numbers when there are no edges).
            let middleBin = binCount / 2
            for (bin, anchor) in [(0, "start"), (middleBin, "middle"), (binCount, "end")]
            where bin > 0 || anchor == "start" {
                svg += text(
                    SVG.label(edgeAt(bin)),
                    x: x(edgeAt(bin)),
                    y: bottom + 12,
                    anchor: anchor,
                    fontSize: labelSize
                )
            }
        }
        svg += text(
            chartLabel(chart.valueLabel) + " (each histogram scaled to its tallest bin)",
            x: SVG.width / 2,
            y: height - 4,
            anchor: "middle",
            fontSize: labelSize
        )
        svg += "</svg>"
        return (svg, notes)
    }
}

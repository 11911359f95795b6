import AampeCore

extension SVGChartRenderer {
    /// A grid of cells shaded from pale (the smallest value) to dark (the largest); a cell with no data
    /// is hatched grey. Row labels on the left, column labels on top (turned upright when they do not fit
    /// a cell's width), the value in each cell when it fits, and a legend with the scale's ends.
    static func renderHeatmap(_ chart: ReportChart.Heatmap, prefix: String) -> (svg: String, notes: [String]) {
        let typeClass = "chart-heatmap"
        let rowTotal = max(chart.rowLabels.count, chart.values.count)
        let columnTotal = max(chart.columnLabels.count, chart.values.map(\.count).max() ?? 0)
        let limit = Limits.maximumReportChartCategories
        let notes =
            cutNote(count: rowTotal, limit: limit, noun: "rows")
            + cutNote(count: columnTotal, limit: limit, noun: "columns")
        let rowCount = min(rowTotal, limit)
        let columnCount = min(columnTotal, limit)
        guard rowCount > 0, columnCount > 0 else {
            let svg = empty(id: chart.id, typeClass: typeClass, title: chart.title, prefix: prefix, reason: "No data")
            return (svg, notes)
        }

        func value(_ row: Int, _ column: Int) -> Double? {
            guard row < chart.values.count, column < chart.values[row].count,
                let value = chart.values[row][column], value.isFinite
            else { return nil }
            return value
        }
        func label(_ labels: [String], _ index: Int) -> String { index < labels.count ? labels[index] : "" }
        let rowLabels = (0..<rowCount).map { chartLabel(label(chart.rowLabels, $0)) }
        let columnLabels = (0..<columnCount).map { chartLabel(label(chart.columnLabels, $0)) }
        let cells = (0..<rowCount).flatMap { row in (0..<columnCount).map { value(row, $0) } }
        let extent = SVG.extent(cells)

        let labelSize = SVG.fontSize - 1
        let rowLabelWidth = min(
            SVG.width * 0.4,
            (rowLabels.map { SVG.textWidth($0, fontSize: labelSize) }.max() ?? 0) + 6
        )
        let left = rowLabelWidth
        let cellWidth = (SVG.width - left - 2) / Double(columnCount)
        let widestColumnLabel = columnLabels.map { SVG.textWidth($0, fontSize: labelSize) }.max() ?? 0
        let isUpright = widestColumnLabel > cellWidth - 2
        let headerHeight = isUpright ? widestColumnLabel + 6 : labelSize + 6
        let cellHeight = 22.0
        let top = 2 + headerHeight
        let gridBottom = top + Double(rowCount) * cellHeight
        let legendTop = gridBottom + 10
        let height = legendTop + 30

        var svg = open(id: chart.id, typeClass: typeClass, title: chart.title, height: height, prefix: prefix)
        svg += "<defs><pattern id=\"\(prefix)-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        svg += "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/>"
        svg += "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbbbbb\" stroke-width=\"2\"/></pattern>"
        svg += "<linearGradient id=\"\(prefix)-scale\">\(SVG.gradientStops())</linearGradient></defs>"

        for (column, text) in columnLabels.enumerated() {
            let x = left + (Double(column) + 0.5) * cellWidth
            if isUpright {
                let y = top - 4
                svg += SVGChartRenderer.text(
                    text,
                    x: x,
                    y: y,
                    fontSize: labelSize,
                    transform: "rotate(-90 \(SVG.number(x)) \(SVG.number(y)))"
                )
            } else {
                svg += SVGChartRenderer.text(text, x: x, y: top - 5, anchor: "middle", fontSize: labelSize)
            }
        }
        let span = extent.map { $0.upperBound - $0.lowerBound } ?? 0
        for row in 0..<rowCount {
            let y = top + Double(row) * cellHeight
            svg += SVGChartRenderer.text(
                rowLabels[row],
                x: left - 4,
                y: y + cellHeight / 2 + labelSize * 0.35,
                anchor: "end",
                fontSize: labelSize
            )
            for column in 0..<columnCount {
                let x = left + Double(column) * cellWidth
                let cell = value(row, column)
                let where_ = "\(label(chart.rowLabels, row)), \(label(chart.columnLabels, column))"
                let geometry =
                    "x=\"\(SVG.number(x))\" y=\"\(SVG.number(y))\" width=\"\(SVG.number(cellWidth))\" "
                    + "height=\"\(SVG.number(cellHeight))\""
                guard let cell, let extent else {
                    svg += "<rect \(geometry) fill=\"url(#\(prefix)-hatch)\" class=\"cell missing\">"
                    svg += "<title>\(HTMLText.escaped(where_)): no data</title></rect>"
                    continue
                }
                // A single-valued grid shades every cell at the scale's middle, not as its extreme.
                let fraction = span > 0 ? (cell - extent.lowerBound) / span : 0.5
                let color = SVG.sequentialColor(fraction)
                let formatted = ReportNumberFormat.string(cell, significant: 3)
                svg += "<rect \(geometry) fill=\"\(color.fill)\" class=\"cell\">"
                svg += "<title>\(HTMLText.escaped(where_)): \(formatted) \(HTMLText.escaped(chart.valueLabel))"
                svg += "</title></rect>"
                let valueSize = labelSize - 1
                if SVG.textWidth(formatted, fontSize: valueSize) <= cellWidth - 4 {
                    svg += SVGChartRenderer.text(
                        formatted,
                        x: x + cellWidth / 2,
                        y: y + cellHeight / 2 + valueSize * 0.35,
                        anchor: "middle",
                        className: color.isDark ? "cell-value on-dark" : "cell-value",
                        fontSize: valueSize
                    )
                }
            }
        }

        // The legend: the scale as a gradient between its two ends, then the hatching's meaning.
        let barWidth = 120.0
        let barX = 2.0
        if let extent {
            svg += "<rect x=\"\(SVG.number(barX))\" y=\"\(SVG.number(legendTop))\" width=\"\(SVG.number(barWidth))\" "
            svg += "height=\"8\" fill=\"url(#\(prefix)-scale)\"/>"
            svg += SVGChartRenderer.text(SVG.label(extent.lowerBound), x: barX, y: legendTop + 20, fontSize: labelSize)
            svg += SVGChartRenderer.text(
                SVG.label(extent.upperBound),
                x: barX + barWidth,
                y: legendTop + 20,
                anchor: "end",
                fontSize: labelSize
            )
            svg += SVGChartRenderer.text(
                chartLabel(chart.valueLabel),
                x: barX + barWidth + 8,
                y: legendTop + 8,
                fontSize: labelSize
            )
        } else {
            svg += SVGChartRenderer.text("No data in any cell", x: barX, y: legendTop + 8, fontSize: labelSize)
        }
        if cells.contains(where: { $0 == nil }) {
            let swatchX = SVG.width - 70
            svg += "<rect x=\"\(SVG.number(swatchX))\" y=\"\(SVG.number(legendTop))\" width=\"12\" height=\"12\" "
            svg += "fill=\"url(#\(prefix)-hatch)\" class=\"cell missing\"/>"
            svg += SVGChartRenderer.text("no data", x: swatchX + 16, y: legendTop + 10, fontSize: labelSize)
        }
        svg += "</svg>"
        return (svg, notes)
    }
}

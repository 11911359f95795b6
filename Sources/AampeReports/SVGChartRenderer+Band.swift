import AampeCore

extension SVGChartRenderer {
    /// An estimate over time: a lighter, wider band for the always-valid interval, a darker band for the
    /// fixed-horizon interval inside it, the estimate as a line with a dot per point, and a dashed zero
    /// line (no effect). A point without a value leaves a gap in the line and in its bands: drawing
    /// across it would claim a value nobody measured.
    static func renderBand(_ chart: ReportChart.Band, prefix: String) -> (svg: String, notes: [String]) {
        let typeClass = "chart-band"
        let total = chart.xLabels.count
        let notes = cutNote(count: total, limit: Limits.maximumReportChartPoints, noun: "points")
        let count = min(total, Limits.maximumReportChartPoints)
        func series(_ values: [Double?]) -> [Double?] {
            (0..<count).map { index in
                guard index < values.count, let value = values[index], value.isFinite else { return nil }
                return value
            }
        }
        let estimate = series(chart.estimate)
        let lower = series(chart.lower)
        let upper = series(chart.upper)
        let alwaysValidLower = series(chart.alwaysValidLower)
        let alwaysValidUpper = series(chart.alwaysValidUpper)
        guard let extent = SVG.extent(estimate + lower + upper + alwaysValidLower + alwaysValidUpper) else {
            let reason = count == 0 ? "No points" : "No estimate at any point"
            return (
                empty(id: chart.id, typeClass: typeClass, title: chart.title, prefix: prefix, reason: reason), notes
            )
        }

        let labelSize = SVG.fontSize - 1
        let plotTop = 8.0
        let plotBottom = 170.0
        let withZero = min(extent.lowerBound, 0)...max(extent.upperBound, 0)
        let (y, ticks) = SVG.LinearScale(domain: withZero, range: plotTop...plotBottom, isReversed: true).niced()
        let tickLabels = ticks.map(SVG.label)
        let tickWidth = tickLabels.map { SVG.textWidth($0, fontSize: labelSize) }.max() ?? 0
        // The y label runs upright along the left edge; the tick labels stand right of it.
        let left = 16 + tickWidth + 6
        let right = SVG.width - 10
        let x = SVG.LinearScale(domain: 0...Double(max(1, count - 1)), range: left...right)
        func xAt(_ index: Int) -> Double { count == 1 ? (left + right) / 2 : x(Double(index)) }
        let height = plotBottom + 58

        var svg = open(id: chart.id, typeClass: typeClass, title: chart.title, height: height, prefix: prefix)
        for (tick, label) in zip(ticks, tickLabels) {
            svg += line(x1: left, y1: y(tick), x2: right, y2: y(tick), className: "grid")
            svg += text(label, x: left - 4, y: y(tick) + labelSize * 0.35, anchor: "end", fontSize: labelSize)
        }
        let middle = (plotTop + plotBottom) / 2
        svg += text(
            chartLabel(chart.yLabel),
            x: 10,
            y: middle,
            anchor: "middle",
            fontSize: labelSize,
            transform: "rotate(-90 10 \(SVG.number(middle)))"
        )

        svg += bandPaths(lower: alwaysValidLower, upper: alwaysValidUpper, xAt: xAt, y: y, className: "band-wide")
        svg += bandPaths(lower: lower, upper: upper, xAt: xAt, y: y, className: "band-narrow")
        svg += line(x1: left, y1: y(0), x2: right, y2: y(0), className: "zero")
        for run in runs(estimate) where run.count > 1 {
            let points = run.map { "\(SVG.number(xAt($0))),\(SVG.number(y(estimate[$0] ?? 0)))" }
            svg += "<polyline points=\"\(points.joined(separator: " "))\" class=\"estimate\"/>"
        }
        for index in 0..<count {
            guard let value = estimate[index] else { continue }
            let label = index < chart.xLabels.count ? chart.xLabels[index] : ""
            var tooltip = "\(label): \(SVG.label(value))"
            if let low = lower[index], let high = upper[index] {
                tooltip += " (95 % \(SVG.label(low)) to \(SVG.label(high))"
                if let low = alwaysValidLower[index], let high = alwaysValidUpper[index] {
                    tooltip += "; always valid \(SVG.label(low)) to \(SVG.label(high))"
                }
                tooltip += ")"
            }
            svg += "<circle cx=\"\(SVG.number(xAt(index)))\" cy=\"\(SVG.number(y(value)))\" r=\"2.5\" "
            svg += "class=\"estimate-point\"><title>\(HTMLText.escaped(tooltip))</title></circle>"
        }

        // As many x labels as fit, evenly spaced, always the first. The first and last are anchored at
        // their ends so they stay inside the chart, so a label needs half as much room again as its width.
        let labels = (0..<count).map { chartLabel(chart.xLabels[$0]) }
        let widest = labels.map { SVG.textWidth($0, fontSize: labelSize) }.max() ?? 0
        let fitting = max(1, Int((right - left) / (widest * 1.5 + 10)))
        let step = max(1, (count + fitting - 1) / fitting)
        for index in stride(from: 0, to: count, by: step) {
            let anchor = count == 1 ? "middle" : index == 0 ? "start" : index + step >= count ? "end" : "middle"
            svg += line(x1: xAt(index), y1: plotBottom, x2: xAt(index), y2: plotBottom + 4, className: "axis")
            svg += text(labels[index], x: xAt(index), y: plotBottom + 16, anchor: anchor, fontSize: labelSize)
        }

        // The legend, one row under the axis.
        let legendY = plotBottom + 34
        svg += "<line x1=\"\(SVG.number(left))\" y1=\"\(SVG.number(legendY))\" x2=\"\(SVG.number(left + 14))\" "
        svg += "y2=\"\(SVG.number(legendY))\" class=\"estimate\"/>"
        svg += text("estimate", x: left + 18, y: legendY + 3.5, fontSize: labelSize)
        svg += "<rect x=\"\(SVG.number(left + 80))\" y=\"\(SVG.number(legendY - 5))\" width=\"14\" height=\"10\" "
        svg += "class=\"band-narrow\"/>"
        svg += text("95 % interval", x: left + 98, y: legendY + 3.5, fontSize: labelSize)
        svg += "<rect x=\"\(SVG.number(left + 80))\" y=\"\(SVG.number(legendY + 9))\" width=\"14\" height=\"10\" "
        svg += "class=\"band-wide\"/>"
        svg += text(
            "95 % always valid (honest under daily peeking)",
            x: left + 98,
            y: legendY + 17.5,
            fontSize: labelSize
        )
        svg += "</svg>"
        return (svg, notes)
    }

    /// The runs of consecutive indices at which every one of `series` has a value.
    static func runs(_ series: [Double?]...) -> [[Int]] {
        let count = series.map(\.count).min() ?? 0
        var runs: [[Int]] = []
        var current: [Int] = []
        for index in 0..<count {
            if series.allSatisfy({ $0[index] != nil }) {
                current.append(index)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// One closed path per run of points where both ends of an interval are known: along the upper
    /// ends left to right, back along the lower ends. A lone point gets a short bar so it still shows.
    private static func bandPaths(
        lower: [Double?],
        upper: [Double?],
        xAt: (Int) -> Double,
        y: SVG.LinearScale,
        className: String
    ) -> String {
        var svg = ""
        for run in runs(lower, upper) {
            if run.count == 1, let index = run.first {
                let top = y(upper[index] ?? 0)
                let bottom = y(lower[index] ?? 0)
                svg += "<rect x=\"\(SVG.number(xAt(index) - 3))\" y=\"\(SVG.number(min(top, bottom)))\" width=\"6\" "
                svg += "height=\"\(SVG.number(abs(bottom - top)))\" class=\"\(className)\"/>"
                continue
            }
            let along = run.map { "\(SVG.number(xAt($0))),\(SVG.number(y(upper[$0] ?? 0)))" }
            let back = run.reversed().map { "\(SVG.number(xAt($0))),\(SVG.number(y(lower[$0] ?? 0)))" }
            svg += "<path d=\"M\((along + back).joined(separator: " L"))Z\" class=\"\(className)\"/>"
        }
        return svg
    }
}

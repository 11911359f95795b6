import AampeCore
import AampeReports
import Foundation

/// Documents the HTML renderer's tests draw: a rich one with every chart type and the shapes real
/// reports have (a 7 × 5 heatmap with gaps, four weeks of lift, a table longer than the page shows, a
/// table wider than a phone), and labels that carry markup, as customers' content may.
enum HTMLReportSample {
    static let hostileLabel = "<script>alert(\"x\")</script> & 'q'"

    static let period = try! ReportPeriod(
        from: Timestamp(secondsSinceEpoch: 1_767_225_600),  // 2026-01-01
        to: Timestamp(secondsSinceEpoch: 1_767_225_600 + 28 * 86_400)
    )

    static func document(sections: [ReportSection]) -> ReportDocument {
        ReportDocument(
            title: "Weekly report",
            generatedAt: Timestamp(secondsSinceEpoch: 1_767_225_600 + 28 * 86_400 + 3_600),
            period: period,
            campaign: "spring-sale",
            sections: sections
        )
    }

    /// The chart ids of `rich`, in order.
    static let chartIDs = [
        "timing-heatmap", "lift-over-time", "conversions-by-label", "score-distributions",
        "opportunity-matrix",
    ]

    static var rich: ReportDocument {
        let days = (0..<28).map { "2026-01-\(String(format: "%02d", $0 + 1))" }
        let estimate: [Double?] = (0..<28).map { $0 == 3 ? nil : 0.02 + 0.001 * Double($0) }
        let halfWidth = (0..<28).map { 0.05 / Double($0 + 1).squareRoot() }
        func shifted(_ widths: Double) -> [Double?] {
            (0..<28).map { day -> Double? in estimate[day].map { $0 + widths * halfWidth[day] } }
        }
        let band = ReportChart.Band(
            id: "lift-over-time",
            title: "Lift over time",
            xLabels: days,
            estimate: estimate,
            lower: shifted(-1),
            upper: shifted(1),
            alwaysValidLower: shifted(-2),
            alwaysValidUpper: shifted(2),
            yLabel: "goal rate difference"
        )
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let windows = ["07–10", "10–13", "13–16", "16–19", "19–22"]
        let timing = ReportChart.Heatmap(
            id: "timing-heatmap",
            title: "When the engine sends",
            rowLabels: weekdays,
            columnLabels: windows,
            values: (0..<7).map { row -> [Double?] in
                (0..<5).map { column -> Double? in
                    let sends = Double(row * 5 + column) * 37.0
                    return row == 6 && column == 0 ? nil : sends
                }
            },
            valueLabel: "sends"
        )
        let labels = [
            "discount", "urgency", "social proof", "curiosity", hostileLabel,
            "a label far longer than any chart can draw",
        ]
        let intervals = ReportChart.Intervals(
            id: "conversions-by-label",
            title: "Goal rate per label",
            labels: labels,
            estimate: [0.12, 0.10, 0.09, 0.15, 0.11, 0.08],
            lower: [0.10, 0.085, 0.07, 0.12, 0.09, 0.05],
            upper: [0.14, 0.115, 0.11, 0.18, 0.13, 0.11],
            valueLabel: "goal rate"
        )
        let distributions = ReportChart.Distributions(
            id: "score-distributions",
            title: "Score distributions per label",
            binEdges: (0...20).map { Double($0) / 20 },
            seriesLabels: Array(labels.prefix(5)),
            counts: (0..<5).map { series -> [Int] in
                (0..<20).map { bin -> Int in (bin * (series + 3)) % 17 * (series + 1) }
            },
            valueLabel: "score"
        )
        let opportunity = ReportChart.Heatmap(
            id: "opportunity-matrix",
            title: "Where users disagree",
            rowLabels: (1...12).map { "label set \($0) with a long name" },
            columnLabels: (1...6).map { "cluster \($0)" },
            values: (0..<12).map { row -> [Double?] in
                (0..<6).map { column -> Double? in Double((row * 7 + column * 3) % 11) / 10 }
            },
            valueLabel: "disagreement"
        )
        let wide = ReportTable(
            name: "by_label",
            title: "Per label",
            columns: [
                "label", "campaign", "window", "formula", "users", "goals", "goal rate", "lower", "upper",
                "value", "value lower", "value upper",
            ],
            rows: labels.map { label -> [ReportValue] in
                [
                    .text(label), .text("spring-sale-with-a-long-campaign-name"), .text("7d"), .text("f1"),
                    .integer(123_456), .integer(7_890), .number(0.0639), .number(0.0601), .number(0.0677),
                    .number(12_345.678), .missing, .number(13_000.5),
                ]
            }
        )
        let daily = ReportTable(
            name: "daily",
            title: "Per day and campaign",
            columns: ["day", "sent", "delivered"],
            rows: (0..<450).map { row -> [ReportValue] in [.text("row \(row)"), .integer(row * 10), .integer(row * 9)] }
        )
        return document(sections: [
            ReportSection(
                kind: "conversions",
                title: "Conversions",
                notes: ["Goal rate is goals over users messaged.", "A note with " + hostileLabel],
                tables: [wide],
                charts: [.heatmap(timing)]
            ),
            ReportSection(
                kind: "lift",
                title: "Lift: control against treated",
                notes: ["The always-valid interval stays honest when the report is read every day."],
                charts: [.band(band), .intervals(intervals), .distributions(distributions)]
            ),
            ReportSection(kind: "messages", title: "Messages", tables: [daily]),
            ReportSection(kind: "opportunities", title: "Opportunities", charts: [.heatmap(opportunity)]),
            ReportSection(kind: "diversity", title: "Diversity"),
        ])
    }
}

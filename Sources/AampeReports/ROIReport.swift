/// `report roi`: the incremental goals and revenue the messages brought over the period, with intervals,
/// in all and per delivered message.
public enum ROIReport {
    public static func section(_ lift: LiftReport.Result, data: ReportData) -> ReportSection {
        let d = data.decisions
        var delivered: [String: Int] = [:]
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered {
            delivered[d.goals.strings[Int(d.goal[row])], default: 0] += 1
        }
        let weeks = data.period.weeks
        var table = ReportTable(
            name: "incremental",
            title: "Incremental goals and value over the period",
            columns: [
                "goal", "metric", "treated users", "incremental", "95% low", "95% high", "delivered messages",
                "per 1,000 messages", "per 1,000 low", "per 1,000 high",
            ]
        )
        for goal in lift.goals {
            let messages = delivered[goal.goal] ?? 0
            for (metric, estimate) in [("goal events", goal.events), ("goal value", goal.value)] {
                if metric == "goal value", estimate.treatedMean == 0, estimate.controlMean == 0 { continue }
                // The per-user, per-week difference scaled to every treated user and the whole period.
                let scale = Double(estimate.treatedUsers) * weeks
                let head = estimate.headline
                let perThousand = messages > 0 ? 1_000 / Double(messages) : nil
                table.rows.append([
                    .text(goal.goal), .text(metric), .integer(estimate.treatedUsers),
                    .measured(head.map { $0.estimate * scale }), .measured(head.map { $0.lower * scale }),
                    .measured(head.map { $0.upper * scale }), .integer(messages),
                    .measured(perThousand.flatMap { f in head.map { $0.estimate * scale * f } }),
                    .measured(perThousand.flatMap { f in head.map { $0.lower * scale * f } }),
                    .measured(perThousand.flatMap { f in head.map { $0.upper * scale * f } }),
                ])
            }
        }
        return ReportSection(
            kind: ReportKind.roi.rawValue,
            title: "Return on messages",
            notes: [
                "Incremental = the lift report's CUPED difference per treated user per week × treated users × weeks in the period, with its 95 % interval scaled the same way; value is in the goal's value unit (revenue for a purchase).",
                "Per 1,000 messages divides by the messages delivered for that goal in the period.",
            ],
            tables: [table]
        )
    }
}

import AampeCore

/// `report attribution`: a message that named item X, followed by a goal event (a purchase) of X by its
/// user within the goal's attribution window; set against control users buying the items the engine would
/// have named for them (logged with each control decision).
public enum AttributionReport {
    public struct Side: Sendable, Hashable {
        /// Messages (or control decisions) that named items.
        public var decisions = 0
        /// Items named in all.
        public var namedItems = 0
        /// Decisions followed by a goal event of one of their named items.
        public var matched = 0
    }

    /// Per campaign (and `all`): treated messages and control decisions.
    public static func compute(_ data: ReportData) -> [(campaign: String, treated: Side, control: Side)] {
        let d = data.decisions
        var windows: [Int: Int64] = [:]
        for goal in data.goals {
            if let code = d.goals.code(of: goal.name) { windows[code] = goal.attributionWindowSeconds }
        }
        var byCampaign = [(treated: Side, control: Side)?](repeating: nil, count: d.campaigns.strings.count)
        for row in 0..<d.count where d.items[row] >= 0 {
            let mode = d.mode[row]
            let isControl = mode == .control
            guard isControl || (mode.isMessage && d.status[row] == .delivered) else { continue }
            let start = d.referenceTime[row]
            guard start != Int64.min else { continue }
            let named = d.itemLists[Int(d.items[row])]
            guard !named.isEmpty else { continue }
            let window = windows[Int(d.goal[row])] ?? 86_400
            let end = start + window * Timestamp.microsecondsPerSecond
            let matched = (data.itemGoals[d.user[row]] ?? []).contains {
                $0.time > start && $0.time <= end && named.contains($0.item)
            }
            var sides = byCampaign[Int(d.campaign[row])] ?? (Side(), Side())
            if isControl {
                sides.control.decisions += 1
                sides.control.namedItems += named.count
                if matched { sides.control.matched += 1 }
            } else {
                sides.treated.decisions += 1
                sides.treated.namedItems += named.count
                if matched { sides.treated.matched += 1 }
            }
            byCampaign[Int(d.campaign[row])] = sides
        }
        var result = byCampaign.indices.filter { byCampaign[$0] != nil }
            .sorted { d.campaigns.strings[$0] < d.campaigns.strings[$1] }
            .map { (d.campaigns.strings[$0], byCampaign[$0]!.treated, byCampaign[$0]!.control) }
        if result.count > 1 {
            var all = (treated: Side(), control: Side())
            for (_, t, c) in result {
                all.treated.decisions += t.decisions
                all.treated.namedItems += t.namedItems
                all.treated.matched += t.matched
                all.control.decisions += c.decisions
                all.control.namedItems += c.namedItems
                all.control.matched += c.matched
            }
            result.append(("all", all.treated, all.control))
        }
        return result
    }

    public static func section(_ data: ReportData) -> ReportSection {
        var table = ReportTable(
            name: "named_items",
            title: "Named items bought within the attribution window",
            columns: [
                "campaign", "messages naming items", "bought a named item", "rate", "95% low", "95% high",
                "control decisions with items", "control bought one", "control rate", "control 95% low",
                "control 95% high", "difference", "difference 95% low", "difference 95% high",
            ]
        )
        let z = ReportStatistics.normalQuantile(0.975)
        for (campaign, treated, control) in compute(data) {
            let t = ReportStatistics.wilson(successes: Double(treated.matched), trials: Double(treated.decisions))
            let c = ReportStatistics.wilson(successes: Double(control.matched), trials: Double(control.decisions))
            var difference: (Double, Double, Double)?
            if let t, let c {
                let se =
                    (t.rate * (1 - t.rate) / Double(treated.decisions)
                    + c.rate * (1 - c.rate) / Double(control.decisions)).squareRoot()
                let estimate = t.rate - c.rate
                difference = (estimate, estimate - z * se, estimate + z * se)
            }
            table.rows.append([
                .text(campaign), .integer(treated.decisions), .integer(treated.matched), .measured(t?.rate),
                .measured(t?.lower), .measured(t?.upper), .integer(control.decisions), .integer(control.matched),
                .measured(c?.rate), .measured(c?.lower), .measured(c?.upper), .measured(difference?.0),
                .measured(difference?.1), .measured(difference?.2),
            ])
        }
        return ReportSection(
            kind: ReportKind.attribution.rawValue,
            title: "Recommender attribution",
            notes: [
                "A message that named items counts as attributed when its user had a goal event (such as a purchase) of one of those items within the goal's attribution window after delivery.",
                "Control decisions log the items a message would have named; the control rate counts the same matches after the decision time. The difference is the rate the named items add, with a 95 % normal interval.",
            ],
            tables: [table]
        )
    }
}

import AampeCore

/// `report conversions`: after delivered messages, how often the goal followed (within the goal's
/// attribution window) and what it was worth, per label, window, formula and campaign; and the timing
/// heatmaps of where the engine sends and where users respond.
public enum ConversionsReport {
    /// One group's conversions.
    public struct Group: Sendable, Hashable {
        public var dimension: String
        public var name: String
        /// Delivered messages with a joined outcome.
        public var messages = 0
        /// Of them, followed by at least one goal event.
        public var converted = 0
        public var goalEvents = 0
        public var value = ReportStatistics.Moments()

        public var rate: (rate: Double, lower: Double, upper: Double)? {
            ReportStatistics.wilson(successes: Double(converted), trials: Double(messages))
        }
    }

    /// Groups by dimension, in order: label, window, formula, campaign. Rows are added through integer
    /// codes (per label set, window, formula, campaign), so a pass over millions of messages does no
    /// string work.
    public static func groups(_ data: ReportData) -> [Group] {
        let d = data.decisions
        var groups: [Group] = []
        var labelPosition: [String: Int] = [:]
        func position(_ dimension: String, _ name: String, in positions: inout [String: Int]) -> Int {
            if let position = positions[name] { return position }
            positions[name] = groups.count
            groups.append(Group(dimension: dimension, name: name))
            return groups.count - 1
        }
        // Each label set's group positions, worked out once.
        let labelGroups = d.labelSets.map { labels in
            labels.map { position("label", $0, in: &labelPosition) }
        }
        var windowPosition: [String: Int] = [:]
        let windowCount = TimeWindowLayout.standard.windowsPerDay * 7
        var windowGroups = [Int](repeating: -1, count: windowCount)
        var formulaPosition: [String: Int] = [:]
        var formulaGroups = [Int](repeating: -1, count: d.formulas.strings.count)
        var campaignPosition: [String: Int] = [:]
        var campaignGroups = [Int](repeating: -1, count: d.campaigns.strings.count)
        func add(_ position: Int, row: Int) {
            groups[position].messages += 1
            if d.goalCount[row] > 0 { groups[position].converted += 1 }
            groups[position].goalEvents += Int(d.goalCount[row])
            groups[position].value.add(Double(d.goalValue[row]))
        }
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered && d.hasOutcome[row] {
            if d.labelSet[row] >= 0 {
                for position in labelGroups[Int(d.labelSet[row])] { add(position, row: row) }
            }
            let window = Int(d.window[row])
            if window >= 0, window < windowCount {
                if windowGroups[window] < 0 {
                    windowGroups[window] = position("window", WeekGrid.label(window), in: &windowPosition)
                }
                add(windowGroups[window], row: row)
            }
            let formula = Int(d.formula[row])
            if formula >= 0 {
                if formulaGroups[formula] < 0 {
                    formulaGroups[formula] = position("formula", d.formulas.strings[formula], in: &formulaPosition)
                }
                add(formulaGroups[formula], row: row)
            }
            let campaign = Int(d.campaign[row])
            if campaignGroups[campaign] < 0 {
                campaignGroups[campaign] = position("campaign", d.campaigns.strings[campaign], in: &campaignPosition)
            }
            add(campaignGroups[campaign], row: row)
        }
        let order = ["label": 0, "window": 1, "formula": 2, "campaign": 3]
        return groups.filter { $0.messages > 0 }.sorted {
            (order[$0.dimension] ?? 9, $0.dimension == "window" ? windowOrder($0.name) : 0, $0.name)
                < (order[$1.dimension] ?? 9, $1.dimension == "window" ? windowOrder($1.name) : 0, $1.name)
        }
    }

    static func windowOrder(_ label: String) -> Int {
        for index in 0..<(TimeWindowLayout.standard.windowsPerDay * 7) where WeekGrid.label(index) == label {
            return index
        }
        return Int.max
    }

    /// Per window index: delivered messages, and of those with an outcome, the share followed by a goal.
    public static func windows(_ data: ReportData) -> (sends: [Double?], rates: [Double?]) {
        let d = data.decisions
        let count = TimeWindowLayout.standard.windowsPerDay * 7
        var sends = [Double](repeating: 0, count: count)
        var joined = [Double](repeating: 0, count: count)
        var converted = [Double](repeating: 0, count: count)
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered {
            let window = Int(d.window[row])
            guard window >= 0, window < count else { continue }
            sends[window] += 1
            if d.hasOutcome[row] {
                joined[window] += 1
                if d.goalCount[row] > 0 { converted[window] += 1 }
            }
        }
        return (sends.map { $0 }, (0..<count).map { joined[$0] > 0 ? converted[$0] / joined[$0] : nil })
    }

    public static func section(_ data: ReportData) -> ReportSection {
        let groups = groups(data)
        var table = ReportTable(
            name: "by_choice",
            title: "Conversions after delivered messages, per label, window, formula and campaign",
            columns: [
                "dimension", "name", "messages", "converted", "goal rate", "95% low", "95% high",
                "goal events per message", "value per message", "value 95% low", "value 95% high",
            ]
        )
        let z = ReportStatistics.normalQuantile(0.975)
        var labels: [Group] = []
        for group in groups {
            let rate = group.rate
            let valueMean = group.value.mean
            let valueHalf = group.value.count > 1 ? z * (group.value.variance / group.value.count).squareRoot() : nil
            table.rows.append([
                .text(group.dimension), .text(group.name), .integer(group.messages), .integer(group.converted),
                .measured(rate?.rate), .measured(rate?.lower), .measured(rate?.upper),
                .measured(group.messages > 0 ? Double(group.goalEvents) / Double(group.messages) : nil),
                .measured(valueMean), .measured(valueHalf.map { valueMean - $0 }),
                .measured(valueHalf.map { valueMean + $0 }),
            ])
            if group.dimension == "label", group.messages > 0 { labels.append(group) }
        }
        let (sends, rates) = windows(data)
        var charts: [ReportChart] = [
            .heatmap(
                ReportChart.Heatmap(
                    id: "timing-sends",
                    title: "Where the engine sends: delivered messages per local window",
                    rowLabels: WeekGrid.weekdays,
                    columnLabels: WeekGrid.windowLabels,
                    values: WeekGrid.grid(sends),
                    valueLabel: "messages"
                )
            ),
            .heatmap(
                ReportChart.Heatmap(
                    id: "timing-responses",
                    title: "Where users respond: goal rate after messages per local window",
                    rowLabels: WeekGrid.weekdays,
                    columnLabels: WeekGrid.windowLabels,
                    values: WeekGrid.grid(rates),
                    valueLabel: "goal rate"
                )
            ),
        ]
        charts.append(
            .intervals(
                ReportChart.Intervals(
                    id: "conversions-by-label",
                    title: "Goal rate after a message, per label (95 % Wilson intervals)",
                    labels: labels.map(\.name),
                    estimate: labels.map { $0.rate?.rate ?? 0 },
                    lower: labels.map { $0.rate?.lower ?? 0 },
                    upper: labels.map { $0.rate?.upper ?? 0 },
                    valueLabel: "goal rate"
                )
            )
        )
        return ReportSection(
            kind: ReportKind.conversions.rawValue,
            title: "Conversions",
            notes: [
                "Per delivered message whose outcome is joined: converted = at least one goal event within the goal's attribution window after delivery. Rates carry 95 % Wilson intervals, values 95 % normal intervals.",
                "These are rates after a message, not lift: users who were sent a label may differ from those who were not. The lift report compares with the control group.",
                "Windows are the user's local weekly windows of the standard layout (5 three-hour windows from 07:00, Monday first).",
                "Off-policy by label: each label valued as if every message of its set had carried it, the rest of each choice as the policy made it, from the probabilities the policy logged per label (IPW, self-normalized IPW and doubly robust, with 95 % normal intervals). Unlike the plain rate, this is not confounded by a policy that sends a label to the users it expects to respond. Messages whose policy gave the label no chance cannot be valued for it (no support); external policies log no probabilities.",
            ],
            tables: [table, LabelOffPolicyValues.table(LabelOffPolicyValues.compute(data))],
            charts: charts
        )
    }
}

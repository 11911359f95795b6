import AampeCore
import Foundation

/// `report lift`: control against treated, per goal, per user and week.
public enum LiftReport {
    /// One goal's lift over the period, with its series and breakdowns.
    public struct GoalLift: Sendable, Hashable, Codable {
        public var goal: String
        /// Goal events per user per week.
        public var events: LiftEstimator.Estimate
        /// Goal value per user per week.
        public var value: LiftEstimator.Estimate
        /// The always-valid interval of the events' CUPED difference (the running intersection over days).
        public var alwaysValidLower: Double?
        public var alwaysValidUpper: Double?
        /// Per day of the period: the cumulative estimate and its intervals.
        public var series: [SeriesPoint]
        public var byCluster: [Breakdown]
        public var byMode: [Breakdown]
    }

    public struct SeriesPoint: Sendable, Hashable, Codable {
        public var date: String
        public var estimate: Double?
        public var lower: Double?
        public var upper: Double?
        public var alwaysValidLower: Double?
        public var alwaysValidUpper: Double?
    }

    /// One row of a breakdown: a cluster (per user) or a mode (per decision).
    public struct Breakdown: Sendable, Hashable, Codable {
        public var group: String
        public var treated: Int
        public var control: Int
        public var treatedMean: Double
        public var controlMean: Double
        public var difference: ReportStatistics.Difference?
        /// Benjamini–Hochberg q-value over every breakdown row of the report.
        public var qValue: Double?
    }

    /// The whole lift result, also what `roi` builds on.
    public struct Result: Sendable, Hashable, Codable {
        public var goals: [GoalLift]
        public var experimentUsers: Int
        public var controlUsers: Int
        public var expectedControlShare: Double?
        public var sampleRatioPValue: Double?
        public var controlSince: String?
        public var controlAgeDays: Double?
    }

    /// The lift of every goal in `data`.
    public static func compute(_ data: ReportData) -> Result {
        let period = data.period
        let weeks = period.weeks
        let preWeeks = Double(Limits.reportPrePeriodDays) / 7
        let preDays = 0..<Limits.reportPrePeriodDays
        var treatedUsers: [Int] = []
        var controlUsers: [Int] = []
        for (user, arm) in data.arms.enumerated() {
            switch arm {
            case .treated: treatedUsers.append(user)
            case .control: controlUsers.append(user)
            case .outside: break
            }
        }
        // Pre-period activity, per user in the experiment: active days per week.
        var activeDays = [Double](repeating: 0, count: data.arms.count)
        for user in treatedUsers + controlUsers {
            activeDays[user] = Double(data.activity.activeDays(user: user, in: preDays)) / preWeeks
        }
        var goals: [GoalLift] = []
        for goal in data.goals {
            goals.append(goalLift(goal, data: data, weeks: weeks, preWeeks: preWeeks, activeDays: activeDays))
        }
        // False discovery rate over every breakdown row of every goal.
        var pValues: [Double] = []
        for goal in goals {
            for row in goal.byCluster + goal.byMode { pValues.append(row.difference?.pValue ?? 1) }
        }
        let q = ReportStatistics.benjaminiHochberg(pValues)
        var next = 0
        for g in goals.indices {
            for r in goals[g].byCluster.indices {
                goals[g].byCluster[r].qValue = goals[g].byCluster[r].difference == nil ? nil : q[next]
                next += 1
            }
            for r in goals[g].byMode.indices {
                goals[g].byMode[r].qValue = goals[g].byMode[r].difference == nil ? nil : q[next]
                next += 1
            }
        }
        let total = treatedUsers.count + controlUsers.count
        let srm = data.expectedControlShare.flatMap {
            ReportStatistics.sampleRatioPValue(control: controlUsers.count, total: total, expectedShare: $0)
        }
        let age = data.controlSince.map {
            Double(period.to.rawValue - $0.rawValue) / Double(Timestamp.secondsPerDay * Timestamp.microsecondsPerSecond)
        }
        return Result(
            goals: goals,
            experimentUsers: total,
            controlUsers: controlUsers.count,
            expectedControlShare: data.expectedControlShare,
            sampleRatioPValue: srm,
            controlSince: data.controlSince?.description,
            controlAgeDays: age
        )
    }

    static func goalLift(
        _ goal: ReportData.GoalEvents,
        data: ReportData,
        weeks: Double,
        preWeeks: Double,
        activeDays: [Double]
    ) -> GoalLift {
        var events = LiftEstimator()
        var value = LiftEstimator()
        var clusters: [Int32: LiftEstimator] = [:]
        // Cumulative counts per side, started at zero goals for everybody: the day-by-day sweep adds each
        // day's goal events.
        var cumulative = LiftEstimator()
        for (user, arm) in data.arms.enumerated() where arm != .outside {
            let x1 = Double(goal.preCount[user]) / preWeeks
            let x2 = activeDays[user]
            let y = Double(goal.periodCount[user]) / weeks
            let v = Double(goal.periodValue[user]) / weeks
            if arm == .treated {
                events.treated.add(y: y, x1: x1, x2: x2)
                value.treated.add(y: v, x1: x1, x2: x2)
                cumulative.treated.add(y: 0, x1: x1, x2: x2)
                clusters[data.clusters[user], default: LiftEstimator()].treated.add(y: y, x1: x1, x2: x2)
            } else {
                events.control.add(y: y, x1: x1, x2: x2)
                value.control.add(y: v, x1: x1, x2: x2)
                cumulative.control.add(y: 0, x1: x1, x2: x2)
                clusters[data.clusters[user], default: LiftEstimator()].control.add(y: y, x1: x1, x2: x2)
            }
        }
        let final = events.estimate()
        // The mixing variance of the always-valid interval: the variance of the period's whole estimate,
        // which makes the interval tightest near the full sample (Howard et al. 2021, §3.5).
        let tau2 = final.variance
        var counts = [Float](repeating: 0, count: data.arms.count)
        var series: [SeriesPoint] = []
        var validLower = -Double.infinity
        var validUpper = Double.infinity
        for day in 0..<data.period.days {
            for user in goal.daily[day] {
                let u = Int(user)
                let arm = data.arms[u]
                guard arm != .outside else { continue }
                let old = Double(counts[u])
                counts[u] += 1
                let x1 = Double(goal.preCount[u]) / preWeeks
                let x2 = activeDays[u]
                if arm == .treated {
                    cumulative.treated.update(from: old, to: Double(counts[u]), x1: x1, x2: x2)
                } else {
                    cumulative.control.update(from: old, to: Double(counts[u]), x1: x1, x2: x2)
                }
            }
            let elapsedWeeks = Double(day + 1) / 7
            let scaled = LiftEstimator(
                treated: cumulative.treated.scaled(1 / elapsedWeeks),
                control: cumulative.control.scaled(1 / elapsedWeeks)
            )
            let estimate = scaled.estimate().headline
            var point = SeriesPoint(date: data.period.date(ofDay: day).description)
            if let estimate {
                point.estimate = estimate.estimate
                point.lower = estimate.lower
                point.upper = estimate.upper
                if let tau2,
                    let half = ReportStatistics.alwaysValidHalfWidth(
                        variance: estimate.standardError * estimate.standardError,
                        tau2: tau2
                    )
                {
                    validLower = max(validLower, estimate.estimate - half)
                    validUpper = min(validUpper, estimate.estimate + half)
                }
            }
            if validLower.isFinite && validUpper.isFinite {
                point.alwaysValidLower = validLower
                point.alwaysValidUpper = validUpper
            }
            series.append(point)
        }
        let byCluster = clusters.keys.sorted().map { cluster -> Breakdown in
            let estimate = clusters[cluster]!.estimate()
            return Breakdown(
                group: cluster < 0 ? "no cluster" : "cluster \(cluster)",
                treated: estimate.treatedUsers,
                control: estimate.controlUsers,
                treatedMean: estimate.treatedMean,
                controlMean: estimate.controlMean,
                difference: estimate.headline
            )
        }
        return GoalLift(
            goal: goal.name,
            events: final,
            value: value.estimate(),
            alwaysValidLower: series.last?.alwaysValidLower,
            alwaysValidUpper: series.last?.alwaysValidUpper,
            series: series,
            byCluster: byCluster,
            byMode: byMode(goal: goal.name, data: data)
        )
    }

    /// Per decision: goal events in the attribution window after a message of each mode, against after a
    /// control decision of the same goal.
    static func byMode(goal: String, data: ReportData) -> [Breakdown] {
        let decisions = data.decisions
        guard let code = decisions.goals.code(of: goal) else { return [] }
        var moments = [ReportStatistics.Moments](repeating: .init(), count: 5)
        for row in 0..<decisions.count where Int(decisions.goal[row]) == code && decisions.hasOutcome[row] {
            let mode = decisions.mode[row]
            guard mode == .control || (mode.isMessage && decisions.status[row] == .delivered) else { continue }
            moments[Int(mode.rawValue)].add(Double(decisions.goalCount[row]))
        }
        let control = moments[Int(ReportData.Decisions.Mode.control.rawValue)]
        return [ReportData.Decisions.Mode.preferential, .conditioned, .sent].compactMap { mode in
            let treated = moments[Int(mode.rawValue)]
            guard treated.count > 0 else { return nil }
            return Breakdown(
                group: mode.name,
                treated: Int(treated.count),
                control: Int(control.count),
                treatedMean: treated.mean,
                controlMean: control.mean,
                difference: ReportStatistics.welch(treated: treated, control: control)
            )
        }
    }

    /// The `lift` section.
    public static func section(_ result: Result, data: ReportData) -> ReportSection {
        var notes = [
            "Intention to treat: every known user is in the experiment, on the side the control group's hash puts them (the newest assignment run's salt and share); treated users count whether or not a message reached them. The metric is goal events per user per week over the period.",
            "Intervals are 95 %. The headline is Welch's interval on the CUPED-adjusted metric (pre-period covariates: the goal's events and the active days per week in the \(Limits.reportPrePeriodDays) days before the period); \"narrowing\" is how much shorter it is than the raw Welch interval.",
            "The always-valid interval (mSPRT, normal mixture) stays valid however often the report is read: trust it, not the fixed-horizon one, when you look every day and stop when it looks good.",
            "Breakdowns by cluster and by mode are many comparisons: their q-values are Benjamini–Hochberg adjusted over every breakdown row of this report, and a row is a discovery at q ≤ 0.05 (false discovery rate 5 %).",
            "By mode compares goal events in the attribution window after a delivered message with those after a control decision. Modes are chosen by the policy, not at random, so a mode's difference mixes the message's effect with who it was chosen for.",
        ]
        if let share = result.expectedControlShare {
            let observed = result.experimentUsers > 0 ? Double(result.controlUsers) / Double(result.experimentUsers) : 0
            var line = String(
                format: "Sample ratio: %d of %d users are control (%.2f %%, expected %.2f %%)",
                result.controlUsers,
                result.experimentUsers,
                observed * 100,
                share * 100
            )
            if let p = result.sampleRatioPValue {
                line += String(format: "; χ² p = %.3g", p)
                line +=
                    p < 0.001
                    ? ": MISMATCH, the split is not what was configured; do not trust the lift." : ": no mismatch."
            }
            notes.append(line)
        }
        if let since = result.controlSince, let age = result.controlAgeDays {
            notes.append(
                String(format: "The control group has existed since %@ (%.1f days at the period's end).", since, age)
            )
        } else {
            notes.append("No control decision is logged: there is no control group to measure lift against.")
        }
        var summary = ReportTable(
            name: "summary",
            title: "Lift per goal (per user per week)",
            columns: [
                "goal", "metric", "treated users", "control users", "treated mean", "control mean", "difference",
                "95% low", "95% high", "always-valid low", "always-valid high", "relative", "relative low",
                "relative high", "raw low", "raw high", "CUPED narrowing", "p",
            ]
        )
        var breakdowns = ReportTable(
            name: "breakdown",
            title: "Lift by cluster (per user per week) and by mode (per decision)",
            columns: [
                "goal", "by", "group", "treated", "control", "treated mean", "control mean", "difference", "95% low",
                "95% high", "p", "q (BH)", "discovery",
            ]
        )
        var series = ReportTable(
            name: "over_time",
            title: "Cumulative lift of goal events per user per week",
            columns: ["goal", "date", "difference", "95% low", "95% high", "always-valid low", "always-valid high"]
        )
        var charts: [ReportChart] = []
        for goal in result.goals {
            for (metric, estimate) in [("goal events", goal.events), ("goal value", goal.value)] {
                // A goal without a value field has no value row.
                if metric == "goal value", estimate.treatedMean == 0, estimate.controlMean == 0 { continue }
                let head = estimate.headline
                let isEvents = metric == "goal events"
                summary.rows.append([
                    .text(goal.goal), .text(metric), .integer(estimate.treatedUsers), .integer(estimate.controlUsers),
                    .measured(estimate.treatedMean), .measured(estimate.controlMean), .measured(head?.estimate),
                    .measured(head?.lower), .measured(head?.upper),
                    .measured(isEvents ? goal.alwaysValidLower : nil),
                    .measured(isEvents ? goal.alwaysValidUpper : nil),
                    .measured(estimate.relative), .measured(estimate.relativeLower),
                    .measured(estimate.relativeUpper), .measured(estimate.raw?.lower), .measured(estimate.raw?.upper),
                    .measured(estimate.narrowing), .measured(head?.pValue),
                ])
            }
            for (by, rows) in [("cluster", goal.byCluster), ("mode", goal.byMode)] {
                for row in rows {
                    breakdowns.rows.append([
                        .text(goal.goal), .text(by), .text(row.group), .integer(row.treated), .integer(row.control),
                        .measured(row.treatedMean), .measured(row.controlMean),
                        .measured(row.difference?.estimate), .measured(row.difference?.lower),
                        .measured(row.difference?.upper), .measured(row.difference?.pValue), .measured(row.qValue),
                        .text(row.qValue.map { $0 <= 0.05 ? "yes" : "no" } ?? ""),
                    ])
                }
            }
            for point in goal.series {
                series.rows.append([
                    .text(goal.goal), .text(point.date), .measured(point.estimate), .measured(point.lower),
                    .measured(point.upper), .measured(point.alwaysValidLower), .measured(point.alwaysValidUpper),
                ])
            }
            charts.append(
                .band(
                    ReportChart.Band(
                        id: "lift-over-time-\(ReportIdentifiers.slug(goal.goal))",
                        title: "Lift over time: \(goal.goal) events per user per week, treated − control",
                        xLabels: goal.series.map(\.date),
                        estimate: goal.series.map(\.estimate),
                        lower: goal.series.map(\.lower),
                        upper: goal.series.map(\.upper),
                        alwaysValidLower: goal.series.map(\.alwaysValidLower),
                        alwaysValidUpper: goal.series.map(\.alwaysValidUpper),
                        yLabel: "goal events / user / week"
                    )
                )
            )
        }
        return ReportSection(
            kind: ReportKind.lift.rawValue,
            title: "Lift: treated against control",
            notes: notes,
            tables: [summary, breakdowns, series],
            charts: charts
        )
    }
}

/// Identifiers for charts and anchors.
public enum ReportIdentifiers {
    /// `text` lowercased, with every run of characters other than a–z and 0–9 as one `-`.
    public static func slug(_ text: String) -> String {
        var result = ""
        var lastWasDash = false
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
                lastWasDash = false
            } else if !lastWasDash, !result.isEmpty {
                result.append("-")
                lastWasDash = true
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "x" : result
    }
}

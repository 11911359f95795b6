import AampeCore
public import AampeLearning

/// `report opportunities`: the personalization-opportunity matrix. For each label set × cluster, how much
/// users disagree in their personalization scores (the model's per-user label deviations): where more copy
/// is worth writing, and where one label wins for everybody so that no choice is needed.
public enum OpportunitiesReport {
    /// Agreement at or above this share: one label wins for (nearly) everybody in the cell.
    public static let oneWinnerAgreement = 0.9
    /// Spread (SD of scores across users, in logits) at or above this, with agreement below
    /// ``personalizeAgreement``: users want different labels, and more copy for them is worth writing.
    public static let disagreementSpread = 0.25
    public static let personalizeAgreement = 0.6

    public struct Cell: Sendable, Hashable {
        public var goal: String
        public var labelSet: String
        /// The cluster, or -1 for users without one.
        public var cluster: Int
        public var users: Int
        /// Mean over the set's labels of the SD across users of the label's score.
        public var spread: Double
        /// Share of users whose best label in the set is the cell's most common best label.
        public var agreement: Double
        public var commonBest: String

        public var verdict: String {
            if agreement >= OpportunitiesReport.oneWinnerAgreement { return "one label wins: no choice needed" }
            if spread >= OpportunitiesReport.disagreementSpread && agreement < OpportunitiesReport.personalizeAgreement
            {
                return "users disagree: write more copy"
            }
            return "personalize"
        }
    }

    /// One goal's scores: its labels (`set=label`) and, per user, one score per label.
    public protocol GoalScores {
        var goal: String { get }
        var labels: [String] { get }
        var userCount: Int { get }
        /// The external id of user `row` and their score per label, in `labels`' order.
        func user(_ row: Int, into scores: inout [Float]) -> String
    }

    /// A goal of a served model: each user's label scores from the scores file.
    struct ModelGoalScores: GoalScores {
        let model: ServedModel
        let goalIndex: Int

        var goal: String { model.manifest.goals[goalIndex].goal }
        var labels: [String] { model.manifest.goals[goalIndex].labels }
        var userCount: Int { model.manifest.userCount }

        func user(_ row: Int, into scores: inout [Float]) -> String {
            let goal = model.manifest.goals[goalIndex]
            if let packed = model.packedSummary(goalIndex: goalIndex, row: row) {
                let summary = PackedScoreSummary(
                    packed,
                    labels: goal.labels.count,
                    windows: model.manifest.windowCount,
                    signatures: goal.signatures.count
                )
                for label in scores.indices { scores[label] = summary.labelDeviation(label) }
            }
            return model.userID(goalIndex: goalIndex, row: row)
        }
    }

    /// Every goal of `model`.
    static func scores(of model: ServedModel) -> [any GoalScores] {
        model.manifest.goals.indices.map { ModelGoalScores(model: model, goalIndex: $0) }
    }

    /// The matrix's cells and, per label, every user's score (for distributions). Users are placed in
    /// the cluster of their newest decision; with a campaign, only users in its experiment count.
    public static func compute(
        _ goals: [any GoalScores],
        data: ReportData
    ) -> (cells: [Cell], scores: [(label: String, values: [Float])]) {
        var indexOfUser: [String: Int] = [:]
        indexOfUser.reserveCapacity(data.userIDs.count)
        for (index, id) in data.userIDs.enumerated() { indexOfUser[id] = index }
        var cells: [Cell] = []
        var scores: [(String, [Float])] = []
        for goal in goals {
            let labels = goal.labels
            var sets: [String: [Int]] = [:]
            for (index, label) in labels.enumerated() {
                sets[ModelFiles.GoalModel.setName(of: label), default: []].append(index)
            }
            var perLabel = [[Float]](repeating: [], count: labels.count)
            // Per (set, cluster): moments per label, and counts of best labels.
            struct Accumulator {
                var moments: [ReportStatistics.Moments]
                var best: [Int: Int] = [:]
                var users = 0
            }
            var accumulators: [String: [Int: Accumulator]] = [:]
            var deviations = [Float](repeating: 0, count: labels.count)
            for row in 0..<goal.userCount {
                let id = goal.user(row, into: &deviations)
                let user = indexOfUser[id]
                if data.campaign != nil, user.map({ data.arms[$0] == .outside }) ?? true { continue }
                let cluster = user.map { Int(data.clusters[$0]) } ?? -1
                for label in labels.indices { perLabel[label].append(deviations[label]) }
                for (set, members) in sets {
                    var accumulator =
                        accumulators[set]?[cluster]
                        ?? Accumulator(moments: Array(repeating: ReportStatistics.Moments(), count: members.count))
                    var bestIndex = members[0]
                    for (position, label) in members.enumerated() {
                        accumulator.moments[position].add(Double(deviations[label]))
                        if deviations[label] > deviations[bestIndex] { bestIndex = label }
                    }
                    accumulator.best[bestIndex, default: 0] += 1
                    accumulator.users += 1
                    accumulators[set, default: [:]][cluster] = accumulator
                }
            }
            for set in sets.keys.sorted() {
                for (cluster, accumulator) in (accumulators[set] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let spreads = accumulator.moments.map { $0.count > 1 ? $0.variance.squareRoot() : 0 }
                    let common = accumulator.best.max { ($0.value, -$0.key) < ($1.value, -$1.key) }
                    cells.append(
                        Cell(
                            goal: goal.goal,
                            labelSet: set,
                            cluster: cluster,
                            users: accumulator.users,
                            spread: spreads.reduce(0, +) / Double(max(1, spreads.count)),
                            agreement: Double(common?.value ?? 0) / Double(max(1, accumulator.users)),
                            commonBest: common.map { labels[$0.key] } ?? ""
                        )
                    )
                }
            }
            for (label, values) in zip(labels, perLabel) { scores.append(("\(goal.goal): \(label)", values)) }
        }
        return (cells, scores)
    }

    public static func section(model: ServedModel?, data: ReportData) -> ReportSection {
        guard let model else {
            return ReportSection(
                kind: ReportKind.opportunities.rawValue,
                title: "Personalization opportunities",
                notes: ["The live generation has no model yet: run `aampectl train model` to score users per label."]
            )
        }
        return section(Self.scores(of: model), source: "generation \(model.generationNumber)'s model", data: data)
    }

    /// The section from `goals`' scores; `source` names where they came from.
    static func section(_ goals: [any GoalScores], source: String, data: ReportData) -> ReportSection {
        let (cells, scores) = compute(goals, data: data)
        var table = ReportTable(
            name: "matrix",
            title: "Label set × cluster: how much users disagree",
            columns: [
                "goal", "label set", "cluster", "users", "spread (SD, logits)", "agreement", "most common best",
                "verdict",
            ]
        )
        for cell in cells {
            table.rows.append([
                .text(cell.goal), .text(cell.labelSet), .text(cell.cluster < 0 ? "none" : String(cell.cluster)),
                .integer(cell.users), .number(cell.spread), .number(cell.agreement), .text(cell.commonBest),
                .text(cell.verdict),
            ])
        }
        var charts: [ReportChart] = []
        for goal in Set(cells.map(\.goal)).sorted() {
            let goalCells = cells.filter { $0.goal == goal }
            let sets = Array(Set(goalCells.map(\.labelSet))).sorted()
            let clusters = Array(Set(goalCells.map(\.cluster))).sorted()
            var values = [[Double?]](repeating: [Double?](repeating: nil, count: clusters.count), count: sets.count)
            for cell in goalCells {
                values[sets.firstIndex(of: cell.labelSet)!][clusters.firstIndex(of: cell.cluster)!] = cell.spread
            }
            charts.append(
                .heatmap(
                    ReportChart.Heatmap(
                        id: "opportunities-\(ReportIdentifiers.slug(goal))",
                        title: "Opportunity matrix (\(goal)): spread of users' scores per label set and cluster",
                        rowLabels: sets,
                        columnLabels: clusters.map { $0 < 0 ? "none" : "cluster \($0)" },
                        values: values,
                        valueLabel: "SD of scores (logits)"
                    )
                )
            )
        }
        let all = scores.flatMap(\.values)
        if let low = all.min(), let high = all.max() {
            let bins = 24
            let lower = Double(low)
            let width = max(1e-6, (Double(high) - lower) / Double(bins))
            let edges = (0...bins).map { lower + Double($0) * width }
            let counts = scores.map { series in
                var counts = [Int](repeating: 0, count: bins)
                for value in series.values { counts[min(bins - 1, max(0, Int((Double(value) - lower) / width)))] += 1 }
                return counts
            }
            charts.append(
                .distributions(
                    ReportChart.Distributions(
                        id: "score-distributions",
                        title: "Personalization scores per label (the model's per-user label effect, logits)",
                        binEdges: edges,
                        seriesLabels: scores.map(\.label),
                        counts: counts,
                        valueLabel: "users"
                    )
                )
            )
        }
        return ReportSection(
            kind: ReportKind.opportunities.rawValue,
            title: "Personalization opportunities",
            notes: [
                "From \(source): a user's score for a label is the model's effect of that label for the user, relative to the message's mean (logits; population, cluster, individual and landscape terms). Spread is the SD across the cell's users, averaged over the set's labels; agreement is the share whose best label in the set is the most common one.",
                "Verdicts: agreement ≥ \(Int(oneWinnerAgreement * 100)) %: one label wins for everybody, no choice needed; spread ≥ \(disagreementSpread) with agreement < \(Int(personalizeAgreement * 100)) %: users disagree, more copy is worth writing; otherwise personalize among what exists.",
            ],
            tables: [table],
            charts: charts
        )
    }
}

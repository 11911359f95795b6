public import AampeLearning

/// What the goal rate per message would have been had every message of a label set carried one label,
/// the rest of each choice as the policy made it: each label valued off-policy from the message log, with
/// the library's estimators (IPW, SNIPW, DR; `AampeLearning/Evaluation`).
///
/// Per message, the policy logged the probability P(L) that its outcome carried each label L. For label
/// L the log becomes two actions, "carries L" and "does not", with logging propensity P(L) or 1 − P(L);
/// the target policy always takes "carries L". Importance weighting then estimates the goal rate under
/// the logging policy's own choices given L: unlike the plain rate per label, it is not confounded by a
/// policy that sends L to the users it expects to respond. The reward model behind DR is the mean
/// outcome of each action within the user's cluster. Messages whose choices did not include L, or gave it
/// no chance (P(L) = 0: no support), cannot be valued for L and are left out; a policy that logs no
/// propensities (an external one) gives no rows.
public enum LabelOffPolicyValues {
    public struct Value: Sendable, Hashable {
        public var labelSet: String
        public var label: String
        /// Messages valued: delivered, outcome joined, with L among the choices and P(L) > 0.
        public var rows: Int
        /// Of them, the messages that carried L.
        public var withLabel: Int
        /// Messages with L among the choices but P(L) = 0.
        public var unsupported: Int
        /// The plain goal rate of the messages that carried L.
        public var naiveRate: Double?
        public var estimates: [OffPolicyEvaluation.Estimate]
    }

    public static func compute(_ data: ReportData) -> [Value] {
        let d = data.decisions
        // Per label set of the log, the label codes it holds.
        var labelsOfSet: [Set<Int32>] = []
        for labels in d.labelSets {
            labelsOfSet.append(Set(labels.compactMap { d.labelNames.code(of: $0).map(Int32.init) }))
        }
        var rowsByLabel: [Int32: [(row: Int, probability: Double)]] = [:]
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered && d.hasOutcome[row] {
            let start = Int(d.propensityStart[row])
            guard start >= 0 else { continue }
            for offset in 0..<Int(d.propensityCount[row]) {
                rowsByLabel[d.propensityLabels[start + offset], default: []].append(
                    (row, d.propensityValues[start + offset])
                )
            }
        }
        var values: [Value] = []
        for (label, rows) in rowsByLabel {
            let name = d.labelNames.strings[Int(label)]
            let set = String(name.prefix { $0 != "=" })
            var actions: [Int] = []
            var rewards: [Double] = []
            var propensities: [Double] = []
            var clusters: [Int32] = []
            var unsupported = 0
            for (row, probability) in rows {
                guard probability > 1e-9 else {
                    unsupported += 1
                    continue
                }
                let code = Int(d.labelSet[row])
                let carries = code >= 0 && labelsOfSet[code].contains(label)
                let logged = carries ? probability : 1 - probability
                // A logged outcome the policy gave no chance is a logging error; it cannot be weighted.
                guard logged > 1e-9 else { continue }
                actions.append(carries ? 1 : 0)
                rewards.append(d.goalCount[row] > 0 ? 1 : 0)
                propensities.append(min(1, logged))
                clusters.append(d.cluster[row])
            }
            let withLabel = actions.reduce(0, +)
            var value = Value(
                labelSet: set,
                label: name,
                rows: actions.count,
                withLabel: withLabel,
                unsupported: unsupported,
                naiveRate: withLabel > 0
                    ? zip(actions, rewards).reduce(0) { $0 + ($1.0 == 1 ? $1.1 : 0) } / Double(withLabel) : nil,
                estimates: []
            )
            if withLabel > 0, actions.count > 1 {
                value.estimates = (try? estimates(actions, rewards, propensities, clusters)) ?? []
            }
            values.append(value)
        }
        return values.sorted { ($0.labelSet, $0.label) < ($1.labelSet, $1.label) }
    }

    static func estimates(
        _ actions: [Int],
        _ rewards: [Double],
        _ propensities: [Double],
        _ clusters: [Int32]
    ) throws -> [OffPolicyEvaluation.Estimate] {
        // The reward model: mean reward per (cluster, action), the action's overall mean where a cluster
        // never took it.
        var sums: [Int32: [Double]] = [:]
        var counts: [Int32: [Double]] = [:]
        var overall = [0.0, 0.0]
        var overallCount = [0.0, 0.0]
        for (index, action) in actions.enumerated() {
            sums[clusters[index], default: [0, 0]][action] += rewards[index]
            counts[clusters[index], default: [0, 0]][action] += 1
            overall[action] += rewards[index]
            overallCount[action] += 1
        }
        var model: [Double] = []
        model.reserveCapacity(actions.count * 2)
        for cluster in clusters {
            for action in 0..<2 {
                let n = counts[cluster]?[action] ?? 0
                model.append(
                    n > 0
                        ? sums[cluster]![action] / n
                        : overallCount[action] > 0 ? overall[action] / overallCount[action] : 0
                )
            }
        }
        let evaluation = try OffPolicyEvaluation(
            log: try OffPolicyLog(actionCount: 2, actions: actions, rewards: rewards, propensities: propensities),
            targetPolicy: try ActionMatrix(deterministic: Array(repeating: 1, count: actions.count), actionCount: 2),
            rewardModel: try ActionMatrix(rows: actions.count, actionCount: 2, values: model)
        )
        return try evaluation.estimates().filter { $0.estimator != .dm }
    }

    /// The table `report conversions` shows.
    static func table(_ values: [Value]) -> ReportTable {
        var table = ReportTable(
            name: "off_policy_by_label",
            title: "Goal rate per message had every message of the set carried the label (off-policy, 95 % intervals)",
            columns: [
                "label set", "label", "messages valued", "with the label", "no support", "plain rate", "IPW",
                "IPW low", "IPW high", "SNIPW", "SNIPW low", "SNIPW high", "DR", "DR low", "DR high",
            ]
        )
        for value in values {
            var row: [ReportValue] = [
                .text(value.labelSet), .text(value.label), .integer(value.rows), .integer(value.withLabel),
                .integer(value.unsupported), .measured(value.naiveRate),
            ]
            for estimator in [OffPolicyEvaluation.Estimator.ipw, .snipw, .dr] {
                let estimate = value.estimates.first { $0.estimator == estimator }
                row += [
                    .measured(estimate?.value), .measured(estimate?.interval?.lower),
                    .measured(estimate?.interval?.upper),
                ]
            }
            table.rows.append(row)
        }
        return table
    }
}

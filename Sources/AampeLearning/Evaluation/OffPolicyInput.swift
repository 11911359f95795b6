import AampeCore

/// What a logging policy did: for each row, the action it took (a dense index below ``actionCount``),
/// the reward that followed, and the probability with which the logging policy chose that action.
///
/// The rows are validated when the log is made: at least one row, at most `Limits.maximumOffPolicyRows`;
/// every action in range; every reward finite; every propensity in (0, 1]. A propensity of 0 means the
/// logging policy could not have taken the action it took (a logging bug), and above 1 it is not a
/// probability; either would make every importance weight meaningless, so the first such row stops the
/// evaluation and is named in the error.
public struct OffPolicyLog: Sendable {
    /// How many actions there are; actions are `0..<actionCount`.
    public let actionCount: Int
    /// The logged action of each row.
    public let actions: [Int]
    /// The reward observed after each row's action.
    public let rewards: [Double]
    /// The logging policy's probability of each row's action.
    public let propensities: [Double]

    /// The number of rows.
    public var count: Int { actions.count }

    /// A log of `actions.count` rows; the three arrays are parallel.
    public init(actionCount: Int, actions: [Int], rewards: [Double], propensities: [Double]) throws(LearningError) {
        precondition(
            actions.count == rewards.count && actions.count == propensities.count,
            "the log's columns must have one value per row"
        )
        guard !actions.isEmpty else { throw LearningError.cannotEvaluate(reason: "the log has no rows") }
        guard actions.count <= Limits.maximumOffPolicyRows else {
            throw LearningError.limitExceeded(
                path: "log",
                what: "the number of rows",
                value: actions.count,
                limit: Limits.maximumOffPolicyRows
            )
        }
        guard (1...Limits.maximumOffPolicyActions).contains(actionCount) else {
            throw LearningError.limitExceeded(
                path: "log",
                what: "the number of actions",
                value: actionCount,
                limit: Limits.maximumOffPolicyActions
            )
        }
        for row in actions.indices {
            guard (0..<actionCount).contains(actions[row]) else {
                throw LearningError.invalidOffPolicyRow(
                    row: row,
                    field: "action",
                    problem: "is \(actions[row]), not an action index below \(actionCount)"
                )
            }
            guard rewards[row].isFinite else {
                throw LearningError.invalidOffPolicyRow(row: row, field: "reward", problem: "is not a finite number")
            }
            if let problem = Self.propensityProblem(propensities[row]) {
                throw LearningError.invalidOffPolicyRow(row: row, field: "propensity", problem: problem)
            }
        }
        self.actionCount = actionCount
        self.actions = actions
        self.rewards = rewards
        self.propensities = propensities
    }

    /// What is wrong with `propensity` as a logging probability, or `nil` when it is in (0, 1].
    public static func propensityProblem(_ propensity: Double) -> String? {
        if propensity.isNaN { return "is not a number" }
        if propensity <= 0 {
            return "is \(propensity): the logging policy could not have taken this action, so no weight exists"
        }
        if propensity > 1 { return "is \(propensity), above 1: not a probability" }
        return nil
    }

    /// The log restricted to `rows` (indices into this log, repeats allowed), in that order.
    public func subset(_ rows: [Int]) throws(LearningError) -> OffPolicyLog {
        try OffPolicyLog(
            actionCount: actionCount,
            actions: rows.map { actions[$0] },
            rewards: rows.map { rewards[$0] },
            propensities: rows.map { propensities[$0] }
        )
    }
}

/// A value per row and action, row-major: a target policy's probabilities π(a | row), or a reward model's
/// predictions q̂(row, a).
public struct ActionMatrix: Sendable, Hashable {
    /// The number of rows.
    public let rows: Int
    /// The number of actions: the columns.
    public let actionCount: Int
    /// `values[row * actionCount + action]`.
    public let values: [Double]

    /// A matrix of `rows` × `actionCount` values, row-major. Throws when it has more cells than
    /// `Limits.maximumOffPolicyCells`.
    public init(rows: Int, actionCount: Int, values: [Double]) throws(LearningError) {
        precondition(rows >= 0 && actionCount >= 1, "a matrix needs a row count and at least one action")
        let cells = rows.multipliedReportingOverflow(by: actionCount)
        guard !cells.overflow, cells.partialValue <= Limits.maximumOffPolicyCells else {
            throw LearningError.limitExceeded(
                path: "matrix",
                what: "the number of cells (rows × actions)",
                value: rows &* actionCount,
                limit: Limits.maximumOffPolicyCells
            )
        }
        precondition(values.count == rows * actionCount, "a matrix needs rows × actions values")
        self.rows = rows
        self.actionCount = actionCount
        self.values = values
    }

    /// The same probabilities for every one of `rows` rows: a policy that ignores the context.
    public init(repeating row: [Double], rows: Int) throws(LearningError) {
        var values: [Double] = []
        values.reserveCapacity(row.count * rows)
        for _ in 0..<rows { values.append(contentsOf: row) }
        try self.init(rows: rows, actionCount: row.count, values: values)
    }

    /// A deterministic policy: probability 1 for `chosen[row]`, 0 for every other action.
    public init(deterministic chosen: [Int], actionCount: Int) throws(LearningError) {
        var values = [Double](repeating: 0, count: chosen.count * actionCount)
        for (row, action) in chosen.enumerated() {
            precondition((0..<actionCount).contains(action), "a chosen action must be below the action count")
            values[row * actionCount + action] = 1
        }
        try self.init(rows: chosen.count, actionCount: actionCount, values: values)
    }

    /// The value of `row` and `action`.
    @inline(__always)
    public subscript(row: Int, action: Int) -> Double { values[row * actionCount + action] }

    /// The rows `rows` (repeats allowed), in that order.
    public func subset(_ rows: [Int]) throws(LearningError) -> ActionMatrix {
        var picked: [Double] = []
        picked.reserveCapacity(rows.count * actionCount)
        for row in rows { picked.append(contentsOf: values[(row * actionCount)..<((row + 1) * actionCount)]) }
        return try ActionMatrix(rows: rows.count, actionCount: actionCount, values: picked)
    }

    /// How far a row's probabilities may sum from 1: rounding in a file written with six or more digits.
    public static let probabilitySumTolerance = 1e-6

    /// Checks that every row is a probability distribution: values in [0, 1] and summing to 1 within
    /// ``probabilitySumTolerance``. Throws naming the first row that is not.
    public func validateAsPolicy() throws(LearningError) {
        for row in 0..<rows {
            var sum = 0.0
            for action in 0..<actionCount {
                let p = self[row, action]
                guard p.isFinite, p >= 0, p <= 1 else {
                    throw LearningError.invalidOffPolicyRow(
                        row: row,
                        field: "target policy",
                        problem: "gives action \(action) probability \(p), outside [0, 1]"
                    )
                }
                sum += p
            }
            guard abs(sum - 1) <= Self.probabilitySumTolerance else {
                throw LearningError.invalidOffPolicyRow(
                    row: row,
                    field: "target policy",
                    problem: "sums to \(sum), not 1 (within \(Self.probabilitySumTolerance))"
                )
            }
        }
    }

    /// Checks that every value is finite. Throws naming the first row that is not.
    public func validateAsRewardModel() throws(LearningError) {
        for row in 0..<rows {
            for action in 0..<actionCount where !self[row, action].isFinite {
                throw LearningError.invalidOffPolicyRow(
                    row: row,
                    field: "reward model",
                    problem: "predicts a non-finite reward for action \(action)"
                )
            }
        }
    }
}

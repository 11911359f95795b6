import AampeCore

/// The files of `aampectl eval ope`, read into an ``OffPolicyEvaluation``.
///
/// The **log** names its columns in a header; any other columns (`row_id`, features) are ignored:
///
/// ```
/// +--------+--------+------------+
/// | action | reward | propensity |    action: an action name, one of the target policy's pi_ columns
/// +--------+--------+------------+    reward: a finite number
/// | a3     | 0      | 0.294      |    propensity: the logging policy's probability of the action, in (0, 1]
/// +--------+--------+------------+
/// ```
///
/// The **target policy** has a column `pi_<action>` for every action; its names are the action set. It
/// has one row per log row, matched by `row_id` when both files have that column and by order otherwise,
/// or a single row without `row_id`: a policy that ignores the context, used for every log row. Each
/// row's probabilities must lie in [0, 1] and sum to 1 within 1e-6.
///
/// The optional **reward model** has a column `q_<action>` for every action of the target policy, with
/// rows matched to the log as the target policy's are.
///
/// Every error names the file, the line and the column.
public enum OffPolicyFiles {
    /// What the files hold: the action names (dense index order) and the evaluation.
    public struct Input: Sendable {
        /// The action names, from the target policy's `pi_` columns in file order.
        public var actions: [String]
        /// The log, target policy and reward model, validated.
        public var evaluation: OffPolicyEvaluation
    }

    /// Reads and checks the three files.
    public static func read(
        log logPath: String,
        targetPolicy policyPath: String,
        rewardModel modelPath: String?
    )
        throws(LearningError) -> Input
    {
        let policyTable = try EvaluationTable(contentsOf: policyPath)
        let logTable = try EvaluationTable(contentsOf: logPath)
        let modelTable = try modelPath.map { path throws(LearningError) in try EvaluationTable(contentsOf: path) }
        return try read(log: logTable, targetPolicy: policyTable, rewardModel: modelTable)
    }

    /// Checks three tables already read; see the type's documentation for their layout.
    public static func read(
        log logTable: EvaluationTable,
        targetPolicy policyTable: EvaluationTable,
        rewardModel modelTable: EvaluationTable?
    ) throws(LearningError) -> Input {
        let policyColumns = policyTable.header.indices.filter { policyTable.header[$0].hasPrefix("pi_") }
        let actions = policyColumns.map { String(policyTable.header[$0].dropFirst(3)) }
        guard !actions.isEmpty else {
            throw LearningError.malformedTable(
                path: policyTable.path,
                line: 1,
                field: nil,
                problem: "has no pi_<action> column: the target policy names its actions that way"
            )
        }
        guard actions.count <= Limits.maximumOffPolicyActions else {
            throw LearningError.limitExceeded(
                path: policyTable.path,
                what: "the number of pi_ columns (actions)",
                value: actions.count,
                limit: Limits.maximumOffPolicyActions
            )
        }
        guard logTable.rows.count <= Limits.maximumOffPolicyRows else {
            throw LearningError.limitExceeded(
                path: logTable.path,
                what: "the number of rows",
                value: logTable.rows.count,
                limit: Limits.maximumOffPolicyRows
            )
        }
        guard !logTable.rows.isEmpty else {
            throw LearningError.cannotEvaluate(reason: "\(logTable.path) has a header but no rows")
        }
        let actionIndex = Dictionary(uniqueKeysWithValues: actions.enumerated().map { ($1, $0) })
        let actionColumn = try logTable.requiredColumn("action", purpose: "the logged action")
        let rewardColumn = try logTable.requiredColumn("reward", purpose: "the observed reward")
        let propensityColumn = try logTable.requiredColumn(
            "propensity",
            purpose: "the logging policy's probability of the action"
        )
        var loggedActions: [Int] = []
        var rewards: [Double] = []
        var propensities: [Double] = []
        for row in logTable.rows.indices {
            guard let action = actionIndex[logTable.rows[row][actionColumn]] else {
                throw logTable.malformed(
                    row: row,
                    column: actionColumn,
                    problem: "names an action the target policy has no pi_ column for"
                )
            }
            loggedActions.append(action)
            rewards.append(try logTable.number(row: row, column: rewardColumn))
            propensities.append(try logTable.number(row: row, column: propensityColumn))
        }
        let log: OffPolicyLog
        do throws(LearningError) {
            log = try OffPolicyLog(
                actionCount: actions.count,
                actions: loggedActions,
                rewards: rewards,
                propensities: propensities
            )
        } catch {
            throw located(
                error,
                table: logTable,
                rowOf: { $0 },
                columns: ["reward": rewardColumn, "propensity": propensityColumn]
            )
        }

        let policyRows = try alignment(of: policyTable, to: logTable)
        let policy = try matrix(policyTable, prefix: "pi_", actions: actions, rows: policyRows)
        var model: ActionMatrix?
        var modelRows: [Int] = []
        if let modelTable {
            modelRows = try alignment(of: modelTable, to: logTable)
            model = try matrix(modelTable, prefix: "q_", actions: actions, rows: modelRows)
        }
        do throws(LearningError) {
            let evaluation = try OffPolicyEvaluation(log: log, targetPolicy: policy, rewardModel: model)
            return Input(actions: actions, evaluation: evaluation)
        } catch {
            guard case .invalidOffPolicyRow(_, let field, _) = error else { throw error }
            if field == "reward model", let modelTable {
                throw located(error, table: modelTable, rowOf: { modelRows[$0] }, columns: [:])
            }
            throw located(error, table: policyTable, rowOf: { policyRows[$0] }, columns: [:])
        }
    }

    /// For each log row, the row of `table` that belongs to it: by `row_id` when both tables have one, by
    /// order when the counts match, or row 0 for every log row when `table` has a single row and no
    /// `row_id` (a policy or model that ignores the context).
    static func alignment(of table: EvaluationTable, to log: EvaluationTable) throws(LearningError) -> [Int] {
        guard !table.rows.isEmpty else {
            throw LearningError.malformedTable(path: table.path, line: 2, field: nil, problem: "is missing: no rows")
        }
        let tableIDs = table.column("row_id")
        if table.rows.count == 1, tableIDs == nil { return [Int](repeating: 0, count: log.rows.count) }
        if let tableIDs, let logIDs = log.column("row_id") {
            var rowOfID: [String: Int] = [:]
            for row in table.rows.indices {
                guard rowOfID.updateValue(row, forKey: table.rows[row][tableIDs]) == nil else {
                    throw table.malformed(row: row, column: tableIDs, problem: "repeats an earlier row's row_id")
                }
            }
            var seenLogIDs = Set<String>()
            return try log.rows.indices.map { row throws(LearningError) in
                let id = log.rows[row][logIDs]
                guard seenLogIDs.insert(id).inserted else {
                    throw log.malformed(row: row, column: logIDs, problem: "repeats an earlier row's row_id")
                }
                guard let match = rowOfID[id] else {
                    throw log.malformed(row: row, column: logIDs, problem: "has no row in \(table.path)")
                }
                return match
            }
        }
        guard table.rows.count == log.rows.count else {
            throw LearningError.cannotEvaluate(
                reason:
                    "\(table.path) has \(table.rows.count) rows and \(log.path) has \(log.rows.count); without row_id in both, rows are matched by order, so the counts must agree (or \(table.path) must have a single row)"
            )
        }
        return Array(log.rows.indices)
    }

    /// The `prefix<action>` columns of `table`, one matrix row per log row (`rows[i]` is the table row of
    /// log row i).
    static func matrix(
        _ table: EvaluationTable,
        prefix: String,
        actions: [String],
        rows: [Int]
    ) throws(LearningError)
        -> ActionMatrix
    {
        let columns = try actions.map { action throws(LearningError) in
            try table.requiredColumn(prefix + action, purpose: "a value for action \(action)")
        }
        // Each table row is parsed once, however many log rows share it.
        var parsed: [[Double]?] = Array(repeating: nil, count: table.rows.count)
        var values: [Double] = []
        values.reserveCapacity(rows.count * actions.count)
        for tableRow in rows {
            if parsed[tableRow] == nil {
                let row = try columns.map { column throws(LearningError) in
                    try table.number(row: tableRow, column: column)
                }
                try check(row, of: table, row: tableRow, columns: columns, isPolicy: prefix == "pi_")
                parsed[tableRow] = row
            }
            values.append(contentsOf: parsed[tableRow]!)
        }
        return try ActionMatrix(rows: rows.count, actionCount: actions.count, values: values)
    }

    /// Checks one parsed row where the file's own line and column can be named: a policy's probabilities
    /// lie in [0, 1] and sum to 1 within ``ActionMatrix/probabilitySumTolerance``; a reward model's
    /// predictions are finite. ``OffPolicyEvaluation`` checks the same again for callers without files.
    static func check(
        _ values: [Double],
        of table: EvaluationTable,
        row: Int,
        columns: [Int],
        isPolicy: Bool
    )
        throws(LearningError)
    {
        for (value, column) in zip(values, columns) {
            if isPolicy, !(value.isFinite && value >= 0 && value <= 1) {
                throw table.malformed(row: row, column: column, problem: "is \(value), not a probability in [0, 1]")
            }
            if !isPolicy, !value.isFinite {
                throw table.malformed(row: row, column: column, problem: "is not a finite number")
            }
        }
        let sum = values.reduce(0, +)
        if isPolicy, abs(sum - 1) > ActionMatrix.probabilitySumTolerance {
            throw table.malformed(
                row: row,
                column: nil,
                problem: "the pi_ columns sum to \(sum), not 1 (within \(ActionMatrix.probabilitySumTolerance))"
            )
        }
    }

    /// `error` about a row of the evaluation's input, restated as a line and column of `table`.
    static func located(
        _ error: LearningError,
        table: EvaluationTable,
        rowOf: (Int) -> Int,
        columns: [String: Int]
    ) -> LearningError {
        guard case .invalidOffPolicyRow(let row, let field, let problem) = error else { return error }
        if let column = columns[field] { return table.malformed(row: rowOf(row), column: column, problem: problem) }
        return table.malformed(row: rowOf(row), column: nil, problem: "(\(field)) \(problem)")
    }
}

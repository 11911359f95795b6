import AampeCore

/// A randomized log with user features: the input of `aampectl eval policy`.
///
/// ```
/// +-----+-----+----------+-------------+--------+
/// | x_0 | x_1 | action   | propensity  | reward |   x_*: numeric user features (or the --features columns)
/// +-----+-----+----------+-------------+--------+   action: the message choice; empty or `none` = no message
/// | 0.3 | 1   | discount | 0.3333      | 1      |   propensity: P(action | user) under the randomization,
/// | 1.2 | 0   | none     | 0.3333      | 0      |     in (0, 1]; left out with --uniform
/// +-----+-----+----------+-------------+--------+   reward: in [0, 1] (a conversion, or a share)
/// ```
///
/// With `--uniform` every propensity is 1 / K, K the number of actions the rows show (no message
/// included). Other columns are ignored. Errors name the file, the line and the column.
public struct PolicyData: Sendable {
    /// The action names by index; the no-message action, when the rows have one, is index 0 and named
    /// `none`.
    public var actionNames: [String]
    /// The index of the no-message action, when the rows have one.
    public var noMessageAction: Int?
    /// The feature column names.
    public var featureNames: [String]
    /// `rows` × `featureNames.count`, row-major.
    public var features: [Double]
    /// The action of each row.
    public var actions: [Int]
    /// The reward of each row, in [0, 1].
    public var rewards: [Double]
    /// The logging probability of each row's action, in (0, 1].
    public var propensities: [Double]

    /// The number of rows.
    public var count: Int { actions.count }

    /// The name of the no-message action.
    public static let noMessageName = "none"

    /// Reads the file at `path`. `featureColumns` names the feature columns; `nil` takes every column
    /// whose name starts with `x_`. `isUniform` ignores any propensity column and uses 1 / K.
    public init(contentsOf path: String, featureColumns: [String]?, isUniform: Bool) throws(LearningError) {
        try self.init(
            table: try EvaluationTable(contentsOf: path),
            featureColumns: featureColumns,
            isUniform: isUniform
        )
    }

    /// The data of a table already read; see ``init(contentsOf:featureColumns:isUniform:)``.
    public init(table: EvaluationTable, featureColumns: [String]?, isUniform: Bool) throws(LearningError) {
        let names = featureColumns ?? table.header.filter { $0.hasPrefix("x_") }
        guard !names.isEmpty else {
            throw LearningError.malformedTable(
                path: table.path,
                line: 1,
                field: nil,
                problem: "has no feature columns: name them x_… or list them with --features"
            )
        }
        guard names.count <= Limits.maximumPolicyFeatures else {
            throw LearningError.limitExceeded(
                path: table.path,
                what: "the number of feature columns",
                value: names.count,
                limit: Limits.maximumPolicyFeatures
            )
        }
        guard !table.rows.isEmpty else {
            throw LearningError.cannotEvaluate(reason: "\(table.path) has a header but no rows")
        }
        guard table.rows.count <= Limits.maximumOffPolicyRows else {
            throw LearningError.limitExceeded(
                path: table.path,
                what: "the number of rows",
                value: table.rows.count,
                limit: Limits.maximumOffPolicyRows
            )
        }
        let featureIndices = try names.map { name throws(LearningError) in
            try table.requiredColumn(name, purpose: "a feature")
        }
        let actionColumn = try table.requiredColumn("action", purpose: "the action taken; empty or none for no message")
        let rewardColumn = try table.requiredColumn("reward", purpose: "the reward, in [0, 1]")
        let propensityColumn =
            isUniform
            ? nil
            : try table.requiredColumn("propensity", purpose: "the logging probability, or pass --uniform")

        // The no-message action comes first when there is one; the others in order of first appearance.
        let rawActions = table.rows.map { row in
            let name = row[actionColumn].trimmingASCIISpaces()
            return name.isEmpty || name == Self.noMessageName ? Self.noMessageName : name
        }
        var actionNames: [String] = rawActions.contains(Self.noMessageName) ? [Self.noMessageName] : []
        var index: [String: Int] = Dictionary(uniqueKeysWithValues: actionNames.enumerated().map { ($1, $0) })
        for name in rawActions where index[name] == nil {
            index[name] = actionNames.count
            actionNames.append(name)
        }
        guard actionNames.count <= Limits.maximumPolicyActions else {
            throw LearningError.limitExceeded(
                path: table.path,
                what: "the number of actions (no message counts as one)",
                value: actionNames.count,
                limit: Limits.maximumPolicyActions
            )
        }
        guard actionNames.count >= 2 else {
            throw LearningError.cannotEvaluate(
                reason: "\(table.path) shows only one action; a policy needs at least two to choose from"
            )
        }

        var features: [Double] = []
        features.reserveCapacity(table.rows.count * names.count)
        var rewards: [Double] = []
        var propensities: [Double] = []
        for row in table.rows.indices {
            for column in featureIndices {
                let value = try table.number(row: row, column: column)
                guard value.isFinite else { throw table.malformed(row: row, column: column, problem: "is not finite") }
                features.append(value)
            }
            let reward = try table.number(row: row, column: rewardColumn)
            guard reward.isFinite, (0...1).contains(reward) else {
                throw table.malformed(
                    row: row,
                    column: rewardColumn,
                    problem: "is \(reward), outside [0, 1]: the learner is a logistic regression"
                )
            }
            rewards.append(reward)
            if let propensityColumn {
                let propensity = try table.number(row: row, column: propensityColumn)
                if let problem = OffPolicyLog.propensityProblem(propensity) {
                    throw table.malformed(row: row, column: propensityColumn, problem: problem)
                }
                propensities.append(propensity)
            } else {
                propensities.append(1 / Double(actionNames.count))
            }
        }
        self.actionNames = actionNames
        self.noMessageAction = index[Self.noMessageName]
        self.featureNames = names
        self.features = features
        self.actions = rawActions.map { index[$0]! }
        self.rewards = rewards
        self.propensities = propensities
    }

    /// Data already in memory (a test's generator); the arrays are parallel, `features` row-major.
    public init(
        actionNames: [String],
        noMessageAction: Int?,
        featureNames: [String],
        features: [Double],
        actions: [Int],
        rewards: [Double],
        propensities: [Double]
    ) {
        precondition(features.count == actions.count * featureNames.count, "one feature row per action")
        self.actionNames = actionNames
        self.noMessageAction = noMessageAction
        self.featureNames = featureNames
        self.features = features
        self.actions = actions
        self.rewards = rewards
        self.propensities = propensities
    }
}

/// P(reward | user features, action): a ridge logistic regression with action indicators and action ×
/// feature interactions, the reward model and the learned policy of `aampectl eval policy`.
///
/// Features are standardized with the training rows' mean and standard deviation (a constant feature
/// becomes 0), so that one ridge strength treats every feature alike. The design row of features z and
/// action a is
///
/// ```
/// +---+--------------+------------------+-----------------------------+
/// | 1 | z₁ … z_F     | 1[a = 0] … 1[a = K−1] | 1[a = k] · z_f, k < K, f ≤ F |
/// +---+--------------+------------------+-----------------------------+
///  intercept  shared feature effects  action effects      each action's own feature effects
/// ```
///
/// 1 + F + K + K·F weights. Every action has its own indicator and interactions, with no reference
/// action: the ridge penalty makes the weights identifiable, shrinks each action's own effects toward
/// the shared ones, and treats all actions alike. The intercept gets a tiny penalty, only to keep it
/// finite when every training reward is 0 or 1.
public struct ActionRewardModel: Sendable {
    /// The number of actions.
    public let actionCount: Int
    /// The number of features.
    public let featureCount: Int
    /// The training rows' feature means and standard deviations (1 where a feature is constant).
    public let means: [Double]
    public let scales: [Double]
    /// The fitted regression.
    public let regression: LogisticRegression

    /// The default ridge strength λ on every weight but the intercept, in units of one row's
    /// log-likelihood. On standardized features it is a prior worth about one row per weight: enough to
    /// tame an action seen a handful of times, and negligible against thousands of rows.
    public static let defaultL2 = 1.0

    /// The intercept's penalty: small enough never to bias it on real data.
    static let interceptPenalty = 1e-6

    /// The number of weights for `features` features and `actions` actions.
    public static func weightCount(features: Int, actions: Int) -> Int { 1 + features + actions + actions * features }

    /// Fits the model to `rows` of `features` (row-major, `featureCount` per row), with the action taken
    /// and the reward (in [0, 1]) of each row.
    public static func fit(
        features: [Double],
        featureCount: Int,
        actions: [Int],
        rewards: [Double],
        actionCount: Int,
        l2: Double = defaultL2
    ) throws(LearningError) -> ActionRewardModel {
        let rows = actions.count
        precondition(features.count == rows * featureCount && rewards.count == rows, "one feature row per action")
        guard rows > 0 else { throw LearningError.cannotFit(model: "the reward model", reason: "no training rows") }
        guard l2 > 0, l2.isFinite else {
            throw LearningError.invalidOption(name: "--l2", reason: "must be a positive number")
        }
        var means = [Double](repeating: 0, count: featureCount)
        var scales = [Double](repeating: 1, count: featureCount)
        for f in 0..<featureCount {
            var sum = 0.0
            for row in 0..<rows { sum += features[row * featureCount + f] }
            let mean = sum / Double(rows)
            var squares = 0.0
            for row in 0..<rows {
                let d = features[row * featureCount + f] - mean
                squares += d * d
            }
            let sd = (squares / Double(rows)).squareRoot()
            means[f] = mean
            scales[f] = sd > 0 ? sd : 1
        }
        let partial = ActionRewardModel(
            actionCount: actionCount,
            featureCount: featureCount,
            means: means,
            scales: scales,
            regression: LogisticRegression(weights: [], iterations: 0)
        )
        var design: [Double] = []
        let columns = weightCount(features: featureCount, actions: actionCount)
        design.reserveCapacity(rows * columns)
        for row in 0..<rows {
            let x = features[(row * featureCount)..<((row + 1) * featureCount)]
            design.append(contentsOf: partial.designRow(x, action: actions[row]))
        }
        var penalties = [Double](repeating: l2, count: columns)
        penalties[0] = interceptPenalty
        let regression = try LogisticRegression.fit(design: design, targets: rewards, penalties: penalties)
        return ActionRewardModel(
            actionCount: actionCount,
            featureCount: featureCount,
            means: means,
            scales: scales,
            regression: regression
        )
    }

    private init(actionCount: Int, featureCount: Int, means: [Double], scales: [Double], regression: LogisticRegression)
    {
        self.actionCount = actionCount
        self.featureCount = featureCount
        self.means = means
        self.scales = scales
        self.regression = regression
    }

    /// The design row of raw features `x` and `action`.
    func designRow(_ x: some Collection<Double>, action: Int) -> [Double] {
        let z = zip(x, zip(means, scales)).map { ($0 - $1.0) / $1.1 }
        var row = [Double](repeating: 0, count: Self.weightCount(features: featureCount, actions: actionCount))
        row[0] = 1
        for f in 0..<featureCount { row[1 + f] = z[f] }
        row[1 + featureCount + action] = 1
        let interactions = 1 + featureCount + actionCount + action * featureCount
        for f in 0..<featureCount { row[interactions + f] = z[f] }
        return row
    }

    /// The predicted reward of every action for raw features `x`.
    public func predictions(_ x: some Collection<Double>) -> [Double] {
        (0..<actionCount).map { regression.probability(designRow(x, action: $0)) }
    }
}

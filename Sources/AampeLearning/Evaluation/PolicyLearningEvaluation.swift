import AampeCore
import Foundation

/// Would a personalized policy beat sending everyone the same thing? `aampectl eval policy`'s answer,
/// from a randomized log that already exists.
///
/// Each repeat shuffles the rows (SplitMix64 from the seed, one shuffle after another), learns on the
/// first share and values on the rest:
///
/// 1. On the training part, fit ``ActionRewardModel`` (reward on features, action indicators and
///    action × feature interactions). The **learned policy** sends each user the action with the highest
///    predicted reward (deterministic: π = 1 for the argmax).
/// 2. Also on the training part, pick the **best single action**: the one with the highest IPW value,
///    (1/n) Σ 1[aᵢ = a] rᵢ / pᵢ.
/// 3. On the test part, value the learned policy, the best single action, **uniform random** (1/K each)
///    and **no message** (when the log has it) with IPW, SNIPW and DR, the latter with the fitted model as
///    q̂. Each value has its analytic 95 % interval (``OffPolicyEvaluation``).
///
/// The report averages each value and each interval end over the repeats, with the standard deviation of
/// the value across repeats. The **verdict** uses DR, the estimator with the smallest variance when the
/// model is any good: personalization wins only when the learned policy's mean interval lies wholly above
/// the best single action's mean value. Otherwise the report recommends the best single action.
public enum PolicyLearningEvaluation {
    /// How to split and learn.
    public struct Settings: Sendable, Hashable {
        /// The share of rows the policy learns on, strictly between 0 and 1.
        public var trainShare: Double
        /// The seed of the shuffles.
        public var seed: UInt64
        /// How many splits, 1 to `Limits.maximumPolicyRepeats`.
        public var repeats: Int
        /// The ridge strength of the learner.
        public var l2: Double

        /// Settings, checked: each bad one throws naming its option.
        public init(
            trainShare: Double = 0.5,
            seed: UInt64 = 42,
            repeats: Int = 5,
            l2: Double = ActionRewardModel.defaultL2
        )
            throws(LearningError)
        {
            guard trainShare > 0, trainShare < 1 else {
                throw LearningError.invalidOption(name: "--split", reason: "must be strictly between 0 and 1")
            }
            guard repeats >= 1 else {
                throw LearningError.invalidOption(name: "--repeats", reason: "must be at least 1")
            }
            guard repeats <= Limits.maximumPolicyRepeats else {
                throw LearningError.limitExceeded(
                    path: "--repeats",
                    what: "the number of repeats",
                    value: repeats,
                    limit: Limits.maximumPolicyRepeats
                )
            }
            guard l2 > 0, l2.isFinite else {
                throw LearningError.invalidOption(name: "--l2", reason: "must be a positive number")
            }
            self.trainShare = trainShare
            self.seed = seed
            self.repeats = repeats
            self.l2 = l2
        }
    }

    /// The policies compared.
    public enum Policy: String, Sendable, Hashable, Codable, CaseIterable {
        /// Argmax of the learned model's predicted reward per user.
        case learned
        /// The action with the best IPW value on the training part, for everyone.
        case bestSingleAction = "best_single_action"
        /// Each action with probability 1/K.
        case uniformRandom = "uniform_random"
        /// The no-message action for everyone.
        case noMessage = "no_message"
    }

    /// One policy's value by one estimator, over the repeats.
    public struct Summary: Sendable, Hashable, Codable {
        /// The estimator.
        public var estimator: OffPolicyEvaluation.Estimator
        /// The mean value over repeats.
        public var value: Double
        /// The standard deviation of the value across repeats (0 with one repeat).
        public var standardDeviationAcrossRepeats: Double
        /// The mean of the 95 % intervals' ends over repeats.
        public var lower: Double
        public var upper: Double
    }

    /// One policy's line of the report.
    public struct PolicyResult: Sendable, Hashable, Codable {
        /// Which policy.
        public var policy: Policy
        /// Its estimates: IPW, SNIPW, DR.
        public var estimates: [Summary]

        /// The summary of `estimator`.
        public func summary(_ estimator: OffPolicyEvaluation.Estimator) -> Summary? {
            estimates.first { $0.estimator == estimator }
        }
    }

    /// What `aampectl eval policy` prints.
    public struct Report: Sendable, Hashable, Codable {
        /// The rows, the share learned on, and the repeats.
        public var rows: Int
        public var trainRows: Int
        public var testRows: Int
        public var repeats: Int
        /// The action names.
        public var actions: [String]
        /// The best single action of each repeat.
        public var bestSingleActionPerRepeat: [String]
        /// The best single action chosen most often (ties to the earlier action).
        public var bestSingleAction: String
        /// The compared policies.
        public var policies: [PolicyResult]
        /// Whether the learned policy's mean DR interval lies wholly above the best single action's mean
        /// DR value.
        public var personalizationWins: Bool
        /// The verdict in a sentence.
        public var recommendation: String
    }

    /// The estimators each policy is valued with.
    public static let estimators: [OffPolicyEvaluation.Estimator] = [.ipw, .snipw, .dr]

    /// Learns and values the policies on `data`.
    public static func run(_ data: PolicyData, settings: Settings) throws(LearningError) -> Report {
        let n = data.count
        let trainCount = Int((Double(n) * settings.trainShare).rounded())
        guard trainCount >= 1, trainCount < n else {
            throw LearningError.cannotEvaluate(
                reason:
                    "\(n) rows split \(settings.trainShare) leave \(trainCount) to learn on and \(n - trainCount) to value on; each part needs a row"
            )
        }
        let k = data.actionNames.count
        let f = data.featureNames.count
        let policies = Policy.allCases.filter { $0 != .noMessage || data.noMessageAction != nil }
        var values: [Policy: [OffPolicyEvaluation.Estimator: [OffPolicyEvaluation.Estimate]]] = [:]
        var bestPerRepeat: [Int] = []
        var generator = SplitMix64(seed: settings.seed)
        var order = Array(0..<n)
        for _ in 0..<settings.repeats {
            order.shuffle(using: &generator)
            let train = Array(order[..<trainCount])
            let test = Array(order[trainCount...])
            func featureRows(_ rows: [Int]) -> [Double] {
                var picked: [Double] = []
                picked.reserveCapacity(rows.count * f)
                for row in rows { picked.append(contentsOf: data.features[(row * f)..<((row + 1) * f)]) }
                return picked
            }
            let model = try ActionRewardModel.fit(
                features: featureRows(train),
                featureCount: f,
                actions: train.map { data.actions[$0] },
                rewards: train.map { data.rewards[$0] },
                actionCount: k,
                l2: settings.l2
            )

            var trainValue = [Double](repeating: 0, count: k)
            for row in train { trainValue[data.actions[row]] += data.rewards[row] / data.propensities[row] }
            // Ties go to the earlier action: no message first, so a tie never recommends a send for nothing.
            let best = trainValue.indices.max {
                trainValue[$0] < trainValue[$1] || (trainValue[$0] == trainValue[$1] && $0 > $1)
            }!
            bestPerRepeat.append(best)

            let log = try OffPolicyLog(
                actionCount: k,
                actions: test.map { data.actions[$0] },
                rewards: test.map { data.rewards[$0] },
                propensities: test.map { data.propensities[$0] }
            )
            var predictions: [Double] = []
            predictions.reserveCapacity(test.count * k)
            var chosen: [Int] = []
            for row in test {
                let predicted = model.predictions(data.features[(row * f)..<((row + 1) * f)])
                predictions.append(contentsOf: predicted)
                chosen.append(predicted.indices.max { predicted[$0] < predicted[$1] }!)
            }
            let rewardModel = try ActionMatrix(rows: test.count, actionCount: k, values: predictions)
            for policy in policies {
                let target: ActionMatrix
                switch policy {
                case .learned: target = try ActionMatrix(deterministic: chosen, actionCount: k)
                case .bestSingleAction:
                    target = try ActionMatrix(deterministic: [Int](repeating: best, count: test.count), actionCount: k)
                case .uniformRandom:
                    target = try ActionMatrix(repeating: [Double](repeating: 1 / Double(k), count: k), rows: test.count)
                case .noMessage:
                    target = try ActionMatrix(
                        deterministic: [Int](repeating: data.noMessageAction!, count: test.count),
                        actionCount: k
                    )
                }
                let evaluation = try OffPolicyEvaluation(log: log, targetPolicy: target, rewardModel: rewardModel)
                for estimator in estimators {
                    values[policy, default: [:]][estimator, default: []].append(try evaluation.estimate(estimator))
                }
            }
        }

        let results = policies.map { policy in
            PolicyResult(
                policy: policy,
                estimates: estimators.map { estimator in summarize(estimator, values[policy]![estimator]!) }
            )
        }
        var counts = [Int](repeating: 0, count: k)
        for best in bestPerRepeat { counts[best] += 1 }
        let mostOften = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        let bestName = data.actionNames[mostOften]
        let learned = results.first { $0.policy == .learned }!.summary(.dr)!
        let single = results.first { $0.policy == .bestSingleAction }!.summary(.dr)!
        let wins = learned.lower > single.value && learned.value > single.value
        let recommendation =
            wins
            ? String(
                format:
                    "Personalize: the learned policy's DR value %.4f (95%% interval %.4f to %.4f) is above the best single action's %.4f (",
                learned.value,
                learned.lower,
                learned.upper,
                single.value
            ) + bestName + ")."
            : String(
                format:
                    "The personalized policy does not beat the best single action: its DR value %.4f (95%% interval %.4f to %.4f) is not clearly above %.4f. Send everyone the best single action, ",
                learned.value,
                learned.lower,
                learned.upper,
                single.value
            ) + bestName + "."
        return Report(
            rows: n,
            trainRows: trainCount,
            testRows: n - trainCount,
            repeats: settings.repeats,
            actions: data.actionNames,
            bestSingleActionPerRepeat: bestPerRepeat.map { data.actionNames[$0] },
            bestSingleAction: bestName,
            policies: results,
            personalizationWins: wins,
            recommendation: recommendation
        )
    }

    static func summarize(
        _ estimator: OffPolicyEvaluation.Estimator,
        _ estimates: [OffPolicyEvaluation.Estimate]
    )
        -> Summary
    {
        let count = Double(estimates.count)
        let mean = estimates.map(\.value).reduce(0, +) / count
        let spread =
            estimates.count < 2
            ? 0 : (estimates.map { ($0.value - mean) * ($0.value - mean) }.reduce(0, +) / (count - 1)).squareRoot()
        // A one-row test part has no interval; its value stands for both ends.
        let lower = estimates.map { $0.interval?.lower ?? $0.value }.reduce(0, +) / count
        let upper = estimates.map { $0.interval?.upper ?? $0.value }.reduce(0, +) / count
        return Summary(
            estimator: estimator,
            value: mean,
            standardDeviationAcrossRepeats: spread,
            lower: lower,
            upper: upper
        )
    }
}

import AampeCore

/// Off-policy estimators: what a target policy π would have earned, estimated from a log that another
/// (logging) policy wrote.
///
/// With `n` logged rows (action aᵢ, reward rᵢ, logging propensity pᵢ), the importance weight
/// wᵢ = π(aᵢ | i) / pᵢ, and a reward model's predictions q̂(i, a) for every action:
///
/// | estimator | value | per-row term ψᵢ behind the analytic interval |
/// |---|---|---|
/// | IPW | (1/n) Σ wᵢ rᵢ | wᵢ rᵢ − V |
/// | SNIPW | Σ wᵢ rᵢ / Σ wᵢ | wᵢ (rᵢ − V) / w̄ (the delta method's linearization) |
/// | DM | (1/n) Σᵢ Σₐ π(a \| i) q̂(i, a) | Σₐ π(a \| i) q̂(i, a) − V |
/// | DR | DM + (1/n) Σ wᵢ (rᵢ − q̂(i, aᵢ)) | the DR row term − V |
///
/// These are Open Bandit Pipeline's `InverseProbabilityWeighting`, `SelfNormalizedInverseProbabilityWeighting`,
/// `DirectMethod` and `DoublyRobust` (obp 0.5.7, one position, no clipping), and the point estimates
/// agree with obp's to 1e-6 on the fixture `tools/benchmarks/ope-fixtures.py` writes.
///
/// Every estimator is a ratio of sums, Σ numᵢ / Σ denᵢ, with denᵢ = 1 except for SNIPW (denᵢ = wᵢ). The
/// analytic interval is V ± 1.96 · sd(ψ) / √n, where ψᵢ = (numᵢ − V · denᵢ) / mean(den) and sd uses
/// n − 1; for den = 1 that is the plain sample standard deviation of the row terms. The bootstrap
/// interval resamples rows with replacement (SplitMix64 from a seed, the same resamples for every
/// estimator) and takes the 2.5 % and 97.5 % percentiles of the resampled values, interpolated
/// linearly as numpy's default `percentile` does. obp's own interval is a bootstrap from numpy's
/// generator, so intervals are not compared with obp's digit for digit.
public struct OffPolicyEvaluation: Sendable {
    /// The estimators, in the order reports list them.
    public enum Estimator: String, Sendable, Hashable, Codable, CaseIterable {
        /// Inverse propensity weighting.
        case ipw
        /// Self-normalized inverse propensity weighting.
        case snipw
        /// The direct method: the reward model's prediction under π.
        case dm
        /// Doubly robust: the direct method corrected by weighted residuals.
        case dr

        /// The estimator's short name as reports print it.
        public var label: String {
            switch self {
            case .ipw: "IPW"
            case .snipw: "SNIPW"
            case .dm: "DM"
            case .dr: "DR"
            }
        }
    }

    /// A seeded bootstrap: how many resamples, and the seed of their SplitMix64 generator.
    public struct Bootstrap: Sendable, Hashable {
        /// How many times rows are resampled, 1 to `Limits.maximumBootstrapResamples`.
        public var resamples: Int
        /// The seed of the resampling generator: the same seed gives the same interval.
        public var seed: UInt64

        /// A bootstrap of `resamples` resamples; throws when it is outside 1 to the limit.
        public init(resamples: Int, seed: UInt64) throws(LearningError) {
            guard resamples >= 1 else {
                throw LearningError.invalidOption(name: "--bootstrap", reason: "must be at least 1 resample")
            }
            guard resamples <= Limits.maximumBootstrapResamples else {
                throw LearningError.limitExceeded(
                    path: "--bootstrap",
                    what: "the number of resamples",
                    value: resamples,
                    limit: Limits.maximumBootstrapResamples
                )
            }
            self.resamples = resamples
            self.seed = seed
        }
    }

    /// An interval's two ends.
    public struct Interval: Sendable, Hashable, Codable {
        /// The lower end.
        public var lower: Double
        /// The upper end.
        public var upper: Double

        /// An interval from `lower` to `upper`.
        public init(lower: Double, upper: Double) {
            self.lower = lower
            self.upper = upper
        }
    }

    /// One estimator's answer.
    public struct Estimate: Sendable, Hashable, Codable {
        /// Which estimator.
        public var estimator: Estimator
        /// The estimated value of the target policy (mean reward per row).
        public var value: Double
        /// The analytic standard error, `nil` with one row (a sample standard deviation needs two).
        public var standardError: Double?
        /// The analytic 95 % interval, V ± 1.96 · standard error; `nil` with one row.
        public var interval: Interval?
        /// The bootstrap's 95 % percentile interval, when a bootstrap was asked for.
        public var bootstrapInterval: Interval?
    }

    /// The two-sided 95 % quantile of the standard normal distribution, Φ⁻¹(0.975).
    public static let normalQuantile95 = 1.959_963_984_540_054

    /// The log the estimates are computed from.
    public let log: OffPolicyLog
    /// π(a | row) for every logged row.
    public let targetPolicy: ActionMatrix
    /// q̂(row, a) for every logged row, when there is a reward model; DM and DR need it.
    public let rewardModel: ActionMatrix?

    /// An evaluation of `targetPolicy` on `log`. The matrices must have the log's rows and actions; the
    /// policy's rows must be distributions and the reward model's values finite (errors name the row).
    public init(log: OffPolicyLog, targetPolicy: ActionMatrix, rewardModel: ActionMatrix? = nil) throws(LearningError) {
        for (name, matrix) in [("target policy", targetPolicy), ("reward model", rewardModel)] {
            guard let matrix else { continue }
            guard matrix.rows == log.count, matrix.actionCount == log.actionCount else {
                throw LearningError.cannotEvaluate(
                    reason:
                        "the \(name) has \(matrix.rows) rows of \(matrix.actionCount) actions; the log has \(log.count) rows of \(log.actionCount)"
                )
            }
        }
        try targetPolicy.validateAsPolicy()
        try rewardModel?.validateAsRewardModel()
        self.log = log
        self.targetPolicy = targetPolicy
        self.rewardModel = rewardModel
    }

    /// The estimators this evaluation can compute: all four with a reward model, IPW and SNIPW without.
    public var estimators: [Estimator] { rewardModel == nil ? [.ipw, .snipw] : Estimator.allCases }

    /// Each estimator's per-row numerator and denominator: the estimate is Σ num / Σ den.
    struct Terms {
        var numerators: [Double]
        /// `nil` means every denominator is 1.
        var denominators: [Double]?
    }

    func terms(_ estimator: Estimator) -> Terms {
        let n = log.count
        func weight(_ row: Int) -> Double { targetPolicy[row, log.actions[row]] / log.propensities[row] }
        func direct(_ row: Int) -> Double {
            guard let q = rewardModel else { preconditionFailure("DM and DR need a reward model") }
            var sum = 0.0
            for action in 0..<log.actionCount { sum += targetPolicy[row, action] * q[row, action] }
            return sum
        }
        switch estimator {
        case .ipw:
            return Terms(numerators: (0..<n).map { weight($0) * log.rewards[$0] }, denominators: nil)
        case .snipw:
            let weights = (0..<n).map(weight)
            return Terms(numerators: (0..<n).map { weights[$0] * log.rewards[$0] }, denominators: weights)
        case .dm:
            return Terms(numerators: (0..<n).map(direct), denominators: nil)
        case .dr:
            guard let q = rewardModel else { preconditionFailure("DR needs a reward model") }
            return Terms(
                numerators: (0..<n).map { row in
                    direct(row) + weight(row) * (log.rewards[row] - q[row, log.actions[row]])
                },
                denominators: nil
            )
        }
    }

    /// One estimator's value and analytic interval, without a bootstrap.
    public func estimate(_ estimator: Estimator) throws(LearningError) -> Estimate {
        let terms = terms(estimator)
        let n = log.count
        let numeratorSum = terms.numerators.reduce(0, +)
        let denominatorSum = terms.denominators?.reduce(0, +) ?? Double(n)
        guard denominatorSum > 0 else {
            throw LearningError.cannotEvaluate(
                reason:
                    "\(estimator.label) is undefined: the target policy gives every logged action probability 0, so the weights sum to 0"
            )
        }
        let value = numeratorSum / denominatorSum
        guard n >= 2 else { return Estimate(estimator: estimator, value: value) }
        let meanDenominator = denominatorSum / Double(n)
        var squares = 0.0
        for row in 0..<n {
            let influence = (terms.numerators[row] - value * (terms.denominators?[row] ?? 1)) / meanDenominator
            squares += influence * influence
        }
        let standardError = (squares / Double(n - 1)).squareRoot() / Double(n).squareRoot()
        let halfWidth = Self.normalQuantile95 * standardError
        return Estimate(
            estimator: estimator,
            value: value,
            standardError: standardError,
            interval: Interval(lower: value - halfWidth, upper: value + halfWidth)
        )
    }

    /// Every estimator this evaluation can compute (``estimators``), with bootstrap intervals when
    /// `bootstrap` is given. All estimators see the same resamples.
    public func estimates(bootstrap: Bootstrap? = nil) throws(LearningError) -> [Estimate] {
        var results: [Estimate] = []
        for estimator in estimators { results.append(try estimate(estimator)) }
        guard let bootstrap else { return results }
        let allTerms = estimators.map(terms)
        let n = log.count
        var generator = SplitMix64(seed: bootstrap.seed)
        var resampled = [[Double]](repeating: [], count: allTerms.count)
        var rows = [Int](repeating: 0, count: n)
        for _ in 0..<bootstrap.resamples {
            // One draw of rows serves every estimator, so their intervals come from the same resamples.
            for draw in 0..<n {
                // The modulo's bias is below n / 2⁶⁴ (under 10⁻¹² at the row limit): far below the noise.
                rows[draw] = Int(generator.next() % UInt64(n))
            }
            for (index, terms) in allTerms.enumerated() {
                var numeratorSum = 0.0
                var denominatorSum = Double(n)
                terms.numerators.withUnsafeBufferPointer { numerators in
                    for row in rows { numeratorSum += numerators[row] }
                }
                if let denominators = terms.denominators {
                    denominatorSum = 0
                    denominators.withUnsafeBufferPointer { denominators in
                        for row in rows { denominatorSum += denominators[row] }
                    }
                }
                // A resample whose weights sum to 0 has no self-normalized value; it is left out of that
                // estimator's percentiles rather than counted as any particular number.
                if denominatorSum > 0 { resampled[index].append(numeratorSum / denominatorSum) }
            }
        }
        for index in results.indices where !resampled[index].isEmpty {
            let sorted = resampled[index].sorted()
            results[index].bootstrapInterval = Interval(
                lower: Self.percentile(sorted, 0.025),
                upper: Self.percentile(sorted, 0.975)
            )
        }
        return results
    }

    /// The `share` quantile of `sorted` (ascending, non-empty), interpolated linearly between the two
    /// nearest ranks: numpy's default `percentile` (method "linear").
    static func percentile(_ sorted: [Double], _ share: Double) -> Double {
        precondition(!sorted.isEmpty, "a percentile needs values")
        let position = share * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}

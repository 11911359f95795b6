import AampeCore

/// How `aampectl train model` trains (DESIGN §2.6). Every default is documented where it is declared.
///
/// **Row weights.** A no-goal row weighs 1 × its age factor. A goal row weighs
/// `(1 + ln count) × (½ + ½ · 2^(−delay / goalDelayHalfLife))` × its age factor, where `count` is the
/// goal events in the attribution window and `delay` the time to the first. The goal rows' weights are
/// then scaled so that, before the age factor, they average 1: quick and repeated goals teach the model
/// more than one goal a day later, while the total weight of goals stays their count, so the model's
/// probabilities stay calibrated to the share of rows with a goal. The age factor is
/// `2^(−age / rowAgeHalfLife)` (age from the newest row), so a shift in what users like is learned
/// within a few half-lives rather than averaged away.
public struct ModelSettings: Sendable, Codable, Hashable {
    /// Prior standard deviation (logits) of the population effects: labels, windows, the message
    /// intercept, the landscape coefficients and interactions. Default 1: ridge regression's floor.
    public var populationPriorSD: Double = 1
    /// Prior standard deviation of the population intercept. Default 10 (all but flat).
    public var interceptPriorSD: Double = 10
    /// The starting standard deviation of every cluster and individual effect, before the data sets
    /// them (empirical Bayes). Default 0.3.
    public var initialEffectSD: Double = 0.3
    /// Bounds of a learned effect standard deviation. Defaults 0.001 and 2.
    public var minimumEffectSD: Double = 0.001
    public var maximumEffectSD: Double = 2
    /// Empirical-Bayes rounds (each refits, then re-estimates the effect variances). Default 8.
    public var varianceRounds: Int = 8
    /// Newton rounds per empirical-Bayes round. Default 6.
    public var newtonRounds: Int = 6
    /// Half-life of a goal's delay in its row weight, seconds. Default 6 h.
    public var goalDelayHalfLifeSeconds: Double = 6 * 3_600
    /// Half-life of a row's age in its weight, days; 0 weighs every row alike. Default 14.
    public var rowAgeHalfLifeDays: Double = 14
    /// The availability floor of a window in `log(max(floor, windows × propensity))`. Default 0.05.
    public var availabilityFloor: Double = 0.05
    /// Rows a model needs before it is trained at all. Default 100.
    public var minimumRows: Int = 100

    public init() {}

    /// Throws ``LearningError/invalidOption(name:reason:)`` naming the first setting out of its range.
    public func validate() throws {
        func require(_ condition: Bool, _ name: String, _ expected: String, _ value: Any) throws {
            guard condition else {
                throw LearningError.invalidOption(name: name, reason: "expected \(expected), got \(value)")
            }
        }
        for (name, value) in [
            ("population-prior-sd", populationPriorSD), ("intercept-prior-sd", interceptPriorSD),
            ("initial-effect-sd", initialEffectSD), ("minimum-effect-sd", minimumEffectSD),
            ("maximum-effect-sd", maximumEffectSD), ("goal-delay-half-life-seconds", goalDelayHalfLifeSeconds),
        ] {
            try require(value > 0 && value.isFinite, name, "a positive number", value)
        }
        try require(
            minimumEffectSD <= maximumEffectSD,
            "minimum-effect-sd",
            "at most maximum-effect-sd",
            minimumEffectSD
        )
        try require(
            (1...Limits.maximumModelVarianceRounds).contains(varianceRounds),
            "variance-rounds",
            "1 to \(Limits.maximumModelVarianceRounds)",
            varianceRounds
        )
        try require(
            (1...Limits.maximumModelNewtonRounds).contains(newtonRounds),
            "newton-rounds",
            "1 to \(Limits.maximumModelNewtonRounds)",
            newtonRounds
        )
        try require(
            rowAgeHalfLifeDays >= 0 && rowAgeHalfLifeDays.isFinite,
            "row-age-half-life-days",
            "0 or more days",
            rowAgeHalfLifeDays
        )
        try require(
            availabilityFloor > 0 && availabilityFloor <= 1,
            "availability-floor",
            "a number in (0, 1]",
            availabilityFloor
        )
        try require(minimumRows >= 1, "minimum-rows", "1 or more", minimumRows)
    }

    enum CodingKeys: String, CodingKey {
        case populationPriorSD = "population_prior_sd"
        case interceptPriorSD = "intercept_prior_sd"
        case initialEffectSD = "initial_effect_sd"
        case minimumEffectSD = "minimum_effect_sd"
        case maximumEffectSD = "maximum_effect_sd"
        case varianceRounds = "variance_rounds"
        case newtonRounds = "newton_rounds"
        case goalDelayHalfLifeSeconds = "goal_delay_half_life_seconds"
        case rowAgeHalfLifeDays = "row_age_half_life_days"
        case availabilityFloor = "availability_floor"
        case minimumRows = "minimum_rows"
    }

    /// The weight of a goal row before normalization and age: `(1 + ln count) × (½ + ½ · 2^(−delay/h))`.
    public func goalWeight(count: Int, delaySeconds: Int64?) -> Double {
        let delay = Double(max(0, delaySeconds ?? 0))
        let soon = 0.5 + 0.5 * pow2(-delay / goalDelayHalfLifeSeconds)
        return (1 + log(Double(max(1, count)))) * soon
    }

    /// A row's age factor: `2^(−age / half-life)`, 1 when the half-life is 0.
    public func ageFactor(ageSeconds: Double) -> Double {
        guard rowAgeHalfLifeDays > 0 else { return 1 }
        return pow2(-max(0, ageSeconds) / (rowAgeHalfLifeDays * 86_400))
    }

    private func pow2(_ x: Double) -> Double { exp(x * 0.693_147_180_559_945_3) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

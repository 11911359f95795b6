/// How many messages a week a user should get, from how likely they are to be active and how responsive
/// they are.
///
/// The rule:
///
///     round(basePerWeek × P(active within 7 days) × responsiveness / populationResponsiveness)
///
/// clamped to `[minimumPerWeek, maximumPerWeek]`. A user certain to be active and exactly as responsive as
/// the population gets `basePerWeek`; twice as responsive, twice that; a user unlikely to come back gets
/// the minimum, which may be 0. Rounding is to the nearest whole number, halves away from zero. The
/// campaign's own weekly limit caps the result later, at assignment.
public struct CadenceRule: Codable, Sendable, Hashable {
    /// Messages a week for a user certain to be active and of average responsiveness.
    public var basePerWeek: Double
    /// The fewest messages a week (0 lets the rule stop messaging a user who has gone).
    public var minimumPerWeek: Int
    /// The most messages a week.
    public var maximumPerWeek: Int

    /// 3 a week at the base, between 0 and 7: at most one a day, and nothing for a user who has gone.
    public static let standard = CadenceRule(checkedBasePerWeek: 3, minimumPerWeek: 0, maximumPerWeek: 7)

    /// A rule from settings; throws ``LearningError/invalidOption(name:reason:)`` unless `basePerWeek` is
    /// finite and ≥ 0 and `0 <= minimumPerWeek <= maximumPerWeek`.
    public init(basePerWeek: Double, minimumPerWeek: Int, maximumPerWeek: Int) throws {
        guard basePerWeek >= 0, basePerWeek.isFinite else {
            throw LearningError.invalidOption(name: "basePerWeek", reason: "must be a finite number >= 0")
        }
        guard minimumPerWeek >= 0, minimumPerWeek <= maximumPerWeek else {
            throw LearningError.invalidOption(
                name: "minimumPerWeek",
                reason: "must be >= 0 and at most maximumPerWeek"
            )
        }
        self.init(checkedBasePerWeek: basePerWeek, minimumPerWeek: minimumPerWeek, maximumPerWeek: maximumPerWeek)
    }

    private init(checkedBasePerWeek: Double, minimumPerWeek: Int, maximumPerWeek: Int) {
        self.basePerWeek = checkedBasePerWeek
        self.minimumPerWeek = minimumPerWeek
        self.maximumPerWeek = maximumPerWeek
    }

    /// The user's messages per week by the rule above. `probabilityActive` and `responsiveness` are
    /// probabilities; `populationResponsiveness` is the population's mean responsiveness, above 0.
    public func messagesPerWeek(
        probabilityActive: Double,
        responsiveness: Double,
        populationResponsiveness: Double
    )
        -> Int
    {
        precondition((0...1).contains(probabilityActive), "probabilityActive must be in [0, 1]")
        precondition((0...1).contains(responsiveness), "responsiveness must be in [0, 1]")
        precondition(
            populationResponsiveness > 0 && populationResponsiveness <= 1,
            "populationResponsiveness must be in (0, 1]"
        )
        let raw = basePerWeek * probabilityActive * responsiveness / populationResponsiveness
        // raw is finite and ≥ 0 (at most basePerWeek / populationResponsiveness), so the conversion is safe
        // once clamped to the maximum as a Double.
        let rounded = min(raw.rounded(), Double(maximumPerWeek))
        return max(minimumPerWeek, Int(rounded))
    }
}

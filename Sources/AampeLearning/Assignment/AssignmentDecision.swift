/// How an assignment was made (DESIGN §2.7), as the outbox and the reports record it.
public enum AssignmentMode: String, Codable, Sendable {
    /// A confident best bet: the policy is all but sure this choice is the best one for the user.
    case preferential
    /// An experiment: the choice was spread or sampled so that the model keeps learning.
    case conditioned
    /// No message: the user had no available choice, or none worth sending.
    case skipped
}

/// The decision for one user (and the campaign the batch belongs to): an *assignment*.
public struct AssignmentDecision: Hashable, Sendable {
    /// The user's dense index, as in the candidate.
    public var user: Int
    /// The choice to send, or `nil` when the user is skipped.
    public var choice: AssignmentChoice?
    /// The probability, in (0, 1], that the policy gave this outcome (the choice, or the skip).
    public var propensity: Double
    /// Whether the decision is preferential, conditioned or skipped.
    public var mode: AssignmentMode
    /// How much the choice is expected to raise the user's goal probability over not messaging them, when
    /// the policy estimates it; `nil` otherwise. Neither ``ClusterSpreadPolicy`` nor
    /// ``ThompsonSamplingPolicy`` has a baseline to measure lift against, so both leave it `nil`.
    public var expectedLift: Double?
    /// Per label the choices carry: the probability that the policy's outcome carries it (the sum of the
    /// probabilities of the choices with that label). What `report conversions` values each label with
    /// off-policy; empty when the policy does not know its distribution (an external policy).
    public var labelPropensities: [String: Double] = [:]

    /// A decision for `user`.
    public init(
        user: Int,
        choice: AssignmentChoice?,
        propensity: Double,
        mode: AssignmentMode,
        expectedLift: Double? = nil
    ) {
        self.user = user
        self.choice = choice
        self.propensity = propensity
        self.mode = mode
        self.expectedLift = expectedLift
    }

    /// Per label of `choices`, the summed `probabilities` of the choices that carry it.
    public static func labelMarginals(_ choices: [AssignmentChoice], probabilities: [Double]) -> [String: Double] {
        var marginals: [String: Double] = [:]
        for (choice, probability) in zip(choices, probabilities) {
            for label in Set(choice.labels) { marginals[label, default: 0] += probability }
        }
        return marginals
    }

    /// The decision for a candidate with no choices: skipped, with certainty.
    static func skipped(user: Int) -> AssignmentDecision {
        AssignmentDecision(user: user, choice: nil, propensity: 1, mode: .skipped)
    }
}

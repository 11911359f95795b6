/// The baseline a learner must beat: each user gets one of their choices uniformly at random, drawn
/// independently of everyone else (no balancing, no learning).
///
/// The propensity is 1 / k for a user with k distinct choices, and every decision is `conditioned`. The
/// draws come from one SplitMix64 stream seeded by `seed`, carried from batch to batch.
public struct UniformRandomPolicy: AssignmentPolicy {
    private var generator: SplitMix64

    /// A policy whose draws come from `seed`.
    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    public mutating func decide(_ candidates: [AssignmentCandidate]) -> [AssignmentDecision] {
        candidates.map { candidate in
            let choices = ChoiceGroupKey(cluster: candidate.cluster, choices: candidate.choices).choices
            guard !choices.isEmpty else { return .skipped(user: candidate.user) }
            var decision = AssignmentDecision(
                user: candidate.user,
                choice: choices[generator.nextIndex(below: choices.count)],
                propensity: 1 / Double(choices.count),
                mode: .conditioned
            )
            decision.labelPropensities = AssignmentDecision.labelMarginals(
                choices,
                probabilities: Array(repeating: 1 / Double(choices.count), count: choices.count)
            )
            return decision
        }
    }
}

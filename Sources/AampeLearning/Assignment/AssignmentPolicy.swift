/// Decides, for a batch of users of one campaign, which of each user's available choices to send.
///
/// This is the pure core of assignment (DESIGN §2.7). Everything before it has already run: eligibility,
/// copy availability, caps, quiet hours and cadence produced each user's ``AssignmentCandidate/choices``,
/// and the global ``ControlGroup`` has been taken out. A policy only picks, and says how it picked:
///
/// - ``AssignmentDecision/propensity`` is the probability the policy gave the option it chose, computed
///   honestly (each policy documents how), because the reports and the model weight outcomes by it
///   (inverse propensity) to tell a choice's effect from the policy's habit of sending it.
/// - ``AssignmentDecision/mode`` says whether the pick was a confident best bet (`preferential`), an
///   experiment (`conditioned`), or no send at all (`skipped`).
///
/// A policy decides a whole batch at once so that a balancing policy (``ClusterSpreadPolicy``) can see
/// everyone it spreads choices over. It returns one decision per candidate, in the candidates' order. A
/// candidate with no choices is always `skipped`, with no choice and propensity 1 (skipping it was
/// certain). `decide` is `mutating` because a policy carries its seeded random state from batch to batch:
/// the same seed and the same sequence of batches give the same decisions. It throws only where the
/// decision comes from outside the engine (``ExternalPolicy``): a policy computed in process never does.
public protocol AssignmentPolicy {
    /// One decision per candidate, in the same order.
    mutating func decide(_ candidates: [AssignmentCandidate]) throws -> [AssignmentDecision]
}

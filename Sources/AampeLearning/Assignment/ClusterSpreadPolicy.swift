/// Conditioned assignment by even spread: within each cluster, every available choice goes to as equal a
/// number of users as the numbers allow, so every kind of user sees every kind of message (DESIGN §2.7).
///
/// The rule, per batch:
///
/// 1. Candidates are grouped by cluster and by their *set* of available choices (the order they list them
///    in, and duplicates, do not matter). Users of one cluster whose choice sets differ in any way (another
///    window, one variant fewer) fall in different groups, and each group is balanced on its own: a
///    choice's count is balanced among the users who could have received it under the same alternatives.
/// 2. In a group of `n` users and `k` choices, each choice goes to ⌊n / k⌋ users, and the `n mod k`
///    remaining users get one more choice each, every one a different choice picked by a seeded shuffle
///    of the choices. So counts differ by at most 1, and every choice appears once `n ≥ k`.
/// 3. A seeded shuffle of the group's users decides who receives which choice. Draws are not independent
///    per user, which is what makes the counts exact rather than only even on average.
///
/// The propensity of a decision is 1 / k, the probability over the whole draw (which choices get the
/// extra users, then who gets what) that a user of the group receives any one choice: a choice's expected
/// count is ⌊n / k⌋ + (n mod k) / k = n / k. The share of the group that received it (count / n) would be
/// the probability *given* which choices got the extras, which overstates the chance of a choice that
/// happened to get one (a lone user would read 1 instead of 1 / k) and biases inverse-propensity weights.
/// Every decision is `conditioned`, and ``AssignmentDecision/expectedLift`` is `nil`.
///
/// Groups are processed in the order they first appear in the batch, drawing from one SplitMix64 stream
/// seeded by `seed` that carries on to the next batch: the same seed and the same batches give the same
/// decisions.
public struct ClusterSpreadPolicy: AssignmentPolicy {
    private var generator: SplitMix64

    /// A policy whose shuffles come from `seed`.
    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// One decision per candidate, in the candidates' order; see the type's documentation for the rule.
    public mutating func decide(_ candidates: [AssignmentCandidate]) -> [AssignmentDecision] {
        var decisions = candidates.map { AssignmentDecision.skipped(user: $0.user) }
        for (key, members) in choiceGroups(candidates) {
            let choices = key.choices
            let n = members.count
            let k = choices.count
            var extraOrder = Array(0..<k)
            generator.shuffle(&extraOrder)
            var slots: [Int] = []
            slots.reserveCapacity(n)
            for choice in 0..<k { slots += repeatElement(choice, count: n / k) }
            slots += extraOrder.prefix(n % k)
            generator.shuffle(&slots)
            // Over the whole draw each choice is equally likely for a member: 1 / k.
            let marginals = AssignmentDecision.labelMarginals(
                choices,
                probabilities: Array(repeating: 1 / Double(k), count: k)
            )
            for (member, choice) in zip(members, slots) {
                decisions[member].labelPropensities = marginals
                decisions[member].choice = choices[choice]
                decisions[member].propensity = 1 / Double(k)
                decisions[member].mode = .conditioned
            }
        }
        return decisions
    }
}

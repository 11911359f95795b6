import Foundation

/// Assignment by Thompson sampling over per-cluster Beta posteriors of each label's and each window's
/// response rate: it exploits what the outcomes show and keeps exploring where they are thin.
///
/// **The model.** For each cluster, every label and every window has a Beta(α + responses, β + non-responses)
/// posterior of the response rate of the sends that carried it, from a Beta(α, β) prior (Beta(1, 1),
/// uniform, unless given). The cluster as a whole has one too, whose posterior mean r̄ is its baseline. A
/// choice's value in one draw is additive in log-odds, as a logistic model with one term per label and
/// window would be:
///
/// ```
/// value(choice) = Σ over the choice's labels ℓ of (logit(p_ℓ) − logit(r̄))  +  (logit(p_w) − logit(r̄))
/// ```
///
/// where each p is drawn from its posterior (one draw per label or window per round, shared by every choice
/// that carries it) and w is the choice's window. Subtracting the baseline makes each term an effect
/// relative to the cluster, so a variant with more labels is not favoured for carrying more terms. Sums of
/// logits were chosen over products of probabilities for this reason: a product shrinks with every label.
///
/// **The decision.** Candidates are grouped by cluster and choice set, as ``ClusterSpreadPolicy`` does,
/// since every user of a group faces the same posteriors. For each group the policy runs `drawCount`
/// rounds (1,000 by default) of the draw above, from a SplitMix64 stream seeded by `seed`, and counts how
/// often each choice has the largest value. Each user of the group then gets the winner of one round
/// picked uniformly at random. That pick has exactly the distribution of one Thompson draw, and, given the
/// rounds, it picks a choice with probability wins / `drawCount`, which is the reported propensity: exact
/// for the decision made, and an unbiased estimate of the Thompson probability (its standard error at
/// p = 0.5 and 1,000 draws is 1.6 points). A choice that won no round is never picked, so a propensity is
/// never below 1 / `drawCount`.
///
/// **The mode.** A pick is `preferential` when the chosen choice won at least `preferentialShare` of the
/// rounds (95 % by default): the posteriors all but agree that it is the best. Any other pick is
/// `conditioned`, an experiment, including the rare pick of a runner-up while another choice wins 95 %.
/// ``AssignmentDecision/expectedLift`` is `nil`: the posteriors rank choices but hold no baseline of not
/// messaging the user.
///
/// **Cost.** Each group costs `drawCount` × (two Gamma draws per distinct label and window among its
/// choices, plus one sum per choice label). Users share a group's rounds, so a batch's cost grows with
/// its distinct (cluster, choice set) pairs, not its users.
public struct ThompsonSamplingPolicy: AssignmentPolicy {
    /// Monte-Carlo rounds per (cluster, choice set) when none is given.
    public static let defaultDrawCount = 1_000
    /// The share of rounds a choice must win for its pick to be preferential, when none is given.
    public static let defaultPreferentialShare = 0.95

    /// Monte-Carlo rounds per (cluster, choice set).
    public let drawCount: Int
    /// The share of rounds the chosen choice must win for the decision to be `preferential`.
    public let preferentialShare: Double
    /// The prior's α (pseudo-responses) for every label, window and cluster rate.
    public let priorAlpha: Double
    /// The prior's β (pseudo-non-responses) for every label, window and cluster rate.
    public let priorBeta: Double

    private struct Tally {
        var responses = 0
        var misses = 0

        mutating func add(_ didRespond: Bool) {
            if didRespond { responses += 1 } else { misses += 1 }
        }
    }

    private struct LabelKey: Hashable {
        var cluster: Int
        var label: String
    }

    private struct WindowKey: Hashable {
        var cluster: Int
        var window: Int
    }

    private var labels: [LabelKey: Tally] = [:]
    private var windows: [WindowKey: Tally] = [:]
    private var clusters: [Int: Tally] = [:]
    private var generator: SplitMix64

    /// A policy whose posteriors are the prior updated with `outcomes`, drawing from `seed`.
    ///
    /// `drawCount` must be at least 1, `preferentialShare` in (0.5, 1] (so that at most one choice can
    /// reach it), and the prior's α and β positive and finite: these come from code, not from outside.
    public init(
        outcomes: some Sequence<AssignmentOutcome>,
        seed: UInt64,
        drawCount: Int = ThompsonSamplingPolicy.defaultDrawCount,
        preferentialShare: Double = ThompsonSamplingPolicy.defaultPreferentialShare,
        priorAlpha: Double = 1,
        priorBeta: Double = 1
    ) {
        precondition(drawCount >= 1, "Thompson sampling needs at least one draw")
        precondition(preferentialShare > 0.5 && preferentialShare <= 1, "the preferential share must be in (0.5, 1]")
        precondition(priorAlpha > 0 && priorAlpha.isFinite && priorBeta > 0 && priorBeta.isFinite, "bad prior")
        self.drawCount = drawCount
        self.preferentialShare = preferentialShare
        self.priorAlpha = priorAlpha
        self.priorBeta = priorBeta
        generator = SplitMix64(seed: seed)
        for outcome in outcomes {
            clusters[outcome.cluster, default: Tally()].add(outcome.didRespond)
            windows[WindowKey(cluster: outcome.cluster, window: outcome.window), default: Tally()]
                .add(outcome.didRespond)
            for label in outcome.labels {
                labels[LabelKey(cluster: outcome.cluster, label: label), default: Tally()].add(outcome.didRespond)
            }
        }
    }

    /// One decision per candidate, in the candidates' order; see the type's documentation.
    public mutating func decide(_ candidates: [AssignmentCandidate]) -> [AssignmentDecision] {
        var decisions = candidates.map { AssignmentDecision.skipped(user: $0.user) }
        for (key, members) in choiceGroups(candidates) {
            let wins = roundWins(cluster: key.cluster, choices: key.choices)
            // Cumulative wins, to map a uniformly chosen round to its winner.
            var cumulative: [Int] = []
            var total = 0
            for count in wins {
                total += count
                cumulative.append(total)
            }
            assert(total == drawCount)
            let marginals = AssignmentDecision.labelMarginals(
                key.choices,
                probabilities: wins.map { Double($0) / Double(drawCount) }
            )
            for member in members {
                decisions[member].labelPropensities = marginals
                let round = generator.nextIndex(below: drawCount)
                let choice = cumulative.firstIndex { $0 > round }!
                let share = Double(wins[choice]) / Double(drawCount)
                decisions[member].choice = key.choices[choice]
                decisions[member].propensity = share
                decisions[member].mode = share >= preferentialShare ? .preferential : .conditioned
            }
        }
        return decisions
    }

    /// How many of `drawCount` rounds each of `choices` wins for a user of `cluster`.
    private mutating func roundWins(cluster: Int, choices: [AssignmentChoice]) -> [Int] {
        // The distinct labels and windows, and each choice's terms as indices into them.
        var labelIndex: [String: Int] = [:]
        var windowIndex: [Int: Int] = [:]
        var choiceLabels: [[Int]] = []
        var choiceWindow: [Int] = []
        for choice in choices {
            choiceLabels.append(
                choice.labels.map { label in
                    if let index = labelIndex[label] { return index }
                    labelIndex[label] = labelIndex.count
                    return labelIndex.count - 1
                }
            )
            if let index = windowIndex[choice.window] {
                choiceWindow.append(index)
            } else {
                windowIndex[choice.window] = windowIndex.count
                choiceWindow.append(windowIndex.count - 1)
            }
        }
        // Posterior parameters, in a fixed order so the draws do not depend on dictionary order.
        let labelPosteriors = labelIndex.sorted { $0.value < $1.value }.map { label, _ in
            posterior(labels[LabelKey(cluster: cluster, label: label)])
        }
        let windowPosteriors = windowIndex.sorted { $0.value < $1.value }.map { window, _ in
            posterior(windows[WindowKey(cluster: cluster, window: window)])
        }
        let base = posterior(clusters[cluster])
        let baselineLogit = Foundation.log(base.alpha) - Foundation.log(base.beta)

        var wins = [Int](repeating: 0, count: choices.count)
        var labelEffects = [Double](repeating: 0, count: labelPosteriors.count)
        var windowEffects = [Double](repeating: 0, count: windowPosteriors.count)
        for _ in 0..<drawCount {
            for (index, p) in labelPosteriors.enumerated() {
                labelEffects[index] = generator.nextBetaLogit(alpha: p.alpha, beta: p.beta) - baselineLogit
            }
            for (index, p) in windowPosteriors.enumerated() {
                windowEffects[index] = generator.nextBetaLogit(alpha: p.alpha, beta: p.beta) - baselineLogit
            }
            var best = 0
            var bestValue = -Double.infinity
            for choice in choices.indices {
                var value = windowEffects[choiceWindow[choice]]
                for label in choiceLabels[choice] { value += labelEffects[label] }
                if value > bestValue {
                    best = choice
                    bestValue = value
                }
            }
            wins[best] += 1
        }
        return wins
    }

    private func posterior(_ tally: Tally?) -> (alpha: Double, beta: Double) {
        (priorAlpha + Double(tally?.responses ?? 0), priorBeta + Double(tally?.misses ?? 0))
    }
}

import Foundation

/// How the model policy decides; every default is documented where it is declared.
public struct ModelPolicySettings: Sendable, Codable, Hashable {
    /// Posterior draws per user (Thompson rounds). A propensity is a multiple of 1 / `draws`. Default 200.
    public var draws: Int = 200
    /// The posterior probability that the best choice's lift is positive at which a user gets
    /// preferential assignment. Default 0.8.
    public var preferentialConfidence: Double = 0.8
    /// The expected lift (goal probability, net of the opt-out risk) the best choice must beat, or the
    /// user is skipped. Default 0: skip only a send expected to do harm.
    public var minimumLift: Double = 0
    /// What an opt-out costs, in goals: the expected lift is reduced by this × the model's opt-out risk
    /// per message. Default 0.25, a business choice: an opted-out user can no longer be messaged.
    public var optOutCost: Double = 0.25

    public init() {}

    enum CodingKeys: String, CodingKey {
        case draws
        case preferentialConfidence = "preferential_confidence"
        case minimumLift = "minimum_lift"
        case optOutCost = "opt_out_cost"
    }
}

/// Assignment by the model (DESIGN §2.7): Thompson sampling from each user's posterior chooses the copy
/// and the window, preferential for a user whose best choice is confidently above their baseline,
/// conditioned (an experiment) for everyone else, and no send where nothing is expected to help.
///
/// For each user with a ``ScoreSummary``, every choice's lift is σ(baseline + message(signature) + Σ label
/// deviations + window deviation) − σ(baseline), the baseline with the campaign's offset. The policy:
///
/// 1. draws `draws` rounds from the posterior (each signature's message effect, each label's and window's deviation,
///    independent normals with their standard deviations × √``posteriorWidening``) and counts how often
///    each choice has the largest lift, and how often the posterior-mean best choice c* has a positive one;
/// 2. **skips** the user when c*'s expected lift, less `optOutCost` × ``optOutRate``, is below
///    `minimumLift` (propensity 1: the skip was certain given the posterior);
/// 3. sends the winner of one round picked at random, with propensity wins / `draws` (so a confident user
///    still sees a runner-up now and then, and every choice keeps a logged probability): **preferential**
///    when c*'s lift is positive in at least `preferentialConfidence` of the rounds, **conditioned** (an
///    experiment the posterior weights) otherwise.
///
/// Users without a summary (no model for the campaign's goal yet, or a choice of label sets the model has
/// no message effect for) are conditioned by an even spread within each cluster and choice set, exactly
/// as ``ClusterSpreadPolicy`` does, with propensity 1 / choices. The exploration
/// share, conditioned over all messages, falls as the posteriors narrow, and rises again when training
/// widens them (``posteriorWidening`` > 1 when the previous model predicted the newest day badly).
public struct ModelPolicy: AssignmentPolicy {
    public let settings: ModelPolicySettings
    /// The opt-out risk per message of the campaign's goal model.
    public let optOutRate: Double
    /// The factor applied to posterior variances.
    public let posteriorWidening: Double
    /// The campaign's baseline offset (logits), added to every summary's baseline.
    public let baselineOffset: Double
    private let labelIndex: [String: Int]
    /// Sorted set names → the summaries' signature index.
    private let signatureIndex: [[String]: Int]
    private let summaryOf: (AssignmentCandidate) -> ScoreSummary?
    private var generator: SplitMix64
    private var spread: ClusterSpreadPolicy

    /// A policy over the model whose labels are `labels` and whose message effects are per `signatures`
    /// (sorted label-set names; summaries index both in these orders), reading a candidate's summary with
    /// `summary`. A choice whose labels' sets are no signature cannot be scored: its user is conditioned.
    public init(
        labels: [String],
        signatures: [[String]] = [],
        settings: ModelPolicySettings = ModelPolicySettings(),
        optOutRate: Double = 0,
        posteriorWidening: Double = 1,
        baselineOffset: Double = 0,
        seed: UInt64,
        summary: @escaping (AssignmentCandidate) -> ScoreSummary?
    ) {
        precondition(settings.draws >= 1, "at least one draw")
        self.settings = settings
        self.optOutRate = optOutRate
        self.posteriorWidening = max(1, posteriorWidening)
        self.baselineOffset = baselineOffset
        labelIndex = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        signatureIndex = Dictionary(signatures.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        summaryOf = summary
        generator = SplitMix64(seed: seed)
        spread = ClusterSpreadPolicy(seed: seed ^ 0x5DEE_CE66_D1CE_5EED)
    }

    /// One decision per candidate, in the candidates' order; see the type's documentation.
    public mutating func decide(_ candidates: [AssignmentCandidate]) -> [AssignmentDecision] {
        var decisions = candidates.map { AssignmentDecision.skipped(user: $0.user) }
        var conditioned: [Int] = []
        var summaries: [Int: ScoreSummary] = [:]
        for (index, candidate) in candidates.enumerated() where !candidate.choices.isEmpty {
            summaries[index] = summaryOf(candidate)
            guard let summary = summaries[index],
                let evaluation = evaluate(candidate.choices, summary: summary)
            else {
                conditioned.append(index)
                continue
            }
            let best = evaluation.meanLifts.indices.max { evaluation.meanLifts[$0] < evaluation.meanLifts[$1] }!
            let net = evaluation.meanLifts[best] - settings.optOutCost * optOutRate
            if net < settings.minimumLift {
                decisions[index].expectedLift = evaluation.meanLifts[best]
                continue
            }
            // Thompson sampling either way: one round's winner, with propensity wins / draws. A user whose
            // best lift is not yet confidently positive still gets the posterior's pick, as an experiment:
            // an even spread over every choice ignored what the posterior already knew, and on the
            // 2,000-user benchmark left the model no better than random with 80 % of its sends spread.
            let round = generator.nextIndex(below: settings.draws)
            let choice = evaluation.roundWinners[round]
            decisions[index].choice = candidate.choices[choice]
            decisions[index].propensity = Double(evaluation.wins[choice]) / Double(settings.draws)
            decisions[index].mode =
                evaluation.bestPositiveShare >= settings.preferentialConfidence ? .preferential : .conditioned
            decisions[index].expectedLift = evaluation.meanLifts[choice]
            decisions[index].labelPropensities = AssignmentDecision.labelMarginals(
                candidate.choices,
                probabilities: evaluation.wins.map { Double($0) / Double(settings.draws) }
            )
        }
        let spreadDecisions = spread.decide(conditioned.map { candidates[$0] })
        for (index, decision) in zip(conditioned, spreadDecisions) {
            let expected = summaries[index].flatMap { summary in
                decision.choice.flatMap { self.lift(of: $0, summary: summary) }
            }
            decisions[index] = decision
            decisions[index].expectedLift = expected
        }
        return decisions
    }

    /// The posterior-mean lift of `choice` for a user with `summary`; `nil` when its labels' sets are no
    /// signature of the model.
    public func lift(of choice: AssignmentChoice, summary: ScoreSummary) -> Double? {
        guard let signature = signature(of: choice) else { return nil }
        let labels = choice.labels.compactMap { labelIndex[$0] }
        let window = choice.window >= 0 && choice.window < summary.windowDeviation.count ? choice.window : nil
        return summary.lift(signature: signature, labels: labels, window: window, offset: baselineOffset)
    }

    /// The signature of `choice`'s labels.
    func signature(of choice: AssignmentChoice) -> Int? {
        let sets = Set(choice.labels.map { ModelFiles.GoalModel.setName(of: $0) }).sorted()
        return signatureIndex[sets]
    }

    struct Evaluation {
        var meanLifts: [Double]
        var wins: [Int]
        var roundWinners: [Int]
        /// The share of rounds in which the posterior-mean best choice's lift is positive.
        var bestPositiveShare: Double
    }

    /// The Thompson rounds for one user; `nil` when a choice's labels are no signature of the model.
    mutating func evaluate(_ choices: [AssignmentChoice], summary: ScoreSummary) -> Evaluation? {
        // Each choice's signature, labels and window as indices into the user's distinct ones.
        var signatures: [Int] = []
        var labels: [Int] = []
        var windows: [Int] = []
        var choiceSignature: [Int] = []
        var choiceLabels: [[Int]] = []
        var choiceWindow: [Int] = []
        for choice in choices {
            guard let signature = signature(of: choice), signature < summary.messageLogits.count else { return nil }
            if let position = signatures.firstIndex(of: signature) {
                choiceSignature.append(position)
            } else {
                signatures.append(signature)
                choiceSignature.append(signatures.count - 1)
            }
            choiceLabels.append(
                choice.labels.compactMap { labelIndex[$0] }.map { label in
                    if let position = labels.firstIndex(of: label) { return position }
                    labels.append(label)
                    return labels.count - 1
                }
            )
            if choice.window >= 0 && choice.window < summary.windowDeviation.count {
                if let position = windows.firstIndex(of: choice.window) {
                    choiceWindow.append(position)
                } else {
                    windows.append(choice.window)
                    choiceWindow.append(windows.count - 1)
                }
            } else {
                choiceWindow.append(-1)
            }
        }
        let widen = posteriorWidening.squareRoot()
        let baseline = Double(summary.baselineLogit) + baselineOffset
        let baseProbability = logistic(baseline)
        func lifts(message: (Int) -> Double, label: (Int) -> Double, window: (Int) -> Double) -> [Double] {
            choices.indices.map { choice in
                var logit = baseline + message(choiceSignature[choice])
                for position in choiceLabels[choice] { logit += label(position) }
                if choiceWindow[choice] >= 0 { logit += window(choiceWindow[choice]) }
                return logistic(logit) - baseProbability
            }
        }
        let meanLifts = lifts(
            message: { Double(summary.messageLogits[signatures[$0]]) },
            label: { Double(summary.labelDeviation[labels[$0]]) },
            window: { Double(summary.windowDeviation[windows[$0]]) }
        )
        let best = meanLifts.indices.max { meanLifts[$0] < meanLifts[$1] }!
        var wins = [Int](repeating: 0, count: choices.count)
        var roundWinners: [Int] = []
        roundWinners.reserveCapacity(settings.draws)
        var bestPositive = 0
        var messageDraws = [Double](repeating: 0, count: signatures.count)
        var labelDraws = [Double](repeating: 0, count: labels.count)
        var windowDraws = [Double](repeating: 0, count: windows.count)
        for _ in 0..<settings.draws {
            for (position, signature) in signatures.enumerated() {
                messageDraws[position] =
                    Double(summary.messageLogits[signature]) + widen * Double(summary.messageSDs[signature])
                    * generator.nextNormal()
            }
            for (position, label) in labels.enumerated() {
                labelDraws[position] =
                    Double(summary.labelDeviation[label]) + widen * Double(summary.labelSD[label])
                    * generator.nextNormal()
            }
            for (position, window) in windows.enumerated() {
                windowDraws[position] =
                    Double(summary.windowDeviation[window]) + widen * Double(summary.windowSD[window])
                    * generator.nextNormal()
            }
            let drawn = lifts(message: { messageDraws[$0] }, label: { labelDraws[$0] }, window: { windowDraws[$0] })
            let winner = drawn.indices.max { drawn[$0] < drawn[$1] }!
            wins[winner] += 1
            roundWinners.append(winner)
            if drawn[best] > 0 { bestPositive += 1 }
        }
        return Evaluation(
            meanLifts: meanLifts,
            wins: wins,
            roundWinners: roundWinners,
            bestPositiveShare: Double(bestPositive) / Double(settings.draws)
        )
    }
}

extension SplitMix64 {
    /// A standard normal draw (Box–Muller, one of the pair).
    mutating func nextNormal() -> Double {
        let u = max(nextUnit(), 0x1p-53)
        let v = nextUnit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

import AampeLearning
import Foundation
import Testing

@Suite("Assignment by the model")
struct ModelPolicyTests {
    static let labels = ["tone=playful", "tone=plain"]
    static let playful = AssignmentChoice(variant: 0, labels: ["tone=playful"], window: 0)
    static let plain = AssignmentChoice(variant: 1, labels: ["tone=plain"], window: 0)

    /// A summary with a −3 baseline, the message effect `message` and playful's deviation `tone` (plain
    /// gets −tone), with standard deviations `sd`.
    static func summary(message: Float, tone: Float, sd: Float) -> ScoreSummary {
        ScoreSummary(
            baselineLogit: -3,
            baselineSD: 0.1,
            messageLogits: [message],
            messageSDs: [sd],
            labelDeviation: [tone, -tone],
            labelSD: [sd, sd],
            windowDeviation: [0, 0],
            windowSD: [0, 0]
        )
    }

    static func candidates(_ count: Int, choices: [AssignmentChoice] = [playful, plain]) -> [AssignmentCandidate] {
        (0..<count).map { AssignmentCandidate(user: $0, cluster: $0 % 2, choices: choices) }
    }

    @Test("Thompson sampling's choice frequencies match the posterior's probabilities, and are the propensities logged")
    func thompsonFrequencies() {
        // Playful's lift beats plain's exactly when its deviation is above plain's: with deviations
        // N(0.1, 0.3²) and N(−0.1, 0.3²) independent, P(playful wins) = Φ(0.2 / √(2 · 0.09)) = 0.6813.
        // The message effect (1 ± 0.01) makes the lift all but surely positive: every user is preferential.
        let summary = Self.summary(message: 1, tone: 0.1, sd: 0.3)
        var settings = ModelPolicySettings()
        settings.draws = 400
        var policy = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 3) { _ in
            summary
        }
        let decisions = policy.decide(Self.candidates(4_000))
        let playful = decisions.filter { $0.choice == Self.playful }
        let expected = 0.5 * (1 + erf(0.2 / (2 * 0.09).squareRoot() / 2.0.squareRoot()))
        // 4,000 users: the share's standard error is 0.0074.
        #expect(abs(Double(playful.count) / 4_000 - expected) < 0.03, "\(playful.count)")
        #expect(decisions.allSatisfy { $0.mode == .preferential })
        // Each logged propensity is that round's win share, an estimate of the same probability.
        let meanPropensity = playful.map(\.propensity).reduce(0, +) / Double(playful.count)
        #expect(abs(meanPropensity - expected) < 0.02)
        // The propensities are the true probabilities of the choices made: weighting each decision by
        // 1 / propensity recovers the number of users (the IPW identity), up to sampling noise.
        let weighted = decisions.map { 1 / $0.propensity }.reduce(0, +)
        #expect(abs(weighted / 2 - 4_000) < 4_000 * 0.05, "\(weighted)")
    }

    @Test("preferential, conditioned and skip decisions hold at their thresholds")
    func thresholds() {
        var settings = ModelPolicySettings()
        settings.draws = 2_000
        settings.optOutCost = 0
        // The best choice (playful) has a positive lift when message + its deviation is positive:
        // N(0.8, 0.5² + 0.5²), so in Φ(0.8 / √0.5) = 0.871 of the rounds (standard error 0.0075 at 2,000).
        let uncertain = Self.summary(message: 0.5, tone: 0.3, sd: 0.5)
        settings.preferentialConfidence = 0.84
        var below = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 5) { _ in
            uncertain
        }
        #expect(below.decide(Self.candidates(200)).allSatisfy { $0.mode == .preferential })
        settings.preferentialConfidence = 0.90
        var above = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 5) { _ in
            uncertain
        }
        let conditioned = above.decide(Self.candidates(200))
        #expect(conditioned.allSatisfy { $0.mode == .conditioned })
        // Conditioned users still get the posterior's pick: playful (deviation +0.3 against −0.3) wins a
        // round when N(0.6, 2 · 0.5²) > 0, with probability Φ(0.6 / √0.5) = 0.80, and that is the
        // propensity logged.
        let playful = conditioned.filter { $0.choice == Self.playful }
        #expect(abs(Double(playful.count) / 200 - 0.80) < 0.1, "\(playful.count)")
        #expect(playful.allSatisfy { abs($0.propensity - 0.80) < 0.05 })
        // Skip: the best lift, σ(−3 + m + 0.3) − σ(−3), against the minimum.
        let lift = 1 / (1 + exp(-(-3 + 0.5 + 0.3))) - 1 / (1 + exp(3.0))
        settings.preferentialConfidence = 0.8
        settings.minimumLift = lift + 1e-4
        var skipping = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 5) { _ in
            uncertain
        }
        let skipped = skipping.decide(Self.candidates(10))
        #expect(skipped.allSatisfy { $0.mode == .skipped && $0.choice == nil && $0.propensity == 1 })
        #expect(abs((skipped[0].expectedLift ?? 0) - lift) < 1e-6)
        settings.minimumLift = lift - 1e-4
        var sending = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 5) { _ in
            uncertain
        }
        #expect(sending.decide(Self.candidates(10)).allSatisfy { $0.mode != .skipped })
        // The opt-out risk counts against the lift: a cost that outweighs it skips.
        settings.minimumLift = 0
        settings.optOutCost = 1
        var risky = ModelPolicy(
            labels: Self.labels,
            signatures: [["tone"]],
            settings: settings,
            optOutRate: lift * 1.01,
            seed: 5
        ) { _ in
            uncertain
        }
        #expect(risky.decide(Self.candidates(10)).allSatisfy { $0.mode == .skipped })
    }

    @Test("without a model every user is conditioned, and a wider posterior explores more")
    func explorationFollowsUncertainty() {
        var policy = ModelPolicy(labels: [], seed: 1) { _ in nil }
        #expect(policy.decide(Self.candidates(10)).allSatisfy { $0.mode == .conditioned })
        // At the model's own posterior the best lift is positive in Φ(0.8 / √0.18) = 0.97 of the rounds;
        // with the variances widened 9×, in Φ(0.8 / √1.62) = 0.735, below the default 0.8.
        let summary = Self.summary(message: 0.5, tone: 0.3, sd: 0.3)
        var settings = ModelPolicySettings()
        settings.draws = 2_000
        var narrow = ModelPolicy(labels: Self.labels, signatures: [["tone"]], settings: settings, seed: 9) { _ in
            summary
        }
        #expect(narrow.decide(Self.candidates(100)).allSatisfy { $0.mode == .preferential })
        var wide = ModelPolicy(
            labels: Self.labels,
            signatures: [["tone"]],
            settings: settings,
            posteriorWidening: 9,
            seed: 9
        ) { _ in
            summary
        }
        #expect(wide.decide(Self.candidates(100)).allSatisfy { $0.mode == .conditioned })
    }

    @Test("a choice whose label sets the model has no message effect for leaves its user to the even spread")
    func unknownSignature() {
        let summary = Self.summary(message: 2, tone: 0.3, sd: 0.1)
        var policy = ModelPolicy(labels: Self.labels, signatures: [["tone"]], seed: 4) { _ in summary }
        let greeting = AssignmentChoice(variant: 2, labels: ["tone=plain", "greeting=name"], window: 0)
        let decisions = policy.decide(Self.candidates(10, choices: [Self.playful, greeting]))
        #expect(decisions.allSatisfy { $0.mode == .conditioned })
        #expect(decisions.allSatisfy { $0.propensity == 0.5 })
    }

    @Test("the campaign's baseline offset moves the baseline the lift is measured from")
    func campaignOffset() {
        // Message +2 on a −3 baseline: lift σ(−1 + 0.3) − σ(−3); with an offset of +2, σ(1.3) − σ(−1).
        let summary = Self.summary(message: 2, tone: 0.3, sd: 0.01)
        let plain = ModelPolicy(labels: Self.labels, signatures: [["tone"]], seed: 4) { _ in summary }
        let shifted = ModelPolicy(labels: Self.labels, signatures: [["tone"]], baselineOffset: 2, seed: 4) { _ in
            summary
        }
        let logistic = { (x: Double) in 1 / (1 + exp(-x)) }
        #expect(abs((plain.lift(of: Self.playful, summary: summary) ?? 0) - (logistic(-0.7) - logistic(-3))) < 1e-6)
        #expect(abs((shifted.lift(of: Self.playful, summary: summary) ?? 0) - (logistic(1.3) - logistic(-1))) < 1e-6)
    }
}

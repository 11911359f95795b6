import AampeLearning
import Testing

@Suite("Assignment by Thompson sampling")
struct ThompsonSamplingPolicyTests {
    static let playful = AssignmentChoice(variant: 0, labels: ["tone=playful", "greeting=name"], window: 2)
    static let plain = AssignmentChoice(variant: 1, labels: ["tone=plain", "greeting=name"], window: 2)

    /// `responses` of `sends` outcomes in `cluster` for a choice.
    static func outcomes(_ choice: AssignmentChoice, cluster: Int, responses: Int, sends: Int) -> [AssignmentOutcome] {
        (0..<sends).map {
            AssignmentOutcome(
                cluster: cluster,
                labels: choice.labels,
                window: choice.window,
                didRespond: $0 < responses
            )
        }
    }

    static func candidates(_ count: Int, cluster: Int, choices: [AssignmentChoice]) -> [AssignmentCandidate] {
        (0..<count).map { AssignmentCandidate(user: $0, cluster: cluster, choices: choices) }
    }

    @Test("strong evidence for a label: it is picked almost always, preferentially, with a high propensity")
    func strongEvidence() throws {
        // Cluster 0: playful 30 % of 1,000 sends against plain's 10 %; cluster 1 the other way round. The
        // posteriors barely overlap, so playful should win essentially every round in cluster 0.
        let history =
            Self.outcomes(Self.playful, cluster: 0, responses: 300, sends: 1_000)
            + Self.outcomes(Self.plain, cluster: 0, responses: 100, sends: 1_000)
            + Self.outcomes(Self.playful, cluster: 1, responses: 100, sends: 1_000)
            + Self.outcomes(Self.plain, cluster: 1, responses: 300, sends: 1_000)
        var policy = ThompsonSamplingPolicy(outcomes: history, seed: 3)
        let choices = [Self.plain, Self.playful]
        let decisions = policy.decide(
            Self.candidates(500, cluster: 0, choices: choices) + Self.candidates(500, cluster: 1, choices: choices)
        )
        let first = decisions.prefix(500)
        let second = decisions.suffix(500)
        #expect(first.count { $0.choice == Self.playful } >= 495)
        #expect(second.count { $0.choice == Self.plain } >= 495)
        for decision in decisions where decision.choice == (decision.user < 500 ? Self.playful : Self.plain) {
            #expect(decision.propensity >= 0.99 && decision.mode == .preferential)
        }
    }

    @Test("with no outcomes the picks spread about evenly, as conditioned experiments")
    func noData() {
        let choices = (0..<4).map { AssignmentChoice(variant: $0, labels: ["offer=o\($0)"], window: $0 % 2) }
        var policy = ThompsonSamplingPolicy(outcomes: [], seed: 9)
        let decisions = policy.decide(Self.candidates(4_000, cluster: 5, choices: choices))
        for choice in choices {
            // Expected 1,000 each; 4 binomial standard deviations are 110, plus the Monte-Carlo error.
            let count = decisions.count { $0.choice == choice }
            #expect(abs(count - 1_000) < 150, "\(choice.variant): \(count)")
        }
        #expect(decisions.allSatisfy { $0.mode == .conditioned && abs($0.propensity - 0.25) < 0.06 })
    }

    @Test("propensities match the exact Thompson probability and the frequency of repeated decisions")
    func propensityIsHonest() {
        // Playful 12 of 40, plain 8 of 40, same greeting and window: a round picks playful exactly when its
        // Beta(13, 29) draw beats plain's Beta(9, 33), which has probability 0.844194665 (Evan Miller's
        // closed form for Beta variables with an integer parameter, checked by simulation).
        let exact = 0.844_194_665
        let history =
            Self.outcomes(Self.playful, cluster: 0, responses: 12, sends: 40)
            + Self.outcomes(Self.plain, cluster: 0, responses: 8, sends: 40)
        var policy = ThompsonSamplingPolicy(outcomes: history, seed: 11, drawCount: 500)
        let one = Self.candidates(1, cluster: 0, choices: [Self.playful, Self.plain])
        let repeats = 1_000
        var picks = 0
        var estimates = 0.0
        for _ in 0..<repeats {
            let decision = policy.decide(one)[0]
            let isPlayful = decision.choice == Self.playful
            if isPlayful { picks += 1 }
            estimates += isPlayful ? decision.propensity : 1 - decision.propensity
            #expect(decision.mode == .conditioned)
        }
        // The average of 1,000 estimates of 500 rounds each has a standard error of 0.0005; the frequency
        // of 1,000 picks has one of 0.011.
        #expect(abs(estimates / Double(repeats) - exact) < 0.004)
        #expect(abs(Double(picks) / Double(repeats) - exact) < 0.045)
    }

    @Test("window evidence moves the pick to the better window")
    func windows() {
        let morning = AssignmentChoice(variant: 0, labels: ["tone=plain"], window: 0)
        let evening = AssignmentChoice(variant: 0, labels: ["tone=plain"], window: 4)
        let history =
            Self.outcomes(morning, cluster: 2, responses: 20, sends: 1_000)
            + Self.outcomes(evening, cluster: 2, responses: 200, sends: 1_000)
        var policy = ThompsonSamplingPolicy(outcomes: history, seed: 5)
        let decisions = policy.decide(Self.candidates(200, cluster: 2, choices: [morning, evening]))
        #expect(decisions.allSatisfy { $0.choice == evening && $0.mode == .preferential })
    }

    @Test("empty choice sets are skipped with no choice; the rest are decided in order")
    func skipped() {
        var policy = ThompsonSamplingPolicy(outcomes: [], seed: 1)
        let candidates = [
            AssignmentCandidate(user: 10, cluster: 0, choices: []),
            AssignmentCandidate(user: 11, cluster: 0, choices: [Self.plain]),
            AssignmentCandidate(user: 12, cluster: 3, choices: []),
        ]
        let decisions = policy.decide(candidates)
        #expect(decisions.map(\.user) == [10, 11, 12])
        #expect(decisions[0] == AssignmentDecision(user: 10, choice: nil, propensity: 1, mode: .skipped))
        #expect(decisions[2].mode == .skipped && decisions[2].choice == nil)
        // A single choice wins every round: certain, and so preferential.
        #expect(decisions[1].choice == Self.plain && decisions[1].propensity == 1 && decisions[1].mode == .preferential)
    }

    @Test("the same seed and outcomes give the same decisions")
    func deterministic() {
        let history = Self.outcomes(Self.playful, cluster: 0, responses: 3, sends: 10)
        let candidates = Self.candidates(300, cluster: 0, choices: [Self.playful, Self.plain])
        var a = ThompsonSamplingPolicy(outcomes: history, seed: 8)
        var b = ThompsonSamplingPolicy(outcomes: history, seed: 8)
        var c = ThompsonSamplingPolicy(outcomes: history, seed: 9)
        let first = a.decide(candidates)
        #expect(first == b.decide(candidates))
        #expect(first != c.decide(candidates))
    }
}

import AampeCore
import AampeLearning
import AampeTestSupport
import Foundation
import Testing

/// Synthetic randomized logs whose truth is known: users of two types, three actions (no message, a, b)
/// drawn uniformly at random, and a reward drawn from P(reward | type, action).
struct RandomizedWorld {
    /// P(reward | type, action) for type 0 and type 1; actions are none, a, b.
    var rewardProbability: [[Double]]

    /// Two user types preferring different actions: a for type 0, b for type 1. The best single action is
    /// worth 0.175, a policy that sends each type its favourite 0.30.
    static let disagreeing = RandomizedWorld(rewardProbability: [[0.05, 0.30, 0.05], [0.05, 0.05, 0.30]])
    /// Everyone prefers a: personalization has nothing to add to "send everyone a".
    static let agreeing = RandomizedWorld(rewardProbability: [[0.05, 0.30, 0.10], [0.05, 0.30, 0.10]])

    static let actionNames = ["none", "a", "b"]

    /// `rows` users, half of each type on average, with a feature x_0 = type + N(0, 0.3²) and a second
    /// feature x_1 of pure noise; the action uniform over the three, propensity 1/3.
    func log(rows: Int, seed: UInt64) -> (data: PolicyData, types: [Int]) {
        var random = SplitMix64(state: seed)
        var features: [Double] = []
        var actions: [Int] = []
        var rewards: [Double] = []
        var types: [Int] = []
        for _ in 0..<rows {
            let type = Int.random(in: 0...1, using: &random)
            let action = Int.random(in: 0...2, using: &random)
            features.append(Double(type) + 0.3 * Self.normal(&random))
            features.append(Self.normal(&random))
            actions.append(action)
            rewards.append(Double.random(in: 0..<1, using: &random) < rewardProbability[type][action] ? 1 : 0)
            types.append(type)
        }
        let data = PolicyData(
            actionNames: Self.actionNames,
            noMessageAction: 0,
            featureNames: ["x_0", "x_1"],
            features: features,
            actions: actions,
            rewards: rewards,
            propensities: [Double](repeating: 1.0 / 3, count: rows)
        )
        return (data, types)
    }

    /// A standard normal draw (Box-Muller).
    static func normal(_ random: inout SplitMix64) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random)
        let v = Double.random(in: 0..<1, using: &random)
        return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

@Suite("eval policy: learning a policy from a randomized log and valuing it off-policy")
struct PolicyLearningEvaluationTests {
    @Test("where two user types prefer different actions, the learned policy beats the best single action")
    func personalizationHelps() throws {
        let (data, _) = RandomizedWorld.disagreeing.log(rows: 4_000, seed: 1)
        let report = try PolicyLearningEvaluation.run(data, settings: try .init(trainShare: 0.5, seed: 3, repeats: 3))
        let learned = try #require(report.policies.first { $0.policy == .learned }?.summary(.dr))
        let single = try #require(report.policies.first { $0.policy == .bestSingleAction }?.summary(.dr))
        print("disagreeing world: learned DR \(learned), best single action DR \(single)")
        #expect(report.personalizationWins)
        #expect(learned.lower > single.value)
        // The truth: 0.30 for the learned policy, 0.175 for either single action.
        #expect(abs(learned.value - 0.30) < 0.03)
        #expect(abs(single.value - 0.175) < 0.03)
        #expect(report.recommendation.hasPrefix("Personalize"))
        #expect(report.policies.map(\.policy) == [.learned, .bestSingleAction, .uniformRandom, .noMessage])
    }

    @Test("where every user prefers the same action, the report says so and recommends that action")
    func personalizationDoesNotHelp() throws {
        let (data, _) = RandomizedWorld.agreeing.log(rows: 4_000, seed: 2)
        let report = try PolicyLearningEvaluation.run(data, settings: try .init(trainShare: 0.5, seed: 3, repeats: 3))
        #expect(!report.personalizationWins)
        #expect(report.bestSingleAction == "a")
        #expect(report.recommendation.contains("does not beat the best single action"))
        #expect(report.recommendation.hasSuffix("a."))
        let noMessage = try #require(report.policies.first { $0.policy == .noMessage }?.summary(.ipw))
        #expect(abs(noMessage.value - 0.05) < 0.03)
    }

    @Test(
        "IPW's 95 % interval for a fixed policy on a uniform-random log covers the true value 85 to 100 % of the time"
    )
    func ipwCoverage() throws {
        // The policy sends type 0 users a and type 1 users b: true value 0.5 · 0.30 + 0.5 · 0.30 = 0.30.
        let world = RandomizedWorld.disagreeing
        var covered = 0
        let seeds = 40
        for seed in 1...seeds {
            let (data, types) = world.log(rows: 600, seed: UInt64(1_000 + seed))
            let log = try OffPolicyLog(
                actionCount: 3,
                actions: data.actions,
                rewards: data.rewards,
                propensities: data.propensities
            )
            let policy = try ActionMatrix(deterministic: types.map { $0 == 0 ? 1 : 2 }, actionCount: 3)
            let estimate = try OffPolicyEvaluation(log: log, targetPolicy: policy).estimate(.ipw)
            let interval = try #require(estimate.interval)
            if interval.lower <= 0.30 && 0.30 <= interval.upper { covered += 1 }
        }
        let share = Double(covered) / Double(seeds)
        print("IPW 95 % interval coverage over \(seeds) seeds: \(covered)/\(seeds) = \(share)")
        #expect(share >= 0.85 && share <= 1.0)
    }

    @Test("the settings reject a split outside (0, 1) and repeats outside 1 to the limit")
    func settings() throws {
        #expect(throws: LearningError.self) { try PolicyLearningEvaluation.Settings(trainShare: 0) }
        #expect(throws: LearningError.self) { try PolicyLearningEvaluation.Settings(trainShare: 1) }
        #expect(throws: LearningError.self) { try PolicyLearningEvaluation.Settings(repeats: 0) }
        _ = try PolicyLearningEvaluation.Settings(repeats: Limits.maximumPolicyRepeats)
        #expect(throws: LearningError.self) {
            try PolicyLearningEvaluation.Settings(repeats: Limits.maximumPolicyRepeats + 1)
        }
    }
}

@Suite("Ridge logistic regression")
struct LogisticRegressionTests {
    @Test("one binary feature: the fit is the penalized maximum, checked against its stationarity condition")
    func stationarity() throws {
        // 100 rows: x = 0 has 20 successes in 50, x = 1 has 40 in 50.
        var design: [Double] = []
        var targets: [Double] = []
        for row in 0..<100 {
            let x = row < 50 ? 0.0 : 1.0
            design += [1, x]
            targets.append(row < 50 ? (row < 20 ? 1 : 0) : (row < 90 ? 1 : 0))
        }
        let penalties = [1e-6, 2.0]
        let fit = try LogisticRegression.fit(design: design, targets: targets, penalties: penalties)
        // At the optimum, Xᵀ(y − μ) = Λβ for every column.
        var gradient = [0.0, 0.0]
        for row in 0..<100 {
            let x = design[(2 * row)..<(2 * row + 2)]
            let mu = fit.probability(x)
            gradient[0] += targets[row] - mu
            gradient[1] += (targets[row] - mu) * x[x.startIndex + 1]
        }
        #expect(abs(gradient[0] - penalties[0] * fit.weights[0]) < 1e-8)
        #expect(abs(gradient[1] - penalties[1] * fit.weights[1]) < 1e-8)
        // The ridge pulls the slope toward 0, never past it.
        let unpenalizedSlope = log(0.8 / 0.2) - log(0.4 / 0.6)
        #expect(fit.weights[1] > 0 && fit.weights[1] < unpenalizedSlope)
        // With a negligible penalty the fit is the maximum likelihood one: the group rates 0.4 and 0.8.
        let free = try LogisticRegression.fit(design: design, targets: targets, penalties: [1e-9, 1e-9])
        #expect(abs(free.probability([1, 0]) - 0.4) < 1e-6)
        #expect(abs(free.probability([1, 1]) - 0.8) < 1e-6)
    }

    @Test("perfectly separated data give finite weights")
    func separated() throws {
        let design: [Double] = [1, -1, 1, -2, 1, 1, 1, 2]
        let fit = try LogisticRegression.fit(design: design, targets: [0, 0, 1, 1], penalties: [1e-6, 1])
        #expect(fit.weights.allSatisfy { $0.isFinite })
        #expect(fit.probability([1, 2]) > 0.5 && fit.probability([1, -2]) < 0.5)
    }

    @Test("the action reward model learns each type's favourite action")
    func actionModel() throws {
        let (data, _) = RandomizedWorld.disagreeing.log(rows: 3_000, seed: 9)
        let model = try ActionRewardModel.fit(
            features: data.features,
            featureCount: 2,
            actions: data.actions,
            rewards: data.rewards,
            actionCount: 3
        )
        let typeZero = model.predictions([0, 0])
        let typeOne = model.predictions([1, 0])
        #expect(typeZero.indices.max { typeZero[$0] < typeZero[$1] } == 1)
        #expect(typeOne.indices.max { typeOne[$0] < typeOne[$1] } == 2)
        #expect(abs(typeZero[1] - 0.30) < 0.06)
        #expect(abs(typeOne[0] - 0.05) < 0.04)
    }
}

import AampeLearning
import Foundation
import Testing

/// SplitMix64, for the tests' own draws.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    mutating func index(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// A small world whose truth is known: population, cluster and individual effects on the goal's logit.
struct ModelWorld {
    static let labels = ["tone=playful", "tone=plain", "value=discount", "value=quality"]
    static let windows = 5

    var baseline = -2.0
    var landscapeSlope = 0.5
    var messageEffect = 0.8
    /// Per cluster: playful's effect (plain gets its negative).
    var clusterTone = [0.6, -0.6]
    /// Population: discount's effect (quality gets its negative).
    var discount = 0.3
    /// Window 0's effect; the others 0.
    var firstWindow = 0.5
    /// Users with an individual preference for quality over discount, and its size (added to quality).
    var qualityLovers: Set<Int> = [0]
    var qualityLove = 1.5

    /// The true logit of a message with `labels` in `window` to `user` of `cluster` at `x`, or of no
    /// message.
    func logit(user: Int, cluster: Int, x: Double, labels: [Int]?, window: Int?) -> Double {
        var logit = baseline + landscapeSlope * x
        guard let labels else { return logit }
        logit += messageEffect
        for label in labels {
            switch label {
            case 0: logit += clusterTone[cluster]
            case 1: logit -= clusterTone[cluster]
            case 2: logit += discount
            default: logit += -discount + (qualityLovers.contains(user) ? qualityLove : 0)
            }
        }
        if window == 0 { logit += firstWindow }
        return logit
    }

    /// A training set of `users` users, `rowsPerUser` rows each except user 0 (`heavyRows`), 5 % control
    /// rows, choices uniformly at random.
    func trainingSet(users: Int, rowsPerUser: Int, heavyRows: Int = 2_000, seed: UInt64) -> ModelTrainingSet {
        var set = ModelTrainingSet(
            labels: Self.labels,
            windowCount: Self.windows,
            groupCount: 3,
            dimension: 1,
            userCount: users + 1
        )
        var random = TestRandom(seed: seed)
        for user in 0..<users {
            set.userGroups[user] = Int32(user % 2)
            set.userVectors[user] = Float(random.unit() * 2 - 1)
        }
        // The last user has no rows and no cluster: everything about them is inherited.
        for user in 0..<users {
            let cluster = user % 2
            let x = Double(set.userVectors[user])
            for _ in 0..<(user == 0 ? heavyRows : rowsPerUser) {
                let isControl = random.unit() < 0.05
                let labels = [random.index(below: 2), 2 + random.index(below: 2)]
                let window = random.index(below: Self.windows)
                let logit = logit(
                    user: user,
                    cluster: cluster,
                    x: x,
                    labels: isControl ? nil : labels,
                    window: isControl ? nil : window
                )
                let outcome = random.unit() < 1 / (1 + exp(-logit))
                set.append(
                    user: user,
                    isMessage: !isControl,
                    window: isControl ? nil : window,
                    labels: isControl ? [] : labels,
                    outcome: outcome,
                    weight: 1
                )
            }
        }
        return set
    }
}

@Suite("The hierarchical model")
struct HierarchicalModelTests {
    static let world = ModelWorld()
    static let set = world.trainingSet(users: 1_000, rowsPerUser: 16, heavyRows: 1_500, seed: 7)
    static let fitted = HierarchicalLogisticModel.fit(set, settings: ModelSettings())
    static let scorer = ModelScorer(fitted: fitted, set: set)

    @Test("it recovers the population, cluster and individual effects of a known world")
    func recoversEffects() {
        let world = Self.world
        // Cluster 0 prefers playful by 2 × 0.6 logits over plain, cluster 1 the reverse: a deviation of ±0.6.
        let cluster0 = Self.scorer.summary(ofUser: 2)
        let cluster1 = Self.scorer.summary(ofUser: 3)
        #expect(abs(Double(cluster0.labelDeviation[0]) - world.clusterTone[0]) < 0.2)
        #expect(abs(Double(cluster1.labelDeviation[0]) - world.clusterTone[1]) < 0.2)
        #expect(abs(Double(cluster0.labelDeviation[1]) + Double(cluster0.labelDeviation[0])) < 1e-4)
        // The population's discount preference, in both clusters.
        #expect(abs(Double(cluster0.labelDeviation[2]) - world.discount) < 0.15)
        #expect(abs(Double(cluster1.labelDeviation[2]) - world.discount) < 0.15)
        // Window 0 is 0.5 above the others, so 0.4 above the mean of five.
        #expect(abs(Double(cluster0.windowDeviation[0]) - 0.4) < 0.15)
        // The mean message effect: 0.8 (the label deviations average 0 in this world).
        // The mean message effect: 0.8, plus window 0's 0.5 spread over five windows (the label effects
        // average 0 in this world).
        #expect(
            abs(Double(cluster0.messageLogits[0]) - (world.messageEffect + 0.1)) < 0.25,
            "\(cluster0.messageLogits[0])"
        )
        // The baseline at x: −2 + 0.5 x.
        let x = Double(Self.set.userVectors[2])
        #expect(abs(Double(cluster0.baselineLogit) - (world.baseline + world.landscapeSlope * x)) < 0.3)
    }

    @Test("shrinkage at the extremes: a user with plenty of data earns their own preference, one with none inherits")
    func shrinkageExtremes() {
        // User 0 (cluster 0, 2,000 rows) loves quality: +1.5 on quality, so discount's deviation turns
        // from +0.3 to 0.3 − 0.75 = −0.45.
        let heavy = Self.scorer.summary(ofUser: 0)
        #expect(Double(heavy.labelDeviation[2]) < -0.2)
        #expect(heavy.labelSD[2] < 0.15)
        // A light user of the same cluster keeps close to the cluster's +0.3.
        let light = Self.scorer.summary(ofUser: 2)
        #expect(Double(light.labelDeviation[2]) > 0.1)
        // The user with no rows and no cluster gets the population's effects, with the widest uncertainty.
        let none = Self.scorer.summary(ofUser: 1_000)
        #expect(abs(Double(none.labelDeviation[2]) - Self.world.discount) < 0.2)
        #expect(none.labelSD[0] > light.labelSD[0])
        // Only one user in 2,000 has an individual preference: the learned individual spread stays small.
        #expect(Self.fitted.effectSD[.individualLabel]! < 0.3)
        #expect(Self.fitted.effectSD[.clusterLabel]! > 0.2)
    }

    @Test("the score arithmetic: target and score from the logits, the lift of a whole choice")
    func scoreArithmetic() {
        let summary = Self.scorer.summary(ofUser: 4)
        let base = 1 / (1 + exp(-Double(summary.baselineLogit)))
        #expect(abs(summary.baselineProbability - base) < 1e-12)
        let target =
            1 / (1 + exp(-Double(summary.baselineLogit + summary.messageLogits[0] + summary.labelDeviation[0])))
        #expect(abs(summary.labelTarget(0, signature: 0) - target) < 1e-9)
        let logit =
            Double(summary.baselineLogit + summary.messageLogits[0] + summary.labelDeviation[1])
            + Double(summary.labelDeviation[3] + summary.windowDeviation[4])
        #expect(abs(summary.lift(signature: 0, labels: [1, 3], window: 4) - (1 / (1 + exp(-logit)) - base)) < 1e-6)
        let packed = ScoreSummary(packed: summary.packed, labels: 4, windows: 5, signatures: 1)
        #expect(Self.set.signatures == [[0, 1]], "every message carries a tone and a value")
        #expect(packed == summary)
    }

    @Test("a world where no one's copy matters: no cluster or individual label effects are learned")
    func agreeingWorld() {
        var world = ModelWorld()
        world.clusterTone = [0.3, 0.3]
        world.qualityLovers = []
        let set = world.trainingSet(users: 800, rowsPerUser: 16, heavyRows: 16, seed: 11)
        let fitted = HierarchicalLogisticModel.fit(set, settings: ModelSettings())
        #expect(fitted.effectSD[.clusterLabel]! < 0.15)
        #expect(fitted.effectSD[.individualLabel]! < 0.15)
        let scorer = ModelScorer(fitted: fitted, set: set)
        let a = scorer.summary(ofUser: 2)
        let b = scorer.summary(ofUser: 3)
        #expect(abs(a.labelDeviation[0] - b.labelDeviation[0]) < 0.1)
        #expect(a.labelDeviation[0] > 0.15)
    }
}

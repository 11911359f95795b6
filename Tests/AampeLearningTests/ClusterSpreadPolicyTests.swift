import AampeLearning
import Testing

@Suite("Conditioned assignment by even spread within clusters")
struct ClusterSpreadPolicyTests {
    static func choices(_ variants: Int, windows: [Int]) -> [AssignmentChoice] {
        windows.flatMap { window in
            (0..<variants).map { AssignmentChoice(variant: $0, labels: ["tone=t\($0)"], window: window) }
        }
    }

    /// Three clusters; within each, users with one of two choice sets (the second lacks window 3), listed in
    /// varying order, and a few users with no choice at all.
    static let candidates: [AssignmentCandidate] = {
        let full = choices(3, windows: [1, 3])
        let partial = choices(3, windows: [1])
        var result: [AssignmentCandidate] = []
        for user in 0..<1_003 {
            let cluster = user % 3
            let set = user % 7 < 2 ? partial : (user % 2 == 0 ? full : full.reversed())
            result.append(AssignmentCandidate(user: user, cluster: cluster, choices: user % 50 == 0 ? [] : set))
        }
        return result
    }()

    struct GroupKey: Hashable {
        var cluster: Int
        var choices: Set<AssignmentChoice>
    }

    @Test("counts per cluster and choice set differ by at most 1, every choice appears, propensity 1/k")
    func balanced() {
        var policy = ClusterSpreadPolicy(seed: 7)
        let decisions = policy.decide(Self.candidates)
        #expect(decisions.map(\.user) == Self.candidates.map(\.user))
        var counts: [GroupKey: [AssignmentChoice: Int]] = [:]
        var propensities: [GroupKey: [AssignmentChoice: Double]] = [:]
        var sizes: [GroupKey: Int] = [:]
        for (candidate, decision) in zip(Self.candidates, decisions) {
            if candidate.choices.isEmpty {
                #expect(decision.mode == .skipped && decision.choice == nil && decision.propensity == 1)
                continue
            }
            let choice = try! #require(decision.choice)
            #expect(decision.mode == .conditioned && decision.expectedLift == nil)
            #expect(candidate.choices.contains(choice))
            let key = GroupKey(cluster: candidate.cluster, choices: Set(candidate.choices))
            counts[key, default: [:]][choice, default: 0] += 1
            sizes[key, default: 0] += 1
            let earlier = propensities[key, default: [:]][choice]
            #expect(earlier == nil || earlier == decision.propensity, "one propensity per choice and group")
            propensities[key, default: [:]][choice] = decision.propensity
        }
        #expect(counts.count == 6, "three clusters times two choice sets")
        for (key, byChoice) in counts {
            #expect(Set(byChoice.keys) == key.choices, "every choice appears")
            let values = byChoice.values
            #expect(values.max()! - values.min()! <= 1, "\(key.cluster): \(values.sorted())")
            for choice in byChoice.keys {
                #expect(propensities[key]![choice] == 1 / Double(key.choices.count))
            }
        }
    }

    @Test("the same seed gives the same decisions; another seed gives others")
    func deterministic() {
        var a = ClusterSpreadPolicy(seed: 42)
        var b = ClusterSpreadPolicy(seed: 42)
        var c = ClusterSpreadPolicy(seed: 43)
        let first = a.decide(Self.candidates)
        #expect(first == b.decide(Self.candidates))
        #expect(first != c.decide(Self.candidates))
        // The stream carries on: a second batch is balanced again but assigned afresh.
        #expect(a.decide(Self.candidates) != first)
    }

    @Test("fewer users than choices: each gets a different choice, each with propensity 1/k")
    func fewerUsersThanChoices() {
        let set = Self.choices(5, windows: [0, 1])
        let candidates = (0..<4).map { AssignmentCandidate(user: $0, cluster: 0, choices: set) }
        var policy = ClusterSpreadPolicy(seed: 1)
        let decisions = policy.decide(candidates)
        #expect(Set(decisions.compactMap(\.choice)).count == 4)
        #expect(decisions.allSatisfy { $0.propensity == 0.1 })
    }

    @Test("the propensity is each choice's frequency over seeds, uneven splits included")
    func propensityIsMarginal() {
        // 5 users, 3 choices: over many seeds a given user gets each choice a third of the time, although
        // within one draw a choice reaches 1 or 2 of the 5. 3,000 draws: the standard error of a share
        // of 1/3 is 0.0086, so 0.04 is over four standard errors.
        let set = Self.choices(3, windows: [0])
        let candidates = (0..<5).map { AssignmentCandidate(user: $0, cluster: 0, choices: set) }
        var received = [0, 0, 0]
        let draws = 3_000
        for seed in 0..<UInt64(draws) {
            var policy = ClusterSpreadPolicy(seed: seed)
            let decision = policy.decide(candidates)[0]
            #expect(decision.propensity == 1.0 / 3)
            received[decision.choice!.variant] += 1
        }
        for count in received { #expect(abs(Double(count) / Double(draws) - 1.0 / 3) < 0.04, "\(received)") }
    }

    @Test("the extra users of an uneven split land on different choices from seed to seed")
    func remainderIsShuffled() {
        // 4 users, 3 choices: one choice gets two users. Over seeds, each choice should be the doubled one.
        let set = Self.choices(3, windows: [0])
        let candidates = (0..<4).map { AssignmentCandidate(user: $0, cluster: 0, choices: set) }
        var doubled: Set<Int> = []
        for seed in 0..<30 as Range<UInt64> {
            var policy = ClusterSpreadPolicy(seed: seed)
            let chosen = policy.decide(candidates).map { $0.choice!.variant }
            let variant = try! #require((0..<3).first { v in chosen.count { $0 == v } == 2 })
            doubled.insert(variant)
        }
        #expect(doubled == [0, 1, 2])
    }
}

import AampeLearning
import Testing

/// The label probabilities policies log, which `report conversions` values each label with.
@Suite("Label propensities of assignment policies")
struct LabelPropensityTests {
    static let choices = [
        AssignmentChoice(variant: 0, labels: ["tone=plain", "offer=discount"], window: 0),
        AssignmentChoice(variant: 1, labels: ["tone=playful", "offer=discount"], window: 0),
        AssignmentChoice(variant: 0, labels: ["tone=plain", "offer=discount"], window: 1),
    ]

    @Test("marginals sum the choices' probabilities per label; a label in every choice has probability 1")
    func marginals() {
        let marginals = AssignmentDecision.labelMarginals(Self.choices, probabilities: [0.5, 0.3, 0.2])
        #expect(abs(marginals["tone=plain"]! - 0.7) < 1e-12)
        #expect(abs(marginals["tone=playful"]! - 0.3) < 1e-12)
        #expect(abs(marginals["offer=discount"]! - 1) < 1e-12)
    }

    @Test("uniform random and cluster spread log 1/k per choice: plain 2/3, playful 1/3")
    func uniformPolicies() {
        let candidates = (0..<6).map { AssignmentCandidate(user: $0, cluster: 0, choices: Self.choices) }
        var random = UniformRandomPolicy(seed: 1)
        var spread = ClusterSpreadPolicy(seed: 1)
        for decision in random.decide(candidates) + spread.decide(candidates) {
            #expect(abs(decision.labelPropensities["tone=plain"]! - 2.0 / 3) < 1e-12)
            #expect(abs(decision.labelPropensities["tone=playful"]! - 1.0 / 3) < 1e-12)
            #expect(decision.labelPropensities["offer=discount"] == 1)
        }
    }
}

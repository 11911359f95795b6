import AampeLearning
import Testing

@Suite("cadence: messages per week from activity and responsiveness")
struct CadenceRuleTests {
    let rule = CadenceRule.standard

    @Test("an average user certain to be active gets the base; twice as responsive, twice that")
    func base() {
        #expect(rule.messagesPerWeek(probabilityActive: 1, responsiveness: 0.05, populationResponsiveness: 0.05) == 3)
        #expect(rule.messagesPerWeek(probabilityActive: 1, responsiveness: 0.1, populationResponsiveness: 0.05) == 6)
        // 3 × 0.5 = 1.5 rounds half away from zero, to 2; 3 × 0.49 = 1.47 rounds to 1.
        #expect(rule.messagesPerWeek(probabilityActive: 0.5, responsiveness: 0.05, populationResponsiveness: 0.05) == 2)
        #expect(
            rule.messagesPerWeek(probabilityActive: 0.49, responsiveness: 0.05, populationResponsiveness: 0.05) == 1
        )
    }

    @Test("a user unlikely to be active gets the minimum; a very responsive one the maximum")
    func edges() throws {
        #expect(rule.messagesPerWeek(probabilityActive: 0, responsiveness: 0.9, populationResponsiveness: 0.05) == 0)
        #expect(rule.messagesPerWeek(probabilityActive: 0.1, responsiveness: 0.05, populationResponsiveness: 0.05) == 0)
        #expect(rule.messagesPerWeek(probabilityActive: 1, responsiveness: 1, populationResponsiveness: 0.01) == 7)
        let atLeastOne = try CadenceRule(basePerWeek: 3, minimumPerWeek: 1, maximumPerWeek: 2)
        #expect(
            atLeastOne.messagesPerWeek(probabilityActive: 0, responsiveness: 0, populationResponsiveness: 0.05) == 1
        )
        #expect(
            atLeastOne.messagesPerWeek(probabilityActive: 1, responsiveness: 0.05, populationResponsiveness: 0.05) == 2
        )
    }

    @Test("settings out of range throw")
    func invalidSettings() {
        #expect(throws: LearningError.self) { try CadenceRule(basePerWeek: -1, minimumPerWeek: 0, maximumPerWeek: 7) }
        #expect(throws: LearningError.self) {
            try CadenceRule(basePerWeek: .infinity, minimumPerWeek: 0, maximumPerWeek: 7)
        }
        #expect(throws: LearningError.self) { try CadenceRule(basePerWeek: 3, minimumPerWeek: 5, maximumPerWeek: 4) }
        #expect(throws: LearningError.self) { try CadenceRule(basePerWeek: 3, minimumPerWeek: -1, maximumPerWeek: 4) }
    }
}

import AampeLearning
import Testing

@Suite struct InteractionTests {
    @Test func holdsWhatItIsGiven() {
        let interaction = Interaction(user: 3, item: 7, weight: 5, timestamp: 86_400)
        #expect(interaction.user == 3 && interaction.item == 7 && interaction.weight == 5 && interaction.timestamp == 86_400)
    }
}

import Foundation
import Testing

@testable import AampeSimulator

/// The response model the messaging step will use, checked against its documented formula.
@Suite("Simulator response model")
struct ResponseModelTests {
    static let population: Population = {
        var settings = WorldSettings()
        settings.users = 64
        return Population(settings: settings, threads: 1)
    }()

    var model: ResponseModel { ResponseModel(population: Self.population, calibration: Signal.high.calibration) }

    @Test("the logit is base + preference + log availability, with no earlier sends")
    func logitWithoutFatigue() {
        let population = Self.population
        for user in [0, 17, 63] {
            let labels = [1, 0]  // quality, playful
            let window = 12
            let expected =
                Double(population.responsiveness[user])
                + Double(population.copyPreference[user * 5 + 1]) + Double(population.copyPreference[user * 5 + 3])
                + log(max(0.05, 35 * Double(population.routine[user * 35 + window])))
            let logit = model.logit(
                user: user,
                labels: labels,
                window: window,
                atSeconds: 1_000,
                history: FatigueHistory()
            )
            #expect(abs(logit - expected) < 1e-9)
            #expect(
                abs(
                    model.probability(
                        user: user,
                        labels: labels,
                        window: window,
                        atSeconds: 1_000,
                        history: FatigueHistory()
                    ) - 1 / (1 + exp(-expected))
                ) < 1e-12
            )
        }
    }

    @Test("repeating the same copy tires more than other copy, and fatigue fades with time")
    func fatigue() {
        let user = 5
        var history = FatigueHistory()
        let day: Int64 = 86_400
        history.record(seconds: 0, labels: [0, 0])
        history.record(seconds: day, labels: [0, 0])
        let same = model.fatigue(user: user, labels: [0, 0], atSeconds: 2 * day, history: history)
        let other = model.fatigue(user: user, labels: [2, 1], atSeconds: 2 * day, history: history)
        let later = model.fatigue(user: user, labels: [0, 0], atSeconds: 30 * day, history: history)
        #expect(same > other && other > 0)
        #expect(later < same / 100, "recovered after four weeks")
        let recovery = Double(Self.population.recoveryDays[user]) * 86_400
        let perSend = Double(Self.population.fatiguePerSend[user])
        #expect(abs(other - perSend * (exp(-2 * Double(day) / recovery) + exp(-Double(day) / recovery))) < 1e-9)
    }

    @Test("the responder's goal rate matches the model, and every goal follows a click within the window")
    func responderFrequencies() {
        let responder = MessageResponder(model: model)
        var random = SimRandom(seed: 9, 1)
        let message = DeliveredMessage(user: 3, labels: [0, 1], window: 7, deliveredAtSeconds: 0)
        let probability = model.probability(
            user: 3,
            labels: [0, 1],
            window: 7,
            atSeconds: 0,
            history: FatigueHistory()
        )
        let trials = 20_000
        var goals = 0
        for _ in 0..<trials {
            var history = FatigueHistory()
            let response = responder.respond(to: message, history: &history, &random)
            #expect(history.sends.count == 1)
            if let goal = response.goalAfterSeconds {
                goals += 1
                let click = try! #require(response.clickAfterSeconds)
                #expect(click < goal && goal < MessageResponder.attributionWindowSeconds)
            }
        }
        let sigma = (Double(trials) * probability * (1 - probability)).squareRoot()
        #expect(
            abs(Double(goals) - Double(trials) * probability) < 4 * sigma + 1,
            "goals \(goals), expected \(Double(trials) * probability)"
        )
    }
}

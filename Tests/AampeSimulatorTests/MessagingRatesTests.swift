import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

/// The simulated messaging service and its users against their settings: responses, opt-outs,
/// cannibalization and bad addresses happen at the configured rates, within four standard deviations
/// of the counts' own distributions (sums of independent Bernoulli draws).
@Suite("Simulator messaging rates")
struct MessagingRatesTests {
    /// One day of deliveries to every user with an email address, in the high-signal world, with
    /// opt-outs and failures frequent enough to count.
    // nonisolated(unsafe): built once and only read afterwards (tests read the world, never change it).
    nonisolated(unsafe) static let world:
        (live: LiveWorld, sends: [[String: String]], acks: [Ack], deliveries: [Delivery], folder: TemporaryFolder) = {
            do {
                let folder = try TemporaryFolder(prefix: "aampe-sim-rates")
                var settings = LiveWorldTests.settings(days: 2, users: 12_000, signal: .high)
                settings.optOutBase = 0.01
                settings.optOutSlope = 0.05
                settings.cannibalization = 0.3
                settings.failureRate = 0.05
                let live = try LiveWorld.create(in: folder.child("w"), settings: settings, threads: 2)
                // Three emails a user spread over the day, so fatigue (and with it the opt-out rate) varies.
                var deliveries: [Delivery] = []
                for round in 0..<3 {
                    deliveries += LiveWorldTests.deliveries(
                        live,
                        count: settings.users,
                        firstID: UInt64(round + 1) << 32
                    )
                }
                let acks = try live.deliver(deliveries)
                try live.simulateDay()
                let world = SimulatedWorld.Table(path: folder.child("w") + "/truth/sends.csv")
                return (live, try world.rows(), acks, deliveries, folder)
            } catch {
                fatalError("building the messaging world: \(error)")
            }
        }()

    static func expectCount(_ count: Int, probabilities: [Double], _ name: String) {
        let mean = probabilities.reduce(0, +)
        let sigma = probabilities.reduce(0) { $0 + $1 * (1 - $1) }.squareRoot()
        #expect(abs(Double(count) - mean) <= 4 * sigma + 1, "\(name): \(count), expected \(mean) ± \(4 * sigma)")
    }

    @Test("goals and clicks come at the response model's probabilities")
    func responseRates() {
        let sends = Self.world.sends
        #expect(sends.count > 15_000)
        let goals = sends.filter { $0["message_goal"] == "true" }.count
        Self.expectCount(goals, probabilities: sends.map { Double($0["p_message_goal"]!)! }, "message goals")
        // P(click) = σ(logit + click lift), with the logit recovered from p_message_goal.
        let lift = Signal.high.calibration.clickLiftLogits
        let clickProbabilities = sends.map { row -> Double in
            let p = Double(row["p_message_goal"]!)!
            return sigmoid(log(p / (1 - p)) + lift)
        }
        Self.expectCount(sends.filter { $0["clicked"] == "true" }.count, probabilities: clickProbabilities, "clicks")
        #expect(
            sends.allSatisfy { $0["message_goal"] == "false" || $0["clicked"] == "true" },
            "every goal follows a click"
        )
    }

    @Test("opt-outs come at base + slope × fatigue")
    func optOutRate() {
        let sends = Self.world.sends
        let settings = Self.world.live.settings
        for row in sends.prefix(500) {
            let expected = min(1, settings.optOutBase + settings.optOutSlope * Double(row["fatigue"]!)!)
            #expect(abs(Double(row["p_opt_out"]!)! - expected) < 1e-4)
        }
        #expect(sends.contains { Double($0["fatigue"]!)! > 0.2 }, "later sends of the day are tired")
        let optOuts = sends.filter { $0["opted_out"] == "true" }.count
        Self.expectCount(optOuts, probabilities: sends.map { Double($0["p_opt_out"]!)! }, "opt-outs")
    }

    @Test("the configured share of message goals cannibalizes an organic one")
    func cannibalizationRate() {
        let goals = Self.world.sends.filter { $0["message_goal"] == "true" }
        #expect(goals.count > 300)
        let share = Self.world.live.settings.cannibalization
        Self.expectCount(
            goals.filter { $0["cannibalized"] == "true" }.count,
            probabilities: Array(repeating: share, count: goals.count),
            "cannibalizing goals"
        )
        for row in Self.world.sends.prefix(500) {
            let incremental = Double(row["p_message_goal"]!)! * (1 - share)
            #expect(abs(Double(row["p_incremental"]!)! - incremental) <= 1e-5 * max(1, incremental * 10))
        }
        #expect(Self.world.sends.allSatisfy { $0["message_goal"] == "true" || $0["cannibalized"] == "false" })
    }

    @Test("bad addresses fail at the configured share, and their users get nothing")
    func failureShare() throws {
        let live = Self.world.live
        let population = live.world.population
        // Users with an email address and consent: every message to them fails only for a bad address.
        var addresses = 0
        var bad = 0
        for user in 0..<population.count where population.contact[user] & Population.contactEmail != 0 {
            guard population.contact[user] & Population.contactEmailConsent != 0 || live.withdrawn[user] != 0 else {
                continue
            }
            addresses += 1
            if live.isBadAddress(user: user, channel: .email) { bad += 1 }
        }
        Self.expectCount(
            bad,
            probabilities: Array(repeating: live.settings.failureRate, count: addresses),
            "bad addresses"
        )
        let badReason = Vocabulary.Channel.email.badAddressReason
        var sentIDs = Set<String>()
        for row in Self.world.sends { sentIDs.insert(row["message_id"]!) }
        var failedBad = 0
        for (delivery, ack) in zip(Self.world.deliveries, Self.world.acks) {
            #expect(ack.messageIDText == delivery.messageIDText && ack.leaseToken == delivery.leaseToken)
            switch ack.status {
            case .delivered:
                #expect(sentIDs.contains(delivery.messageIDText))
            case .failed(let reason):
                #expect(!sentIDs.contains(delivery.messageIDText), "a failed message has no send")
                if reason == badReason { failedBad += 1 }
            }
        }
        #expect(failedBad > 0)
        // Delivered messages were clicked in the day's dump (CSV clicks carry no message id).
        let dump = try String(
            contentsOfFile: Self.world.folder.child("w") + "/events/2026-10-01.csv",
            encoding: .utf8
        )
        #expect(dump.contains(",message_clicked,"))
    }
}

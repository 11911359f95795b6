import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

/// The deliveries input, its errors, the acks, and opt-outs carried into the next profile dump.
@Suite("Simulator deliveries")
struct DeliveryTests {
    static let line =
        #"{"message_id":"4294967296","lease_token":"17","user":"u0000001","campaign":"weekly_picks","formula":"picks_email","variant":3,"labels":["tone=plain","value_proposition=discount"],"channel":"email","address":"a@example.com","subject":"s","body":"b","items":["i00012"],"window_start":"2026-10-01T07:00:00Z","window_end":"2026-10-01T10:00:00Z","attempt":1,"delivered_at":"2026-10-01T07:12:00.250Z"}"#

    @Test("a line as outbox pull prints it, plus delivered_at, parses")
    func parsesOutboxLine() throws {
        let parsed = try Delivery.parse(Array((Self.line + "\n\n").utf8), path: "d.jsonl")
        #expect(parsed.count == 1)
        let delivery = try #require(parsed.first)
        #expect(delivery.messageID == 4_294_967_296 && delivery.messageIDText == "4294967296")
        #expect(delivery.leaseToken == "17" && delivery.user == "u0000001" && delivery.attempt == 1)
        #expect(delivery.labels == ["tone=plain", "value_proposition=discount"])
        #expect(
            delivery.deliveredAtSeconds == Int64(CivilDate.epochDay(year: 2026, month: 10, day: 1)) * 86_400 + 7 * 3_600
                + 12 * 60
        )
        let ack = Ack(messageIDText: "4294967296", leaseToken: "1\"7", status: .failed(reason: "invalid device token"))
        #expect(
            ack.jsonLine
                == #"{"message_id":"4294967296","lease_token":"1\"7","status":"failed","reason":"invalid device token"}"#
        )
    }

    @Test(
        "bad lines name the file, the line and the field",
        arguments: [
            (#""attempt":1,"#, #""attempt":1,"colour":"red","#, "colour"),
            (#""lease_token":"17","#, "", "lease_token"),
            (#""delivered_at":"2026-10-01T07:12:00.250Z""#, #""delivered_at":"2026-10-01 07:12""#, "delivered_at"),
            (#""delivered_at":"2026-10-01T07:12:00.250Z""#, #""delivered_at":"2026-10-01T11:00:00Z""#, "delivered_at"),
            (#""message_id":"4294967296""#, #""message_id":"-4""#, "message_id"),
            (#""labels":["tone=plain","#, #""labels":"tone=plain","bad":["#, "bad"),
            (#""attempt":1"#, #""attempt":0"#, "attempt"),
        ]
    )
    func parserErrors(original: String, replacement: String, field: String) throws {
        let bad = Self.line.replacingOccurrences(of: original, with: replacement)
        #expect(bad != Self.line)
        let text = Self.line + "\n" + bad + "\n"
        #expect {
            _ = try Delivery.parse(Array(text.utf8), path: "d.jsonl")
        } throws: { error in
            "\(error)".hasPrefix("d.jsonl:2: \(field): ")
        }
        #expect(throws: SimulatorError.self) { _ = try Delivery.parse(Array("not json\n".utf8), path: "d.jsonl") }
    }

    @Test(
        "deliveries the world does not know are refused with the line and field",
        arguments: [
            (#""u0000001""#, #""u9999999""#, "user"),
            (#""tone=plain""#, #""tone=sarcastic""#, "labels"),
            (#""tone=plain""#, #""mood=plain""#, "labels"),
            (#""value_proposition=discount""#, #""tone=playful""#, "labels"),
            (#""weekly_picks""#, #""spring_sale""#, "campaign"),
            (#""channel":"email""#, #""channel":"fax""#, "channel"),
            (#""i00012""#, #""i99999""#, "items"),
        ]
    )
    func unknownNames(original: String, replacement: String, field: String) throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-delivery")
        let live = try LiveWorld.create(
            in: folder.child("w"),
            settings: LiveWorldTests.settings(days: 1, users: 50),
            threads: 1
        )
        let text = Self.line + "\n" + Self.line.replacingOccurrences(of: original, with: replacement) + "\n"
        let deliveries = try Delivery.parse(Array(text.utf8), path: "d.jsonl")
        #expect {
            _ = try live.deliver(deliveries, source: "d.jsonl")
        } throws: { error in
            "\(error)".hasPrefix("d.jsonl:2: \(field): ")
        }
        #expect(live.today.deliveries == 0, "nothing was delivered from a file with a bad line")
    }

    @Test("an opted-out user loses consent in the next users.csv, and later messages to the channel fail")
    func optOutReachesProfiles() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-delivery")
        var settings = LiveWorldTests.settings(days: 3, users: 400)
        settings.optOutBase = 1
        settings.failureRate = 0
        let live = try LiveWorld.create(in: folder.child("w"), settings: settings, threads: 1)
        let profiles = { try SimulatedWorld.Table(path: folder.child("w") + "/users.csv").rows() }
        let consenting = try profiles().filter { $0["push_consent"] == "true" }.map { $0["user_id"]! }
        #expect(consenting.count > 50)
        func deliveries(firstID: UInt64) -> [Delivery] {
            let dayStart = Int64(live.world.startEpochDay + live.state.nextDay) * 86_400
            return consenting.enumerated().map { index, user in
                Delivery(
                    messageID: firstID + UInt64(index),
                    leaseToken: "t\(index)",
                    user: user,
                    campaign: "winback",
                    labels: ["tone=playful"],
                    channel: "push",
                    deliveredAtSeconds: dayStart + 12 * 3_600,
                    line: index + 1
                )
            }
        }
        let first = try live.deliver(deliveries(firstID: 1_000))
        #expect(first.allSatisfy { $0.status == .delivered })
        try live.simulateDay()
        let after = try profiles()
        for row in after where consenting.contains(row["user_id"]!) {
            #expect(row["push_consent"] == "false", "\(row["user_id"]!) opted out")
            #expect(!row["push_token"]!.isEmpty, "the token stays; the consent goes")
        }
        #expect(after.filter { $0["push_consent"] == "true" }.isEmpty)
        // The next day, in a new process: every message to those users fails.
        let reopened = try LiveWorld(opening: folder.child("w"), threads: 1)
        let dayStart = Int64(reopened.world.startEpochDay + reopened.state.nextDay) * 86_400
        var second = deliveries(firstID: 5_000)
        for index in second.indices { second[index].deliveredAtSeconds = dayStart + 12 * 3_600 }
        let acks = try reopened.deliver(second)
        #expect(acks.allSatisfy { $0.status == .failed(reason: "unsubscribed: the user withdrew consent for push") })
    }

    @Test("the simulator's campaign goals are those of content/campaigns.yaml")
    func campaignGoalsMatchContent() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../tools/simulator/content/campaigns.yaml"
        ).standardized.path
        var goals: [String: String] = [:]
        var campaign: String?
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("  "), !line.hasPrefix("    "), trimmed.hasSuffix(":") {
                campaign = String(trimmed.dropLast())
            } else if trimmed.hasPrefix("goal:"), let name = campaign {
                goals[name] = trimmed.dropFirst("goal:".count).trimmingCharacters(in: .whitespaces)
            }
        }
        #expect(goals.count == 3)
        #expect(goals == Vocabulary.campaignGoals.mapValues(\.rawValue))
    }
}

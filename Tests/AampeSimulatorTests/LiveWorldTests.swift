import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

/// A world stepped one day at a time: the same bytes as `generate` without messages, deterministic
/// with them, and the organic world changed only by cannibalization.
@Suite("Simulator stepping")
struct LiveWorldTests {
    static func settings(
        _ format: WorldSettings.DumpFormat = .csv,
        compressed: Bool = false,
        days: Int = 4,
        users: Int = 5_000,
        signal: Signal = .realistic
    ) -> WorldSettings {
        var settings = WorldSettings(signal: signal)
        settings.users = users  // three shards, the last one partial
        settings.items = 150
        settings.days = days
        settings.seed = 11
        settings.format = format
        settings.isCompressed = compressed
        return settings
    }

    /// Messages for the world's next day to `count` users, spread over the day, cycling the copy.
    static func deliveries(_ live: LiveWorld, count: Int, firstID: UInt64, channel: String = "email") -> [Delivery] {
        let dayStart = Int64(live.world.startEpochDay + live.state.nextDay) * 86_400
        let labelSets = [
            ["value_proposition=discount", "tone=plain"], ["value_proposition=quality", "tone=playful"],
            ["value_proposition=speed", "tone=plain"], ["tone=playful"],
        ]
        return (0..<count).map { index in
            let user = (index * 7_919 + Int(firstID)) % live.settings.users
            return Delivery(
                messageID: firstID + UInt64(index),
                leaseToken: String(index),
                user: live.world.encoder.userID(user),
                campaign: index % 3 == 0 ? "winback" : "weekly_picks",
                labels: labelSets[index % labelSets.count],
                channel: channel,
                items: index % 3 == 0 ? [] : [live.world.encoder.itemID(index % live.settings.items)],
                deliveredAtSeconds: dayStart + Int64(index * 86_399 / count),
                line: index + 1
            )
        }
    }

    @Test(
        "stepping every day without deliveries writes the same dumps and users as generate",
        arguments: [(WorldSettings.DumpFormat.csv, false), (.segment, true)]
    )
    func steppingMatchesGenerate(format: WorldSettings.DumpFormat, compressed: Bool) throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        let settings = Self.settings(format, compressed: compressed)
        _ = try Simulator(settings: settings, threads: 2).generate(into: folder.child("generated"))
        let live = try LiveWorld.create(in: folder.child("stepped"), settings: settings, threads: 2)
        for _ in 0..<settings.days { try live.simulateDay() }
        #expect(live.isFinished)
        let generated = try DeterminismTests.digests(folder.child("generated"))
        let stepped = try DeterminismTests.digests(folder.child("stepped"))
        let dumps = generated.keys.filter { $0.hasPrefix("events/") }
        #expect(dumps.count == settings.days)
        for path in dumps.sorted() + ["users.csv", "catalog.csv", "truth/users.csv"] {
            #expect(stepped[path] == generated[path], "\(path)")
        }
    }

    @Test("the first days of a longer world, stepped one process at a time, are generate's first dumps")
    func steppedPrefixMatchesGenerate() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        let settings = Self.settings(days: 6)
        let summary = try Simulator(settings: settings, threads: 1).generate(into: folder.child("generated"))
        _ = try LiveWorld.create(in: folder.child("stepped"), settings: settings, threads: 2)
        for _ in 0..<3 {
            // Reopening from the state file each day, as `aampe-sim step` does.
            try LiveWorld(opening: folder.child("stepped"), threads: 1).simulateDay()
        }
        for file in summary.files.prefix(3) {
            let expected = try Data(contentsOf: URL(fileURLWithPath: folder.child("generated") + "/" + file))
            let actual = try Data(contentsOf: URL(fileURLWithPath: folder.child("stepped") + "/" + file))
            #expect(actual == expected, "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.child("stepped") + "/" + summary.files[3]))
    }

    @Test("the same deliveries give the same bytes, whatever the number of threads")
    func deterministicWithDeliveries() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        var acks: [[String]] = []
        for (name, threads) in [("a", 2), ("b", 2), ("c", 1)] {
            let live = try LiveWorld.create(in: folder.child(name), settings: Self.settings(), threads: threads)
            var worldAcks: [String] = []
            for day in 0..<live.settings.days {
                let reopened = try LiveWorld(opening: folder.child(name), threads: threads)
                worldAcks += try reopened.deliver(Self.deliveries(reopened, count: 2_000, firstID: UInt64(day) << 32))
                    .map(\.jsonLine)
                try reopened.simulateDay()
            }
            acks.append(worldAcks)
        }
        let a = try DeterminismTests.digests(folder.child("a"))
        #expect(try DeterminismTests.digests(folder.child("b")) == a)
        #expect(try DeterminismTests.digests(folder.child("c")) == a)
        #expect(acks[0] == acks[1] && acks[0] == acks[2])
        let sends = try String(contentsOfFile: folder.child("a") + "/truth/sends.csv", encoding: .utf8)
        #expect(sends.split(separator: "\n").count > 1_000, "deliveries were recorded")
    }

    @Test("messages add their own events and remove only cannibalized organic goals")
    func organicWorldChangesOnlyByCannibalization() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        var settings = Self.settings(days: 6, signal: .high)
        settings.cannibalization = 1
        settings.duplicateRate = 0
        settings.lateRate = 0
        settings.malformedRate = 0
        let quiet = try LiveWorld.create(in: folder.child("quiet"), settings: settings, threads: 2)
        let messaged = try LiveWorld.create(in: folder.child("messaged"), settings: settings, threads: 2)
        var messagedUsers = Set<Substring>()
        var removed = 0
        var cannibalizing = 0
        for day in 0..<settings.days {
            try quiet.simulateDay()
            if day < 3 {
                let batch = Self.deliveries(messaged, count: 3_000, firstID: UInt64(day + 1) << 32)
                for delivery in batch { messagedUsers.insert(Substring(delivery.user)) }
                _ = try messaged.deliver(batch)
            }
            let report = try messaged.simulateDay()
            removed += report.removedVisits + report.removedPurchases
            cannibalizing += report.cannibalized
        }
        #expect(cannibalizing > 20, "enough cannibalizing goals to see: \(cannibalizing)")
        #expect(removed > 0 && removed <= cannibalizing)
        var onlyQuiet = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.child("quiet") + "/events") {
            func lines(_ world: String) throws -> [Substring: Int] {
                let text = try String(contentsOfFile: folder.child(world) + "/events/" + file, encoding: .utf8)
                var counts: [Substring: Int] = [:]
                for line in text.split(separator: "\n").dropFirst() { counts[line, default: 0] += 1 }
                return counts
            }
            let before = try lines("quiet")
            let after = try lines("messaged")
            for (line, count) in before where (after[line] ?? 0) < count {
                onlyQuiet += count - (after[line] ?? 0)
                let user = try #require(DumpEvent(csvLine: line)).user
                #expect(messagedUsers.contains(user), "an organic event of a user nobody messaged was removed")
            }
            for (line, count) in after where (before[line] ?? 0) < count {
                let user = try #require(DumpEvent(csvLine: line)).user
                #expect(messagedUsers.contains(user), "a new event of a user nobody messaged")
            }
        }
        #expect(onlyQuiet >= removed, "each removed goal is at least one event")
    }

    @Test("a day that failed half-way is cut back when the world is opened again")
    func recoversFromAFailedDay() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        let path = folder.child("w")
        let live = try LiveWorld.create(in: path, settings: Self.settings(days: 3), threads: 1)
        _ = try live.deliver(Self.deliveries(live, count: 500, firstID: 1))
        try live.simulateDay()
        let before = try DeterminismTests.digests(path)
        // What a crash after some writes and before the state leaves behind.
        let sends = try #require(FileHandle(forWritingAtPath: path + "/truth/sends.csv"))
        try sends.seekToEnd()
        try sends.write(contentsOf: Data("1,1,u0000001,half a row".utf8))
        try sends.close()
        let pending = try #require(FileManager.default.contentsOfDirectory(atPath: path + "/state/pending").first)
        let file = try #require(FileHandle(forWritingAtPath: path + "/state/pending/" + pending))
        try file.seekToEnd()
        try file.write(contentsOf: Data("stray line\n".utf8))
        try file.close()
        try "stray".write(toFile: path + "/state/pending/2026-10-09", atomically: true, encoding: .utf8)
        _ = try LiveWorld(opening: path, threads: 1)
        #expect(try DeterminismTests.digests(path) == before)
    }

    @Test("a world refuses a day it is not at, and a delivery on another day")
    func daysInOrder() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-live")
        let live = try LiveWorld.create(in: folder.child("w"), settings: Self.settings(days: 1), threads: 1)
        var delivery = Self.deliveries(live, count: 1, firstID: 1)[0]
        delivery.deliveredAtSeconds += 86_400
        #expect {
            _ = try live.deliver([delivery], source: "d.jsonl")
        } throws: { error in
            "\(error)".hasPrefix("d.jsonl:1: delivered_at:") && "\(error)".contains("2026-10-01")
        }
        try live.simulateDay()
        #expect(throws: SimulatorError.self) { try live.simulateDay() }
        #expect(throws: SimulatorError.self) { try LiveWorld.create(in: folder.child("w"), settings: Self.settings()) }
    }
}

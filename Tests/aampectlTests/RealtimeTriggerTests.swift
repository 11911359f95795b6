import AampeCore
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// Real-time triggers through real processes: `aampectl track` into a running `aamped` on a simulated
/// clock, then `aampectl outbox clock` and `outbox pull`, as a messaging service would see it.
@Suite("Real-time triggers in aamped")
struct RealtimeTriggerTests {
    /// `ControlGroup.unitValue` (Sources/AampeLearning/Assignment/ControlGroup.swift), as any tool may
    /// reproduce it: the test picks users outside the data directory's control group.
    static func controlUnit(salt: String, user: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in Array(salt.utf8) + [0x1F] + Array(user.utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return Double(hash >> 11) * 0x1p-53
    }

    static func run(_ arguments: [String]) throws -> Product.Result {
        let result = try Aampectl.run(arguments)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
        return result
    }

    /// The users of the messages pulled, polling up to `seconds` for at least `expected` of them. The
    /// hour-long lease keeps a pulled message from being handed out again within the test.
    static func pull(_ data: String, expected: Int, seconds: Double = 10) throws -> [String] {
        try pullMessages(data, expected: expected, seconds: seconds).map { $0.user }
    }

    /// The users and bodies of the messages pulled, as ``pull(_:expected:seconds:)`` polls for them.
    static func pullMessages(
        _ data: String,
        expected: Int,
        seconds: Double = 10
    ) throws -> [(user: String, body: String)] {
        var users: [(user: String, body: String)] = []
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let pulled = try run([
                "outbox", "pull", "--data-dir", data, "--consumer", "test", "--maximum", "100", "--lease-seconds",
                "3600",
            ])
            for line in pulled.standardOutput.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["campaign"] as? String == "cart")
                users.append((try #require(object["user"] as? String), object["body"] as? String ?? ""))
            }
            if users.count >= expected { break }
            usleep(100_000)
        } while Date() < deadline
        return users.sorted { $0.user < $1.user }
    }

    @Test(
        "a cart fires at its delay on aamped's clock, a checkout cancels, and a restart loses no timer and sends none twice"
    )
    func triggers() throws {
        let start = "--simulated-clock"
        var daemon = try DaemonProcess(arguments: [start, "2026-10-29T12:00:00Z"]) { directory, folder in
            try AssignCommandTests.prepare(data: directory.path, folder: TemporaryFolder.wrapping(folder))
        }
        let data = daemon.dataDirectory.path
        let salt = try daemon.dataDirectory.openStore().meta().dataDirectoryID
        let users = (4..<10).map { String(format: "u%02d", $0) }.filter {
            Self.controlUnit(salt: salt, user: $0) >= 0.05
        }
        try #require(users.count >= 3, "six users, 5 % control: three are outside it but for bad luck")
        let (fires, cancels, afterRestart) = (users[0], users[1], users[2])

        _ = try Self.run(["track", "--data-dir", data, fires, "add_to_cart", "i1", "--at", "2026-10-29T12:00:00Z"])
        _ = try Self.run(["track", "--data-dir", data, cancels, "add_to_cart", "i1", "--at", "2026-10-29T12:00:00Z"])
        _ = try Self.run(["track", "--data-dir", data, cancels, "checkout", "--at", "2026-10-29T12:05:00Z"])

        _ = try Self.run(["outbox", "clock", "--data-dir", data, "--set", "2026-10-29T12:14:59Z"])
        #expect(try Self.pull(data, expected: 1, seconds: 1).isEmpty, "a second before the delay ends")
        _ = try Self.run(["outbox", "clock", "--data-dir", data, "--set", "2026-10-29T12:15:00Z"])
        // The message renders the TRACK event's item (`{{event.item_id}}`).
        let fired = try Self.pullMessages(data, expected: 1)
        #expect(fired.map(\.user) == [fires])
        #expect(fired.first?.body == "Come back (i1)", "\(fired)")
        #expect(try Self.pull(data, expected: 1, seconds: 1).isEmpty, "the cancelled cart sends nothing")

        // A cart whose timer is running when aamped is killed: the restarted daemon rebuilds it from the
        // real-time log, and the cart that already fired is refused as an occasion already decided.
        _ = try Self.run([
            "track", "--data-dir", data, afterRestart, "add_to_cart", "i2", "--at", "2026-10-29T12:20:00Z",
        ])
        daemon = try daemon.restarted(hard: true, arguments: [start, "2026-10-29T12:21:00Z"])
        _ = try Self.run(["outbox", "clock", "--data-dir", data, "--set", "2026-10-29T12:35:00Z"])
        #expect(try Self.pull(data, expected: 1) == [afterRestart])
        #expect(try Self.pull(data, expected: 1, seconds: 1).isEmpty)
        let store = try DataDirectory(path: data).openStore()
        let decided = try store.messageLog.occasionKeys(campaign: "cart")
        #expect(decided.count == 2, "\(decided)")
        daemon.stop()
    }

    @Test("real-time firings hold back the control group the newest batch run used, salt and share")
    func controlGroupOfTheBatchRuns() throws {
        var options: (salt: String, share: Double, held: String, sent: String)?
        // A salt under which one user of u04…u09 falls in a small control group and another does not.
        for attempt in 0..<200 where options == nil {
            let salt = "realtime-\(attempt)"
            let units = (4..<10).map {
                (String(format: "u%02d", $0), Self.controlUnit(salt: salt, user: String(format: "u%02d", $0)))
            }
            .sorted { $0.1 < $1.1 }
            if units[0].1 < 0.2, units[1].1 > units[0].1 + 0.01 {
                options = (salt, units[0].1 + 0.005, units[0].0, units[1].0)
            }
        }
        let (salt, share, held, sent) = try #require(options)
        let daemon = try DaemonProcess(arguments: ["--simulated-clock", "2026-10-29T12:00:00Z"]) { directory, folder in
            try AssignCommandTests.prepare(data: directory.path, folder: TemporaryFolder.wrapping(folder))
        }
        defer { daemon.stop() }
        let data = daemon.dataDirectory.path
        _ = try Self.run([
            "assign", "--data-dir", data, "--as-of", "2026-10-29T11:00:00Z", "--campaign", "cart", "--control-salt",
            salt, "--control-share", String(share),
        ])
        let store = try DataDirectory(path: data).openStore()
        func controlDecisions() throws -> Int {
            try store.messageLog.decisionCounts().filter { $0.mode == "control" }.reduce(0) { $0 + $1.count }
        }
        let controlBefore = try controlDecisions()
        for user in [held, sent] {
            _ = try Self.run(["track", "--data-dir", data, user, "add_to_cart", "i1", "--at", "2026-10-29T12:00:00Z"])
        }
        _ = try Self.run(["outbox", "clock", "--data-dir", data, "--set", "2026-10-29T12:15:00Z"])
        // The batch run's own cart messages (u00, u02, u03: carts imported before it) come with the first pull.
        let pulled = try Self.pull(data, expected: 4)
        #expect(pulled.contains(sent) && !pulled.contains(held), "held \(held), sent \(sent): \(pulled)")
        #expect(try Self.pull(data, expected: 1, seconds: 1).isEmpty, "\(held) is held back, not sent")
        // The held-back firing is logged as control, as a batch run would log it (the run that served the
        // other message logged both).
        #expect(try controlDecisions() == controlBefore + 1)
    }
}

import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// `aampe-sim step --daemon` as the messaging service of a running `aamped`, through real processes:
/// the engine assigns a day's messages, and the simulator moves the daemon's simulated clock through the
/// day, PULLs each message when its window opens, delivers it and ACKs it over the protocol.
@Suite("The simulator as aamped's messaging service")
struct MessagingServiceTests {
    static let content = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../tools/simulator/content").standardized.path

    static func run(_ executable: String, _ arguments: [String]) throws -> Product.Result {
        let result =
            executable == "aampectl" ? try Aampectl.run(arguments) : try Product.run(executable, arguments)
        #expect(result.status == 0, "\(executable) \(arguments.prefix(2)): \(result.standardError)")
        return result
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    /// `aampe-sim init` of a world from 2026-10-01 in `folder`/world; returns its path.
    static func newWorld(in folder: TemporaryFolder, users: Int, items: Int, days: Int) throws -> String {
        let world = folder.child("world")
        _ = try run(
            "aampe-sim",
            [
                "init", "--users", String(users), "--items", String(items), "--days", String(days), "--start",
                "2026-10-01", "--seed", "5", "--out", world,
            ]
        )
        return world
    }

    @Test("every assigned message is pulled in its window, delivered or failed, and acknowledged")
    func deliversADayOverTheProtocol() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-service")
        let world = try Self.newWorld(in: folder, users: 400, items: 80, days: 5)
        // Three organic days first: timing learns each user's cadence from them.
        let organicDays = ["2026-10-01", "2026-10-02", "2026-10-03"]
        for day in organicDays { _ = try Self.run("aampe-sim", ["step", "--world", world, "--day", day]) }
        let daemon = try DaemonProcess(arguments: ["--simulated-clock", "2026-10-04T00:00:00Z"]) { directory, _ in
            let data = directory.path
            _ = try Self.run("aampectl", ["content", "apply", Self.content, "--data-dir", data])
            _ = try Self.run("aampectl", ["import", "catalog", "--data-dir", data, world + "/catalog.csv"])
            _ = try Self.run("aampectl", ["import", "users", "--data-dir", data, world + "/users.csv"])
            let dumps = try FileManager.default.contentsOfDirectory(atPath: world + "/events").filter { name in
                organicDays.contains { name.hasPrefix($0) }
            }
            #expect(dumps.count == 3)
            _ = try Self.run(
                "aampectl",
                ["import", "events", "--data-dir", data] + dumps.map { world + "/events/" + $0 }
            )
            for model in ["landscape", "timing", "recommender"] {
                _ = try Self.run(
                    "aampectl",
                    ["train", model, "--data-dir", data] + (model == "recommender" ? [] : ["--as-of", "2026-10-04"])
                )
            }
            _ = try Self.run("aampectl", ["assign", "--data-dir", data, "--as-of", "2026-10-04T00:00:00Z"])
        }
        defer { daemon.stop() }
        let data = daemon.dataDirectory.path
        func totals() throws -> [String: Any] {
            let status = try Self.json(
                try Self.run("aampectl", ["outbox", "status", "--data-dir", data, "--json"]).standardOutput
            )
            return try #require(status["total"] as? [String: Any], "\(status)")
        }
        let pending = try #require(try totals()["pending"] as? Int)
        #expect(pending > 100, "the weekly campaign writes to a third of 400 users")

        let received = folder.child("received.jsonl")
        let step = try Self.run(
            "aampe-sim",
            [
                "step", "--world", world, "--day", "2026-10-04", "--daemon", daemon.socketPath, "--pull-every", "15",
                "--received", received, "--json",
            ]
        )
        let report = try Self.json(step.standardOutput)
        let pulled = try #require(report["pulled"] as? Int)
        #expect(pulled > 100)
        #expect(report["acknowledged"] as? Int == pulled)
        #expect(report["deliveries"] as? Int == pulled)
        let delivered = try #require(report["delivered"] as? Int)
        let failed = try #require(report["failed"] as? Int)
        #expect(delivered + failed == pulled && delivered > failed)

        // The daemon's own account agrees: each message settled the way it went, none expired, and what is
        // left waits for a window that opens on a later UTC day (a local evening west of UTC): nothing is
        // due at the clock's last step.
        let settled = try totals()
        #expect(settled["leased"] as? Int == 0 && settled["expired"] as? Int == 0, "\(settled)")
        #expect(settled["delivered"] as? Int == delivered && settled["failed"] as? Int == failed, "\(settled)")
        #expect(settled["pending"] as? Int == pending - pulled, "\(settled)")
        let due = try Self.run(
            "aampectl",
            [
                "outbox", "pull", "--data-dir", data, "--consumer", "check", "--maximum", "10", "--lease-seconds", "60",
            ]
        )
        #expect(due.standardOutput.isEmpty, "\(due.standardOutput.prefix(400))")

        // Each message reached its user inside its window, on the simulated day.
        let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == pulled)
        let formatter = ISO8601DateFormatter()
        for line in lines {
            let message = try Self.json(String(line))
            let instants = ["delivered_at", "window_start", "window_end"].map { key in
                (message[key] as? String).flatMap { formatter.date(from: $0) }
            }
            guard let at = instants[0], let start = instants[1], let end = instants[2] else {
                Issue.record("an instant is missing: \(line)")
                continue
            }
            #expect(start <= at && at < end, "\(line)")
            #expect((message["delivered_at"] as? String)?.hasPrefix("2026-10-04") == true)
        }
        #expect(lines.filter { $0.contains("\"status\":\"delivered\"") }.count == delivered)
        // truth/sends.csv has a row per delivered message.
        let sends = try String(contentsOfFile: world + "/truth/sends.csv", encoding: .utf8).split(separator: "\n")
        #expect(sends.count - 1 == delivered)
    }

    @Test("a daemon on the system clock is refused with the reason")
    func refusesTheSystemClock() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-service-clock")
        let world = try Self.newWorld(in: folder, users: 50, items: 20, days: 2)
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        let result = try Product.run(
            "aampe-sim",
            ["step", "--world", world, "--day", "2026-10-01", "--daemon", daemon.socketPath]
        )
        #expect(result.status != 0)
        #expect(result.standardError.contains("start it with --simulated-clock"), "\(result.standardError)")
    }
}

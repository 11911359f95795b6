import AampeCore
import AampeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// aamped running the nightly pipeline from its `schedule:` section, as a customer's deployment does: a
/// dump dropped into the folder is imported, every model retrained and served, and messages assigned;
/// a dump that breaks a step leaves the previous generation serving and says why in `aampectl status`.
///
/// The world: u00 … u39 in Europe/Berlin with push consent, each opening the app and viewing an item
/// every day of the last two weeks (relative to now, so the import takes them as recent); the even
/// users also buy. One scheduled push campaign with no date range or quiet hours, so every user outside
/// the control group gets a message in the next 24 hours.
@Suite("aamped runs the nightly pipeline from schedule:", .serialized)
struct PipelineDaemonTests {
    static let content: [(String, String)] = [
        (
            "labels.yaml",
            """
            label_sets:
              tone: [playful, plain]
            events: [app_opened, product_viewed, purchase]
            goals:
              purchase: { events: [purchase] }
            caps: { per_user_per_day: 3, per_user_per_week: 5 }
            """
        ),
        (
            "formulas.yaml",
            """
            formulas:
              nudge:
                channel: push
                title: "{{>greeting}}"
                body: "Come back"
                blocks:
                  greeting:
                    label_set: tone
                    alternates:
                      - { label: playful, text: "Hey {{name}}!" }
                      - { label: plain, text: "Hello {{name}}" }
                derive:
                  name: { from: first_name, default: there }
            """
        ),
        (
            "campaigns.yaml",
            """
            campaigns:
              weekly:
                goal: purchase
                formulas: [nudge]
                audience: { consent: [push] }
                frequency_per_7_days: 1
                quiet_hours: none
            """
        ),
    ]

    static let users = 40

    static func usersCSV() -> String {
        var text = "user_id,first_name,timezone,push_token,push_consent\n"
        for user in 0..<users {
            text += String(format: "u%02d", user) + ",Name\(user),Europe/Berlin,token\(user),true\n"
        }
        return text
    }

    static func eventsCSV() -> String {
        let formatter = ISO8601DateFormatter()
        let now = Date()
        var text = "user_id,event,timestamp,item_id,value\n"
        for user in 0..<users {
            let id = String(format: "u%02d", user)
            for day in 1...14 {
                let opened = now.addingTimeInterval(-Double(day * 86_400 + (user % 5) * 3_600))
                text += "\(id),app_opened,\(formatter.string(from: opened)),,\n"
                text += "\(id),product_viewed,\(formatter.string(from: opened + 60)),i\((user + day) % 7),\n"
                if user % 2 == 0, day % 3 == 0 {
                    text += "\(id),purchase,\(formatter.string(from: opened + 300)),i\(user % 7),20\n"
                }
            }
        }
        return text
    }

    /// Writes `text` as `name` in `drop` the way an uploader should: under a hidden name, then renamed.
    static func drop(_ text: String, as name: String, in drop: String) throws {
        let final = drop + "/" + name
        let folder = (final as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let hidden = folder + "/." + (name as NSString).lastPathComponent + ".part"
        try text.write(toFile: hidden, atomically: false, encoding: .utf8)
        #expect(rename(hidden, final) == 0)
    }

    /// A daemon with the content applied and a `schedule:` section polling `drop/` every second.
    /// `prepare` runs after the content is applied, before the daemon starts.
    static func daemon(
        arguments: [String] = [],
        schedule: String = "",
        prepare: @escaping (DataDirectory, String) throws -> Void = { _, _ in }
    ) throws -> DaemonProcess {
        try DaemonProcess(
            arguments: arguments,
            prepare: { directory, folder in
                try FileManager.default.createDirectory(atPath: folder + "/drop", withIntermediateDirectories: true)
                try FileManager.default.createDirectory(atPath: folder + "/content", withIntermediateDirectories: true)
                for (name, text) in content {
                    try text.write(toFile: folder + "/content/" + name, atomically: true, encoding: .utf8)
                }
                let applied = try Aampectl.run(["content", "apply", folder + "/content", "--data-dir", directory.path])
                #expect(applied.status == 0, "\(applied.standardError)")
                try """
                schedule:
                  drop: drop
                  pollSeconds: 1
                  settleSeconds: 1
                  assign:
                    controlShare: 0.01
                    seed: 3
                \(schedule)
                """.write(toFile: folder + "/aamped.yaml", atomically: true, encoding: .utf8)
                try prepare(directory, folder)
            },
            argumentsAfterPrepare: { folder in ["--config", folder + "/aamped.yaml"] }
        )
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// `aampectl status --daemon --json`, polled until the last pipeline pass has finished and the daemon has
    /// logged it (at most a minute).
    static func finishedPass(_ daemon: DaemonProcess, after started: String? = nil) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let result = try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path, "--daemon", "--json"])
            if result.status == 0, let status = try? json(result.standardOutput),
                let pass = status["lastPipelinePass"] as? [String: Any], pass["finished_at"] is String,
                pass["started_at"] as? String != started
            {
                // The pass writes its finished report first; only then does the daemon log each step and, last,
                // "pipeline: <trigger> pass <status>". Waiting for that line lets callers check the step lines.
                let logged = "pipeline: \(pass["trigger"] as? String ?? "?") pass \(pass["status"] as? String ?? "?")"
                while !daemon.log.contains(logged), Date() < deadline { usleep(50_000) }
                return status
            }
            usleep(200_000)
        }
        Issue.record("no pipeline pass finished within a minute; the daemon's log:\n\(daemon.log)")
        throw CancellationError()
    }

    /// The generation the daemon serves, once it is the current one (or after 10 seconds).
    static func servedGeneration(_ daemon: DaemonProcess) throws -> Int? {
        let deadline = Date().addingTimeInterval(10)
        var served: Int?
        repeat {
            let result = try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path, "--daemon", "--json"])
            let status = try json(result.standardOutput)
            served = (status["daemon"] as? [String: Any])?["generation"] as? Int
            let current = (status["currentGeneration"] as? [String: Any])?["number"] as? Int
            if served != nil, served == current { return served }
            usleep(100_000)
        } while Date() < deadline
        return served
    }

    static func steps(_ status: [String: Any]) throws -> [String: [String: Any]] {
        let pass = try #require(status["lastPipelinePass"] as? [String: Any])
        let steps = try #require(pass["steps"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: steps.map { ($0["name"] as? String ?? "?", $0) })
    }

    @Test("a dropped dump is imported, every model retrained and served, and the messages assigned")
    func dumpRunsThePipeline() throws {
        let daemon = try Self.daemon(
            schedule: "  reports: reports\n  recommender:\n    similarity: cosine\n    servedList: 8\n"
        )
        let drop = daemon.folder + "/drop"
        try Self.drop(Self.usersCSV(), as: "users/users.csv", in: drop)
        try Self.drop(Self.eventsCSV(), as: "events.csv", in: drop)

        let status = try Self.finishedPass(daemon)
        let pass = try #require(status["lastPipelinePass"] as? [String: Any])
        #expect(pass["status"] as? String == "succeeded", "\(pass)\n\(daemon.log)")
        #expect(pass["trigger"] as? String == "arrival")
        let steps = try Self.steps(status)
        #expect(Set(steps.keys) == ["import", "landscape", "timing", "recommender", "model", "assign", "report"])
        #expect(steps.values.allSatisfy { $0["status"] as? String == "succeeded" })
        // The report step wrote the day's HTML report into the configured folder.
        let written = try #require(
            (steps["report"]?["summary"] as? String)?.split(separator: " ").last.map(String.init)
        )
        #expect(written.hasPrefix(daemon.folder + "/reports/report-") && written.hasSuffix(".html"))
        let page = try String(contentsOfFile: written, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("id=\"timing-sends\"") && page.contains("Lift: treated against control"))
        // No message has an outcome yet: the model step passes without a model, and says why.
        #expect((steps["model"]?["summary"] as? String)?.hasPrefix("no model yet: ") == true, "\(steps)")
        #expect(
            steps["import"]?["summary"] as? String
                == "2 files: 40 profiles, \(40 * 14 * 2 + 20 * 4) events accepted, 0 rows rejected"
        )

        // Three trainings, three generations; the daemon serves the last, with every model in it.
        let generation = try #require(status["currentGeneration"] as? [String: Any])
        #expect(generation["number"] as? Int == 3)
        let models = (generation["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(models) == ["landscape", "timing", "recommender"])
        // The daemon reloads right after the pass ends, which may be just after the report says it ended.
        #expect(try Self.servedGeneration(daemon) == 3)
        // The recommender was trained with the schedule's settings.
        let trained = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: URL(
                        fileURLWithPath: daemon.dataDirectory.path + "/generations/3/recommender/recommender.json"
                    )
                )
            ) as? [String: Any]
        )
        let settings = try #require(trained["settings"] as? [String: Any])
        #expect(
            settings["similarity"] as? String == "cosine" && settings["servedListLength"] as? Int == 8,
            "\(settings)"
        )

        // Every user outside the control group got a message, in the batch the assign step names.
        let outbox = try Aampectl.run(["outbox", "status", "--data-dir", daemon.dataDirectory.path, "--json"])
        let total = try #require(try Self.json(outbox.standardOutput)["total"] as? [String: Any])
        let messages = try #require(total["total"] as? Int)
        #expect(messages > 30 && messages <= Self.users)
        #expect((steps["assign"]?["summary"] as? String)?.hasPrefix("\(messages) messages in outbox batch ") == true)

        // The files left the drop folder; nothing new arrives, so no second pass runs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: drop).sorted() == ["processed", "users"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: drop + "/users").isEmpty)
        usleep(3_000_000)
        let again = try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path, "--json"])
        let lastPass = try #require(try Self.json(again.standardOutput)["lastPipelinePass"] as? [String: Any])
        #expect(lastPass["started_at"] as? String == pass["started_at"] as? String)
        #expect(daemon.log.contains("pipeline: watching \(drop) every 1 s"))
        // The scheduler stops with the daemon.
        #expect(daemon.stop() == 0)
    }

    @Test("on a simulated clock, dropped files wait for the daily time, which comes when the clock is moved to it")
    func dailyOnSimulatedClock() throws {
        // Tomorrow 02:29 UTC: after every event of the world, as a nightly run is.
        let tomorrow = (Timestamp.now().secondsSinceEpoch / 86_400 + 1) * 86_400
        let start = Timestamp(secondsSinceEpoch: tomorrow + 2 * 3_600 + 29 * 60)
        let daemon = try Self.daemon(
            arguments: ["--simulated-clock", start.description],
            schedule: "  onArrival: false\n  at: \"02:30\"\n  timeZone: UTC\n"
        )
        let drop = daemon.folder + "/drop"
        try Self.drop(Self.usersCSV(), as: "users/users.csv", in: drop)
        try Self.drop(Self.eventsCSV(), as: "events.csv", in: drop)
        // Complete after a second, but not on arrival: nothing runs while the clock stands at 02:29.
        usleep(3_000_000)
        let waiting = try Self.json(
            try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path, "--json"]).standardOutput
        )
        #expect(waiting["lastPipelinePass"] is NSNull)
        #expect(FileManager.default.fileExists(atPath: drop + "/events.csv"))

        let due = Timestamp(secondsSinceEpoch: tomorrow + 2 * 3_600 + 30 * 60)
        let moved = try Aampectl.run([
            "outbox", "clock", "--data-dir", daemon.dataDirectory.path, "--set", due.description,
        ])
        #expect(moved.status == 0, "\(moved.output)")
        let status = try Self.finishedPass(daemon)
        let pass = try #require(status["lastPipelinePass"] as? [String: Any])
        #expect(pass["trigger"] as? String == "daily" && pass["status"] as? String == "succeeded", "\(pass)")
        // The pass runs on the daemon's clock: it started, and assigned, at the simulated 02:30.
        #expect(pass["started_at"] as? String == due.description)
        #expect(
            (try Self.steps(status)["assign"]?["summary"] as? String)?.contains(" messages in outbox batch ") == true
        )
        #expect(daemon.log.contains("next daily pass at \(due.description)"))
    }

    @Test("a dump the import cannot read fails the import step, skips the rest, and the previous generation serves")
    func failedStepKeepsGeneration() throws {
        // Generation 3 is live before the daemon starts: one pass by hand over the good dump.
        let daemon = try Self.daemon { directory, folder in
            try Self.drop(Self.usersCSV(), as: "users/users.csv", in: folder + "/manual")
            try Self.drop(Self.eventsCSV(), as: "events.csv", in: folder + "/manual")
            let manual = try Aampectl.run([
                "pipeline", "run", "--data-dir", directory.path, "--drop", folder + "/manual",
            ])
            #expect(manual.status == 0, "\(manual.output)")
        }
        let before = try Self.json(
            try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path, "--json"]).standardOutput
        )
        let manualPass = try #require(before["lastPipelinePass"] as? [String: Any])
        #expect(manualPass["trigger"] as? String == "manual")

        // Not zstd: the reader refuses the whole file.
        try Self.drop("this is not a zstd frame", as: "events.csv.zst", in: daemon.folder + "/drop")
        let status = try Self.finishedPass(daemon, after: manualPass["started_at"] as? String)
        let pass = try #require(status["lastPipelinePass"] as? [String: Any])
        #expect(pass["status"] as? String == "failed")
        let steps = try Self.steps(status)
        #expect(steps["import"]?["status"] as? String == "failed")
        let error = try #require(steps["import"]?["error"] as? String)
        #expect(error.contains("events.csv.zst") && error.contains("moved to failed/"), "\(error)")
        for name in ["landscape", "timing", "recommender", "assign"] {
            #expect(steps[name]?["status"] as? String == "skipped")
        }
        let generation = try #require(status["currentGeneration"] as? [String: Any])
        #expect(generation["number"] as? Int == 3)
        let served = try #require(status["daemon"] as? [String: Any])
        #expect(served["isReachable"] as? Bool == true && served["generation"] as? Int == 3)

        // The table says the same, and the daemon logged it.
        let table = try Aampectl.run(["status", "--data-dir", daemon.dataDirectory.path]).standardOutput
        #expect(table.contains("last pipeline pass") && table.contains("failed (arrival"))
        #expect(table.contains("step import") && table.contains("events.csv.zst"))
        #expect(table.contains("step assign") && table.contains("skipped: an earlier step failed"))
        #expect(daemon.log.contains("pipeline step import: failed"))
        let failed = try FileManager.default.subpathsOfDirectory(atPath: daemon.folder + "/drop/failed")
        #expect(failed.contains { $0.hasSuffix("/events.csv.zst") })
    }

    @Test("a schedule: with a drop folder that does not exist stops aamped at start, naming file, line and setting")
    func configurationError() throws {
        let folder = try TemporaryFolder(prefix: "aamped-schedule")
        let config = folder.child("aamped.yaml")
        try "logLevel: info\nschedule:\n  drop: /no/such/drop\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        let (status, output) = try DaemonProcess.runToExit(arguments: ["--config", config])
        #expect(status != 0)
        #expect(
            output.contains("\(config): line 3, schedule setting 'drop': /no/such/drop is not a folder"),
            "\(output)"
        )
    }
}

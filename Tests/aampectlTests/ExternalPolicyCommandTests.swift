import AampeOutbox
import AampeTestSupport
import Foundation
import Testing

/// `aampectl assign --policy external` with the reference policy (tools/clients/external_policy_example.py)
/// as the process: its choices and propensities reach the outbox and the message log, it learns from the
/// outcomes file the engine exports, and a process that breaks the protocol stops the run.
///
/// The world: u00 … u07 in Europe/Berlin with push consent (u04 … u07 also open the app and buy the day
/// before), one scheduled campaign `daily` with one formula whose greeting block is `tone=playful` or
/// `tone=plain`, no caps, no quiet hours.
@Suite("aampectl assign --policy external")
struct ExternalPolicyCommandTests {
    static let policyScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/clients/external_policy_example.py").path

    static let content: [(String, String)] = [
        (
            "labels.yaml",
            """
            label_sets:
              tone: [playful, plain]
            events: [app_opened, purchase]
            goals:
              purchase: { events: [purchase] }
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
                      - { label: playful, text: "Hey!" }
                      - { label: plain, text: "Hello" }
            """
        ),
        (
            "campaigns.yaml",
            """
            campaigns:
              daily:
                goal: purchase
                formulas: [nudge]
                audience: { consent: [push] }
                quiet_hours: none
            """
        ),
    ]

    static func world(_ folder: TemporaryFolder) throws -> String {
        let data = folder.child("data")
        var users = "user_id,timezone,push_token,push_consent\n"
        var events = "user_id,event,timestamp\n"
        for user in 0..<8 {
            users += String(format: "u%02d", user) + ",Europe/Berlin,token\(user),true\n"
            events += String(format: "u%02d", user) + ",app_opened,2026-10-28T09:00:00Z\n"
            if user >= 4 {
                // A second kind of user, so that a landscape has two clusters to find.
                events += String(format: "u%02d", user) + ",app_opened,2026-10-27T09:00:00Z\n"
                events += String(format: "u%02d", user) + ",purchase,2026-10-27T09:05:00Z\n"
            }
        }
        try folder.write("users.csv", users)
        try folder.write("events.csv", events)
        try FileManager.default.createDirectory(atPath: folder.child("content"), withIntermediateDirectories: true)
        for (name, text) in content { try folder.write("content/" + name, text) }
        for arguments in [
            ["init", "--data-dir", data],
            ["import", "users", "--data-dir", data, folder.child("users.csv")],
            ["import", "events", "--data-dir", data, folder.child("events.csv")],
            ["content", "apply", folder.child("content"), "--data-dir", data],
        ] {
            let result = try Aampectl.run(arguments)
            try #require(result.status == 0, "\(arguments): \(result.standardError)")
        }
        return data
    }

    static func assign(_ data: String, asOf: String, command: String) throws -> Product.Result {
        try Aampectl.run([
            "assign", "--data-dir", data, "--as-of", asOf, "--json", "--control-share", "0.0001", "--control-salt",
            AssignCommandTests.controlSalt, "--horizon", "12",
            "--policy", "external", "--policy-command", command,
        ])
    }

    /// The policy's log: one object per decision (user, chosen choice, propensity, mode), by user.
    static func policyLog(_ path: String) throws -> [String: [String: Any]] {
        var byUser: [String: [String: Any]] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            byUser[try #require(object["user"] as? String)] = object
        }
        return byUser
    }

    /// Checks that every message of the newest outbox batch, and its message-log row, carries what the
    /// policy's log says it chose for that user.
    static func expectOutboxMatches(_ data: String, log: [String: [String: Any]]) throws {
        let folder = OutboxFolder(path: data + "/outbox")
        let batch = try #require(try folder.batches().last)
        let file = try OutboxBatch(path: folder.messagesPath(of: batch), batch: batch)
        let records = try (0..<file.count).map { try file.record(at: $0) }
        #expect(Set(records.map(\.user)) == Set(log.keys))
        for record in records {
            let decided = try #require(log[record.user])
            let chosen = try #require(decided["chosen"] as? [String: Any])
            #expect(record.labels == chosen["labels"] as? [String], "\(record.user)")
            #expect(record.weeklyWindow == chosen["window"] as? Int, "\(record.user)")
            #expect(record.propensity == decided["propensity"] as? Double, "\(record.user)")
            #expect(record.mode == decided["mode"] as? String, "\(record.user)")
            let logged = try AssignCommandTests.sql(
                data,
                "SELECT m.propensity, m.mode, m.window_index FROM message_log m JOIN user_keys k USING (user_index) WHERE k.external_id = '\(record.user)' AND m.batch = \(batch)"
            )
            let fields = logged.split(separator: "|").map(String.init)
            #expect(Double(fields[0]) == record.propensity, "\(record.user): \(logged)")
            #expect(fields[1] == record.mode)
            #expect(Int(fields[2]) == record.weeklyWindow)
        }
    }

    @Test(
        "the process's choices and propensities reach the outbox and the log; the next day it learns from the outcomes"
    )
    func decidesAndLearns() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)

        // Day 1: pure exploration, so every choice has propensity 1 / k.
        let firstLog = folder.child("day1.jsonl")
        let first = try Self.assign(
            data,
            asOf: "2026-10-29T11:00:00Z",
            command: "python3 '\(Self.policyScript)' --epsilon 1 --log '\(firstLog)'"
        )
        try #require(first.status == 0, "\(first.standardError)")
        let report = try AssignCommandTests.json(first.standardOutput)
        #expect(try AssignCommandTests.campaign(report, "daily")["conditioned"] as? Int == 8)
        let day1 = try Self.policyLog(firstLog)
        #expect(day1.count == 8)
        try Self.expectOutboxMatches(data, log: day1)
        // The outcomes file was written, empty, before the first decision.
        #expect(try String(contentsOfFile: data + "/policy-outcomes/daily.jsonl", encoding: .utf8) == "")

        // Day 1's messages are delivered; the plain ones led to a purchase.
        _ = try AssignCommandTests.sql(
            data,
            "UPDATE message_log SET status = 'delivered', outcome_joined_at_micros = 1, goal_count = CASE WHEN labels LIKE '%tone=plain%' THEN 1 ELSE 0 END WHERE campaign = 'daily'"
        )

        // Day 2: pure exploitation; every user gets a plain variant, and the outcomes file says why.
        let secondLog = folder.child("day2.jsonl")
        let second = try Self.assign(
            data,
            asOf: "2026-10-30T11:00:00Z",
            command: "python3 '\(Self.policyScript)' --epsilon 0 --confident-sends 1 --log '\(secondLog)'"
        )
        try #require(second.status == 0, "\(second.standardError)")
        let day2 = try Self.policyLog(secondLog)
        #expect(day2.count == 8)
        try Self.expectOutboxMatches(data, log: day2)
        #expect(day2.values.allSatisfy { (($0["chosen"] as? [String: Any])?["labels"] as? [String]) == ["tone=plain"] })

        let outcomes = try String(contentsOfFile: data + "/policy-outcomes/daily.jsonl", encoding: .utf8)
            .split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        #expect(outcomes.count == 8)
        for outcome in outcomes {
            let user = try #require(outcome["user"] as? String)
            let sent = try #require(day1[user])
            let labels = try #require((sent["chosen"] as? [String: Any])?["labels"] as? [String])
            #expect(outcome["labels"] as? [String] == labels)
            #expect(outcome["propensity"] as? Double == sent["propensity"] as? Double)
            #expect(outcome["goal_count"] as? Int == (labels == ["tone=plain"] ? 1 : 0))
            #expect(outcome["cluster"] as? Int == -1, "no landscape trained: the candidates' cluster too")
        }
    }

    @Test("each candidate's landscape cluster and vector reach the process as its cluster and context")
    func context() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)
        let trained = try Aampectl.run([
            "train", "landscape", "--data-dir", data, "--clusters", "2", "--dimensions", "2", "--json",
        ])
        try #require(trained.status == 0, "\(trained.standardError)")
        let logPath = folder.child("decisions.jsonl")
        let result = try Self.assign(
            data,
            asOf: "2026-10-29T11:00:00Z",
            command: "python3 '\(Self.policyScript)' --epsilon 1 --log '\(logPath)'"
        )
        try #require(result.status == 0, "\(result.standardError)")
        let log = try Self.policyLog(logPath)
        #expect(log.count == 8)

        // `landscape export`: user_id, cluster, v0, v1.
        let export = try Aampectl.run(["landscape", "export", "--data-dir", data])
        try #require(export.status == 0, "\(export.standardError)")
        var clusters: Set<Int> = []
        for line in export.standardOutput.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            let decided = try #require(log[fields[0]], "\(fields[0])")
            let cluster = try #require(Int(fields[1]))
            clusters.insert(cluster)
            #expect(decided["cluster"] as? Int == cluster, "\(fields[0])")
            let context = try #require(decided["context"] as? [Double], "\(fields[0])")
            let vector = fields.dropFirst(2).compactMap(Double.init)
            #expect(context.count == 2 && vector.count == 2)
            for (sent, exported) in zip(context, vector) {
                #expect(abs(sent - exported) <= 1e-6 * max(1, abs(exported)), "\(fields[0]): \(context) \(vector)")
            }
        }
        #expect(clusters.count == 2, "the two kinds of user are told apart, so the clusters carry information")
    }

    @Test("an answer that is not JSON, or a process that exits, stops the run with the line and nothing is written")
    func brokenProcess() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)
        let garbage = try Self.assign(data, asOf: "2026-10-29T11:00:00Z", command: "echo not-json; cat > /dev/null")
        #expect(garbage.status != 0)
        #expect(
            garbage.standardError.contains("external policy answer line 1 (to engine line 2): is not a JSON object"),
            "\(garbage.standardError)"
        )
        let exits = try Self.assign(data, asOf: "2026-10-29T11:00:00Z", command: "echo 'no model here' >&2; exit 4")
        #expect(exits.status != 0)
        #expect(exits.standardError.contains("exited with status 4"), "\(exits.standardError)")
        #expect(exits.standardError.contains("no model here"), "\(exits.standardError)")
        #expect(try AssignCommandTests.sql(data, "SELECT COUNT(*) FROM message_log") == "0")
    }
}

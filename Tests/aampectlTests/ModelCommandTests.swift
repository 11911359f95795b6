import AampeTestSupport
import Foundation
import Testing

/// `aampectl train model`, `assign --policy model` and `model report` through the real binary, on the
/// world of ``ExternalPolicyCommandTests`` grown to 240 users: one campaign whose greeting is
/// `tone=playful` or `tone=plain`.
@Suite("aampectl train model and assign --policy model")
struct ModelCommandTests {
    static func world(_ folder: TemporaryFolder, users: Int) throws -> String {
        let data = folder.child("data")
        var profiles = "user_id,timezone,push_token,push_consent\n"
        var events = "user_id,event,timestamp\n"
        for user in 0..<users {
            let id = String(format: "u%03d", user)
            profiles += id + ",Europe/Berlin,token\(user),true\n"
            events += id + ",app_opened,2026-10-28T09:00:00Z\n"
        }
        try folder.write("users.csv", profiles)
        try folder.write("events.csv", events)
        try FileManager.default.createDirectory(atPath: folder.child("content"), withIntermediateDirectories: true)
        for (name, text) in ExternalPolicyCommandTests.content { try folder.write("content/" + name, text) }
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

    static func assign(_ data: String, asOf: String, policy: String) throws -> [String: Any] {
        let result = try Aampectl.run([
            "assign", "--data-dir", data, "--as-of", asOf, "--json", "--control-share", "0.25", "--control-salt", "s",
            "--horizon", "12", "--policy", policy,
        ])
        try #require(result.status == 0, "\(result.standardError)")
        return try AssignCommandTests.json(result.standardOutput)
    }

    @Test("the model learns which tone sells from the log, and the model policy sends it preferentially")
    func learnsAndExploits() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder, users: 240)

        // Without a model, the model policy assigns everyone conditioned (an even spread).
        let first = try Self.assign(data, asOf: "2026-10-29T11:00:00Z", policy: "model")
        let daily = try AssignCommandTests.campaign(first, "daily")
        #expect(daily["preferential"] as? Int == 0)
        let sent = try #require(daily["conditioned"] as? Int)
        #expect(sent > 150)
        let untrained = try Aampectl.run(["train", "model", "--data-dir", data])
        #expect(untrained.status != 0)
        #expect(untrained.standardError.contains("no joined outcomes yet"), "\(untrained.standardError)")

        // Delivered: every plain message led to a purchase, no playful one did; control users bought nothing.
        _ = try AssignCommandTests.sql(
            data,
            "UPDATE message_log SET status = 'delivered', delivered_at_micros = sent_at_micros, outcome_joined_at_micros = 1, goal_count = CASE WHEN labels LIKE '%tone=plain%' THEN 1 ELSE 0 END, goal_delay_seconds = 600 WHERE campaign = 'daily' AND mode = 'conditioned'"
        )
        _ = try AssignCommandTests.sql(
            data,
            "UPDATE message_log SET outcome_joined_at_micros = 1, goal_count = 0 WHERE mode = 'control'"
        )
        let trained = try Aampectl.run(["train", "model", "--data-dir", data, "--minimum-rows", "20", "--json"])
        try #require(trained.status == 0, "\(trained.standardError)")
        let report = try AssignCommandTests.json(trained.standardOutput)
        let goals = try #require(report["goals"] as? [[String: Any]])
        #expect(goals.map { $0["goal"] as? String } == ["purchase"])
        #expect(goals[0]["message_rows"] as? Int == sent)
        #expect((goals[0]["control_rows"] as? Int ?? 0) > 30)

        // The next day: plain is confidently better than no message, so users get it preferentially.
        let second = try AssignCommandTests.campaign(
            try Self.assign(data, asOf: "2026-10-30T11:00:00Z", policy: "model"),
            "daily"
        )
        let preferential = try #require(second["preferential"] as? Int)
        #expect(preferential > sent * 9 / 10, "\(second)")
        let plain = try AssignCommandTests.sql(
            data,
            "SELECT COUNT(*) FROM message_log WHERE mode = 'preferential' AND labels LIKE '%tone=plain%'"
        )
        #expect(Int(plain.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > preferential * 9 / 10)
        let lifts = try AssignCommandTests.sql(
            data,
            "SELECT MIN(expected_lift) > 0, MIN(propensity) > 0 FROM message_log WHERE mode = 'preferential'"
        )
        #expect(lifts.trimmingCharacters(in: .whitespacesAndNewlines) == "1|1")

        // The report: no earlier model to judge, so only this model's fit on the newest day.
        let shown = try Aampectl.run(["model", "report", "--data-dir", data, "--json"])
        #expect(shown.status == 0, "\(shown.standardError)")
        #expect(shown.standardOutput.contains("\"goal\" : \"purchase\""))
    }

    @Test("bad settings are refused with the option named")
    func badSettings() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder, users: 2)
        for (arguments, message) in [
            (["train", "model", "--row-half-life-days=-1"], "row-age-half-life-days"),
            (["train", "model", "--minimum-rows", "0"], "minimum-rows"),
            (["assign", "--policy", "model", "--preferential-confidence", "1.5"], "--preferential-confidence"),
            (["assign", "--policy", "model", "--opt-out-cost=-1"], "--opt-out-cost"),
            (["model", "report"], "run `aampectl train model` first"),
        ] {
            let result = try Aampectl.run(arguments + ["--data-dir", data])
            #expect(result.status != 0, "\(arguments)")
            #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        }
    }
}

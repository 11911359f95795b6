import AampeOutbox
import AampeTestSupport
import Foundation
import Testing

/// `aampectl assign` on a hand-made world, through the binary as a user runs it: eligibility at its
/// edges, idempotence, and a run killed at each step of its commit.
///
/// The world (as of 2026-10-29T11:00Z, a Thursday):
/// - u00 … u09 in Europe/Berlin, push consent; u10 has a token but no consent; u11 no token at all.
/// - u12 lives in Pacific/Kiritimati (+14, already Friday 01:00), u13 in Pacific/Honolulu (−10,
///   Thursday 01:00): the date range ends on Thursday 2026-10-29.
/// - cart events: u00 adds to cart at 10:00 (with the property `cart_value`, which its message shows) and
///   never checks out (fires at 10:15); u01 checks out at
///   10:15, exactly at the due instant (cancelled); u02 checks out at 10:16 (fires); u03 adds twice, at
///   10:00 and 10:10 (fires once, at 10:25).
@Suite("aampectl assign on a hand-made world")
struct AssignCommandTests {
    static let asOf = "2026-10-29T11:00:00Z"

    /// With the default salt (the data directory's random id), one run in about 700 would put one of the
    /// 14 users in a 0.0001 control group and change the counts; under this salt none of them is.
    static let controlSalt = "assign-tests"

    static let content: [(String, String)] = [
        (
            "labels.yaml",
            """
            label_sets:
              tone: [playful, plain]
            events: [app_opened, add_to_cart, checkout, purchase]
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
                body: "Come back{{#cart_value}}: {{cart_value}} in your cart{{/cart_value}}{{#event.item_id}} ({{event.item_id}}){{/event.item_id}}"
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
              cart:
                goal: purchase
                formulas: [nudge]
                audience: { consent: [push] }
                trigger: { event: add_to_cart, delay: 15m, cancelled_by: [checkout] }
                quiet_hours: none
              sale:
                goal: purchase
                formulas: [nudge]
                audience: { consent: [push] }
                dates: { from: 2026-10-20, until: 2026-10-29 }
                frequency_per_7_days: 1
                quiet_hours: none
            """
        ),
    ]

    /// An initialized data directory with the world imported and the content applied.
    static func world(_ folder: TemporaryFolder) throws -> String {
        let data = folder.child("data")
        let result = try Aampectl.run(["init", "--data-dir", data])
        #expect(result.status == 0, "\(result.standardError)")
        try prepare(data: data, folder: folder)
        return data
    }

    /// Imports the world into the initialized data directory `data` and applies the content.
    static func prepare(data: String, folder: TemporaryFolder) throws {
        var users = "user_id,first_name,timezone,push_token,push_consent\n"
        for user in 0..<14 {
            let zone = user == 12 ? "Pacific/Kiritimati" : user == 13 ? "Pacific/Honolulu" : "Europe/Berlin"
            let token = user == 11 ? "" : "token\(user)"
            users += String(format: "u%02d", user) + ",Name\(user),\(zone),\(token),\(user == 10 ? "false" : "true")\n"
        }
        // Columns other than the known ones become the event's properties (`cart_value`).
        var events = "user_id,event,timestamp,item_id,value,cart_value\n"
        for user in 0..<14 {
            events += String(format: "u%02d", user) + ",app_opened,2026-10-29T09:00:00Z,,,\n"
        }
        events += """
            u00,add_to_cart,2026-10-29T10:00:00Z,i1,,59.5
            u01,add_to_cart,2026-10-29T10:00:00Z,i1,,
            u01,checkout,2026-10-29T10:15:00Z,,,
            u02,add_to_cart,2026-10-29T10:00:00Z,i1,,
            u02,checkout,2026-10-29T10:16:00Z,,,
            u03,add_to_cart,2026-10-29T10:00:00Z,i1,,
            u03,add_to_cart,2026-10-29T10:10:00Z,i2,,

            """
        try folder.write("users.csv", users)
        try folder.write("events.csv", events)
        try FileManager.default.createDirectory(atPath: folder.child("content"), withIntermediateDirectories: true)
        for (name, text) in content { try folder.write("content/" + name, text) }
        for arguments in [
            ["import", "users", "--data-dir", data, folder.child("users.csv")],
            ["import", "events", "--data-dir", data, folder.child("events.csv")],
            ["content", "apply", folder.child("content"), "--data-dir", data],
        ] {
            let result = try Aampectl.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
        }
    }

    static func assign(
        _ data: String,
        _ extra: [String] = [],
        environment: [String: String] = [:]
    ) throws -> Product.Result {
        try Aampectl.run(
            [
                "assign", "--data-dir", data, "--as-of", asOf, "--json", "--control-share", "0.0001", "--control-salt",
                controlSalt,
            ] + extra,
            environment: environment
        )
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func campaign(_ report: [String: Any], _ name: String) throws -> [String: Any] {
        let campaigns = try #require(report["campaigns"] as? [[String: Any]])
        return try #require(campaigns.first { $0["campaign"] as? String == name })
    }

    static func exclusions(_ campaign: [String: Any]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in campaign["exclusions"] as? [[String: Any]] ?? [] {
            counts[entry["name"] as! String] = entry["count"] as? Int
        }
        return counts
    }

    /// `sqlite3`'s answer to `query` on the data directory's store.
    static func sql(_ data: String, _ query: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print('\\n'.join('|'.join('' if v is None else str(v) for v in x) for x in r))",
            data + "/aampe.sqlite", query,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    @Test(
        "triggers: delay, cancellation at the due instant, a burst; consent; the date range in local dates; idempotence"
    )
    func eligibilityAndIdempotence() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)
        let first = try Self.assign(data)
        #expect(first.status == 0, "\(first.standardError)")
        let report = try Self.json(first.standardOutput)

        let cart = try Self.campaign(report, "cart")
        #expect(cart["candidates"] as? Int == 3, "u00, u02 and u03 fire; u01's checkout cancels")
        #expect(cart["conditioned"] as? Int == 3)
        // Every due instant (10:15, 10:15, 10:25) is before as-of, so each window starts at as-of (11:00Z).
        let cartRows = try Self.sql(
            data,
            "SELECT k.external_id, m.sent_at_micros, m.occasion FROM message_log m JOIN user_keys k USING (user_index) WHERE campaign = 'cart' ORDER BY 1"
        )
        #expect(cartRows.split(separator: "\n").map { $0.split(separator: "|")[0] } == ["u00", "u02", "u03"])
        #expect(cartRows.split(separator: "\n").allSatisfy { $0.split(separator: "|")[1] == "1793271600000000" })
        #expect(cartRows.contains("u03|1793271600000000|event:1793268600000000"), "the second cart, 10:10Z, fires")

        // A cart message renders the firing event's variables: its properties, and `item_id` under `event`.
        let bodies = try Self.batchRecords(data).map { record in
            (record.user, record.campaign, record.fields.first { $0.name == "body" }?.text ?? "")
        }
        #expect(bodies.contains { $0 == ("u00", "cart", "Come back: 59.5 in your cart (i1)") }, "\(bodies)")
        #expect(bodies.contains { $0 == ("u02", "cart", "Come back (i1)") }, "\(bodies)")
        #expect(bodies.filter { $0.1 == "sale" }.allSatisfy { $0.2 == "Come back" }, "no event, no event variables")

        let sale = try Self.campaign(report, "sale")
        let excluded = Self.exclusions(sale)
        #expect(excluded["consent"] == 2, "u10 without consent, u11 without a token")
        #expect(excluded["date_range"] == 1, "u12: Friday already in Kiritimati")
        #expect(sale["conditioned"] as? Int == 11, "u00 … u09 and u13 (still Thursday in Honolulu)")

        // The same period again adds nothing, and writes no batch.
        let again = try Self.json(try Self.assign(data).standardOutput)
        #expect(try Self.campaign(again, "sale")["already_decided"] as? Int == 11)
        #expect(try Self.campaign(again, "cart")["already_decided"] as? Int == 3)
        #expect(again["batch"] == nil || again["batch"] is NSNull)
        #expect(try Self.sql(data, "SELECT COUNT(*) FROM message_log") == "14")
        let batches = try FileManager.default.contentsOfDirectory(atPath: data + "/outbox")
        #expect(batches.count == 1)
    }

    @Test("the campaign's 7-day cap: reached exactly, a user is capped; one below, they are not")
    func capEdge() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)
        // A run a day earlier plans one `sale` message per user (the cap is 1 per 7 days).
        let earlier = try Aampectl.run([
            "assign", "--data-dir", data, "--as-of", "2026-10-28T11:00:00Z", "--campaign", "sale", "--json",
            "--control-share", "0.0001", "--control-salt", Self.controlSalt,
        ])
        #expect(earlier.status == 0, "\(earlier.standardError)")
        // Free u00's slot: its earlier message failed, so it does not count.
        _ = try Self.sql(
            data,
            "UPDATE message_log SET status = 'failed' WHERE user_index = (SELECT user_index FROM user_keys WHERE external_id = 'u00')"
        )
        let capped = Self.exclusions(
            try Self.campaign(try Self.json(try Self.assign(data, ["--campaign", "sale"]).standardOutput), "sale")
        )
        #expect(capped["campaign_cap"] == 10, "u01 … u09 and u13 reached the cap of 1 exactly")
        #expect(
            try Self.sql(
                data,
                "SELECT COUNT(*) FROM message_log m JOIN user_keys k USING (user_index) WHERE k.external_id = 'u00' AND occasion = 'day:2026-10-29'"
            ) == "1"
        )
    }

    @Test(
        "a run killed after writing the batch, or after logging, and run again, gives the outbox of a run never killed"
    )
    func killedRuns() throws {
        let folder = try TemporaryFolder()
        let reference = try Self.world(folder)
        #expect(try Self.assign(reference).status == 0)
        let expected = try Self.sql(
            reference,
            "SELECT user_index, campaign, formula, variant, labels, window_index, sent_at_micros, propensity FROM message_log ORDER BY campaign, user_index"
        )
        let expectedRecords = try Self.batchRecords(reference)
        #expect(!expectedRecords.isEmpty)
        for failpoint in ["assign.after-outbox-write:1", "assign.after-log-commit:1"] {
            let crashed = try TemporaryFolder()
            let data = try Self.world(crashed)
            let killed = try Self.assign(data, environment: ["AAMPE_FAILPOINT": failpoint])
            #expect(killed.status != 0, "\(failpoint) should kill the run")
            let rerun = try Self.assign(data)
            #expect(rerun.status == 0, "\(failpoint): \(rerun.standardError)")
            #expect(
                try Self.sql(
                    data,
                    "SELECT user_index, campaign, formula, variant, labels, window_index, sent_at_micros, propensity FROM message_log ORDER BY campaign, user_index"
                ) == expected,
                "\(failpoint)"
            )
            #expect(try Self.batchRecords(data) == expectedRecords, "\(failpoint)")
            let names = try FileManager.default.contentsOfDirectory(atPath: data + "/outbox")
            #expect(names.allSatisfy { !$0.hasSuffix(".pending") }, "\(failpoint): \(names)")
        }
    }

    /// Every message of every served batch file (`outbox/<batch>/messages.seg`), read back with
    /// `OutboxBatch`, in batch order: what PULL would hand out. No `.pending` folder is read.
    static func batchRecords(_ data: String) throws -> [OutboxRecord] {
        let folder = OutboxFolder(path: data + "/outbox")
        return try folder.batches().flatMap { batch in
            let file = try OutboxBatch(path: folder.messagesPath(of: batch), batch: batch)
            return try (0..<file.count).map { try file.record(at: $0) }
        }
    }
}

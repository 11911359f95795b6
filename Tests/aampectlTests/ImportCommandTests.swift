import AampeCore
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// `aampectl import`, run as a binary: summaries, exit statuses, quiet output off a terminal.
@Suite("aampectl import, run as a binary")
struct ImportCommandTests {
    static func dataDirectory(_ folder: TemporaryFolder) throws -> String {
        let data = folder.child("data")
        let result = try Aampectl.run(["init", "--data-dir", data])
        #expect(result.status == 0)
        return data
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test(
        "a clean import prints the detection and the table, writes nothing to stderr off a terminal, and records the run"
    )
    func cleanImport() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let csv = folder.child("events.csv")
        try Self.write(
            "user_id,event,timestamp,item_id,value\nu1,view,1793534400,i1,\nu2,purchase,1793534460,i2,19.99\n",
            to: csv
        )
        let result = try Aampectl.run(["import", "events", "--data-dir", data, csv])
        #expect(result.status == 0)
        #expect(result.standardError.isEmpty, "no progress bar off a terminal: \(result.standardError)")
        #expect(result.standardOutput.contains("\(csv): csv (delimited text (file name))"))
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("accepted") && $0.hasSuffix(" 2") })
        #expect(lines.contains { $0.hasPrefix("duplicates") && $0.hasSuffix(" 0") })

        let again = try Aampectl.run(["import", "events", "--data-dir", data, "--json", csv])
        #expect(again.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(again.standardOutput.utf8)) as? [String: Any]
        )
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["accepted"] as? Int == 0)
        #expect(totals["duplicates"] as? Int == 2)

        let store = try DataDirectory(path: data).openStore()
        let runs = try store.runs.recent(limit: 10, kind: .import)
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.status == .succeeded && $0.subject == "events" })
        #expect(runs.first?.counters["duplicates"] == 2)
    }

    @Test(
        "historic ratings with the README's MovieLens command: rejected by default with a hint naming --oldest-accepted, accepted with it"
    )
    func oldestAccepted() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        // u.data layout, 1997-98 times as in MovieLens-100k (made-up rows).
        let ratings = folder.child("u.data")
        try Self.write("1\t10\t4\t874724710\n2\t20\t3\t881250949\n3\t30\t5\t893286638\n", to: ratings)
        let command = [
            "import", "events", "--data-dir", data, "--format", "csv", "--delimiter", "tab",
            "--columns", "user_id,item_id,value,timestamp", "--default-event", "rating",
        ]

        let refused = try Aampectl.run(command + [ratings])
        #expect(refused.status == 0)
        #expect(
            refused.standardOutput.split(separator: "\n").contains {
                $0.hasPrefix("  timestamp_too_old") && $0.hasSuffix(" 3")
            }
        )
        #expect(refused.standardError.contains("3 rows are older than --oldest-accepted 2000-01-01T00:00:00Z"))

        let accepted = try Aampectl.run(command + ["--oldest-accepted", "1990-01-01", ratings])
        #expect(accepted.status == 0)
        #expect(accepted.standardError.isEmpty)
        #expect(
            accepted.standardOutput.split(separator: "\n").contains { $0.hasPrefix("accepted") && $0.hasSuffix(" 3") }
        )

        // 1970-01-01 is the earliest setting; a second before it, and text that is no time, are refused.
        #expect(try Aampectl.run(command + ["--oldest-accepted", "1970-01-01", ratings]).status == 0)
        let tooEarly = try Aampectl.run(command + ["--oldest-accepted", "1969-12-31T23:59:59Z", ratings])
        #expect(tooEarly.status != 0)
        #expect(tooEarly.standardError.contains("--oldest-accepted"))
        #expect(try Aampectl.run(command + ["--oldest-accepted", "long ago", ratings]).status != 0)
    }

    @Test("nothing readable exits 2 and says so; a missing path among readable ones still exits 0")
    func nothingReadable() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let missing = try Aampectl.run(["import", "events", "--data-dir", data, folder.child("nope.csv")])
        #expect(missing.status == 2)
        #expect(missing.standardOutput.contains("nope.csv: not imported: no such file or folder"))
        #expect(missing.standardError.contains("nothing was readable"))

        let csv = folder.child("ok.csv")
        try Self.write("user_id,event,timestamp\nu1,view,1793534400\n", to: csv)
        let mixed = try Aampectl.run(["import", "events", "--data-dir", data, folder.child("nope.csv"), csv])
        #expect(mixed.status == 0)
    }

    @Test("--strict fails when the reject share is above --max-reject-rate, and not at or below it")
    func strict() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let csv = folder.child("dirty.csv")
        // One reject in four rows: a share of 0.25.
        try Self.write(
            "user_id,event,timestamp\nu1,view,1793534400\n,view,1793534401\nu3,view,1793534402\nu4,view,1793534403\n",
            to: csv
        )
        let lenient = try Aampectl.run(["import", "events", "--data-dir", data, csv])
        #expect(lenient.status == 0)
        let strictFail = try Aampectl.run([
            "import", "events", "--data-dir", data, "--strict", "--max-reject-rate", "0.2", csv,
        ])
        #expect(strictFail.status == 3)
        #expect(strictFail.standardError.contains("1 of 4 rows rejected"))
        let strictPass = try Aampectl.run([
            "import", "events", "--data-dir", data, "--strict", "--max-reject-rate", "0.25", csv,
        ])
        #expect(strictPass.status == 0)
    }

    @Test("a bad option value is refused before anything is read, naming the option")
    func badOptions() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let format = try Aampectl.run(["import", "events", "--data-dir", data, "--format", "parquet", "x.csv"])
        #expect(format.status != 0)
        #expect(format.standardError.contains("--format must be one of"))
        let map = try Aampectl.run(["import", "events", "--data-dir", data, "--map", "customer=uid", "x.csv"])
        #expect(map.status != 0)
        #expect(map.standardError.contains("--map customer=uid"))
        let delimiter = try Aampectl.run(["import", "events", "--data-dir", data, "--delimiter", "ab", "x.csv"])
        #expect(delimiter.status != 0)
        #expect(delimiter.standardError.contains("--delimiter"))
    }

    @Test("users and catalog imports print their own summaries")
    func usersAndCatalog() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let users = folder.child("users.csv")
        try Self.write(
            "user_id,country,email,email_consent\nu1,DE,a@example.com,yes\nu2,XX,b@example.com,no\n",
            to: users
        )
        let result = try Aampectl.run(["import", "users", "--data-dir", data, users])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("invalid_field"))
        let catalog = folder.child("items.csv")
        try Self.write("item_id,title,price\ni1,\"Tea, green\",3.5\n", to: catalog)
        let items = try Aampectl.run(["import", "catalog", "--data-dir", data, "--json", catalog])
        #expect(items.status == 0)
        #expect(items.standardOutput.contains("\"accepted\":1"))
    }
}

@Suite("aampectl events summary, run as a binary")
struct EventsSummaryCommandTests {
    @Test("counts users, items, events per type per day and active users per day")
    func summary() throws {
        let folder = try TemporaryFolder()
        let data = try ImportCommandTests.dataDirectory(folder)
        let csv = folder.child("events.csv")
        // 2026-11-01: u1 views twice and buys once, u2 views; 2026-11-02: u2 buys.
        try ImportCommandTests.write(
            """
            user_id,event,timestamp,item_id
            u1,view,2026-11-01T08:00:00Z,i1
            u1,view,2026-11-01T09:00:00Z,i2
            u1,purchase,2026-11-01T09:05:00Z,i2
            u2,view,2026-11-01T10:00:00Z,i1
            u2,purchase,2026-11-02T10:00:00Z,i1

            """,
            to: csv
        )
        #expect(try Aampectl.run(["import", "events", "--data-dir", data, csv]).status == 0)
        let result = try Aampectl.run(["events", "summary", "--data-dir", data, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        )
        #expect(object["users"] as? Int == 2)
        #expect(object["items"] as? Int == 2)
        #expect(object["events"] as? Int == 5)
        #expect(object["event_types"] as? [String] == ["view", "purchase"])
        let days = try #require(object["days"] as? [[String: Any]])
        #expect(days.map { $0["date"] as? String } == ["2026-11-01", "2026-11-02"])
        #expect(days.map { $0["active_users"] as? Int } == [2, 1])
        #expect((days[0]["events"] as? [String: Int]) == ["view": 3, "purchase": 1])
        let table = try Aampectl.run(["events", "summary", "--data-dir", data])
        #expect(table.standardOutput.contains("2026-11-02"))
    }

    @Test(
        "a CSV's properties column: a JSON object is the properties, merged with other columns; events dump reads back"
    )
    func propertiesColumnRoundTrip() throws {
        let folder = try TemporaryFolder()
        let csv = folder.child("events.csv")
        try ImportCommandTests.write(
            """
            user_id,event,timestamp,item_id,value,properties,color
            u00,add_to_cart,2026-10-29T10:00:00Z,i1,,"{""cart_value"":59.5, ""tags"":[1,2]}",red
            u01,add_to_cart,2026-10-29T10:01:00Z,i1,,{},
            u02,add_to_cart,2026-10-29T10:02:00Z,i1,,not json,blue
            u03,add_to_cart,2026-10-29T10:03:00Z,i1,,,

            """,
            to: csv
        )
        func dump(_ data: String) throws -> String {
            let result = try Aampectl.run(["events", "dump", "--data-dir", data])
            #expect(result.status == 0, "\(result.standardError)")
            return result.standardOutput
        }
        let first = try ImportCommandTests.dataDirectory(folder)
        #expect(try Aampectl.run(["import", "events", "--data-dir", first, csv]).status == 0)
        let dumped = try dump(first)
        #expect(
            dumped == """
                user_id,event,timestamp,item_id,value,properties
                u00,add_to_cart,2026-10-29T10:00:00.000000Z,i1,,"{""cart_value"":59.5, ""tags"":[1,2],""color"":""red""}"
                u01,add_to_cart,2026-10-29T10:01:00.000000Z,i1,,
                u02,add_to_cart,2026-10-29T10:02:00.000000Z,i1,,"{""properties"":""not json"",""color"":""blue""}"
                u03,add_to_cart,2026-10-29T10:03:00.000000Z,i1,,

                """
        )
        // The dump imported into a new data directory dumps the same.
        let copy = folder.child("dump.csv")
        try ImportCommandTests.write(dumped, to: copy)
        let second = folder.child("second")
        #expect(try Aampectl.run(["init", "--data-dir", second]).status == 0)
        #expect(try Aampectl.run(["import", "events", "--data-dir", second, copy]).status == 0)
        #expect(try dump(second) == dumped)
    }
}

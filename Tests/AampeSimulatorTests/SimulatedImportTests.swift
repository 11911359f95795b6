import AampeSimulator
import AampeTestSupport
import Foundation
import Testing

/// A generated 30-day world imported by the built `aampectl`, as an operator would: the import finds
/// exactly the duplicates and malformed lines the simulator injected, and keeps every event.
@Suite("Importing a simulated world")
struct SimulatedImportTests {
    static func aampectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Aampectl.run(arguments)
        return (result.status, result.standardOutput)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(
        "import reports the injected duplicates and malformed lines exactly",
        arguments: [
            (WorldSettings.DumpFormat.segment, false), (.csv, true),
        ]
    )
    func importMatchesSummary(format: WorldSettings.DumpFormat, compressed: Bool) throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-import")
        var settings = WorldSettings()
        settings.users = 1_500
        settings.items = 150
        settings.days = 30
        settings.format = format
        settings.isCompressed = compressed
        settings.duplicateRate = 0.02
        settings.malformedRate = 0.004
        let summary = try Simulator(settings: settings).generate(into: folder.child("world"))
        let data = folder.child("data")
        #expect(try Self.aampectl(["init", "--data-dir", data]).status == 0)

        let dumps = summary.files.map { folder.child("world") + "/" + $0 }
        let imported = try Self.aampectl(["import", "events", "--data-dir", data, "--json"] + dumps)
        #expect(imported.status == 0)
        let totals = try #require(try Self.json(imported.output)["totals"] as? [String: Any])
        #expect(totals["rows_read"] as? Int == summary.totals.lines)
        #expect(totals["accepted"] as? Int == summary.totals.events)
        #expect(totals["duplicates"] as? Int == summary.totals.duplicates)
        #expect(totals["rejected"] as? Int == summary.totals.malformed)
        let reason = format == .csv ? "malformed_csv" : "malformed_json"
        #expect((totals["rejected_by_reason"] as? [String: Any])?[reason] as? Int == summary.totals.malformed)
        #expect(summary.totals.duplicates > 0 && summary.totals.malformed > 0 && summary.totals.lateArrivals > 0)

        // Events per type per day, as the engine stores them, are the simulator's.
        let stored = try Self.json(try Self.aampectl(["events", "summary", "--data-dir", data, "--json"]).output)
        let days = try #require(stored["days"] as? [[String: Any]])
        #expect(days.count == 30)
        for (storedDay, day) in zip(days, summary.days) {
            #expect(storedDay["date"] as? String == day.date)
            let byType = try #require(storedDay["events"] as? [String: Any])
            for (name, count) in day.events { #expect(byType[name] as? Int == count, "\(name) on \(day.date)") }
        }

        // Re-importing changes nothing.
        let again = try Self.json(try Self.aampectl(["import", "events", "--data-dir", data, "--json"] + dumps).output)
        #expect((again["totals"] as? [String: Any])?["accepted"] as? Int == 0)

        // Users and catalog import without a reject.
        for (kind, file) in [("users", "users.csv"), ("catalog", "catalog.csv")] {
            let result = try Self.aampectl([
                "import", kind, "--data-dir", data, "--json", folder.child("world") + "/" + file,
            ])
            let totals = try #require(try Self.json(result.output)["totals"] as? [String: Any])
            #expect(result.status == 0)
            #expect(totals["rejected"] as? Int == 0, "\(file)")
            #expect(totals["accepted"] as? Int == (kind == "users" ? 1_500 : 150))
        }
    }
}

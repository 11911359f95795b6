import AampeTestSupport
import Foundation
import Testing

/// `aampectl report`, run as a binary: its errors, the formats and the files it writes.
@Suite("aampectl report, run as a binary")
struct ReportCommandTests {
    @Test("no decision yet: a clear error; a given period: every format; a bad kind, format or date named")
    func formatsAndErrors() throws {
        let folder = try TemporaryFolder()
        let data = try ImportCommandTests.dataDirectory(folder)
        let csv = folder.child("events.csv")
        try ImportCommandTests.write(
            "user_id,event,timestamp,item_id,value\nu1,product_viewed,2026-11-02T10:00:00Z,i1,\nu2,purchase,2026-11-03T10:00:00Z,i2,19.99\n",
            to: csv
        )
        #expect(try Aampectl.run(["import", "events", "--data-dir", data, csv]).status == 0)

        let none = try Aampectl.run(["report", "lift", "--data-dir", data])
        #expect(none.status != 0)
        #expect(none.standardError.contains("nothing to report: no decision is logged"), "\(none.standardError)")

        let period = ["--data-dir", data, "--from", "2026-11-02", "--to", "2026-11-04"]
        let table = try Aampectl.run(["report", "activity"] + period)
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.standardOutput.contains("2026-11-03") && table.standardOutput.contains("DAU"))
        let csvOutput = try Aampectl.run(["report", "all", "--format", "csv"] + period)
        #expect(
            csvOutput.standardOutput.contains("# activity/daily\n")
                && csvOutput.standardOutput.contains("# lift/summary\n")
        )
        let json = try Aampectl.run(["report", "messages", "--format", "json"] + period)
        let document = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect(document?["from"] as? String == "2026-11-02T00:00:00Z")
        let page = folder.child("report.html")
        let html = try Aampectl.run(["report", "all", "--html", page] + period)
        #expect(html.status == 0 && html.standardOutput.contains("wrote \(page)"))
        #expect(try String(contentsOfFile: page, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))

        let kind = try Aampectl.run(["report", "lifts"] + period)
        #expect(kind.status != 0 && kind.standardError.contains("unknown report kind 'lifts'"))
        let format = try Aampectl.run(["report", "lift", "--format", "xml"] + period)
        #expect(format.status != 0 && format.standardError.contains("--format 'xml'"))
        let date = try Aampectl.run(["report", "lift", "--data-dir", data, "--from", "yesterday"])
        #expect(date.status != 0 && date.standardError.contains("--from 'yesterday'"))
        let backwards = try Aampectl.run([
            "report", "lift", "--data-dir", data, "--from", "2026-11-04", "--to", "2026-11-02",
        ])
        #expect(backwards.status != 0 && backwards.standardError.contains("--to:"), "\(backwards.standardError)")
    }
}

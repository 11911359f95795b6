import AampeCore
import AampeIngest
import Foundation
import Testing

/// A `.json` file holding one array of event objects.
@Suite("JSON arrays")
struct JSONArrayTests {
    @Test("elements of a JSON array are events; a reject names the line its element starts on")
    func array() throws {
        let harness = try ImportHarness()
        let path = try Fixture.path("json/array.json")
        let summary = try harness.importEvents([path])
        let file = try #require(summary.files.first)
        #expect(file.format == "json")
        #expect(file.error == nil)
        #expect(file.rowsRead == 4)
        #expect(file.accepted == 3)
        // The second element spans lines 3-4, so the third starts on line 5.
        #expect(try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" } == ["5 timestamp_too_old"])
        #expect(
            try harness.storedEvents().map(EventRow.init) == [
                EventRow("u1", "view", t0),
                EventRow("u2", "view", t0Plus(seconds: 60)),
                EventRow("u3", "view", t0Plus(seconds: 120)),
            ]
        )
    }

    @Test("a syntax error in an array keeps the elements before it and marks the file")
    func brokenArray() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("json/broken_array.json")])
        let file = try #require(summary.files.first)
        #expect(file.accepted == 1)
        #expect(file.rejectedByReason == ["malformed_json": 1])
        #expect(file.error != nil)
        #expect(summary.totals.filesWithErrors == 1)
        #expect(try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" } == ["3 malformed_json"])
        #expect(try harness.storedEvents().map(\.userID) == ["u1"])
    }
}

import AampeCore
import AampeEvents
import AampeIngest
import AampeTestSupport
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

    /// Found by tools/fuzz-parsers json: a number cut right after its sign, decimal point or exponent
    /// read as "bad number", not "incomplete", so an element cut there by a refill stopped the import.
    @Test(
        "an element whose number is cut by the reader's refill after a sign, point or exponent is read whole",
        arguments: zip(["12.5", "-3", "1e5", "2.5E-3"], [3, 1, 2, 5])
    )
    func numberAcrossRefill(number: String, bytesBeforeCut: Int) throws {
        let harness = try ImportHarness()
        let element =
            "{\"user_id\":\"u1\",\"event\":\"view\",\"timestamp\":\"2026-11-01T12:00:00Z\",\"properties\":{\"price\":\(number)}}"
        // The reader's first read ends at byte 1 MiB: place the number so that `bytesBeforeCut` of its
        // bytes come before that.
        let numberOffset = (1 << 20) - bytesBeforeCut
        let head = "[" + String(repeating: " ", count: numberOffset - 1 - (element.utf8.count - 2 - number.utf8.count))
        #expect(head.utf8.count + element.utf8.count - 2 - number.utf8.count == numberOffset)
        let path = harness.folder.child("cut.json")
        try (head + element + "]\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try harness.importEvents([path])
        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.accepted == 1)
    }
}

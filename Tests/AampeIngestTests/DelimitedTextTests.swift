import AampeCore
import AampeEvents
import AampeIngest
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// Delimited text beyond the per-format fixtures: RFC 4180 quoting, tabs, Latin-1, zstd, the limits at
/// max and max+1, and layouts without an event column.
@Suite("Delimited text")
struct DelimitedTextTests {
    @Test("quoted fields keep commas, doubled quotes and line breaks; rejects name the line a record starts on")
    func rfc4180Quoting() throws {
        let harness = try ImportHarness()
        let path = try Fixture.path("csv/quoting.csv")
        let summary = try harness.importEvents([path], format: .csv)

        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.rowsRead == 8)
        #expect(file.accepted == 4)
        #expect(file.rejectedByReason == ["missing_user_id": 1, "malformed_csv": 2, "timestamp_too_old": 1])
        // Line 4's record spans lines 4-5 and line 8's spans 8-10, so the rejects after them sit on
        // physical lines 6, 7, 8 and 11, not on record numbers.
        #expect(
            try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" }
                == ["6 missing_user_id", "7 malformed_csv", "8 malformed_csv", "11 timestamp_too_old"]
        )

        let events = try harness.storedEvents()
        #expect(events.map(\.userID) == ["u1", "u1", "u1", "u2"])
        #expect(
            try events.map { try properties($0)["note"] as? String }
                == ["hello, world", "she said \"hi\"", "line one\nline two", "last"]
        )
        #expect(events.map(\.timestamp) == [t0, t0Plus(seconds: 60), t0Plus(seconds: 120), t0Plus(seconds: 360)])
    }

    @Test("the quarantine keeps a rejected row as read, without its line break")
    func quarantineRawLF() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/quoting.csv")], format: .csv)
        let entries = try harness.quarantine(of: summary)
        #expect(entries.first { $0.line == 6 }?.raw == ",view,2026-11-01T12:03:00Z,q4,missing user")
        #expect(entries.first { $0.line == 8 }?.raw == "u1,view,2026-11-01T12:05:00Z,q6,\"multi\nline\nfield\",extra")
    }

    @Test("CRLF line ends belong to neither the last field nor the quarantined row")
    func crlf() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/crlf.csv")], format: .csv)
        #expect(summary.totals.accepted == 2)
        #expect(
            try harness.storedEvents().map(EventRow.init) == [
                EventRow("u1", "view", t0, properties: #"{"note":"a, b"}"#),
                EventRow("u2", "view", t0Plus(seconds: 60), properties: #"{"note":"plain"}"#),
            ]
        )
        let entries = try harness.quarantine(of: summary)
        #expect(entries.map { "\($0.line) \($0.reason)" } == ["4 missing_user_id"])
        #expect(entries.first?.raw == ",view,2026-11-01T12:02:00Z,c3,x")
    }

    @Test("text after a multi-line quoted field rejects the whole record; nothing in the quotes becomes an event")
    func textAfterMultiLineQuote() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/quote_then_text.csv")], format: .csv)
        #expect(summary.totals.rowsRead == 2)
        #expect(summary.totals.accepted == 1)
        #expect(try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" } == ["2 malformed_csv"])
        #expect(try harness.storedEvents().map(\.userID) == ["u2"])
    }

    @Test("a .tsv file splits on tabs only, so commas stay inside fields")
    func tabSeparated() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/clean.tsv")], format: .csv)
        #expect(summary.totals.accepted == 2)
        #expect(
            try harness.storedEvents().map(EventRow.init) == [
                EventRow("u1", "view", t0, item: "i1", properties: #"{"note":"a, b"}"#),
                EventRow("u2", "view", t0Plus(seconds: 60), item: "i2"),
            ]
        )
    }

    @Test("--encoding latin1 converts ids and event names to UTF-8")
    func latin1IDs() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/latin1_ids.csv")], format: .csv) {
            $0.encoding = .latin1
        }
        #expect(summary.totals.accepted == 2)
        #expect(summary.totals.rejected == 0)
        #expect(
            try harness.storedEvents().map(EventRow.init) == [
                EventRow("rené", "café_visit", t0),
                EventRow("zoë", "view", t0Plus(seconds: 60)),
            ]
        )
    }

    /// Runs in a child process: with property columns, this import currently traps (an exclusivity
    /// violation in the importer), which would otherwise end the whole test run.
    @Test("--encoding latin1 converts property columns to UTF-8 too")
    func latin1Properties() async {
        await #expect(processExitsWith: .success) {
            let harness = try ImportHarness()
            let summary = try harness.importEvents([try Fixture.path("csv/latin1.csv")], format: .csv) {
                $0.encoding = .latin1
            }
            let expected = [
                EventRow("u1", "view", t0, properties: #"{"title":"Café crème"}"#),
                EventRow("ué", "view", t0Plus(seconds: 60), properties: #"{"title":"Naïve"}"#),
            ]
            let stored = try harness.storedEvents().map(EventRow.init)
            guard summary.totals.accepted == 2, summary.totals.rejected == 0, stored == expected else {
                throw ChildProcessMismatch(description: "\(summary.totals) \(stored)")
            }
        }
    }

    @Test("the same Latin-1 file read as UTF-8 rejects its non-ASCII rows as invalid_utf8")
    func latin1ReadAsUTF8() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/latin1.csv")], format: .csv)
        #expect(summary.totals.accepted == 0)
        #expect(summary.totals.rejectedByReason == ["invalid_utf8": 2])
        #expect(try harness.quarantine(of: summary).map(\.line) == [2, 3])
    }

    @Test("a .zst file stores the same events as the plain file it was compressed from")
    func zstd() throws {
        let compressed = try ImportHarness()
        let summary = try compressed.importEvents([try Fixture.path("csv/clean.csv.zst")], format: .csv)
        #expect(summary.files.first?.error == nil)
        #expect(try compressed.storedEvents().map(EventRow.init) == FormatCase.csv.cleanEvents)
        // The compressed file is smaller on disk than what was read from it.
        let plainBytes =
            try FileManager.default.attributesOfItem(atPath: try Fixture.path("csv/clean.csv"))[.size] as? Int
        let zstBytes =
            try FileManager.default.attributesOfItem(atPath: try Fixture.path("csv/clean.csv.zst"))[.size] as? Int
        let compressedSize = try #require(zstBytes)
        let plainSize = try #require(plainBytes)
        #expect(compressedSize < plainSize)
    }

    @Test("a compressed file and its plain original in one run: the second is all duplicates")
    func zstdAndPlainTogether() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents(
            [try Fixture.path("csv/clean.csv"), try Fixture.path("csv/clean.csv.zst")],
            format: .csv
        )
        #expect(summary.files.map(\.accepted) == [6, 0])
        #expect(summary.files.map(\.duplicates) == [0, 6])
    }

    @Test("ids, event names and timestamps at the limit are accepted, one past it rejected")
    func limits() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/limits.csv")], format: .csv)
        #expect(summary.totals.accepted == 4)
        #expect(
            try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" }
                == ["6 timestamp_in_future", "7 id_too_long", "8 event_name_too_long", "9 timestamp_too_old"]
        )
        let events = try harness.storedEvents()
        #expect(Set(events.map(\.userID.utf8.count)) == [1024, 2])
        #expect(events.map(\.event.utf8.count).max() == Limits.maximumEventNameBytes)
        #expect(events.map(\.timestamp).min() == Timestamp(rawValue: Limits.earliestEventTimestampMicros))
        #expect(events.map(\.timestamp).max() == fixtureNow.adding(microseconds: 86_400 * 1_000_000))
    }

    @Test("a shorter future tolerance moves the future cut-off")
    func futureTolerance() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/limits.csv")], format: .csv) {
            $0.futureToleranceSeconds = 0
        }
        // 2026-11-23T00:00:00Z is now one day late.
        #expect(summary.totals.accepted == 3)
        #expect(summary.totals.rejectedByReason["timestamp_in_future"] == 2)
    }

    @Test("Personalize without EVENT_TYPE stores the default event name")
    func personalizeDefaultEvent() throws {
        let harness = try ImportHarness()
        _ = try harness.importEvents([try Fixture.path("personalize/no_event_type.csv")])
        #expect(
            try harness.storedEvents().map(EventRow.init) == [
                EventRow("u1", "interaction", t0, item: "i1"),
                EventRow("u2", "interaction", t0Plus(seconds: 60), item: "i2"),
            ]
        )
    }

    @Test("MovieLens u.data events take the configured default event name")
    func movieLensEventName() throws {
        let harness = try ImportHarness()
        var options = FormatCase.movieLens.options()
        options.defaultEventName = "rating"
        _ = try harness.importEvents([try Fixture.path("movielens/u.data")], options: options)
        #expect(try Set(harness.storedEvents().map(\.event)) == ["rating"])
    }
}

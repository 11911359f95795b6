import AampeCore
import AampeEvents
import AampeIngest
import AampeTestSupport
import Foundation
import Testing

/// Historic data: the oldest accepted time is a setting (`--oldest-accepted`), and the rejection names it.
@Suite("oldest accepted time")
struct OldestAcceptedTests {
    /// Ratings in MovieLens `u.data` layout (user, item, rating, Unix seconds) from 1997-98, as that data
    /// set's are; the values are made up.
    static let ratings = ["1\t10\t4\t874724710", "2\t20\t3\t881250949", "3\t30\t5\t893286638"]

    func ratingsFile(_ harness: ImportHarness) throws -> String {
        let path = harness.folder.child("u.data")
        try Self.ratings.map { $0 + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func movieLensOptions() -> EventImportOptions {
        var options = ImportHarness.options(format: .csv)
        options.delimiter = 0x09
        options.columns = ["user_id", "item_id", "value", "timestamp"]
        options.defaultEventName = "rating"
        return options
    }

    /// The `detail` of each quarantined row.
    func details(_ harness: ImportHarness, _ summary: ImportSummary) throws -> [String] {
        let path = harness.directory.quarantinePath + "/\(summary.runID).jsonl"
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["detail"] as? String)
        }
    }

    @Test("by default 1997-98 ratings are all timestamp_too_old, and each rejection names --oldest-accepted")
    func defaultRejectsHistoricData() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try ratingsFile(harness)], options: movieLensOptions())
        #expect(summary.totals.accepted == 0)
        #expect(summary.totals.rejectedByReason == ["timestamp_too_old": 3])
        #expect(
            try details(harness, summary).first
                == "1997-09-20T03:05:10Z is before the oldest accepted time, --oldest-accepted 2000-01-01T00:00:00Z"
        )
    }

    @Test("--oldest-accepted 1990-01-01 accepts them, with their times as given")
    func settingAcceptsHistoricData() throws {
        let harness = try ImportHarness()
        var options = movieLensOptions()
        options.oldestAccepted = try #require(Array("1990-01-01".utf8).withUnsafeBytes { TimestampParsing.parse($0) })
        let summary = try harness.importEvents([try ratingsFile(harness)], options: options)
        #expect(summary.totals.accepted == 3)
        #expect(summary.totals.rejected == 0)
        #expect(
            try harness.storedEvents().map(\.timestamp.secondsSinceEpoch).sorted() == [
                874_724_710, 881_250_949, 893_286_638,
            ]
        )
    }

    @Test("the setting is an exact edge: a row at it is accepted, one a microsecond earlier is too old")
    func settingEdge() throws {
        let harness = try ImportHarness()
        let path = try ImportLimitsTests.csv(
            harness,
            ["u1,open,1997-09-20T03:05:10Z,i1", "u1,open,1997-09-20T03:05:09.999999Z,i1"]
        )
        let summary = try harness.importEvents([path], format: .auto) {
            $0.oldestAccepted = Timestamp(rawValue: 874_724_710 * Timestamp.microsecondsPerSecond)
        }
        #expect(summary.totals.accepted == 1)
        #expect(summary.totals.rejectedByReason == ["timestamp_too_old": 1])
    }

    @Test("the setting goes down to 1970-01-01: a row at the epoch is accepted")
    func earliestSettable() throws {
        let harness = try ImportHarness()
        let path = try ImportLimitsTests.csv(harness, ["u1,open,1970-01-01T00:00:00Z,i1"])
        let summary = try harness.importEvents([path], format: .auto) {
            $0.oldestAccepted = Timestamp(rawValue: Limits.earliestSettableEventTimestampMicros)
        }
        #expect(summary.totals.accepted == 1)
    }
}

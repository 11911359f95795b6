import AampeCore
import AampeEvents
import AampeIngest
import Foundation
import Testing

/// Dedupe across files, across runs, and within the horizon.
@Suite("Dedupe")
struct DedupeTests {
    @Test("the same event in two files of one run is stored once, whatever the files' formats")
    func acrossFilesInOneRun() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([
            try Fixture.path("dedupe/first.csv"), try Fixture.path("dedupe/second.jsonl"),
        ])
        #expect(summary.files.map(\.format) == ["csv", "json"])
        #expect(summary.files.map(\.accepted) == [3, 1])
        #expect(summary.files.map(\.duplicates) == [0, 2])
        #expect(summary.totals.duplicates == 2)
        #expect(
            try harness.storedEvents().map { "\($0.userID) \($0.timestamp.rawValue)" } == [
                "u1 \(t0.rawValue)", "u1 \(t0Plus(seconds: 60).rawValue)", "u2 \(t0Plus(seconds: 120).rawValue)",
                "u2 \(t0Plus(seconds: 180).rawValue)",
            ]
        )
    }

    @Test("the same event imported by a later run is found among the stored events")
    func acrossRuns() throws {
        let harness = try ImportHarness()
        let first = try harness.importEvents([try Fixture.path("dedupe/first.csv")])
        let second = try harness.importEvents([try Fixture.path("dedupe/second.jsonl")])
        #expect(first.totals.accepted == 3)
        #expect(second.totals.accepted == 1)
        #expect(second.totals.duplicates == 2)
        #expect(try harness.storedEvents().count == 4)
    }

    @Test(
        "the same key 3 days apart is a duplicate within a horizon of 3 days or more, not within 2 or less",
        arguments: [(7, 1), (3, 1), (2, 0), (1, 0)] as [(Int64, Int64)]
    )
    func horizonInOneFile(horizonDays: Int64, duplicates: Int64) throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("dedupe/horizon.csv")], format: .csv) {
            $0.dedupeHorizonDays = horizonDays
        }
        #expect(summary.totals.duplicates == duplicates)
        #expect(summary.totals.accepted == 2 - duplicates)
    }

    @Test(
        "the horizon applies to stored events too: day 4 after day 1 in an earlier run",
        arguments: [(7, 1), (3, 1), (2, 0), (1, 0)] as [(Int64, Int64)]
    )
    func horizonAcrossRuns(horizonDays: Int64, duplicates: Int64) throws {
        let harness = try ImportHarness()
        _ = try harness.importEvents([try Fixture.path("dedupe/horizon_day1.csv")], format: .csv)
        let later = try harness.importEvents([try Fixture.path("dedupe/horizon_day4.csv")], format: .csv) {
            $0.dedupeHorizonDays = horizonDays
        }
        #expect(later.totals.duplicates == duplicates)
        #expect(try harness.storedEvents().count == Int(2 - duplicates))
    }

    @Test("the default horizon is 7 days")
    func defaultHorizon() {
        #expect(EventImportOptions().dedupeHorizonDays == 7)
    }
}

import AampeCore
import AampeIngest
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// Every event layout against its committed fixtures: a clean file stores exactly the expected events, a
/// dirty file rejects one row per reason with the right line in the quarantine, and a file with
/// duplicates drops exactly the repeats.
@Suite("Event formats: clean, dirty and duplicate fixtures")
struct EventFormatFixtureTests {
    @Test("a clean file stores exactly its events", arguments: FormatCase.all)
    func clean(layout: FormatCase) throws {
        let harness = try ImportHarness()
        let path = try Fixture.path(layout.path(layout.clean))
        let summary = try harness.importEvents([path], options: layout.options())

        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.format == layout.format.rawValue)
        #expect(file.rowsRead == Int64(layout.cleanEvents.count) + layout.cleanProfileUpdates)
        #expect(file.accepted == Int64(layout.cleanEvents.count))
        #expect(file.duplicates == 0)
        #expect(file.rejected == 0)
        #expect(file.rejectedByReason.isEmpty)
        #expect(file.profileUpdates == layout.cleanProfileUpdates)
        #expect(file.days == 1)
        #expect(summary.quarantinePath == nil)
        #expect(try harness.quarantine(of: summary).isEmpty)
        #expect(try harness.storedEvents().map(EventRow.init) == layout.cleanEvents)
    }

    @Test("a dirty file rejects one row per reason, each quarantined with its file and line", arguments: FormatCase.all)
    func dirty(layout: FormatCase) throws {
        let harness = try ImportHarness()
        let fixture = try Fixture.path(layout.path(layout.dirty))
        let fixtureLines = Int64(try Data(contentsOf: URL(fileURLWithPath: fixture)).filter { $0 == 0x0A }.count)
        // The 1 MiB row is made here rather than committed; a valid row after it shows reading goes on.
        let path = try Fixture.copy(
            layout.path(layout.dirty),
            to: harness.folder,
            appending: oversizedRow(isJSON: layout.isJSON) + Array((layout.goodRow + "\n").utf8)
        )
        let summary = try harness.importEvents([path], options: layout.options())

        let expected = layout.dirtyRejects + [ExpectedReject(fixtureLines + 1, .lineTooLong)]
        let expectedByReason = Dictionary(expected.map { ($0.reason.rawValue, Int64(1)) }, uniquingKeysWith: +)
        #expect(expectedByReason.count == expected.count, "the fixture has one row per reason")

        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.rejectedByReason == expectedByReason)
        #expect(file.rejected == Int64(expected.count))
        #expect(file.accepted == layout.dirtyAccepted + 1)
        #expect(file.duplicates == 0)
        #expect(file.rowsRead == file.accepted + file.rejected)
        #expect(summary.totals.rejectedByReason == expectedByReason)

        let quarantine = try harness.quarantine(of: summary)
        #expect(summary.quarantinePath == harness.directory.quarantinePath + "/\(summary.runID).jsonl")
        #expect(quarantine.map { "\($0.line) \($0.reason)" } == expected.map(\.description))
        #expect(quarantine.allSatisfy { $0.file == path })
        // Accepted rows are the first, the last of the fixture, and the row after the oversized one.
        #expect(try harness.storedEvents().count == Int(layout.dirtyAccepted + 1))
    }

    @Test("the invalid UTF-8 reject keeps the exact bytes in raw_base64", arguments: FormatCase.all)
    func invalidUTF8Bytes(layout: FormatCase) throws {
        let harness = try ImportHarness()
        let path = try Fixture.path(layout.path(layout.dirty))
        let summary = try harness.importEvents([path], options: layout.options())
        let line = try #require(layout.dirtyRejects.first { $0.reason == .invalidUTF8 }).line
        let source = try Data(contentsOf: URL(fileURLWithPath: path)).split(
            separator: 0x0A,
            omittingEmptySubsequences: false
        )
        let quarantinePath = try #require(summary.quarantinePath)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: quarantinePath)), as: UTF8.self)
        let entries = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let entry = try #require(entries.first { $0["reason"] as? String == "invalid_utf8" })
        #expect((entry["line"] as? NSNumber)?.int64Value == line)
        let base64 = try #require(entry["raw_base64"] as? String)
        let bytes = try #require(Data(base64Encoded: base64))
        #expect(bytes.contains(0xFF))
        #expect([UInt8](bytes.prefix { $0 != 0x0A && $0 != 0x0D }) == [UInt8](source[Int(line) - 1]))
    }

    @Test("a file with duplicates drops exactly the repeated keys and contents", arguments: FormatCase.all)
    func duplicates(layout: FormatCase) throws {
        let harness = try ImportHarness()
        let path = try Fixture.path(layout.path(layout.duplicates))
        let summary = try harness.importEvents([path], options: layout.options())
        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.accepted == layout.duplicatesAccepted)
        #expect(file.duplicates == layout.duplicatesDropped)
        #expect(file.rejected == 0)
        #expect(file.rowsRead == layout.duplicatesAccepted + layout.duplicatesDropped)
        #expect(try harness.storedEvents().count == Int(layout.duplicatesAccepted))
    }

    @Test(
        "importing the clean file again adds nothing and counts every event row as a duplicate",
        arguments: FormatCase.all
    )
    func reimport(layout: FormatCase) throws {
        let harness = try ImportHarness()
        let path = try Fixture.path(layout.path(layout.clean))
        let first = try harness.importEvents([path], options: layout.options())
        let second = try harness.importEvents([path], options: layout.options())
        #expect(first.totals.accepted == Int64(layout.cleanEvents.count))
        #expect(second.totals.accepted == 0)
        #expect(second.totals.duplicates == first.totals.accepted)
        #expect(second.totals.rejected == 0)
        #expect(second.totals.newUsers == 0)
        #expect(second.totals.newItems == 0)
        #expect(second.totals.newEventTypes == 0)
        #expect(second.files.first?.days == 0)
        #expect(try harness.storedEvents().map(EventRow.init) == layout.cleanEvents)
    }
}

/// `--format auto` on every fixture: the format each is known to be, with a reason to print.
@Suite("Event formats: auto-detection")
struct FormatDetectionTests {
    struct DetectionCase: Sendable, CustomTestStringConvertible {
        var fixture: String
        var format: EventFormat
        var columns: [String]?
        var testDescription: String { fixture }
    }

    static let cases: [DetectionCase] =
        FormatCase.all.flatMap { layout in
            [layout.clean, layout.duplicates, layout.dirty].map {
                DetectionCase(fixture: layout.path($0), format: layout.format, columns: layout.columns)
            }
        } + [
            DetectionCase(fixture: "csv/clean.tsv", format: .csv),
            DetectionCase(fixture: "csv/clean.csv.zst", format: .csv),
            DetectionCase(fixture: "csv/quoting.csv", format: .csv),
            DetectionCase(fixture: "csv/crlf.csv", format: .csv),
            DetectionCase(fixture: "csv/limits.csv", format: .csv),
            DetectionCase(fixture: "csv/timestamps.csv", format: .csv),
            DetectionCase(fixture: "json/array.json", format: .json),
            DetectionCase(fixture: "personalize/no_event_type.csv", format: .personalize),
        ]

    @Test("each fixture is detected as its format, with a reason", arguments: cases)
    func detect(testCase: DetectionCase) throws {
        let harness = try ImportHarness()
        var options = ImportHarness.options(format: .auto)
        options.columns = testCase.columns
        let summary = try harness.importEvents([try Fixture.path(testCase.fixture)], options: options)
        let file = try #require(summary.files.first)
        #expect(file.format == testCase.format.rawValue)
        #expect(!file.detection.isEmpty)
        #expect(file.error == nil)
        #expect(file.accepted > 0)
    }

    @Test("a .tsv file is read as tab-delimited because of its name")
    func tsvReason() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/clean.tsv")])
        let file = try #require(summary.files.first)
        #expect(file.detection.contains("tab"))
        #expect(file.detection.contains(".tsv"))
    }

    @Test("a Personalize header is named in the reason")
    func personalizeReason() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("personalize/clean.csv")])
        #expect(summary.files.first?.detection.contains("USER_ID, ITEM_ID and TIMESTAMP") == true)
    }
}

/// Segment calls that carry no event.
@Suite("Segment: unsupported calls")
struct SegmentCallTests {
    @Test("group and alias calls are rejected as unsupported_call", arguments: ["group", "alias"])
    func unsupported(type: String) throws {
        let harness = try ImportHarness()
        let path = harness.folder.child("calls.jsonl")
        let text = """
            {"type":"track","messageId":"t1","userId":"u1","event":"Viewed","timestamp":"2026-11-01T12:00:00Z"}
            {"type":"\(type)","messageId":"t2","userId":"u1","groupId":"g","timestamp":"2026-11-01T12:00:00Z"}

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let summary = try harness.importEvents([path], format: .segment)
        #expect(summary.totals.accepted == 1)
        #expect(summary.totals.rejectedByReason == ["unsupported_call": 1])
        #expect(try harness.quarantine(of: summary).map(\.line) == [2])
    }

    @Test("identify updates the profile from its traits during an events import")
    func identifyProfile() throws {
        let harness = try ImportHarness()
        _ = try harness.importEvents([try Fixture.path("segment/clean.jsonl")], format: .segment)
        let profile = try #require(try harness.store.ingestion.profile(externalID: "u1"))
        #expect(profile.firstName == "Ada")
        #expect(profile.country == "GB")
        #expect(profile.channels == [ChannelAddress(channel: .email, address: "ada@example.com", hasConsent: false)])
        #expect(profile.attributesJSON == #"{"plan":"pro"}"#)
    }
}

import AampeCore
import AampeEvents
import AampeIngest
import Foundation
import Testing

/// The timestamp forms exports write, each row of `csv/timestamps.csv` carrying the instant it denotes
/// in its `expected_micros` column.
@Suite("Timestamp forms")
struct TimestampFormTests {
    @Test("seconds, milliseconds, microseconds, nanoseconds and ISO-8601 with Z, offsets or no zone")
    func forms() throws {
        let harness = try ImportHarness()
        let summary = try harness.importEvents([try Fixture.path("csv/timestamps.csv")], format: .csv)
        #expect(summary.totals.rejected == 0)
        let events = try harness.storedEvents()
        #expect(
            events.map(\.event) == [
                "seconds", "seconds_fraction", "milliseconds", "microseconds", "nanoseconds", "iso_z", "iso_z_fraction",
                "iso_offset", "iso_negative_offset", "iso_compact_offset", "iso_no_zone", "space_separator",
                "date_only",
                "iana_zone",
            ]
        )
        for event in events {
            let expected = try #require(try properties(event)["expected_micros"] as? String)
            #expect(event.timestamp.rawValue == Int64(expected), "\(event.event)")
        }
    }

    @Test(
        "TimestampParsing reads each form directly",
        arguments: [
            ("1793534400", 1_793_534_400_000_000),
            ("1793534400123", 1_793_534_400_123_000),
            ("1793534400123456", 1_793_534_400_123_456),
            ("2026-11-01T12:00:00Z", 1_793_534_400_000_000),
            ("2026-11-01T13:00:00+01:00", 1_793_534_400_000_000),
            ("2026-11-01T12:00:00", 1_793_534_400_000_000),
            ("2026-11-01 12:00:00.123000", 1_793_534_400_123_000),
        ] as [(String, Int64)]
    )
    func parse(text: String, micros: Int64) {
        var text = text
        let parsed = text.withUTF8 { TimestampParsing.parse(UnsafeRawBufferPointer($0)) }
        #expect(parsed == Timestamp(rawValue: micros))
    }

    @Test(
        "text that is not a timestamp is nil",
        arguments: ["yesterday", "01/11/2026 12:00", "2026-13-01T00:00:00Z", "", "1793534400x"]
    )
    func unparsable(text: String) {
        var text = text
        #expect(text.withUTF8 { TimestampParsing.parse(UnsafeRawBufferPointer($0)) } == nil)
    }
}

import AampeCore
import Testing

@Suite("Timestamps and civil dates")
struct TimestampTests {
    @Test(
        "known instants format as ISO-8601 UTC",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"),
            (Int64(951_782_400), "2000-02-29T00:00:00Z"),
            (Int64(1_795_345_597), "2026-11-22T11:06:37Z"),
            (Int64(-1), "1969-12-31T23:59:59Z"),
            (Int64(253_402_300_799), "9999-12-31T23:59:59Z"),
        ]
    )
    func formatting(seconds: Int64, expected: String) {
        #expect(Timestamp(secondsSinceEpoch: seconds).description == expected)
    }

    @Test("sub-second instants before the epoch land on the earlier second and day")
    func floorBeforeEpoch() {
        let instant = Timestamp(rawValue: -1)
        #expect(instant.secondsSinceEpoch == -1)
        #expect(instant.utcDay == -1)
    }

    @Test("days and civil dates convert both ways over 1,200 years")
    func civilRoundTrip() {
        var expected = CivilDate(year: 1600, month: 1, day: 1)
        var day = expected.daysSinceEpoch
        while expected.year < 2800 {
            let date = CivilDate(daysSinceEpoch: day)
            #expect(date == expected)
            #expect(date.isValid)
            #expect(date.daysSinceEpoch == day)
            // Step the expected date by hand, independently of the conversion under test.
            expected.day += 1
            if expected.day > CivilDate.daysInMonth(expected.month, year: expected.year) {
                expected.day = 1
                expected.month += 1
                if expected.month > 12 {
                    expected.month = 1
                    expected.year += 1
                }
            }
            day += 1
        }
    }

    @Test("invalid dates are recognised", arguments: [(2023, 2, 29), (2024, 13, 1), (2024, 4, 31), (2024, 1, 0)])
    func invalidDates(year: Int, month: Int, day: Int) {
        #expect(!CivilDate(year: Int64(year), month: month, day: day).isValid)
    }

    @Test("dates and instants read back what they write; other forms are refused")
    func readBack() {
        // Four-digit years (1000 to 9999): the forms these read.
        for day in stride(from: Int64(-354_000), through: 2_900_000, by: 7_919) {
            let date = CivilDate(daysSinceEpoch: day)
            #expect(CivilDate(iso8601Date: date.description) == date)
            let instant = Timestamp(rawValue: day * 86_400_000_000 + 12_345_678_901)
            #expect(Timestamp(iso8601: instant.iso8601Microseconds) == instant)
            #expect(Timestamp(iso8601: instant.description) == Timestamp(secondsSinceEpoch: instant.secondsSinceEpoch))
        }
        for text in ["2026-2-01", "2026-02-30", "2026-02-01x", "+026-02-01", "2026-02", ""] {
            #expect(CivilDate(iso8601Date: text) == nil, "\(text)")
        }
        #expect(Timestamp(iso8601: "2026-11-01T12:00:00+01:00") == Timestamp(iso8601: "2026-11-01T11:00:00Z"))
        #expect(Timestamp(iso8601: "2026-11-01T12:00:00[Europe/Paris]") == nil)
        #expect(Timestamp(iso8601: "not a time") == nil)
    }
}

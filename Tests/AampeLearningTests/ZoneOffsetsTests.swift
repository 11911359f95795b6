import AampeCore
import AampeLearning
import AampeTestSupport
import Foundation
import Testing

@Suite("zone offsets and the local time window of an instant")
struct ZoneOffsetsTests {
    /// 2024-01-01T00:00:00Z to two years later.
    static let from = Timestamp(secondsSinceEpoch: 1_704_067_200)
    static let to = Timestamp(secondsSinceEpoch: 1_704_067_200 + 2 * 365 * 86_400)

    func zone(_ identifier: String) throws -> ZoneOffsets {
        try #require(ZoneOffsets(identifier: identifier, from: Self.from, to: Self.to))
    }

    func at(_ seconds: Int64) -> Timestamp { Timestamp(secondsSinceEpoch: seconds) }

    /// The offset and local time one second before a transition and at it.
    func expectTransition(
        _ zone: ZoneOffsets,
        at seconds: Int64,
        offsets: (Int64, Int64),
        minutes: (Int, Int),
        weekday: Weekday
    ) {
        #expect(zone.utcOffsetSeconds(at: at(seconds - 1)) == offsets.0)
        #expect(zone.utcOffsetSeconds(at: at(seconds)) == offsets.1)
        #expect(zone.localTime(at(seconds - 1)) == LocalTime(weekday: weekday, minuteOfDay: minutes.0))
        #expect(zone.localTime(at(seconds)) == LocalTime(weekday: weekday, minuteOfDay: minutes.1))
    }

    @Test("Europe/Berlin on both transition days of 2024: 01:59 CET then 03:00 CEST, 02:59 CEST then 02:00 CET")
    func berlin() throws {
        let berlin = try zone("Europe/Berlin")
        // 2024-03-31T01:00:00Z and 2024-10-27T01:00:00Z, both Sundays.
        expectTransition(berlin, at: 1_711_846_800, offsets: (3600, 7200), minutes: (119, 180), weekday: .sunday)
        expectTransition(berlin, at: 1_729_990_800, offsets: (7200, 3600), minutes: (179, 120), weekday: .sunday)
    }

    @Test("America/New_York on both transition days of 2024: 01:59 EST then 03:00 EDT, 01:59 EDT then 01:00 EST")
    func newYork() throws {
        let newYork = try zone("America/New_York")
        // 2024-03-10T07:00:00Z and 2024-11-03T06:00:00Z, both Sundays.
        expectTransition(newYork, at: 1_710_054_000, offsets: (-18000, -14400), minutes: (119, 180), weekday: .sunday)
        expectTransition(newYork, at: 1_730_613_600, offsets: (-14400, -18000), minutes: (119, 60), weekday: .sunday)
    }

    @Test("Australia/Lord_Howe shifts by 30 minutes: +11:00 to +10:30 in April, back in October")
    func lordHowe() throws {
        let lordHowe = try zone("Australia/Lord_Howe")
        // 2024-04-06T15:00:00Z is 02:00 LHDT, which becomes 01:30 LHST on Sunday 7 April.
        expectTransition(lordHowe, at: 1_712_415_600, offsets: (39600, 37800), minutes: (119, 90), weekday: .sunday)
        // 2024-10-05T15:30:00Z is 02:00 LHST, which becomes 02:30 LHDT on Sunday 6 October.
        expectTransition(lordHowe, at: 1_728_142_200, offsets: (37800, 39600), minutes: (119, 150), weekday: .sunday)
    }

    @Test("the same UTC hour lands in a window or at night depending on daylight saving time")
    func windowsAcrossTransitions() throws {
        let layout = TimeWindowLayout.standard
        let berlin = try zone("Europe/Berlin")
        // 05:00Z is 06:00 CET on Saturday 30 March 2024 (night) and 07:00 CEST on Sunday 31 March.
        #expect(layout.window(of: at(1_711_774_800), in: berlin) == nil)
        #expect(layout.window(of: at(1_711_861_200), in: berlin) == TimeWindow(index: 30))
        #expect(layout.window(of: at(1_711_861_199), in: berlin) == nil)
        let newYork = try zone("America/New_York")
        // 07:00 local is 11:00Z on Saturday 2 November 2024 (EDT) and 12:00Z on Sunday 3 November (EST).
        #expect(layout.window(of: at(1_730_545_200), in: newYork) == TimeWindow(index: 25))
        #expect(layout.window(of: at(1_730_635_200), in: newYork) == TimeWindow(index: 30))
        #expect(layout.window(of: at(1_730_635_199), in: newYork) == nil)
        // 21:59:59 EST on Sunday is still Sunday's last window; 22:00 is night.
        #expect(layout.window(of: at(1_730_635_200 + 15 * 3600 - 1), in: newYork) == TimeWindow(index: 34))
        #expect(layout.window(of: at(1_730_635_200 + 15 * 3600), in: newYork) == nil)
    }

    @Test("odd offsets: 07:00 in Asia/Kathmandu (+05:45) and Australia/Lord_Howe (+10:30) opens Monday's first window")
    func oddOffsets() throws {
        let layout = TimeWindowLayout.standard
        let kathmandu = try zone("Asia/Kathmandu")
        // 2024-06-03T01:15:00Z is Monday 07:00 in Kathmandu.
        #expect(kathmandu.utcOffsetSeconds(at: at(1_717_377_300)) == 20700)
        #expect(layout.window(of: at(1_717_377_300), in: kathmandu) == TimeWindow(index: 0))
        #expect(layout.window(of: at(1_717_377_299), in: kathmandu) == nil)
        let lordHowe = try zone("Australia/Lord_Howe")
        // 2024-06-02T20:30:00Z is Monday 07:00 at Lord Howe in its winter.
        #expect(layout.window(of: at(1_717_360_200), in: lordHowe) == TimeWindow(index: 0))
        #expect(layout.window(of: at(1_717_360_199), in: lordHowe) == nil)
    }

    @Test(
        "the table agrees with Foundation's TimeZone at random instants over two years, and outside them",
        arguments: [
            "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Sao_Paulo",
            "Pacific/Chatham", "Africa/Casablanca", "UTC",
        ]
    )
    func agreesWithFoundation(identifier: String) throws {
        let offsets = try zone(identifier)
        let timeZone = try #require(TimeZone(identifier: identifier))
        var random = SplitMix64(state: 42)
        let span = UInt64(Self.to.secondsSinceEpoch - Self.from.secondsSinceEpoch + 1)
        // Inside the interval, then up to a year either side of it, where ZoneOffsets asks the zone.
        for (start, width) in [
            (Self.from.secondsSinceEpoch, span), (Self.from.secondsSinceEpoch - 365 * 86_400, span * 2),
        ] {
            for _ in 0..<5_000 {
                let seconds = start + Int64(random.next() % width)
                let expected = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
                #expect(offsets.utcOffsetSeconds(at: at(seconds)) == expected, "\(identifier) at \(seconds)")
            }
        }
    }

    @Test("an unknown zone name gives nil; a fixed offset is the same everywhere")
    func unknownAndFixed() {
        #expect(ZoneOffsets(identifier: "Mars/Olympus_Mons", from: Self.from, to: Self.to) == nil)
        let fixed = ZoneOffsets(fixedOffsetSeconds: 19800)
        #expect(fixed.utcOffsetSeconds(at: at(0)) == 19800)
        #expect(fixed.utcOffsetSeconds(at: Self.to) == 19800)
        // 1970-01-01T00:00:00Z was a Thursday; +05:30 makes it 05:30.
        #expect(fixed.localTime(at(0)) == LocalTime(weekday: .thursday, minuteOfDay: 330))
    }
}

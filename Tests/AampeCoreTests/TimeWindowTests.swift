import AampeCore
import Testing

@Suite("Time windows")
struct TimeWindowTests {
    let layout = TimeWindowLayout.standard

    @Test("the standard layout has 35 windows, 5 three-hour windows from 07:00 on each weekday")
    func standard() {
        #expect(layout.windowsPerWeek == 35)
        #expect(layout.window(containing: LocalTime(weekday: .monday, minuteOfDay: 7 * 60)) == TimeWindow(index: 0))
        #expect(
            layout.window(containing: LocalTime(weekday: .monday, minuteOfDay: 10 * 60 - 1)) == TimeWindow(index: 0)
        )
        #expect(layout.window(containing: LocalTime(weekday: .monday, minuteOfDay: 10 * 60)) == TimeWindow(index: 1))
        #expect(
            layout.window(containing: LocalTime(weekday: .sunday, minuteOfDay: 22 * 60 - 1)) == TimeWindow(index: 34)
        )
    }

    @Test("night time is in no window", arguments: [0, 6 * 60 + 59, 22 * 60, 1439])
    func night(minute: Int) {
        #expect(layout.window(containing: LocalTime(weekday: .friday, minuteOfDay: minute)) == nil)
    }

    @Test("every window's start maps back to that window")
    func startRoundTrip() {
        for index in 0..<layout.windowsPerWeek {
            let window = TimeWindow(index: index)
            #expect(layout.window(containing: layout.start(of: window)) == window)
        }
    }

    @Test("local time applies the zone offset, across day and week boundaries")
    func localTime() {
        // 1970-01-01 was a Thursday. 23:30 UTC on it is 01:30 Friday in UTC+2.
        let instant = Timestamp(secondsSinceEpoch: 23 * 3600 + 30 * 60)
        let local = LocalTime(instant, utcOffsetSeconds: 2 * 3600)
        #expect(local.weekday == .friday)
        #expect(local.minuteOfDay == 90)
        // 02:00 UTC Monday 2026-11-23 is Sunday 21:00 in UTC-5.
        let monday = Timestamp(
            secondsSinceEpoch: CivilDate(year: 2026, month: 11, day: 23).daysSinceEpoch * 86_400 + 7200
        )
        let sunday = LocalTime(monday, utcOffsetSeconds: -5 * 3600)
        #expect(sunday.weekday == .sunday)
        #expect(layout.window(containing: sunday) == TimeWindow(index: 34))
    }

    @Test("a layout must fit inside one day")
    func layoutLimits() throws {
        // 8 windows of 180 minutes from midnight end exactly at midnight: allowed.
        let full = try TimeWindowLayout(firstWindowStartMinute: 0, windowLengthMinutes: 180, windowsPerDay: 8)
        #expect(full.windowsPerWeek == 56)
        // One minute later, the last window crosses midnight.
        #expect(throws: CoreError.self) {
            try TimeWindowLayout(firstWindowStartMinute: 1, windowLengthMinutes: 180, windowsPerDay: 8)
        }
        #expect(throws: CoreError.self) {
            try TimeWindowLayout(firstWindowStartMinute: 0, windowLengthMinutes: 0, windowsPerDay: 5)
        }
    }
}

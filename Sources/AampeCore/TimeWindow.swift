/// One of the weekly time windows in which a message can be sent, in the user's local time.
///
/// With the default ``TimeWindowLayout`` there are 5 three-hour windows over waking hours (07:00 to
/// 22:00) on each of 7 weekdays, 35 in all. Window `index` counts weekday-major from Monday's first
/// window: Monday 07:00 is 0, Monday 10:00 is 1, ..., Sunday 19:00 is 34.
public struct TimeWindow: Hashable, Comparable, Sendable {
    /// The window's position in the week, `0 ..< layout.windowsPerWeek`.
    public var index: Int

    /// Wraps a window index.
    public init(index: Int) {
        self.index = index
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }
}

/// The weekday of a local date, Monday first, as ISO 8601 numbers them (Monday = 0 here, for indexing).
public enum Weekday: Int, CaseIterable, Sendable {
    case monday, tuesday, wednesday, thursday, friday, saturday, sunday

    /// The weekday of day `days` after 1970-01-01, which was a Thursday.
    public init(daysSinceEpoch days: Int64) {
        let shifted = (days + 3) % 7
        self = Weekday(rawValue: Int(shifted < 0 ? shifted + 7 : shifted))!
    }
}

/// A wall-clock moment in some user's time zone: the weekday and the minute of that day.
public struct LocalTime: Hashable, Sendable {
    /// The local weekday.
    public var weekday: Weekday
    /// Minutes since local midnight, 0 to 1439.
    public var minuteOfDay: Int

    /// The local time of `instant` for a zone that is `utcOffsetSeconds` ahead of UTC at that instant.
    ///
    /// The offset comes from the user's IANA zone at that instant (daylight saving included); looking it
    /// up is the caller's job, so this type stays free of a time zone database.
    public init(_ instant: Timestamp, utcOffsetSeconds: Int64) {
        let localSeconds = instant.secondsSinceEpoch + utcOffsetSeconds
        let day = localSeconds.floorDivided(by: Timestamp.secondsPerDay)
        self.weekday = Weekday(daysSinceEpoch: day)
        self.minuteOfDay = Int((localSeconds - day * Timestamp.secondsPerDay) / 60)
    }

    /// A local time from its parts.
    public init(weekday: Weekday, minuteOfDay: Int) {
        precondition((0..<1440).contains(minuteOfDay), "minute of day \(minuteOfDay) out of range")
        self.weekday = weekday
        self.minuteOfDay = minuteOfDay
    }
}

/// How a day is cut into send windows. The same layout applies to every weekday.
public struct TimeWindowLayout: Hashable, Sendable {
    /// Local minute at which the first window of the day opens. Default 07:00.
    public let firstWindowStartMinute: Int
    /// Length of each window in minutes. Default 180.
    public let windowLengthMinutes: Int
    /// Number of windows in a day. Default 5.
    public let windowsPerDay: Int

    /// 5 three-hour windows from 07:00 to 22:00: 35 windows a week.
    public static let standard = TimeWindowLayout(
        checkedFirstWindowStartMinute: 7 * 60,
        windowLengthMinutes: 180,
        windowsPerDay: 5
    )

    /// A layout from settings. The windows must lie inside one day, so that every window belongs to
    /// exactly one weekday.
    public init(firstWindowStartMinute: Int, windowLengthMinutes: Int, windowsPerDay: Int) throws {
        guard firstWindowStartMinute >= 0, windowLengthMinutes > 0, windowsPerDay > 0,
            firstWindowStartMinute + windowLengthMinutes * windowsPerDay <= 1440
        else {
            throw CoreError.invalidTimeWindowLayout(
                firstWindowStartMinute: firstWindowStartMinute,
                windowLengthMinutes: windowLengthMinutes,
                windowsPerDay: windowsPerDay
            )
        }
        self.init(
            checkedFirstWindowStartMinute: firstWindowStartMinute,
            windowLengthMinutes: windowLengthMinutes,
            windowsPerDay: windowsPerDay
        )
    }

    private init(checkedFirstWindowStartMinute: Int, windowLengthMinutes: Int, windowsPerDay: Int) {
        self.firstWindowStartMinute = checkedFirstWindowStartMinute
        self.windowLengthMinutes = windowLengthMinutes
        self.windowsPerDay = windowsPerDay
    }

    /// Windows in a week.
    public var windowsPerWeek: Int { windowsPerDay * 7 }

    /// The window containing `time`, or `nil` outside the day's windows (at night, by default).
    public func window(containing time: LocalTime) -> TimeWindow? {
        let offset = time.minuteOfDay - firstWindowStartMinute
        guard offset >= 0 else { return nil }
        let slot = offset / windowLengthMinutes
        guard slot < windowsPerDay else { return nil }
        return TimeWindow(index: time.weekday.rawValue * windowsPerDay + slot)
    }

    /// The weekday and local start minute of `window`.
    public func start(of window: TimeWindow) -> LocalTime {
        precondition((0..<windowsPerWeek).contains(window.index), "window \(window.index) out of range")
        let weekday = Weekday(rawValue: window.index / windowsPerDay)!
        let slot = window.index % windowsPerDay
        return LocalTime(weekday: weekday, minuteOfDay: firstWindowStartMinute + slot * windowLengthMinutes)
    }
}

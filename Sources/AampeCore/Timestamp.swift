/// An instant in UTC, as whole microseconds since the Unix epoch.
///
/// Microseconds cover every source format (seconds, milliseconds, microseconds, ISO-8601 with fractions)
/// without loss, and an `Int64` of them spans ±292,000 years. Everything stored or compared uses this
/// type; local time exists only where a user's time zone is applied, as a ``LocalTime``.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var rawValue: Int64

    /// Wraps a count of microseconds since the epoch.
    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// Microseconds in one second.
    public static let microsecondsPerSecond: Int64 = 1_000_000
    /// Seconds in one day. aamped's UTC days have no leap seconds, as in POSIX time.
    public static let secondsPerDay: Int64 = 86_400

    /// The instant `seconds` whole seconds after the epoch.
    public init(secondsSinceEpoch seconds: Int64) {
        self.rawValue = seconds * Self.microsecondsPerSecond
    }

    /// Whole seconds since the epoch, rounded toward negative infinity.
    public var secondsSinceEpoch: Int64 {
        rawValue.floorDivided(by: Self.microsecondsPerSecond)
    }

    /// The UTC day this instant falls on, counted from 1970-01-01 as day 0.
    public var utcDay: Int64 {
        secondsSinceEpoch.floorDivided(by: Self.secondsPerDay)
    }

    /// The instant `microseconds` later.
    public func adding(microseconds: Int64) -> Timestamp {
        Timestamp(rawValue: rawValue + microseconds)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// ISO-8601 in UTC with microseconds, such as `2026-11-22T11:06:37.123456Z`: lossless, and what the
    /// importers read back.
    public var iso8601Microseconds: String {
        let micros = rawValue - secondsSinceEpoch * Self.microsecondsPerSecond
        let fraction = String(micros)
        return String(description.dropLast()) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }
}

extension Timestamp: CustomStringConvertible {
    /// ISO-8601 in UTC with second precision, such as `2026-11-22T11:06:37Z`.
    public var description: String {
        let seconds = secondsSinceEpoch
        let date = CivilDate(daysSinceEpoch: utcDay)
        let secondOfDay = seconds - utcDay * Self.secondsPerDay
        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        let second = secondOfDay % 60
        return "\(date)T\(hour.padded(2)):\(minute.padded(2)):\(second.padded(2))Z"
    }
}

/// A proleptic Gregorian calendar date, with conversions to and from days since 1970-01-01.
///
/// The conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
/// (http://howardhinnant.github.io/date_algorithms.html), exact for every `Int64` day in range.
public struct CivilDate: Hashable, Sendable, CustomStringConvertible {
    /// The year, such as 2026.
    public var year: Int64
    /// The month, 1 to 12.
    public var month: Int
    /// The day of the month, 1 to 31.
    public var day: Int

    /// A date from its parts. The parts are not checked; use ``isValid`` where they come from outside.
    public init(year: Int64, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date of day `days`, where day 0 is 1970-01-01.
    public init(daysSinceEpoch days: Int64) {
        // > civil_from_days: shift the epoch to 0000-03-01 so that leap days fall at the end of an era.
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = Int(month)
        self.day = Int(day)
    }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int64 {
        // > days_from_civil
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Whether the month is 1 to 12 and the day exists in that month.
    public var isValid: Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        return day <= CivilDate.daysInMonth(month, year: year)
    }

    /// The number of days in `month` of `year`.
    public static func daysInMonth(_ month: Int, year: Int64) -> Int {
        switch month {
        case 2:
            let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return isLeap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(year.padded(4))-\(Int64(month).padded(2))-\(Int64(day).padded(2))"
    }

    /// The date ``description`` writes: exactly `YYYY-MM-DD`, a date that exists; `nil` otherwise.
    public init?(iso8601Date text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let year = Int64(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
        guard isValid else { return nil }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so that instants before the epoch land on the right day.
    @inlinable
    public func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// Decimal digits, zero-padded on the left to `width`.
    func padded(_ width: Int) -> String {
        let digits = String(self.magnitude)
        let padding = String(repeating: "0", count: Swift.max(0, width - digits.count))
        return (self < 0 ? "-" : "") + padding + digits
    }
}

public import AampeCore

/// The time a report covers: `[from, to)`, whole UTC days.
public struct ReportPeriod: Sendable, Hashable {
    public var from: Timestamp
    public var to: Timestamp

    /// `[from, to)`; both are moved down to their UTC midnight's boundary so that days and weeks are
    /// whole. Throws when `to` is not after `from` or the period is longer than
    /// ``Limits/maximumReportDays``.
    public init(from: Timestamp, to: Timestamp) throws(ReportError) {
        let first = from.secondsSinceEpoch.floorDivided(by: Timestamp.secondsPerDay)
        var last = to.secondsSinceEpoch.floorDivided(by: Timestamp.secondsPerDay)
        if last * Timestamp.secondsPerDay < to.secondsSinceEpoch { last += 1 }
        guard to > from, last > first else {
            throw ReportError.invalidOption(
                name: "to",
                reason: "\(to.description) is not after --from \(from.description)"
            )
        }
        guard last - first <= Int64(Limits.maximumReportDays) else {
            throw ReportError.invalidOption(
                name: "from",
                reason:
                    "the period \(from.description) to \(to.description) is \(last - first) days, more than the limit of \(Limits.maximumReportDays)"
            )
        }
        self.from = Timestamp(secondsSinceEpoch: first * Timestamp.secondsPerDay)
        self.to = Timestamp(secondsSinceEpoch: last * Timestamp.secondsPerDay)
    }

    /// Whole UTC days in the period.
    public var days: Int { Int((to.secondsSinceEpoch - from.secondsSinceEpoch) / Timestamp.secondsPerDay) }

    /// The period's length in weeks (fractional): the unit of per-week rates.
    public var weeks: Double { Double(days) / 7 }

    /// The day of `time` in the period (0 is `from`'s day); may be negative or past the end.
    public func day(of time: Timestamp) -> Int {
        Int((time.rawValue - from.rawValue).floorDivided(by: Timestamp.secondsPerDay * Timestamp.microsecondsPerSecond))
    }

    /// The UTC date of the period's day `day`.
    public func date(ofDay day: Int) -> CivilDate {
        CivilDate(daysSinceEpoch: from.secondsSinceEpoch / Timestamp.secondsPerDay + Int64(day))
    }

    public func contains(_ time: Timestamp) -> Bool { time >= from && time < to }
}

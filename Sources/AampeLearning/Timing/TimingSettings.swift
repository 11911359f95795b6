public import AampeCore

/// How `aampectl train timing` reads the events. The defaults are the documented ones; every field is
/// recorded in the generation's `timing.json`.
public struct TimingSettings: Codable, Sendable, Hashable {
    /// Local minute at which the first window of a day opens (default 07:00).
    public var firstWindowStartMinute = 7 * 60
    /// Length of each window in minutes (default 180).
    public var windowLengthMinutes = 180
    /// Windows per day (default 5): with the defaults, 35 windows a week from 07:00 to 22:00.
    public var windowsPerDay = 5
    /// The IANA zone of users whose profile has none.
    public var defaultTimeZone = "UTC"
    /// The days before the reference time whose sessions make up a user's window counts.
    public var routineDays = 90
    /// The event that marks a session: the unit of window counts. When the data has none of it, every
    /// event counts, and the report says so.
    public var sessionEvent = "app_opened"
    /// How the window prior's strength per cluster is chosen.
    public var strengthFit = WindowPropensityModel.StrengthFit.crossFitted
    /// The activity estimate's horizon: P(seen again within this many days).
    public var horizonDays = 7
    /// The half-life of a send's weight in the responsiveness estimate.
    public var responsivenessHalfLifeDays = 30.0
    /// Turns the estimates into messages per week.
    public var cadence = CadenceRule.standard

    /// The documented defaults.
    public init() {}

    /// The window layout, checked.
    public func layout() throws -> TimeWindowLayout {
        do {
            return try TimeWindowLayout(
                firstWindowStartMinute: firstWindowStartMinute,
                windowLengthMinutes: windowLengthMinutes,
                windowsPerDay: windowsPerDay
            )
        } catch {
            throw LearningError.invalidOption(name: "windows", reason: "\(error)")
        }
    }

    /// Checks the settings; the error names the setting.
    public func validate() throws {
        _ = try layout()
        guard (1...Limits.maximumTimingHistoryDays).contains(routineDays) else {
            throw LearningError.invalidOption(
                name: "routine-days",
                reason: "expected 1 to \(Limits.maximumTimingHistoryDays), got \(routineDays)"
            )
        }
        guard (1...365).contains(horizonDays) else {
            throw LearningError.invalidOption(name: "horizon-days", reason: "expected 1 to 365, got \(horizonDays)")
        }
        guard responsivenessHalfLifeDays > 0, responsivenessHalfLifeDays.isFinite else {
            throw LearningError.invalidOption(
                name: "responsiveness-half-life-days",
                reason: "expected a positive number of days, got \(responsivenessHalfLifeDays)"
            )
        }
        guard !sessionEvent.isEmpty else {
            throw LearningError.invalidOption(name: "session-event", reason: "must not be empty")
        }
    }

    enum CodingKeys: String, CodingKey {
        case cadence
        case firstWindowStartMinute = "first_window_start_minute"
        case windowLengthMinutes = "window_length_minutes"
        case windowsPerDay = "windows_per_day"
        case defaultTimeZone = "default_time_zone"
        case routineDays = "routine_days"
        case sessionEvent = "session_event"
        case strengthFit = "strength_fit"
        case horizonDays = "horizon_days"
        case responsivenessHalfLifeDays = "responsiveness_half_life_days"
    }
}

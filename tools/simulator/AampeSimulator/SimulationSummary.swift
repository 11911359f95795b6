/// What a run wrote, counted as it was written: per UTC day, the events by type (each counted once, on
/// its own day) and the dirt in that day's dump. An import of the dumps should read exactly
/// `lines`, accept `events`, find `duplicates` and reject `malformed`.
public struct SimulationSummary: Codable, Sendable, Equatable {
    public struct Day: Codable, Sendable, Equatable {
        public var date: String
        /// Events by name whose timestamp falls on this UTC day (wherever dirt put them).
        public var events: [String: Int]
        public var revenue: String
        /// Lines in this day's dump: its own events not sent late, late arrivals from earlier days,
        /// duplicates and malformed lines (the CSV header not counted).
        public var lines: Int
        public var lateArrivals: Int
        public var duplicates: Int
        public var malformed: Int
        /// Users with at least one session on this local calendar day, in their own time zone.
        public var usersWithSessions: Int

        enum CodingKeys: String, CodingKey {
            case date, events, revenue, lines
            case lateArrivals = "late_arrivals"
            case duplicates, malformed
            case usersWithSessions = "users_with_sessions"
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var events = 0
        public var eventsByName: [String: Int] = [:]
        public var revenue = ""
        public var lines = 0
        public var lateArrivals = 0
        public var duplicates = 0
        public var malformed = 0

        enum CodingKeys: String, CodingKey {
            case events
            case eventsByName = "events_by_name"
            case revenue, lines
            case lateArrivals = "late_arrivals"
            case duplicates, malformed
        }
    }

    public var settings: WorldSettings
    public var files: [String]
    public var days: [Day]
    public var totals: Totals
}

extension WorldSettings {
    enum CodingKeys: String, CodingKey {
        case users, items
        case startDate = "start_date"
        case days, seed, personas, format
        case isCompressed = "zstd"
        case duplicateRate = "duplicate_rate"
        case lateRate = "late_rate"
        case malformedRate = "malformed_rate"
        case copyVarianceShares = "copy_variance_shares"
        case copyEffectScale = "copy_effect_scale"
        case signal
        case failureRate = "failure_rate"
        case optOutBase = "opt_out_base"
        case optOutSlope = "opt_out_slope"
        case cannibalization
    }
}

/// Cents as `1234.56`.
func centsText(_ cents: Int) -> String {
    let remainder = cents % 100
    return "\(cents / 100).\(remainder < 10 ? "0" : "")\(remainder)"
}

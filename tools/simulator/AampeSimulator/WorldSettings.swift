/// Everything that shapes a simulated world. The same settings and seed give byte-identical output.
public struct WorldSettings: Sendable, Codable, Equatable {
    /// Export layout of the daily dumps.
    public enum DumpFormat: String, Sendable, Codable, CaseIterable {
        /// Segment spec `track` calls, one JSON object a line (the default).
        case segment
        /// aamped's canonical CSV: `event_id,timestamp,user_id,event,item_id,value`.
        case csv
        /// Mixpanel raw export: `event` and `properties` with `distinct_id`, `time` (seconds), `$insert_id`.
        case mixpanel
        /// Amplitude export: `user_id`, `event_type`, `event_time`, `insert_id`, `event_properties`.
        case amplitude

        var fileExtension: String { self == .csv ? "csv" : "jsonl" }
    }

    public var users = 20_000
    public var items = 2_000
    /// First simulated UTC day, `YYYY-MM-DD`.
    public var startDate = "2026-10-01"
    public var days = 30
    public var seed: UInt64 = 1
    /// Number of hidden personas, 1 to ``Persona/archetypes``.count (6).
    public var personas = 6
    public var format = DumpFormat.segment
    /// Write each dump as `.zst`.
    public var isCompressed = false
    /// Share of events written a second time with the same idempotency key (a CDP retry).
    public var duplicateRate = 0.01
    /// Share of events written into a later day's dump (1 to 3 days late) instead of their own.
    public var lateRate = 0.005
    /// Extra malformed lines, as a share of events: truncated records and stray text.
    public var malformedRate = 0.001
    /// How the variance of a copy preference splits into population, persona and individual parts.
    /// The three shares are normalized to sum to 1; `1,0,0` is a world where everybody agrees.
    public var copyVarianceShares = [0.2, 0.3, 0.5]
    /// Standard deviation, in logits, of a user's preference for one label. Defaults to the signal's.
    public var copyEffectScale: Double
    /// How strongly users respond to messages: ``Signal/realistic`` (the default) or ``Signal/high``.
    public var signal: Signal
    /// Share of delivery attempts that fail as bad addresses do: each (user, channel) address is bad
    /// with this probability, and every message to a bad address fails.
    public var failureRate = 0.005
    /// Opt-out probability per delivered message at zero fatigue.
    public var optOutBase = 0.002
    /// Added to the opt-out probability per unit (logit) of the user's current fatigue.
    public var optOutSlope = 0.004
    /// Share of message-driven goals that replace an organic goal the user would have reached anyway.
    public var cannibalization = 0.3

    /// A world with the given signal's response model (and copy effect).
    public init(signal: Signal = .realistic) {
        self.signal = signal
        copyEffectScale = signal.calibration.copyEffectScale
    }

    /// The largest settings this simulator accepts; ids and counters are sized for them.
    public enum Limits {
        public static let maximumUsers = 50_000_000
        public static let maximumItems = 10_000_000
        public static let maximumDays = 366
        public static let maximumRate = 0.5
    }

    /// Checks every setting and names the first bad one.
    public func validate() throws(SimulatorError) {
        guard (1...Limits.maximumUsers).contains(users) else {
            throw .invalidSetting("users", "\(users) is outside 1...\(Limits.maximumUsers)")
        }
        guard (1...Limits.maximumItems).contains(items) else {
            throw .invalidSetting("items", "\(items) is outside 1...\(Limits.maximumItems)")
        }
        guard (1...Limits.maximumDays).contains(days) else {
            throw .invalidSetting("days", "\(days) is outside 1...\(Limits.maximumDays)")
        }
        guard CivilDate.epochDay(parsing: startDate) != nil else {
            throw .invalidSetting("start", "\"\(startDate)\" is not a date in the form YYYY-MM-DD")
        }
        guard (1...Persona.archetypes.count).contains(personas) else {
            throw .invalidSetting("personas", "\(personas) is outside 1...\(Persona.archetypes.count)")
        }
        for (name, rate) in [
            ("duplicate-rate", duplicateRate), ("late-rate", lateRate), ("malformed-rate", malformedRate),
        ] {
            guard rate >= 0, rate <= Limits.maximumRate else {
                throw .invalidSetting(name, "\(rate) is outside 0...\(Limits.maximumRate)")
            }
        }
        guard copyVarianceShares.count == 3, copyVarianceShares.allSatisfy({ $0 >= 0 }),
            copyVarianceShares.reduce(0, +) > 0
        else {
            throw .invalidSetting(
                "copy-variance",
                "needs three non-negative shares (population, persona, individual) with a positive sum"
            )
        }
        guard copyEffectScale >= 0, copyEffectScale <= 5 else {
            throw .invalidSetting("copy-effect", "\(copyEffectScale) is outside 0...5 logits")
        }
        for (name, rate) in [
            ("failure-rate", failureRate), ("opt-out-base", optOutBase), ("cannibalization", cannibalization),
        ] {
            guard rate >= 0, rate <= 1 else { throw .invalidSetting(name, "\(rate) is outside 0...1") }
        }
        guard optOutSlope >= 0, optOutSlope <= 1 else {
            throw .invalidSetting("opt-out-slope", "\(optOutSlope) is outside 0...1 per logit of fatigue")
        }
    }

    /// The variance shares, normalized to sum to 1.
    var normalizedCopyShares: (population: Double, persona: Double, individual: Double) {
        let total = copyVarianceShares.reduce(0, +)
        return (copyVarianceShares[0] / total, copyVarianceShares[1] / total, copyVarianceShares[2] / total)
    }
}

/// The simulator's one error type.
public enum SimulatorError: Error, CustomStringConvertible {
    case invalidSetting(String, String)
    case outputFolderNotEmpty(String)
    case io(path: String, operation: String, errno: Int32)
    case compression(path: String, reason: String)
    /// A bad line in an input file (deliveries): the file, the 1-based line, the field and what was wrong.
    case invalidInput(path: String, line: Int, field: String, reason: String)
    /// A world folder whose state does not allow the request (missing, damaged, or another day next).
    case invalidWorld(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let name, let reason): "--\(name): \(reason)"
        case .outputFolderNotEmpty(let path):
            "\(path): the output folder is not empty (pass --force to replace its contents)"
        case .invalidInput(let path, let line, let field, let reason): "\(path):\(line): \(field): \(reason)"
        case .invalidWorld(let path, let reason): "\(path): \(reason)"
        case .io(let path, let operation, let code): "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .compression(let path, let reason): "\(path): zstd: \(reason)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Proleptic Gregorian dates as days since 1970-01-01 (Howard Hinnant's civil-date algorithms).
enum CivilDate {
    static func epochDay(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func components(epochDay: Int) -> (year: Int, month: Int, day: Int) {
        let z = epochDay + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD`, or nil.
    static func epochDay(parsing text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let result = epochDay(year: year, month: month, day: day)
        // Reject dates such as 2026-02-30, which the arithmetic would roll over.
        guard components(epochDay: result) == (year, month, day) else { return nil }
        return result
    }

    static func text(epochDay: Int) -> String {
        let (year, month, day) = components(epochDay: epochDay)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// Monday is 0, Sunday 6 (1970-01-01 was a Thursday).
    static func weekday(epochDay: Int) -> Int {
        ((epochDay % 7) + 7 + 3) % 7
    }
}

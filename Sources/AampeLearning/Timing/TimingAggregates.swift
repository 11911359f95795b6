public import AampeCore
public import AampeEvents

/// What timing reads from the events, accumulated in one streaming pass over the segments with memory
/// bounded by users × (windows + history days / 64):
///
/// - per user, the sessions in each local window over the ``TimingSettings/routineDays`` before the
///   reference time (the session event, or every event when the data has no session event);
/// - per user, a bitmap of active days (any event) over the whole history, counted as 24-hour days
///   back from the reference time, from which BG/NBD's frequency, recency and age follow. Late and
///   out-of-order events count once.
///
/// The reference time is `--as-of`, or else the newest event; later events are ignored.
public struct TimingAggregates: Sendable {
    /// The settings read with.
    public let settings: TimingSettings
    /// The window layout.
    public let layout: TimeWindowLayout
    /// The end of every look-back, seconds since the epoch.
    public let referenceSeconds: Int64
    /// Users (rows).
    public let userCount: Int
    /// Days of history the active-day bitmaps cover.
    public let historyDays: Int
    /// Whether the data has the session event; when not, every event counts as a session.
    public let hasSessionEvent: Bool
    /// Events after the reference time, ignored.
    public private(set) var eventsAfterReference = 0
    /// Events older than the history, ignored.
    public private(set) var eventsBeforeHistory = 0
    /// Sessions outside every window (at night, with the default layout).
    public private(set) var sessionsOutsideWindows = 0
    /// Sessions counted into a window.
    public private(set) var sessionsInWindows = 0

    private let sessionType: Int?
    private let words: Int
    /// users × windows
    public private(set) var windowCounts: [Float]
    /// users × windows: the sessions of ``windowCounts`` on odd days back from the reference time (the
    /// rest are on even days), for cross-fitting the prior strength.
    public private(set) var oddDayWindowCounts: [Float]
    private var dayBits: [UInt64]

    /// Empty aggregates. `eventTypes` is the dictionary by index; `historyDays` bounds the active-day
    /// bitmaps (at most ``Limits/maximumTimingHistoryDays``).
    public init(
        settings: TimingSettings,
        referenceSeconds: Int64,
        userCount: Int,
        eventTypes: [String],
        historyDays: Int
    ) throws {
        try settings.validate()
        self.settings = settings
        self.layout = try settings.layout()
        self.referenceSeconds = referenceSeconds
        self.userCount = userCount
        self.historyDays = max(1, min(historyDays, Limits.maximumTimingHistoryDays))
        self.sessionType = eventTypes.firstIndex(of: settings.sessionEvent)
        self.hasSessionEvent = sessionType != nil
        self.words = (self.historyDays + 63) / 64
        windowCounts = [Float](repeating: 0, count: userCount * layout.windowsPerWeek)
        oddDayWindowCounts = [Float](repeating: 0, count: userCount * layout.windowsPerWeek)
        dayBits = [UInt64](repeating: 0, count: userCount * words)
    }

    /// Adds one segment's events.
    public mutating func add(_ events: EventStore.IndexedEvents, zones: UserZones) {
        let windows = layout.windowsPerWeek
        let history = Int64(historyDays)
        let routine = Int64(settings.routineDays)
        for row in 0..<events.users.count {
            let instant = Timestamp(rawValue: events.timestampMicros[row])
            let seconds = instant.secondsSinceEpoch
            if seconds > referenceSeconds {
                eventsAfterReference += 1
                continue
            }
            let age = (referenceSeconds - seconds) / Timestamp.secondsPerDay
            guard age < history else {
                eventsBeforeHistory += 1
                continue
            }
            let user = Int(events.users[row])
            precondition(user < userCount, "user index \(user) past the dictionary")
            dayBits[user * words + Int(age >> 6)] |= UInt64(1) << UInt64(age & 63)
            guard age < routine, sessionType == nil || Int(events.eventTypes[row]) == sessionType else { continue }
            if let window = layout.window(containing: zones.localTime(of: user, at: instant)) {
                windowCounts[user * windows + window.index] += 1
                if age & 1 == 1 { oddDayWindowCounts[user * windows + window.index] += 1 }
                sessionsInWindows += 1
            } else {
                sessionsOutsideWindows += 1
            }
        }
    }

    /// BG/NBD's summary of a user's active days: `x` repeat active days, `tx` days from the first to
    /// the last, `T` days from the first to the reference time; `nil` for a user never active in the
    /// history.
    public func activity(of user: Int) -> (x: Int, tx: Int, T: Int)? {
        var newest = -1
        var oldest = -1
        var days = 0
        for word in 0..<words {
            let bits = dayBits[user * words + word]
            guard bits != 0 else { continue }
            if newest < 0 { newest = word * 64 + bits.trailingZeroBitCount }
            oldest = word * 64 + 63 - bits.leadingZeroBitCount
            days += bits.nonzeroBitCount
        }
        guard days > 0 else { return nil }
        return (x: days - 1, tx: oldest - newest, T: oldest)
    }

    /// users × windows: the sessions on even days back from the reference time.
    public var evenDayWindowCounts: [Float] {
        var even = windowCounts
        for index in even.indices { even[index] -= oddDayWindowCounts[index] }
        return even
    }

    /// The user's window counts.
    public func windowCounts(of user: Int) -> ArraySlice<Float> {
        let windows = layout.windowsPerWeek
        return windowCounts[(user * windows)..<((user + 1) * windows)]
    }
}

public import AampeCore

/// One send window a message can go out in: the window of the user's week and its UTC instants.
public struct SendWindow: Hashable, Sendable {
    /// The window's index in the week of the layout (``TimeWindow/index``).
    public var index: Int
    /// The first instant a message may be sent.
    public var start: Timestamp
    /// The first instant it may no longer be sent.
    public var end: Timestamp

    public init(index: Int, start: Timestamp, end: Timestamp) {
        self.index = index
        self.start = start
        self.end = end
    }
}

/// Local quiet hours as minutes after local midnight: nothing is sent from `startMinute` until
/// `endMinute`, wrapping midnight when `startMinute > endMinute`; equal means none.
public struct QuietMinutes: Hashable, Sendable {
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        precondition((0..<1440).contains(startMinute) && (0..<1440).contains(endMinute), "quiet minutes out of range")
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// Whether local minute `minute` (0 ..< 1440) is quiet.
    public func contains(_ minute: Int) -> Bool {
        if startMinute < endMinute { return minute >= startMinute && minute < endMinute }
        if startMinute > endMinute { return minute >= startMinute || minute < endMinute }
        return false
    }

    /// No quiet hours.
    public static let none = QuietMinutes(startMinute: 0, endMinute: 0)

    /// The longest part of local `start ..< end` (minutes of one day, `end <= 1440`) outside the quiet
    /// hours, the earliest of equals; `nil` when all of it is quiet.
    public func longestAllowedPart(of start: Int, _ end: Int) -> Range<Int>? {
        var quiet: [Range<Int>] = []
        if startMinute < endMinute {
            quiet = [startMinute..<endMinute]
        } else if startMinute > endMinute {
            quiet = [0..<endMinute, startMinute..<1440]
        }
        var pieces: [Range<Int>] = []
        var cursor = start
        for range in quiet.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.upperBound > cursor {
            if range.lowerBound >= end { break }
            if range.lowerBound > cursor { pieces.append(cursor..<range.lowerBound) }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < end { pieces.append(cursor..<end) }
        return pieces.max { $0.count < $1.count || ($0.count == $1.count && $0.lowerBound > $1.lowerBound) }
    }
}

/// The send windows open to a user over an assignment's horizon.
public enum SendWindows {
    /// The windows of `layout`, in the user's `zone`, that are open at some instant of
    /// `from ..< from + horizonSeconds`, earliest first.
    ///
    /// - A window is the part of its local interval outside `quiet` (the longest part, when the quiet
    ///   hours cut it in two); a window wholly inside the quiet hours is not offered.
    /// - Local times become UTC with the zone's offset in force at that moment. In a daylight-saving gap
    ///   a local time that does not exist maps to the instant the offset before the gap gives it (the
    ///   clock reading an hour early or late at worst), and in a fold to its first occurrence.
    /// - A window already open at `from` starts at `from`: it is still usable, but not in the past.
    /// - A window is offered when its (clipped) start is before the horizon's end; it keeps its own end.
    public static func upcoming(
        layout: TimeWindowLayout,
        zone: ZoneOffsets,
        from: Timestamp,
        horizonSeconds: Int64,
        quiet: QuietMinutes = .none
    ) -> [SendWindow] {
        precondition(horizonSeconds > 0, "a horizon is positive")
        let horizonEnd = Timestamp(secondsSinceEpoch: from.secondsSinceEpoch + horizonSeconds)
        let firstLocalDay =
            (from.secondsSinceEpoch + zone.utcOffsetSeconds(at: from)).floorDivided(by: Timestamp.secondsPerDay) - 1
        let lastLocalDay =
            (horizonEnd.secondsSinceEpoch + zone.utcOffsetSeconds(at: horizonEnd))
            .floorDivided(by: Timestamp.secondsPerDay) + 1
        var windows: [SendWindow] = []
        for day in firstLocalDay...lastLocalDay {
            let weekday = Weekday(daysSinceEpoch: day)
            for slot in 0..<layout.windowsPerDay {
                let localStart = layout.firstWindowStartMinute + slot * layout.windowLengthMinutes
                guard let allowed = quiet.longestAllowedPart(of: localStart, localStart + layout.windowLengthMinutes)
                else { continue }
                let start = utc(localSeconds: day * Timestamp.secondsPerDay + Int64(allowed.lowerBound) * 60, zone)
                let end = utc(localSeconds: day * Timestamp.secondsPerDay + Int64(allowed.upperBound) * 60, zone)
                let clipped = max(start, from)
                guard end > clipped, clipped < horizonEnd else { continue }
                windows.append(
                    SendWindow(index: weekday.rawValue * layout.windowsPerDay + slot, start: clipped, end: end)
                )
            }
        }
        return windows.sorted { $0.start < $1.start }
    }

    /// The UTC instant of the local wall-clock reading `localSeconds` (seconds since the local epoch).
    static func utc(localSeconds: Int64, _ zone: ZoneOffsets) -> Timestamp {
        let guess = Timestamp(
            secondsSinceEpoch: localSeconds - zone.utcOffsetSeconds(at: Timestamp(secondsSinceEpoch: localSeconds))
        )
        let offset = zone.utcOffsetSeconds(at: guess)
        let candidate = Timestamp(secondsSinceEpoch: localSeconds - offset)
        // In a fold both readings exist; prefer the first (the earlier instant) when it maps back.
        let earlier = Timestamp(secondsSinceEpoch: localSeconds - max(offset, zone.utcOffsetSeconds(at: candidate)))
        if earlier.secondsSinceEpoch + zone.utcOffsetSeconds(at: earlier) == localSeconds { return earlier }
        return candidate
    }
}

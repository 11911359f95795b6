public import AampeCore
import Foundation

/// The UTC offsets of one IANA time zone, precomputed as a table of transitions over an interval, so that
/// mapping millions of event timestamps to local time is a binary search, not a `TimeZone` call per event.
///
/// The table comes from Foundation's `TimeZone` (`secondsFromGMT(for:)` at the start of the interval, then
/// every `nextDaylightSavingTimeTransition(after:)` up to its end; ICU reports every change of offset there,
/// standard-time changes included). An instant outside the interval asks the `TimeZone` itself, so the
/// answer is right everywhere and fast inside the interval.
///
/// ```
///   transitionSeconds:      t0          t1          t2
///   offsetSeconds:     o0   |     o1    |     o2    |    o3
///   instant s:         [from, t0)  [t0, t1)    [t1, t2)    [t2, to]
/// ```
///
/// `offsetSeconds[i]` holds from `transitionSeconds[i - 1]` (inclusive) to `transitionSeconds[i]`.
public struct ZoneOffsets: Sendable {
    /// Instants, in seconds since the epoch, at which the offset changes, ascending.
    private let transitionSeconds: [Int64]
    /// One more offset than transitions: the offset before the first transition, then after each.
    private let offsetSeconds: [Int64]
    /// The interval the table covers, in seconds since the epoch.
    private let coveredSeconds: ClosedRange<Int64>
    /// The zone itself, for instants outside `coveredSeconds`; `nil` for a fixed offset.
    private let timeZone: TimeZone?

    /// The offsets of the IANA zone `identifier` (such as `Europe/Berlin`) over `[from, to]`; `nil` when
    /// Foundation does not know the zone.
    ///
    /// `from` must not be after `to`. The table holds about two entries a year for a zone with daylight
    /// saving time, so an interval of a few years costs a few hundred bytes.
    public init?(identifier: String, from: Timestamp, to: Timestamp) {
        precondition(from <= to, "ZoneOffsets: from is after to")
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        let first = from.secondsSinceEpoch
        let last = to.secondsSinceEpoch
        var transitions: [Int64] = []
        var offsets: [Int64] = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(first))))]
        var cursor = Date(timeIntervalSince1970: Double(first))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor) {
            let seconds = Int64(next.timeIntervalSince1970.rounded(.down))
            guard seconds <= last, next > cursor else { break }
            let offset = Int64(zone.secondsFromGMT(for: next))
            // ICU also reports changes of name or of the daylight flag alone; they change no offset.
            if offset != offsets[offsets.count - 1] {
                transitions.append(seconds)
                offsets.append(offset)
            }
            cursor = next
        }
        self.transitionSeconds = transitions
        self.offsetSeconds = offsets
        self.coveredSeconds = first...last
        self.timeZone = zone
    }

    /// A zone that is always `fixedOffsetSeconds` ahead of UTC (0 for UTC itself, or a default zone for
    /// users whose zone is unknown).
    public init(fixedOffsetSeconds: Int64) {
        self.transitionSeconds = []
        self.offsetSeconds = [fixedOffsetSeconds]
        self.coveredSeconds = Int64.min...Int64.max
        self.timeZone = nil
    }

    /// How many seconds the zone is ahead of UTC at `instant`, daylight saving time included.
    public func utcOffsetSeconds(at instant: Timestamp) -> Int64 {
        let seconds = instant.secondsSinceEpoch
        guard coveredSeconds.contains(seconds) else {
            guard let timeZone else { return offsetSeconds[0] }
            return Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        }
        // The number of transitions at or before `seconds` is the index of the offset in force.
        var low = 0
        var high = transitionSeconds.count
        while low < high {
            let middle = (low + high) / 2
            if transitionSeconds[middle] <= seconds {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return offsetSeconds[low]
    }

    /// The local weekday and minute of `instant` in this zone.
    public func localTime(_ instant: Timestamp) -> LocalTime {
        LocalTime(instant, utcOffsetSeconds: utcOffsetSeconds(at: instant))
    }
}

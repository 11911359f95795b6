public import AampeCore

/// A campaign trigger in event-type terms, as ``TriggerScan`` evaluates it.
public enum TriggerDefinition: Hashable, Sendable {
    /// An event of type `event`; due `delaySeconds` later unless an event of a type in `cancelling`
    /// comes first.
    case event(event: UInt32, delaySeconds: Int64, cancelling: Set<UInt32>)
    /// No event of type `event` for `durationSeconds` since its last one.
    case inactivity(event: UInt32, durationSeconds: Int64)
}

/// A trigger that fired for one user.
public struct FiredTrigger: Hashable, Sendable {
    /// What the decision is for: `event:<micros>` (the firing event's time) or `inactive:<micros>` (the
    /// last event's time), so one firing is decided once, by a batch run or in real time.
    public var occasion: String
    /// When the message is due: the firing event plus the delay, or the last event plus the duration.
    public var due: Timestamp
    /// The firing (or last) event's time.
    public var eventTime: Timestamp

    public init(occasion: String, due: Timestamp, eventTime: Timestamp) {
        self.occasion = occasion
        self.due = due
        self.eventTime = eventTime
    }
}

/// Evaluates triggers over one user's events.
///
/// Rules, for events known up to `asOf`:
/// - **event:** each event of the trigger's type at `t` is due at `t + delay`. It is cancelled by a
///   cancelling event in `(t, t + delay]`, and superseded by a later event of the trigger's type before
///   `t + delay` (a second `add_to_cart` restarts the wait, so a burst sends one message). It fires when
///   it is neither and its due time lies in `asOf - lookback ..< asOf + horizon`. A due time after `asOf`
///   can still be cancelled by events not known yet; the daemon's real-time triggers see those, a batch
///   run cannot.
/// - **inactivity:** fires when the last event of the type at or before `asOf` is at least `duration`
///   old; never for a user without one (nothing to lapse from).
public enum TriggerScan {
    /// The firings of `trigger` among `events` (one user's, by time), as of `asOf`.
    public static func fired(
        _ trigger: TriggerDefinition,
        events: [(time: Timestamp, type: UInt32)],
        asOf: Timestamp,
        lookbackSeconds: Int64,
        horizonSeconds: Int64
    ) -> [FiredTrigger] {
        let known = events.filter { $0.time <= asOf }
        switch trigger {
        case .event(let event, let delaySeconds, let cancelling):
            var fired: [FiredTrigger] = []
            let earliest = asOf.secondsSinceEpoch - lookbackSeconds
            let latest = asOf.secondsSinceEpoch + horizonSeconds
            for (position, candidate) in known.enumerated() where candidate.type == event {
                let due = candidate.time.secondsSinceEpoch + delaySeconds
                guard due >= earliest, due < latest else { continue }
                var isStopped = false
                for later in known[(position + 1)...] {
                    if later.time.secondsSinceEpoch > due { break }
                    if cancelling.contains(later.type) {
                        isStopped = true
                        break
                    }
                    if later.type == event && later.time.secondsSinceEpoch < due {
                        isStopped = true
                        break
                    }
                }
                if isStopped { continue }
                fired.append(
                    FiredTrigger(
                        occasion: "event:\(candidate.time.rawValue)",
                        due: Timestamp(secondsSinceEpoch: due),
                        eventTime: candidate.time
                    )
                )
            }
            return fired
        case .inactivity(let event, let durationSeconds):
            guard let last = known.last(where: { $0.type == event }) else { return [] }
            let due = last.time.secondsSinceEpoch + durationSeconds
            guard due <= asOf.secondsSinceEpoch else { return [] }
            return [
                FiredTrigger(
                    occasion: "inactive:\(last.time.rawValue)",
                    due: Timestamp(secondsSinceEpoch: due),
                    eventTime: last.time
                )
            ]
        }
    }
}

public import AampeCore
import Synchronization

/// The clock PULL, ACK and expiry run on: the system's, or a simulated one that moves only when told.
///
/// The simulator's loop runs days of an app in minutes: it starts aamped with `--simulated-clock`, and
/// moves the clock with CLOCK between its steps, so that send windows open, leases lapse and windows close
/// at simulated time. Never on by default. A simulated clock never runs back: a CLOCK that would move it
/// earlier is refused (the state machines also read an earlier `now` as the latest seen).
public final class OutboxClock: Sendable {
    /// The simulated instant in microseconds; unused when the clock is the system's.
    private let simulatedMicros: Atomic<Int64>
    /// Whether this clock is simulated.
    public let isSimulated: Bool

    /// The system clock.
    public static func system() -> OutboxClock { OutboxClock(simulatedStart: nil) }

    /// A simulated clock starting at `simulatedStart`, or the system clock when it is `nil`.
    public init(simulatedStart: Timestamp?) {
        isSimulated = simulatedStart != nil
        simulatedMicros = Atomic(simulatedStart?.rawValue ?? 0)
    }

    /// Now, on this clock.
    public func now() -> Timestamp {
        isSimulated ? Timestamp(rawValue: simulatedMicros.load(ordering: .acquiring)) : .now()
    }

    /// Why the clock did not move.
    public enum MoveError: Error, Hashable, Sendable {
        /// The clock is the system's; only a simulated one moves.
        case notSimulated
        /// The instant is earlier than the clock already reads.
        case wouldRunBack(current: Timestamp, requested: Timestamp)
    }

    /// Moves a simulated clock to `instant`, which must not be earlier than it reads; returns the new now.
    @discardableResult
    public func set(to instant: Timestamp) throws(MoveError) -> Timestamp {
        guard isSimulated else { throw .notSimulated }
        var current = simulatedMicros.load(ordering: .acquiring)
        while true {
            guard instant.rawValue >= current else {
                throw .wouldRunBack(current: Timestamp(rawValue: current), requested: instant)
            }
            let (exchanged, original) = simulatedMicros.compareExchange(
                expected: current,
                desired: instant.rawValue,
                ordering: .acquiringAndReleasing
            )
            if exchanged { return instant }
            current = original
        }
    }

    /// Moves a simulated clock forward to `instant` if it reads earlier; does nothing otherwise, or for the
    /// system clock. A restarted daemon calls it with its journals' latest instant, so that a simulated
    /// clock does not run back across a restart either.
    public func catchUp(to instant: Timestamp) {
        guard isSimulated else { return }
        simulatedMicros.max(instant.rawValue, ordering: .acquiringAndReleasing)
    }

    /// Moves a simulated clock forward by `micros` (not negative); returns the new now.
    @discardableResult
    public func advance(byMicros micros: Int64) throws(MoveError) -> Timestamp {
        precondition(micros >= 0, "a clock advances by a non-negative amount")
        guard isSimulated else { throw .notSimulated }
        return Timestamp(rawValue: simulatedMicros.add(micros, ordering: .acquiringAndReleasing).newValue)
    }
}

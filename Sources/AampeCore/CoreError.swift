/// An error from the core vocabulary: a setting or value that cannot describe anything valid.
public enum CoreError: Error, Hashable, Sendable {
    /// The time window settings put a window outside the day, or are not positive.
    case invalidTimeWindowLayout(firstWindowStartMinute: Int, windowLengthMinutes: Int, windowsPerDay: Int)
}

extension CoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidTimeWindowLayout(let start, let length, let count):
            "time window layout: \(count) windows of \(length) minutes from minute \(start) "
                + "must be positive and end by minute 1440 (midnight)"
        }
    }
}

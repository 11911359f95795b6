/// Wall-clock seconds per named phase of a training run, for its report.
public struct PhaseTimes: Sendable {
    /// Seconds by phase name.
    public private(set) var seconds: [String: Double] = [:]

    /// No phases yet.
    public init() {}

    /// Runs `body`, adding its wall-clock time to `phase`.
    public mutating func measure<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            let elapsed = (clock.now - start).components
            seconds[phase, default: 0] += Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }
        return try body()
    }
}

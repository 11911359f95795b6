import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Named places in a batch run where a test can kill the process, exactly as `kill -9` would, to prove
/// that a crash at that point loses nothing. Crash tests need this instead of a timed sleep: a sleep
/// cannot tell whether the kill landed mid-run or after the run had already finished.
///
/// `AAMPE_FAILPOINT=NAME:N` in the environment makes the N-th arrival at `NAME` send SIGKILL to the
/// process itself. Without the variable (production), an arrival is a string comparison against `nil`.
/// The names are listed where they are reached (for example `import.segments-written`).
public enum Failpoint {
    /// The environment variable that arms a failpoint.
    public static let environmentVariable = "AAMPE_FAILPOINT"

    private static let armed: (name: String, count: Int)? = {
        guard let raw = getenv(environmentVariable) else { return nil }
        let text = String(cString: raw)
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let name = parts.first, !name.isEmpty else { return nil }
        let count = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        return (String(name), max(count, 1))
    }()

    private static let arrivals = Mutex<Int>(0)

    /// Marks the arrival at `name`; kills the process if the environment armed this arrival.
    public static func reach(_ name: String) {
        guard let armed, armed.name == name else { return }
        let arrival = arrivals.withLock { count in
            count += 1
            return count
        }
        if arrival == armed.count { kill(getpid(), SIGKILL) }
    }
}

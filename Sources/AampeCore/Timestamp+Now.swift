#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Timestamp {
    /// The current wall-clock time (`CLOCK_REALTIME`).
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(rawValue: Int64(spec.tv_sec) * microsecondsPerSecond + Int64(spec.tv_nsec) / 1000)
    }
}

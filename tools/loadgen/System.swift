// Small system helpers: CPU clocks, files, standard error.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of the calling thread, in nanoseconds.
func threadCPUNanos() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// User plus system CPU time of the whole process (getrusage RUSAGE_SELF), in nanoseconds.
func processCPUNanos() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = UInt64(usage.ru_utime.tv_sec) * 1_000_000_000 + UInt64(usage.ru_utime.tv_usec) * 1000
    let system = UInt64(usage.ru_stime.tv_sec) * 1_000_000_000 + UInt64(usage.ru_stime.tv_usec) * 1000
    return user + system
}

func printError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    let bytes = Array(line.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The first line of a file, trimmed of spaces and tabs, or nil when it cannot be read.
func readFirstLine(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    while true {
        let character = fgetc(file)
        if character == EOF || character == 10 || character == 13 { break }
        bytes.append(UInt8(truncatingIfNeeded: character))
    }
    let line = String(decoding: bytes, as: UTF8.self)
    return String(
        line.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()
    )
}

func makeTemporaryDirectory() -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((base + "/aampe-loadgen.XXXXXX").utf8CString)
    return template.withUnsafeMutableBufferPointer { pointer in
        guard let result = mkdtemp(pointer.baseAddress!) else { return base }
        return String(cString: result)
    }
}

/// Removes the self-test socket and its folder.
func removeDirectory(_ path: String) {
    unlink(path + "/self-test.sock")
    rmdir(path)
}

/// Sets the calling thread's timer slack (how late the kernel may fire its timers to batch wakeups; 50 µs
/// by default) through /proc/thread-self/timerslack_ns, which a thread may write for itself. Returns
/// whether it worked.
@discardableResult
func setTimerSlack(nanoseconds: Int) -> Bool {
    guard let file = fopen("/proc/thread-self/timerslack_ns", "w") else { return false }
    defer { fclose(file) }
    return fputs("\(nanoseconds)\n", file) >= 0
}

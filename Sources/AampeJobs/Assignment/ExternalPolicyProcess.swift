import AampeCore
public import AampeLearning

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An external policy's process: `/bin/sh -c COMMAND` with the engine on the other end of its stdin,
/// stdout and stderr, the ``ExternalPolicyConnection`` that ``ExternalPolicy`` speaks through.
///
/// - stdin is one end of a Unix socket pair rather than a pipe, so that writing to a process that has
///   gone fails with `EPIPE` (`send` with `MSG_NOSIGNAL`) instead of raising SIGPIPE, which would kill the
///   engine; the process reads it like any stdin.
/// - stdout and stderr are pipes, read without blocking under `poll(2)` with the caller's time limit.
///   stderr is drained whenever the engine waits on the process, keeping the last
///   ``Limits/externalPolicyStderrLines`` lines for the error if the process fails; stdout read while a
///   request is still being written is kept for the next ``receive(timeoutSeconds:)``, so a process that
///   answers early never blocks on a full pipe.
/// - The process leads its own process group, so that the shell and whatever it starts are signalled
///   together.
///
/// When the connection is released the process's stdin is closed, which tells it the run is over. It has
/// ``Limits/externalPolicyExitGraceSeconds`` to exit (none after a timeout or a bad line), then gets
/// SIGTERM and, a second later, SIGKILL; it is always reaped. Its exit status at that point is not an
/// error: every decision it made was already checked.
public final class ExternalPolicyProcess: ExternalPolicyConnection {
    /// The shell command that was started.
    public let command: String
    private let pid: pid_t
    private var input: Int32
    private var output: Int32
    private var errors: Int32
    private var lines = ExternalPolicyLineBuffer()
    private var errorLine: [UInt8] = []
    private var stderrTail: [String] = []
    private var isOutputClosed = false
    private var reaped: ExternalPolicyExit?
    /// Set once the engine gave up on the process (a timeout, an over-long line): no grace at release.
    private var isAbandoned = false

    /// Starts `command` under `/bin/sh -c`, in the engine's working directory and environment.
    public init(command: String) throws {
        self.command = command
        var stdinPair: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        func fail(_ call: String, _ code: Int32) -> LearningError {
            for fd in stdinPair + stdoutPipe + stderrPipe where fd >= 0 { FileIO.closeAbandoned(fd) }
            return .externalPolicy(
                .cannotStart(command: command, reason: "\(call) failed: \(String(cString: strerror(code)))")
            )
        }
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &stdinPair) == 0
        else { throw fail("socketpair", errno) }
        // Glibc's module does not export pipe2; close-on-exec is set right after, and nothing else in the
        // engine spawns processes meanwhile that could inherit the pipe.
        guard pipe(&stdoutPipe) == 0 else { throw fail("pipe", errno) }
        guard pipe(&stderrPipe) == 0 else { throw fail("pipe", errno) }
        for fd in stdoutPipe + stderrPipe where fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 { throw fail("fcntl", errno) }
        // Our ends never block: every wait is a poll with the caller's time limit. (Each end of a pipe or
        // socket pair is its own open file, so the child's ends stay blocking, as a program expects.)
        for fd in [stdinPair[0], stdoutPipe[0], stderrPipe[0]] {
            let flags = fcntl(fd, F_GETFL)
            guard flags != -1, fcntl(fd, F_SETFL, flags | O_NONBLOCK) != -1 else { throw fail("fcntl", errno) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copy, so the child keeps exactly fds 0, 1 and 2 of ours.
        posix_spawn_file_actions_adddup2(&actions, stdinPair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let arguments = ["/bin/sh", "-c", command].map { $0.withCString { strdup($0) } }
        defer { for argument in arguments { free(argument) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments + [nil], environ)
        guard status == 0 else { throw fail("posix_spawn", status) }
        self.pid = pid
        for fd in [stdinPair[1], stdoutPipe[1], stderrPipe[1]] { FileIO.closeAbandoned(fd) }
        input = stdinPair[0]
        output = stdoutPipe[0]
        errors = stderrPipe[0]
    }

    deinit {
        if input >= 0 { FileIO.closeAbandoned(input) }
        if reaped == nil {
            let graceSeconds = isAbandoned ? 0 : Double(Limits.externalPolicyExitGraceSeconds)
            if !waitForExit(seconds: graceSeconds) {
                kill(-pid, SIGTERM)
                if !waitForExit(seconds: 1) {
                    kill(-pid, SIGKILL)
                    _ = waitForExit(seconds: .infinity)
                }
            }
        }
        if output >= 0 { FileIO.closeAbandoned(output) }
        if errors >= 0 { FileIO.closeAbandoned(errors) }
    }

    public func send(_ line: String, timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent {
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        var offset = 0
        while offset < bytes.count {
            let ready = try wait(for: input, until: deadline)
            if isOutputClosed { return .ended(try ending()) }
            if ready {
                let written = bytes.withUnsafeBytes { buffer in
                    Glibc.send(input, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                }
                if written >= 0 {
                    offset += written
                } else if errno == EPIPE || errno == ECONNRESET {
                    return .ended(try ending())
                } else if errno != EAGAIN && errno != EINTR {
                    throw FileIOError(path: "stdin of `\(command)`", operation: "send", code: errno)
                }
            } else if ContinuousClock.now >= deadline {
                isAbandoned = true
                keepErrorLine()
                return .timedOut(stderrTail: stderrTail)
            }
        }
        return .sent
    }

    public func receive(timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while true {
            switch lines.next() {
            case .line(let line): return .line(line)
            case .tooLong:
                isAbandoned = true
                return .lineTooLong
            case .needMore: break
            }
            if isOutputClosed { return .ended(try ending()) }
            if ContinuousClock.now >= deadline {
                isAbandoned = true
                keepErrorLine()
                return .timedOut(stderrTail: stderrTail)
            }
            _ = try wait(for: nil, until: deadline)
        }
    }

    /// Waits until `writable` can take bytes, or any output arrives, or `deadline` passes, reading the
    /// process's stdout and stderr as they come; whether `writable` is ready.
    private func wait(for writable: Int32?, until deadline: ContinuousClock.Instant) throws -> Bool {
        var fds: [pollfd] = []
        if let writable { fds.append(pollfd(fd: writable, events: Int16(POLLOUT), revents: 0)) }
        if !isOutputClosed { fds.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
        if errors >= 0 { fds.append(pollfd(fd: errors, events: Int16(POLLIN), revents: 0)) }
        // Rounded up, so that a wait never ends just before the deadline and spins; at most a minute per
        // poll, so that a far deadline cannot overflow the argument.
        let remaining = (deadline - ContinuousClock.now).components
        let milliseconds =
            remaining.seconds < 0
            ? 0 : Int32(min(remaining.seconds * 1_000 + remaining.attoseconds / 1_000_000_000_000_000 + 1, 60_000))
        let count = poll(&fds, nfds_t(fds.count), milliseconds)
        if count < 0 {
            guard errno == EINTR else {
                throw FileIOError(path: "pipes of `\(command)`", operation: "poll", code: errno)
            }
            return false
        }
        var isWritable = false
        for fd in fds where fd.revents != 0 {
            if fd.fd == writable {
                isWritable = true
            } else if fd.fd == output {
                try readOutput()
            } else if fd.fd == errors {
                try readErrors()
            }
        }
        return isWritable
    }

    private func readOutput() throws {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = read(output, &buffer, buffer.count)
        if count > 0 {
            lines.append(buffer[..<count])
        } else if count == 0 {
            isOutputClosed = true
        } else if errno != EAGAIN && errno != EINTR {
            throw FileIOError(path: "stdout of `\(command)`", operation: "read", code: errno)
        }
    }

    private func readErrors() throws {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let count = read(errors, &buffer, buffer.count)
        if count > 0 {
            for byte in buffer[..<count] {
                if byte == UInt8(ascii: "\n") {
                    keepErrorLine()
                } else if errorLine.count < Limits.maximumExternalPolicyStderrLineBytes {
                    errorLine.append(byte)
                }
            }
        } else if count == 0 {
            keepErrorLine()
            FileIO.closeAbandoned(errors)
            errors = -1
        } else if errno != EAGAIN && errno != EINTR {
            throw FileIOError(path: "stderr of `\(command)`", operation: "read", code: errno)
        }
    }

    private func keepErrorLine() {
        guard !errorLine.isEmpty else { return }
        stderrTail.append(String(decoding: errorLine, as: UTF8.self))
        if stderrTail.count > Limits.externalPolicyStderrLines { stderrTail.removeFirst() }
        errorLine = []
    }

    /// How the process ended, once its output closed or its input refused a write: what it still writes to
    /// stderr (for up to a second), and its exit status when it exits within a second of that.
    private func ending() throws -> ExternalPolicyExit {
        if let reaped { return reaped }
        let deadline = ContinuousClock.now + .seconds(1)
        while errors >= 0, ContinuousClock.now < deadline { _ = try wait(for: nil, until: deadline) }
        keepErrorLine()
        _ = waitForExit(seconds: 1)
        return reaped ?? ExternalPolicyExit(status: nil, stderrTail: stderrTail)
    }

    /// Polls for the process's exit for up to `seconds`, recording it in `reaped`; whether it exited.
    private func waitForExit(seconds: Double) -> Bool {
        let deadline = seconds.isFinite ? ContinuousClock.now + .seconds(seconds) : nil
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if result == pid {
                // <sys/wait.h>: the low 7 bits are the terminating signal (0 for a normal exit), and the
                // exit status is the next byte.
                let signal = status & 0x7F
                reaped = ExternalPolicyExit(
                    status: signal == 0 ? (status >> 8) & 0xFF : nil,
                    signal: signal == 0 ? nil : signal,
                    stderrTail: stderrTail
                )
                return true
            }
            if result < 0, errno != EINTR { return true }
            if let deadline, ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
    }
}

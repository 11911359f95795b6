import AampeCore
import AampeLearning
import AampeTestSupport
import Foundation
import Testing

@testable import AampeJobs

/// ``ExternalPolicyProcess`` with real shell commands: lines both ways, a process that exits early (its
/// status and last stderr lines), one that never answers (the timeout), and the settings that choose it.
@Suite("External policy process")
struct ExternalPolicyProcessTests {
    @Test("a line out and a line back; stdin's end makes the process exit")
    func echo() throws {
        let process = try ExternalPolicyProcess(command: "read line; echo \"got $line\"; read more; echo \"and $more\"")
        #expect(try process.send("one", timeoutSeconds: 5) == .sent)
        #expect(try process.receive(timeoutSeconds: 5) == .line("got one"))
        #expect(try process.send("two", timeoutSeconds: 5) == .sent)
        #expect(try process.receive(timeoutSeconds: 5) == .line("and two"))
    }

    @Test("a process that exits early: its exit status and its last stderr lines, at most the limit")
    func earlyExit() throws {
        let lines = Limits.externalPolicyStderrLines + 5
        let process = try ExternalPolicyProcess(
            command: "for i in $(seq 1 \(lines)); do echo \"line $i\" >&2; done; printf 'no newline' >&2; exit 3"
        )
        let event = try process.receive(timeoutSeconds: 5)
        guard case .ended(let exit) = event else {
            Issue.record("expected the end, got \(event)")
            return
        }
        #expect(exit.status == 3)
        #expect(exit.signal == nil)
        #expect(exit.stderrTail.count == Limits.externalPolicyStderrLines)
        #expect(exit.stderrTail.last == "no newline")
        #expect(exit.stderrTail.first == "line \(lines - Limits.externalPolicyStderrLines + 2)")
        // Writing to it now reports the same end instead of raising SIGPIPE.
        #expect(try process.send("late", timeoutSeconds: 5) == .ended(exit))
    }

    @Test("a stderr line is kept up to its byte limit and cut past it")
    func longStderrLine() throws {
        let limit = Limits.maximumExternalPolicyStderrLineBytes
        let process = try ExternalPolicyProcess(
            command:
                "head -c \(limit) /dev/zero | tr '\\0' a >&2; echo >&2; head -c \(limit + 1) /dev/zero | tr '\\0' b >&2; exit 1"
        )
        guard case .ended(let exit) = try process.receive(timeoutSeconds: 5) else {
            Issue.record("expected the end")
            return
        }
        #expect(exit.stderrTail == [String(repeating: "a", count: limit), String(repeating: "b", count: limit)])
    }

    @Test("a command that does not exist ends with the shell's 127 and its message")
    func missingCommand() throws {
        let process = try ExternalPolicyProcess(command: "/nonexistent/policy --flag")
        _ = try process.send("{}", timeoutSeconds: 5)
        let event = try process.receive(timeoutSeconds: 5)
        guard case .ended(let exit) = event else {
            Issue.record("expected the end, got \(event)")
            return
        }
        #expect(exit.status == 127)
        #expect(exit.stderrTail.joined().contains("/nonexistent/policy"), "\(exit.stderrTail)")
    }

    @Test("a process that never answers times out, and is killed without waiting out the grace period")
    func timeout() throws {
        let folder = try TemporaryFolder(prefix: "aampe-policy-timeout")
        let written = folder.child("stderr-written")
        let clock = ContinuousClock()
        let started: ContinuousClock.Instant
        do {
            let process = try ExternalPolicyProcess(
                command: "echo 'loading model' >&2; touch '\(written)'; sleep 30"
            )
            #expect(try process.send("{}", timeoutSeconds: 5) == .sent)
            // The stderr line is read only while `receive` waits: on a loaded machine the shell may not have
            // written it within the 0.3 s, and the tail came back empty. Once the file exists, the line is in
            // the pipe and `receive` reads it at its first wait.
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: written), Date() < deadline { usleep(10_000) }
            started = clock.now
            #expect(try process.receive(timeoutSeconds: 0.3) == .timedOut(stderrTail: ["loading model"]))
        }
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(Limits.externalPolicyExitGraceSeconds), "\(elapsed)")
    }

    @Test("an answer line longer than the limit is refused")
    func longLine() throws {
        let process = try ExternalPolicyProcess(
            command: "head -c \(Limits.maximumExternalPolicyAnswerBytes + 2) /dev/zero | tr '\\0' x; sleep 30"
        )
        #expect(try process.receive(timeoutSeconds: 10) == .lineTooLong)
    }

    @Test("settings: the external policy needs a command, the others refuse one; the timeout at its edges")
    func settings() throws {
        var settings = AssignmentSettings()
        settings.policy = .external
        #expect(throws: JobError.self) { try settings.validate() }
        settings.policyCommand = "  "
        #expect(throws: JobError.self) { try settings.validate() }
        settings.policyCommand = "python3 policy.py"
        try settings.validate()
        for (seconds, isValid) in [
            (0, false), (1, true), (Limits.maximumExternalPolicyTimeoutSeconds, true),
            (Limits.maximumExternalPolicyTimeoutSeconds + 1, false),
        ] {
            settings.policyTimeoutSeconds = seconds
            if isValid {
                try settings.validate()
            } else {
                #expect(throws: JobError.self, "\(seconds) s") { try settings.validate() }
            }
        }
        settings.policyTimeoutSeconds = nil
        settings.policy = .thompson
        #expect(throws: JobError.self) { try settings.validate() }

        // The command and timeout are recorded with the run's settings, for real-time triggers.
        settings.policy = .external
        settings.policyTimeoutSeconds = 12
        let json = try JSONEncoder().encode(settings)
        let decoded = try JSONDecoder().decode(AssignmentSettings.self, from: json)
        #expect(decoded == settings)
        #expect(String(decoding: json, as: UTF8.self).contains("\"policy_command\""))
    }
}

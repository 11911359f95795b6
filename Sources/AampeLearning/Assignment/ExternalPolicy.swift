import AampeCore

/// Assignment decided by a process outside the engine (Vowpal Wabbit, MABWiser, a customer's own model),
/// spoken to over ``ExternalPolicyCodec``'s JSON-lines protocol through an ``ExternalPolicyConnection``.
///
/// The connection is opened on the first batch with a candidate that has choices, and the `hello` line
/// sent; a campaign with no such candidate starts no process. Each batch's candidates with choices go out
/// in requests of at most `candidatesPerRequest`, one answer awaited per request, each within
/// `timeoutSeconds`; a candidate without choices is skipped here (propensity 1), as every policy does.
/// The decisions are the process's, checked: an index into the candidate's choices or a skip, a
/// propensity in (0, 1], and `conditioned` unless the answer says `preferential` (a skip is `skipped`).
///
/// Anything wrong ends the policy: a line that is not a valid answer, an answer later than the timeout,
/// an answer line over ``Limits/maximumExternalPolicyAnswerBytes``, or a process that stops. The error is a
/// ``LearningError/externalPolicy(_:)`` naming the answer line and field, or the exit status and the last
/// stderr lines, and every later `decide` throws it again: after a broken exchange no answer can be
/// matched to its request. ``AssignmentDecision/expectedLift`` is `nil`.
public struct ExternalPolicy: AssignmentPolicy {
    private let hello: ExternalPolicyHello
    private let userIDs: [String]
    private let timeoutSeconds: Double
    private let candidatesPerRequest: Int
    private let connect: () throws -> any ExternalPolicyConnection
    private var connection: (any ExternalPolicyConnection)?
    /// Requests sent, and so answers expected: answer line n answers request n (engine line n + 1).
    private var requests = 0
    private var failure: LearningError?

    /// A policy that opens its process with `connect` when it first has a candidate to decide.
    /// `userIDs[user]` is a candidate's external id. `candidatesPerRequest` (at least 1) defaults to
    /// ``Limits/externalPolicyCandidatesPerRequest``.
    public init(
        hello: ExternalPolicyHello,
        userIDs: [String],
        timeoutSeconds: Double,
        candidatesPerRequest: Int? = nil,
        connect: @escaping () throws -> any ExternalPolicyConnection
    ) {
        let candidatesPerRequest = candidatesPerRequest ?? Limits.externalPolicyCandidatesPerRequest
        precondition(candidatesPerRequest >= 1, "a request holds at least one candidate")
        self.hello = hello
        self.userIDs = userIDs
        self.timeoutSeconds = timeoutSeconds
        self.candidatesPerRequest = candidatesPerRequest
        self.connect = connect
    }

    /// One decision per candidate, in the candidates' order; see the type's documentation.
    public mutating func decide(_ candidates: [AssignmentCandidate]) throws -> [AssignmentDecision] {
        if let failure { throw failure }
        do {
            return try exchange(candidates)
        } catch let error as LearningError {
            failure = error
            throw error
        }
    }

    private mutating func exchange(_ candidates: [AssignmentCandidate]) throws -> [AssignmentDecision] {
        var decisions = candidates.map { AssignmentDecision.skipped(user: $0.user) }
        let asked = candidates.indices.filter { !candidates[$0].choices.isEmpty }
        guard !asked.isEmpty else { return decisions }
        let connection = try openConnection()
        var start = 0
        while start < asked.count {
            let end = min(start + candidatesPerRequest, asked.count)
            let request = ArraySlice(asked[start..<end].map { candidates[$0] })
            requests += 1
            try expect(
                connection.send(
                    ExternalPolicyCodec.decideLine(request: requests, candidates: request, userIDs: userIDs),
                    timeoutSeconds: timeoutSeconds
                ),
                sending: true
            )
            let answer: String
            switch try connection.receive(timeoutSeconds: timeoutSeconds) {
            case .line(let line): answer = line
            case let event:
                try expect(event, sending: false)
                preconditionFailure("expect(_:sending:) throws on every event but .sent and .line")
            }
            let answered = try ExternalPolicyCodec.decisions(
                answer: answer,
                answerLine: requests,
                candidates: request
            )
            for (position, decision) in zip(asked[start..<end], answered) { decisions[position] = decision }
            start = end
        }
        return decisions
    }

    private mutating func openConnection() throws -> any ExternalPolicyConnection {
        if let connection { return connection }
        let opened = try connect()
        connection = opened
        try expect(opened.send(ExternalPolicyCodec.helloLine(hello), timeoutSeconds: timeoutSeconds), sending: true)
        return opened
    }

    /// Throws for every event that is not the one the exchange waits for: `.sent` after a send, a line
    /// after a receive.
    private func expect(_ event: ExternalPolicyConnectionEvent, sending: Bool) throws(LearningError) {
        let answerLine = max(requests, 1)
        switch event {
        case .sent where sending, .line where !sending:
            return
        case .sent, .line:
            preconditionFailure("a connection answers a send with .sent and a receive with .line")
        case .timedOut(let stderrTail):
            throw .externalPolicy(
                .late(
                    answerLine: answerLine,
                    isReading: sending,
                    timeoutSeconds: timeoutSeconds,
                    stderrTail: stderrTail
                )
            )
        case .lineTooLong:
            throw .externalPolicy(
                .answerTooLong(answerLine: answerLine, limit: Limits.maximumExternalPolicyAnswerBytes)
            )
        case .ended(let exit):
            throw .externalPolicy(.ended(answerLine: answerLine, exit: exit))
        }
    }
}

/// The pipe to an external policy's process: one line out, one line in, each within a time limit.
/// ``ExternalPolicy`` drives it; the engine's implementation runs a command (`ExternalPolicyProcess` in
/// AampeJobs), and tests use a scripted one.
public protocol ExternalPolicyConnection: AnyObject {
    /// Writes `line` and a newline to the process: `.sent`, or why not (`.timedOut` when the process does
    /// not take the line in time, `.ended` when it is gone). Outside failures other than the process
    /// ending throw.
    func send(_ line: String, timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent
    /// The process's next line, newline removed: `.line`, or why none came (`.timedOut`, `.lineTooLong`,
    /// `.ended`).
    func receive(timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent
}

/// What happened to a send or a receive on an ``ExternalPolicyConnection``.
public enum ExternalPolicyConnectionEvent: Hashable, Sendable {
    /// The line was written.
    case sent
    /// A line arrived.
    case line(String)
    /// The time limit passed first; the process's last stderr lines so far, which may say what it waits on.
    case timedOut(stderrTail: [String])
    /// The process wrote more than ``Limits/maximumExternalPolicyAnswerBytes`` without a newline.
    case lineTooLong
    /// The process closed its output or its input, or exited.
    case ended(ExternalPolicyExit)
}

/// How an external policy's process ended, as far as the engine could see.
public struct ExternalPolicyExit: Hashable, Sendable {
    /// The exit status, when it exited.
    public var status: Int32?
    /// The signal that killed it, when one did.
    public var signal: Int32?
    /// Its last stderr lines (at most ``Limits/externalPolicyStderrLines``), oldest first.
    public var stderrTail: [String]

    /// An ending with `status` or `signal` (both `nil`: the process closed its pipes but still runs).
    public init(status: Int32?, signal: Int32? = nil, stderrTail: [String]) {
        self.status = status
        self.signal = signal
        self.stderrTail = stderrTail
    }
}

/// Why an external policy failed: what ``LearningError/externalPolicy(_:)`` carries.
///
/// Answer line n is the process's n-th output line, the answer to the n-th `decide` request, which is the
/// engine's line n + 1 (the `hello` is its line 1).
public enum ExternalPolicyFailure: Hashable, Sendable {
    /// The command could not be started.
    case cannotStart(command: String, reason: String)
    /// Answer line `answerLine` is not a valid answer: `field` (`decisions[2].propensity`; `nil` for the
    /// line as a whole) and what is wrong.
    case badAnswer(answerLine: Int, field: String?, problem: String)
    /// Answer line `answerLine` is longer than `limit` bytes.
    case answerTooLong(answerLine: Int, limit: Int)
    /// Answer line `answerLine` did not come within the timeout; with `isReading`, the process did not even
    /// read its request within it. `stderrTail` is what it had written to stderr by then.
    case late(answerLine: Int, isReading: Bool, timeoutSeconds: Double, stderrTail: [String])
    /// The process ended before answer line `answerLine`.
    case ended(answerLine: Int, exit: ExternalPolicyExit)
}

extension ExternalPolicyFailure: CustomStringConvertible {
    /// One line (with the process's stderr tail after it), naming the answer line and the field.
    public var description: String {
        switch self {
        case .cannotStart(let command, let reason):
            return "external policy: cannot start `\(command)`: \(reason)"
        case .badAnswer(let line, let field, let problem):
            return "external policy answer line \(line) (to engine line \(line + 1))"
                + (field.map { ", field \($0)" } ?? "") + ": \(problem)"
        case .answerTooLong(let line, let limit):
            return "external policy answer line \(line) (to engine line \(line + 1)) is longer than \(limit) bytes"
        case .late(let line, let isReading, let timeoutSeconds, let stderrTail):
            let what = isReading ? "did not read engine line \(line + 1)" : "did not write answer line \(line)"
            return "external policy \(what) within the timeout of \(timeoutSeconds) s (--policy-timeout)"
                + Self.quoted(stderrTail)
        case .ended(let line, let exit):
            let how =
                if let status = exit.status {
                    "exited with status \(status)"
                } else if let signal = exit.signal {
                    "was killed by signal \(signal)"
                } else {
                    "closed its pipes"
                }
            return "external policy \(how) before answer line \(line) (to engine line \(line + 1))"
                + Self.quoted(exit.stderrTail)
        }
    }

    /// The process's last stderr lines, indented under the error's first line.
    private static func quoted(_ stderrTail: [String]) -> String {
        stderrTail.isEmpty
            ? "; it wrote nothing to stderr"
            : "; its last stderr lines:\n" + stderrTail.map { "  " + $0 }.joined(separator: "\n")
    }
}

/// Splits an external policy's output into lines as bytes arrive, refusing a line longer than a limit
/// before buffering it whole: the pure part of reading the pipe.
public struct ExternalPolicyLineBuffer: Sendable {
    private var pending: [UInt8] = []
    private let maximumLineBytes: Int

    /// A buffer whose lines may hold at most `maximumLineBytes` bytes, newline excluded (by default
    /// ``Limits/maximumExternalPolicyAnswerBytes``).
    public init(maximumLineBytes: Int? = nil) {
        self.maximumLineBytes = maximumLineBytes ?? Limits.maximumExternalPolicyAnswerBytes
    }

    /// What the buffer holds after ``append(_:)``.
    public enum Next: Hashable, Sendable {
        /// A whole line (newline and a `\r` before it removed), decoded as UTF-8 (invalid bytes replaced,
        /// so the JSON decoder reports them).
        case line(String)
        /// No whole line yet.
        case needMore
        /// The line under way is already longer than the limit.
        case tooLong
    }

    /// Adds bytes read from the pipe.
    public mutating func append(_ bytes: some Sequence<UInt8>) { pending.append(contentsOf: bytes) }

    /// The next whole line, if one is buffered.
    public mutating func next() -> Next {
        guard let newline = pending.firstIndex(of: UInt8(ascii: "\n")) else {
            // One byte of slack: it may be the `\r` of a line of exactly the limit whose `\n` is to come.
            return pending.count > maximumLineBytes + 1 ? .tooLong : .needMore
        }
        var end = newline
        if end > 0, pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end <= maximumLineBytes else { return .tooLong }
        let line = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeSubrange(...newline)
        return .line(line)
    }

    /// Bytes of an unfinished line held.
    public var pendingByteCount: Int { pending.count }
}

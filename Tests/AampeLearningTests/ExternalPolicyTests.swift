import AampeCore
import AampeLearning
import Foundation
import Testing

/// ``ExternalPolicy`` and ``ExternalPolicyCodec`` against a scripted process: the lines the engine writes,
/// the decisions it takes from valid answers, and one error per way an answer can be wrong, each naming
/// the answer line and the field.
@Suite("External policy protocol")
struct ExternalPolicyTests {
    /// A connection that records what the engine sends and answers each receive with `answer(lastSent)`.
    final class ScriptedConnection: ExternalPolicyConnection {
        var sent: [String] = []
        var sendEvent: ExternalPolicyConnectionEvent = .sent
        var receives = 0
        let answer: (String) -> ExternalPolicyConnectionEvent

        init(answer: @escaping (String) -> ExternalPolicyConnectionEvent) { self.answer = answer }

        func send(_ line: String, timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent {
            sent.append(line)
            return sendEvent
        }

        func receive(timeoutSeconds: Double) throws -> ExternalPolicyConnectionEvent {
            receives += 1
            return answer(sent.last ?? "")
        }
    }

    static let hello = ExternalPolicyHello(
        campaign: "sale",
        goal: "purchase",
        labelSets: [("tone", ["playful", "plain"])],
        windowCount: 35,
        outcomesPath: "/data/policy-outcomes/sale.jsonl",
        seed: 7
    )

    static let playful = AssignmentChoice(variant: 0, labels: ["tone=playful"], window: 4)
    static let plain = AssignmentChoice(variant: 1, labels: ["tone=plain"], window: 3)

    /// u0 lists plain before playful (the wire sends them sorted by variant); u1 has no choices.
    static let candidates = [
        AssignmentCandidate(user: 0, cluster: 2, choices: [plain, playful], context: [0.5, -1.25]),
        AssignmentCandidate(user: 1, cluster: 2, choices: []),
        AssignmentCandidate(user: 2, cluster: -1, choices: [plain]),
    ]

    static func policy(
        _ connection: ScriptedConnection,
        candidatesPerRequest: Int? = nil
    ) -> ExternalPolicy {
        ExternalPolicy(
            hello: hello,
            userIDs: ["u0", "u1"],
            timeoutSeconds: 30,
            candidatesPerRequest: candidatesPerRequest,
            connect: { connection }
        )
    }

    @Test("the hello and decide lines, and valid answers becoming decisions (skip, preferential, conditioned)")
    func roundTrip() throws {
        let connection = ScriptedConnection { _ in
            .line(
                #"{"decisions":[{"choice":1,"propensity":0.25,"mode":"preferential","score":3},{"choice":null,"propensity":1}]}"#
            )
        }
        var policy = Self.policy(connection)
        let decisions = try policy.decide(Self.candidates)
        #expect(
            connection.sent == [
                #"{"type":"hello","protocol":1,"campaign":"sale","goal":"purchase","label_sets":{"tone":["playful","plain"]},"windows":35,"outcomes":"/data/policy-outcomes/sale.jsonl","seed":7}"#,
                #"{"type":"decide","request":1,"candidates":[{"user":"u0","user_index":0,"cluster":2,"context":[0.5,-1.25],"choices":[{"variant":0,"labels":["tone=playful"],"window":4},{"variant":1,"labels":["tone=plain"],"window":3}]},{"user":null,"user_index":2,"cluster":-1,"context":null,"choices":[{"variant":1,"labels":["tone=plain"],"window":3}]}]}"#,
            ]
        )
        #expect(
            decisions == [
                AssignmentDecision(user: 0, choice: Self.plain, propensity: 0.25, mode: .preferential),
                AssignmentDecision(user: 1, choice: nil, propensity: 1, mode: .skipped),
                AssignmentDecision(user: 2, choice: nil, propensity: 1, mode: .skipped),
            ]
        )

        // A second batch reuses the process: no second hello, the request number goes on.
        let conditioned = ScriptedConnection { _ in .line(#"{"decisions":[{"choice":0,"propensity":0.5}]}"#) }
        var second = Self.policy(conditioned)
        _ = try second.decide([Self.candidates[2]])
        let again = try second.decide([Self.candidates[0]])
        #expect(again == [AssignmentDecision(user: 0, choice: Self.playful, propensity: 0.5, mode: .conditioned)])
        #expect(conditioned.sent.count == 3)
        #expect(conditioned.sent[2].hasPrefix(#"{"type":"decide","request":2,"#))
    }

    @Test("a batch with no candidate that has choices starts no process")
    func noProcessWithoutChoices() throws {
        var connects = 0
        var policy = ExternalPolicy(hello: Self.hello, userIDs: [], timeoutSeconds: 1) {
            connects += 1
            return ScriptedConnection { _ in .timedOut(stderrTail: []) }
        }
        #expect(
            try policy.decide([Self.candidates[1]]) == [
                AssignmentDecision(user: 1, choice: nil, propensity: 1, mode: .skipped)
            ]
        )
        #expect(try policy.decide([]) == [])
        #expect(connects == 0)
    }

    @Test(
        "requests hold at most Limits.externalPolicyCandidatesPerRequest candidates",
        arguments: [(Limits.externalPolicyCandidatesPerRequest, 1), (Limits.externalPolicyCandidatesPerRequest + 1, 2)]
    )
    func requestSize(candidateCount: Int, requests: Int) throws {
        let connection = ScriptedConnection { request in
            let count = request.components(separatedBy: #""user_index""#).count - 1
            return .line(
                #"{"decisions":["#
                    + Array(repeating: #"{"choice":0,"propensity":1}"#, count: count).joined(separator: ",") + "]}"
            )
        }
        var policy = Self.policy(connection)
        let candidates = (0..<candidateCount).map { AssignmentCandidate(user: $0, cluster: 0, choices: [Self.plain]) }
        let decisions = try policy.decide(candidates)
        #expect(connection.sent.count == 1 + requests)
        #expect(decisions.map(\.user) == Array(0..<candidateCount))
        #expect(decisions.allSatisfy { $0.choice == Self.plain && $0.mode == .conditioned })
    }

    /// Each wrong answer to a request of one candidate with two choices: the field named and the problem.
    static let badAnswers: [(answer: String, field: String?, problem: String)] = [
        ("not json", nil, "is not a JSON object"),
        (#"[{"choice":0,"propensity":1}]"#, nil, "is not a JSON object"),
        (#"{"answers":[]}"#, "decisions", "is missing"),
        (#"{"decisions":[]}"#, "decisions", "has 0 entries for the request's 1 candidates"),
        (#"{"decisions":[{"propensity":0.5}]}"#, "decisions[0].choice", "is missing"),
        (
            #"{"decisions":[{"choice":2,"propensity":0.5}]}"#, "decisions[0].choice",
            "2 is outside the candidate's 2 choices"
        ),
        (
            #"{"decisions":[{"choice":-1,"propensity":0.5}]}"#, "decisions[0].choice",
            "-1 is outside the candidate's 2 choices"
        ),
        (#"{"decisions":[{"choice":"1","propensity":0.5}]}"#, "decisions[0].choice", "is not an integer or null"),
        (#"{"decisions":[{"choice":0.5,"propensity":0.5}]}"#, "decisions[0].choice", "is not an integer or null"),
        (#"{"decisions":[{"choice":true,"propensity":0.5}]}"#, "decisions[0].choice", "is not an integer or null"),
        (#"{"decisions":[{"choice":0}]}"#, "decisions[0].propensity", "is missing"),
        (#"{"decisions":[{"choice":0,"propensity":null}]}"#, "decisions[0].propensity", "is not a number"),
        (#"{"decisions":[{"choice":0,"propensity":0}]}"#, "decisions[0].propensity", "0.0 is outside (0, 1]"),
        (
            #"{"decisions":[{"choice":null,"propensity":1.0001}]}"#, "decisions[0].propensity",
            "1.0001 is outside (0, 1]"
        ),
        (#"{"decisions":[{"choice":0,"propensity":-0.5}]}"#, "decisions[0].propensity", "-0.5 is outside (0, 1]"),
        (#"{"decisions":[{"choice":0,"propensity":1,"mode":"greedy"}]}"#, "decisions[0].mode", "must be"),
    ]

    @Test("a wrong answer aborts with the answer line and the field", arguments: badAnswers)
    func badAnswer(answer: String, field: String?, problem: String) throws {
        var policy = Self.policy(ScriptedConnection { _ in .line(answer) })
        let error = try #require(throws: LearningError.self) { try policy.decide([Self.candidates[0]]) }
        guard case .externalPolicy(.badAnswer(let line, let named, let said)) = error else {
            Issue.record("expected a bad answer, got \(error)")
            return
        }
        #expect(line == 1)
        #expect(named == field)
        #expect(said.hasPrefix(problem), "\(said)")
        #expect("\(error)".hasPrefix("external policy answer line 1 (to engine line 2)"), "\(error)")
    }

    @Test("the propensity's edges: 1 and the smallest positive number are valid")
    func propensityEdges() throws {
        for propensity in ["1", "1.0", "1e-300"] {
            var policy = Self.policy(
                ScriptedConnection { _ in .line(#"{"decisions":[{"choice":1,"propensity":\#(propensity)}]}"#) }
            )
            let decision = try #require(try policy.decide([Self.candidates[0]]).first)
            #expect(decision.propensity > 0 && decision.propensity <= 1)
        }
    }

    @Test("a late answer, a process that does not read, an over-long line and an early exit each abort")
    func connectionFailures() throws {
        func failure(_ connection: ScriptedConnection) throws -> ExternalPolicyFailure? {
            var policy = Self.policy(connection)
            let error = try #require(throws: LearningError.self) { try policy.decide([Self.candidates[0]]) }
            // The policy is spent: the next batch throws the same error without touching the process.
            let receives = connection.receives
            #expect(throws: error) { try policy.decide([Self.candidates[0]]) }
            #expect(connection.receives == receives)
            if case .externalPolicy(let failure) = error { return failure }
            return nil
        }
        let late = try failure(ScriptedConnection { _ in .timedOut(stderrTail: ["loading model"]) })
        #expect(late == .late(answerLine: 1, isReading: false, timeoutSeconds: 30, stderrTail: ["loading model"]))
        #expect(
            late?.description
                == "external policy did not write answer line 1 within the timeout of 30.0 s (--policy-timeout); its last stderr lines:\n  loading model"
        )

        let notReading = ScriptedConnection { _ in .line("{}") }
        notReading.sendEvent = .timedOut(stderrTail: [])
        #expect(try failure(notReading) == .late(answerLine: 1, isReading: true, timeoutSeconds: 30, stderrTail: []))

        let long = try failure(ScriptedConnection { _ in .lineTooLong })
        #expect(long == .answerTooLong(answerLine: 1, limit: Limits.maximumExternalPolicyAnswerBytes))

        let exit = ExternalPolicyExit(
            status: 3,
            stderrTail: ["Traceback (most recent call last):", "ValueError: boom"]
        )
        let ended = try failure(ScriptedConnection { _ in .ended(exit) })
        #expect(ended == .ended(answerLine: 1, exit: exit))
        #expect(
            ended?.description
                == "external policy exited with status 3 before answer line 1 (to engine line 2); its last stderr lines:\n  Traceback (most recent call last):\n  ValueError: boom"
        )
    }

    @Test("outcome lines")
    func outcomeLine() {
        let line = ExternalPolicyCodec.outcomeLine(
            ExternalPolicyOutcome(
                userID: "u\"1",
                userIndex: 4,
                cluster: -1,
                labels: ["tone=plain"],
                window: 3,
                goalCount: 2,
                propensity: 0.5
            )
        )
        #expect(
            line
                == #"{"user":"u\"1","user_index":4,"cluster":-1,"labels":["tone=plain"],"window":3,"goal_count":2,"propensity":0.5}"#
        )
    }

    @Test("the line buffer: lines split across reads, CRLF, and the length limit at its edge")
    func lineBuffer() {
        var buffer = ExternalPolicyLineBuffer(maximumLineBytes: 4)
        buffer.append(Array("ab".utf8))
        #expect(buffer.next() == .needMore)
        buffer.append(Array("cd\r\nxy\n".utf8))
        #expect(buffer.next() == .line("abcd"), "exactly the limit, CRLF")
        #expect(buffer.next() == .line("xy"))
        #expect(buffer.next() == .needMore)
        buffer.append(Array("abcde\n".utf8))
        #expect(buffer.next() == .tooLong, "one past the limit")

        // The default limit, Limits.maximumExternalPolicyAnswerBytes, at its value and one past it.
        let limit = Limits.maximumExternalPolicyAnswerBytes
        var real = ExternalPolicyLineBuffer()
        real.append(repeatElement(UInt8(ascii: "x"), count: limit))
        real.append([UInt8(ascii: "\n")])
        guard case .line(let full) = real.next() else {
            Issue.record("a line of exactly the limit is refused")
            return
        }
        #expect(full.utf8.count == limit)
        real.append(repeatElement(UInt8(ascii: "x"), count: limit + 1))
        real.append([UInt8(ascii: "\n")])
        #expect(real.next() == .tooLong)

        var unterminated = ExternalPolicyLineBuffer(maximumLineBytes: 4)
        unterminated.append(Array("abcd\r".utf8))
        #expect(unterminated.next() == .needMore, "the limit and a CR may still end well")
        unterminated.append([UInt8(ascii: "x")])
        #expect(unterminated.next() == .tooLong)
    }
}

import AampeCore
import Foundation

/// What the engine tells an external policy first: the protocol version, the campaign and everything its
/// choices are made of, and where the campaign's outcomes were exported.
public struct ExternalPolicyHello: Sendable {
    /// The campaign being assigned.
    public var campaign: String
    /// The campaign's goal (the outcomes' `goal_count` counts its events).
    public var goal: String
    /// Every label set of the content and its labels, in the content's order. A choice's labels are
    /// `set=label` strings of these.
    public var labelSets: [(name: String, labels: [String])]
    /// How many windows the week has; a choice's window is an index below it, or -1 for a triggered send
    /// outside every window.
    public var windowCount: Int
    /// The outcomes file (``ExternalPolicyCodec`` documents its lines).
    public var outcomesPath: String
    /// The run's policy seed for this campaign, for a process that wants to draw reproducibly.
    public var seed: UInt64

    /// A hello for `campaign`.
    public init(
        campaign: String,
        goal: String,
        labelSets: [(name: String, labels: [String])],
        windowCount: Int,
        outcomesPath: String,
        seed: UInt64
    ) {
        self.campaign = campaign
        self.goal = goal
        self.labelSets = labelSets
        self.windowCount = windowCount
        self.outcomesPath = outcomesPath
        self.seed = seed
    }
}

/// One past send of the campaign, as the outcomes export writes it for an external policy to learn from.
public struct ExternalPolicyOutcome: Hashable, Sendable {
    /// The recipient's external id, or `nil` when the store no longer knows the index.
    public var userID: String?
    /// The recipient's dense index.
    public var userIndex: Int
    /// The recipient's cluster when the message was assigned, or -1 without one, as a candidate's.
    public var cluster: Int
    /// The sent variant's labels, as `set=label` strings.
    public var labels: [String]
    /// The send window's weekly index, or `nil` for a triggered send outside every window.
    public var window: Int?
    /// Goal events within the attribution window after delivery.
    public var goalCount: Int
    /// The probability the policy of the time gave this send, or `nil` where none was logged.
    public var propensity: Double?

    /// An outcome of a send to `userIndex`.
    public init(
        userID: String?,
        userIndex: Int,
        cluster: Int,
        labels: [String],
        window: Int?,
        goalCount: Int,
        propensity: Double?
    ) {
        self.userID = userID
        self.userIndex = userIndex
        self.cluster = cluster
        self.labels = labels
        self.window = window
        self.goalCount = goalCount
        self.propensity = propensity
    }
}

/// The JSON-lines protocol between the engine and an external assignment policy (README → "External
/// policies"): the lines the engine writes, and the validation of the lines the process answers.
///
/// Every line is one JSON object and a `\n`. The engine writes a `hello` line, then one `decide` line per
/// request of up to ``Limits/externalPolicyCandidatesPerRequest`` candidates; the process answers each
/// `decide` with one line, before the next is sent:
///
/// ```
/// engine → {"type":"hello","protocol":1,"campaign":C,"goal":G,"label_sets":{SET:[LABEL,…],…},
///           "windows":N,"outcomes":PATH,"seed":S}
/// engine → {"type":"decide","request":R,"candidates":[{"user":ID,"user_index":I,"cluster":K,
///           "context":[F,…]|null,"choices":[{"variant":V,"labels":[L,…],"window":W},…]},…]}
/// policy ← {"decisions":[{"choice":INDEX|null,"propensity":P[,"mode":"preferential"|"conditioned"]},…]}
/// ```
///
/// An answer has exactly one decision per candidate of its request, in order. `choice` indexes the
/// candidate's `choices` as sent (distinct, sorted by variant, window, labels) or is `null` to skip;
/// `propensity` is the probability the policy gave that outcome, in (0, 1]. Keys the engine does not know
/// are ignored, so a policy may add its own (a score, a reason).
///
/// The outcomes file has one line per delivered message whose outcome was joined, oldest first:
///
/// ```
/// {"user":ID|null,"user_index":I,"cluster":K,"labels":[L,…],"window":W|null,"goal_count":N,
///  "propensity":P|null}
/// ```
public enum ExternalPolicyCodec {
    /// The protocol version in `hello`; a change that an existing policy could misread raises it.
    public static let protocolVersion = 1

    /// The `hello` line, without its newline.
    public static func helloLine(_ hello: ExternalPolicyHello) -> String {
        let sets = hello.labelSets.map { JSONText.quoted($0.name) + ":" + JSONText.array($0.labels) }
        return "{\"type\":\"hello\",\"protocol\":\(protocolVersion),\"campaign\":\(JSONText.quoted(hello.campaign)),"
            + "\"goal\":\(JSONText.quoted(hello.goal)),\"label_sets\":{\(sets.joined(separator: ","))},"
            + "\"windows\":\(hello.windowCount),\"outcomes\":\(JSONText.quoted(hello.outcomesPath)),"
            + "\"seed\":\(hello.seed)}"
    }

    /// The choices of `candidate` as the process sees them and answers by index: distinct, in a canonical
    /// order, so that the order the assigner listed them in cannot change what an index means.
    public static func choices(of candidate: AssignmentCandidate) -> [AssignmentChoice] {
        ChoiceGroupKey(cluster: candidate.cluster, choices: candidate.choices).choices
    }

    /// The `decide` line for request number `request` (from 1), without its newline. `userIDs[user]` is
    /// each candidate's external id where the index is in range.
    public static func decideLine(
        request: Int,
        candidates: ArraySlice<AssignmentCandidate>,
        userIDs: [String]
    ) -> String {
        var line = "{\"type\":\"decide\",\"request\":\(request),\"candidates\":["
        for (position, candidate) in candidates.enumerated() {
            if position > 0 { line += "," }
            let id = userIDs.indices.contains(candidate.user) ? JSONText.quoted(userIDs[candidate.user]) : "null"
            line += "{\"user\":\(id),\"user_index\":\(candidate.user),\"cluster\":\(candidate.cluster),\"context\":"
            if let context = candidate.context {
                // JSON has no NaN or infinity; a landscape vector never holds one, but null keeps the line valid.
                line += "[" + context.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
            } else {
                line += "null"
            }
            line += ",\"choices\":["
            for (index, choice) in choices(of: candidate).enumerated() {
                if index > 0 { line += "," }
                line += "{\"variant\":\(choice.variant),\"labels\":\(JSONText.array(choice.labels)),"
                line += "\"window\":\(choice.window)}"
            }
            line += "]}"
        }
        return line + "]}"
    }

    /// One outcomes-file line, without its newline.
    public static func outcomeLine(_ outcome: ExternalPolicyOutcome) -> String {
        func number<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "null" }
        let propensity = outcome.propensity.flatMap { $0.isFinite ? "\($0)" : nil } ?? "null"
        return "{\"user\":\(outcome.userID.map(JSONText.quoted) ?? "null"),\"user_index\":\(outcome.userIndex),"
            + "\"cluster\":\(outcome.cluster),\"labels\":\(JSONText.array(outcome.labels)),"
            + "\"window\":\(number(outcome.window)),\"goal_count\":\(outcome.goalCount),\"propensity\":\(propensity)}"
    }

    /// The decisions of answer line `answerLine` (from 1) to a request of `candidates`, each checked; a
    /// line that breaks the protocol throws ``ExternalPolicyFailure/badAnswer(answerLine:field:problem:)``
    /// naming the field (`decisions[2].propensity`) and what is wrong, never the line's text.
    public static func decisions(
        answer: String,
        answerLine: Int,
        candidates: ArraySlice<AssignmentCandidate>
    ) throws(LearningError) -> [AssignmentDecision] {
        func bad(_ field: String?, _ problem: String) -> LearningError {
            .externalPolicy(.badAnswer(answerLine: answerLine, field: field, problem: problem))
        }
        let parsed: Answer
        do {
            parsed = try JSONDecoder().decode(Answer.self, from: Data(answer.utf8))
        } catch let error as DecodingError {
            let (field, problem) = Self.describe(error)
            throw bad(field, problem)
        } catch {
            throw bad(nil, "is not a JSON object")
        }
        guard parsed.decisions.count == candidates.count else {
            throw bad(
                "decisions",
                "has \(parsed.decisions.count) entries for the request's \(candidates.count) candidates"
            )
        }
        var decisions: [AssignmentDecision] = []
        decisions.reserveCapacity(candidates.count)
        for (index, (entry, candidate)) in zip(parsed.decisions, candidates).enumerated() {
            let field = "decisions[\(index)]"
            guard entry.propensity > 0, entry.propensity <= 1 else {
                throw bad(field + ".propensity", "\(entry.propensity) is outside (0, 1]")
            }
            var mode = AssignmentMode.conditioned
            switch entry.mode {
            case nil, "conditioned": break
            case "preferential": mode = .preferential
            default: throw bad(field + ".mode", "must be \"preferential\" or \"conditioned\"")
            }
            guard let index = entry.choice else {
                decisions.append(
                    AssignmentDecision(user: candidate.user, choice: nil, propensity: entry.propensity, mode: .skipped)
                )
                continue
            }
            let choices = Self.choices(of: candidate)
            guard choices.indices.contains(index) else {
                throw bad(
                    field + ".choice",
                    "\(index) is outside the candidate's \(choices.count) choices (0 ..< \(choices.count))"
                )
            }
            decisions.append(
                AssignmentDecision(
                    user: candidate.user,
                    choice: choices[index],
                    propensity: entry.propensity,
                    mode: mode
                )
            )
        }
        return decisions
    }

    /// The field a decoding error is about, as a path (`decisions[2].choice`; `nil` for the whole line),
    /// and what is wrong with it.
    static func describe(_ error: DecodingError) -> (field: String?, problem: String) {
        func path(_ keys: [any CodingKey]) -> String? {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? nil : text
        }
        func expected(_ type: Any.Type) -> String {
            switch type {
            case is Int.Type: "an integer or null"
            case is Double.Type: "a number"
            case is String.Type: "a string"
            case is [Any].Type, is [Entry].Type: "an array"
            default: "a JSON object"
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is missing")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return (path(context.codingPath), "is not \(expected(type))")
        case .dataCorrupted(let context):
            // A line that does not parse has no path; a value that does not fit its type has one.
            guard let field = path(context.codingPath) else { return (nil, "is not a JSON object") }
            return (field, "is not a valid value")
        @unknown default:
            return (nil, "is not a JSON object")
        }
    }

    /// An answer line as decoded, before its values are checked.
    struct Answer: Decodable {
        var decisions: [Entry]
    }

    struct Entry: Decodable {
        var choice: Int?
        var propensity: Double
        var mode: String?

        enum CodingKeys: String, CodingKey { case choice, propensity, mode }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // `choice` must be present: `null` is a decision to skip, a missing key is a mistake.
            guard container.contains(.choice) else {
                throw DecodingError.keyNotFound(
                    CodingKeys.choice,
                    DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "missing")
                )
            }
            if try container.decodeNil(forKey: .choice) {
                choice = nil
            } else {
                // Read as a number, not an Int: JSONDecoder reports `1.5` read as an Int as a line that is
                // not JSON at all, without the field.
                let path = container.codingPath + [CodingKeys.choice]
                let number: Double
                do {
                    number = try container.decode(Double.self, forKey: .choice)
                } catch DecodingError.typeMismatch {
                    throw DecodingError.typeMismatch(
                        Int.self,
                        .init(codingPath: path, debugDescription: "not a number")
                    )
                }
                guard let exact = Int(exactly: number) else {
                    throw DecodingError.typeMismatch(
                        Int.self,
                        .init(codingPath: path, debugDescription: "not an integer")
                    )
                }
                choice = exact
            }
            propensity = try container.decode(Double.self, forKey: .propensity)
            mode = try container.decodeIfPresent(String.self, forKey: .mode)
        }
    }
}

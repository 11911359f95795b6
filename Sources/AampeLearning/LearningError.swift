/// Why reading evaluation input or setting up an evaluation failed.
///
/// The description names the file, the line and the field and says what was expected; it never repeats a
/// field's contents, which are user and item ids from the customer's systems.
public enum LearningError: Error, Hashable, Sendable {
    /// The file does not exist, is not a regular file, or a read failed; `reason` is the system's text.
    case cannotRead(path: String, reason: String)
    /// The file holds no bytes at all.
    case emptyRatingsFile(path: String)
    /// A row of a ratings file does not have the `u.data` layout. `line` counts from 1; `field` is `nil`
    /// when the row as a whole is wrong (its field count).
    case malformedRatings(path: String, line: Int, field: RatingsFile.Field?, problem: RatingsFile.Problem)
    /// A limit from `Limits` was exceeded.
    case limitExceeded(path: String, what: String, value: Int, limit: Int)
    /// A setting is out of its range: `name` is the option as the user spells it.
    case invalidOption(name: String, reason: String)
    /// Row `index` (from 0) of a timing model's input is not a valid history; `model` names the model
    /// (`BG/NBD`) and `problem` what is wrong, without the row's values.
    case invalidTimingRow(model: String, index: Int, problem: String)
    /// A timing model cannot be fitted to its input: `reason` says why (no users, no repeat activity, the
    /// search did not converge).
    case cannotFit(model: String, reason: String)
    /// A row of a header-first CSV file (an off-policy log, a target policy, a reward model, randomized
    /// policy data) is wrong. `line` counts from 1 and includes the header; `field` is the column's
    /// header name, or `nil` when the row as a whole is wrong.
    case malformedTable(path: String, line: Int, field: String?, problem: String)
    /// Row `row` (from 0) of an off-policy evaluation's input is not valid: `field` names the input
    /// (`propensity`, `target policy`, ...) and `problem` what is wrong, without the row's values.
    case invalidOffPolicyRow(row: Int, field: String, problem: String)
    /// The input as a whole cannot be evaluated (no rows, no actions); `reason` says why.
    case cannotEvaluate(reason: String)
    /// An external assignment policy broke the protocol or stopped (``ExternalPolicy``).
    case externalPolicy(ExternalPolicyFailure)
}

extension LearningError: CustomStringConvertible {
    /// The file, line and field, and what was expected; safe to log, since it never quotes a field.
    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "\(path): cannot read: \(reason)"
        case .emptyRatingsFile(let path): "\(path): the ratings file is empty"
        case .malformedRatings(let path, let line, let field, let problem):
            if let field {
                "\(path):\(line): field \(field.position) (\(field.rawValue)) \(problem.text)"
            } else {
                "\(path):\(line): \(problem.text)"
            }
        case .limitExceeded(let path, let what, let value, let limit):
            "\(path): \(what) is \(value); the limit is \(limit)"
        case .invalidOption(let name, let reason): "\(name): \(reason)"
        case .invalidTimingRow(let model, let index, let problem): "\(model) input row \(index): \(problem)"
        case .cannotFit(let model, let reason): "cannot fit \(model): \(reason)"
        case .malformedTable(let path, let line, let field, let problem):
            if let field { "\(path):\(line): field \(field) \(problem)" } else { "\(path):\(line): \(problem)" }
        case .invalidOffPolicyRow(let row, let field, let problem): "off-policy row \(row): \(field) \(problem)"
        case .cannotEvaluate(let reason): "cannot evaluate: \(reason)"
        case .externalPolicy(let failure): failure.description
        }
    }
}

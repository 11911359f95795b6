/// One problem found in a content folder: where it is, which field, what was expected, and the nearest
/// known name when a name looks misspelt.
///
/// `description` is `file:line:column: field: message (did you mean 'x'?)`, the form editors and
/// terminals turn into links. It quotes names from the content (which the operator wrote), never user data.
public struct ContentIssue: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The file's path relative to the content folder.
    public var file: String
    /// 1-based line and column, as libyaml counts them (columns in Unicode scalars).
    public var line: Int
    public var column: Int
    /// The field's path in the file, such as `formulas.cart_push.blocks.greeting.label_set`.
    public var field: String
    /// What is wrong and what was expected.
    public var message: String
    /// The nearest known name, when the value looks like a misspelling of one.
    public var suggestion: String?

    public init(file: String, line: Int, column: Int, field: String, message: String, suggestion: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String {
        var text = "\(file):\(line):\(column): " + (field.isEmpty ? "" : "\(field): ") + message
        if let suggestion { text += " (did you mean '\(suggestion)'?)" }
        return text
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.field, lhs.message) < (
            rhs.file, rhs.line, rhs.column, rhs.field, rhs.message
        )
    }
}

/// The errors of AampeContent.
public enum ContentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The folder has problems; every one found, sorted by file and position.
    case invalid([ContentIssue])
    /// The folder or one of its files could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let issues):
            let noun = issues.count == 1 ? "error" : "errors"
            return "content has \(issues.count) \(noun):\n" + issues.map(\.description).joined(separator: "\n")
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}

internal import AampeCore
internal import Yams

/// Where a value was written.
struct Site: Hashable, Sendable {
    var file: String
    var line: Int
    var column: Int
}

/// Reads typed values out of one YAML file's nodes, reporting every problem with its file, line, column
/// and field instead of stopping at the first.
struct YAMLReader {
    let file: String
    let issues: IssueSink

    func site(_ node: Node) -> Site {
        Site(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    func report(_ node: Node, _ field: String, _ message: String, suggestion: String? = nil) {
        issues.report(site(node), field, message, suggestion: suggestion)
    }

    /// A mapping's entries, in order. Reports a node that is not a mapping, keys that are not text,
    /// duplicate keys, keys outside `allowed` (with the nearest allowed key) and missing `required` keys.
    /// `allowed: nil` accepts any key (a mapping of names to declarations).
    func mapping(_ node: Node, _ field: String, allowed: [String]? = nil, required: [String] = []) -> Entries? {
        guard let mapping = node.mapping else {
            report(node, field, "expected a mapping (key: value lines), found \(kind(of: node))")
            return nil
        }
        var entries = Entries()
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                report(keyNode, field, "expected a name as the key, found \(kind(of: keyNode))")
                continue
            }
            let path = field.isEmpty ? key : field + "." + key
            if let allowed, !allowed.contains(key) {
                report(
                    keyNode,
                    path,
                    "unknown key '\(key)'; expected one of: \(allowed.joined(separator: ", "))",
                    suggestion: NearestName.suggestion(for: key, among: allowed)
                )
                continue
            }
            if let first = entries[key] {
                let firstSite = site(first.key)
                report(keyNode, path, "'\(key)' is given twice; the first is at line \(firstSite.line)")
                continue
            }
            entries.append(Entry(name: key, key: keyNode, value: value))
        }
        for key in required where entries[key] == nil {
            report(node, field.isEmpty ? key : field + "." + key, "missing required key '\(key)'")
        }
        return entries
    }

    /// A text scalar.
    func string(_ node: Node, _ field: String) -> String? {
        guard let scalar = node.scalar else {
            report(node, field, "expected text, found \(kind(of: node))")
            return nil
        }
        return scalar.string
    }

    /// A name: letters, digits, `_` and `-`, starting with a letter, at most 128 bytes.
    func name(_ node: Node, _ field: String) -> String? {
        guard let text = string(node, field) else { return nil }
        guard Self.isName(text) else {
            report(node, field, "expected a name (a letter, then letters, digits, '_' or '-'), found '\(text)'")
            return nil
        }
        return text
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII,
            text.utf8.count <= Limits.maximumEventNameBytes
        else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
        }
    }

    /// A whole number in `range`.
    func int(_ node: Node, _ field: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, field) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report(
                node,
                field,
                "expected a whole number from \(range.lowerBound) to \(range.upperBound), found '\(text)'"
            )
            return nil
        }
        return value
    }

    /// `true` or `false`.
    func bool(_ node: Node, _ field: String) -> Bool? {
        guard let text = string(node, field) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            report(node, field, "expected true or false, found '\(text)'")
            return nil
        }
    }

    /// A list of text scalars; a single scalar counts as a list of one. Each item is reported with its
    /// own position, so the result pairs every value with its node.
    func stringList(_ node: Node, _ field: String, allowEmpty: Bool = false) -> [(String, Node)]? {
        if node.scalar != nil {
            return string(node, field).map { [($0, node)] }
        }
        guard let sequence = node.sequence else {
            report(node, field, "expected a list, found \(kind(of: node))")
            return nil
        }
        var values: [(String, Node)] = []
        for (index, item) in sequence.enumerated() {
            if let value = string(item, "\(field)[\(index)]") { values.append((value, item)) }
        }
        if values.isEmpty, !allowEmpty, sequence.isEmpty {
            report(node, field, "expected at least one entry")
            return nil
        }
        return values
    }

    /// A duration such as `15m`, `48h`, `30s` or `7d`, in seconds, from 0 to 366 days.
    func durationSeconds(_ node: Node, _ field: String) -> Int64? {
        guard let text = string(node, field) else { return nil }
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("min", 60), ("h", 3600), ("d", 86_400)]
        let trimmed = text.trimmingSpaces()
        for (suffix, seconds) in units.reversed() where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count)).trimmingSpaces()
            if let value = Int64(number), value >= 0, value * seconds <= 366 * 86_400 {
                return value * seconds
            }
        }
        report(node, field, "expected a duration such as 30s, 15m, 48h or 7d (at most 366d), found '\(text)'")
        return nil
    }

    /// A local time `HH:MM`, as minutes after midnight.
    func minuteOfDay(_ node: Node, _ field: String) -> Int? {
        guard let text = string(node, field) else { return nil }
        let parts = text.split(separator: ":")
        if parts.count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        {
            return hour * 60 + minute
        }
        report(node, field, "expected a local time HH:MM such as 22:00, found '\(text)'")
        return nil
    }

    /// A calendar date `YYYY-MM-DD`.
    func date(_ node: Node, _ field: String) -> CivilDate? {
        guard let text = string(node, field) else { return nil }
        if let date = CivilDate(iso8601Date: text) { return date }
        report(node, field, "expected a date YYYY-MM-DD such as 2026-11-27, found '\(text)'")
        return nil
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

/// A mapping's entries in file order, looked up by key.
struct Entries: Sequence {
    private var list: [Entry] = []

    mutating func append(_ entry: Entry) { list.append(entry) }

    subscript(key: String) -> Entry? { list.first { $0.name == key } }

    func makeIterator() -> IndexingIterator<[Entry]> { list.makeIterator() }
}

struct Entry {
    var name: String
    var key: Node
    var value: Node
}

/// Collects the issues of one load.
final class IssueSink {
    private(set) var issues: [ContentIssue] = []

    func report(_ site: Site, _ field: String, _ message: String, suggestion: String? = nil) {
        issues.append(
            ContentIssue(
                file: site.file,
                line: site.line,
                column: site.column,
                field: field,
                message: message,
                suggestion: suggestion
            )
        )
    }
}

internal import AampeCore
internal import Foundation
internal import Yams

/// Loads a content folder: every `*.yaml` and `*.yml` file under it, in path order.
///
/// Each file is a mapping with any of these top-level keys; declarations of one kind may be spread over
/// several files, and a name may be declared once in the whole folder:
///
/// ```yaml
/// label_sets:   { tone: [playful, plain], offer: [discount, quality] }
/// events:       [app_opened, add_to_cart, checkout, purchase]   # the app's event names, for checks
/// goals:        { purchase: { events: [purchase], value_field: revenue, attribution_window: 24h } }
/// formulas:     { cart_push: { channel: push, title: "{{>greeting}}", body: "...", blocks: {...} } }
/// campaigns:    { cart_abandonment: { goal: purchase, formulas: [cart_push], trigger: {...}, ... } }
/// caps:         { per_user_per_day: 2, per_user_per_week: 7 }
/// ```
///
/// Validation reads everything before it reports: the result is either the whole `Content` or every
/// problem found (`ContentError.invalid`), each with its file, line, column and field.
public enum ContentLoader {
    /// Loads and validates the content folder at `folder`.
    ///
    /// - Throws: `ContentError.invalid` with every problem found, or `ContentError.unreadable` when the
    ///   folder or a file cannot be read.
    public static func load(folder: String) throws(ContentError) -> Content {
        try load(files: readFolder(folder))
    }

    /// Loads and validates content from files given as (path relative to the folder, text).
    public static func load(files: [(path: String, text: String)]) throws(ContentError) -> Content {
        let builder = ContentBuilder()
        for (path, text) in files.sorted(by: { $0.path < $1.path }) {
            builder.read(file: path, text: text)
        }
        let content = builder.finish()
        let issues = builder.issues.issues.sorted()
        if !issues.isEmpty { throw .invalid(issues) }
        return content
    }

    /// The YAML files under `folder`, read whole, with their paths relative to it.
    static func readFolder(_ folder: String) throws(ContentError) -> [(path: String, text: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .unreadable(path: folder, reason: "no such folder")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw .unreadable(path: folder, reason: "cannot list the folder")
        }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            // Hidden files and folders (.git, .github) are not content.
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            paths.append(relative)
            if paths.count > Limits.maximumContentFiles {
                throw .invalid([
                    ContentIssue(
                        file: relative,
                        line: 1,
                        column: 1,
                        field: "",
                        message: "the folder holds more than \(Limits.maximumContentFiles) YAML files"
                    )
                ])
            }
        }
        var files: [(path: String, text: String)] = []
        var oversized: [ContentIssue] = []
        for relative in paths.sorted() {
            let path = folder + "/" + relative
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes?[.size] as? Int, size > Limits.maximumContentFileBytes {
                oversized.append(
                    ContentIssue(
                        file: relative,
                        line: 1,
                        column: 1,
                        field: "",
                        message:
                            "the file has \(size) bytes; a content file may have at most \(Limits.maximumContentFileBytes)"
                    )
                )
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .unreadable(path: path, reason: "cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                oversized.append(
                    ContentIssue(file: relative, line: 1, column: 1, field: "", message: "the file is not UTF-8 text")
                )
                continue
            }
            files.append((relative, text))
        }
        if !oversized.isEmpty { throw .invalid(oversized) }
        return files
    }
}

/// A name used somewhere that must be declared somewhere (possibly in a later file).
struct Reference {
    enum Kind: Hashable {
        case labelSet
        case label(set: String)
        case goal
        case formula
        case event
    }

    var kind: Kind
    var name: String
    var site: Site
    var field: String
}

/// Builds `Content` from files, collecting issues; cross-file references are checked in `finish()`.
final class ContentBuilder {
    let issues = IssueSink()
    var labelSets: [String: (set: LabelSet, site: Site)] = [:]
    var labelOwners: [String: String] = [:]
    var knownEvents: [String: Site] = [:]
    var goals: [String: (goal: Goal, site: Site)] = [:]
    var formulas: [String: (formula: Formula, site: Site, scans: FormulaScans)] = [:]
    var campaigns: [String: (campaign: Campaign, site: Site)] = [:]
    var caps: (caps: GlobalCaps, site: Site)?
    var references: [Reference] = []

    static let topLevelKeys = ["label_sets", "events", "goals", "formulas", "campaigns", "caps"]

    func read(file: String, text: String) {
        let reader = YAMLReader(file: file, issues: issues)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            reportYAMLError(error, file: file)
            return
        } catch {
            issues.report(Site(file: file, line: 1, column: 1), "", "cannot parse YAML: \(error)")
            return
        }
        guard let root else { return }  // an empty file declares nothing
        guard let top = reader.mapping(root, "", allowed: Self.topLevelKeys) else { return }
        for entry in top {
            switch entry.name {
            case "label_sets": readLabelSets(entry.value, reader)
            case "events": readEvents(entry.value, reader)
            case "goals": readGoals(entry.value, reader)
            case "formulas": readFormulas(entry.value, reader)
            case "campaigns": readCampaigns(entry.value, reader)
            case "caps": readCaps(entry.value, reader)
            default: break
            }
        }
    }

    private func reportYAMLError(_ error: YamlError, file: String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            issues.report(Site(file: file, line: mark.line, column: mark.column), "", "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            issues.report(
                Site(file: file, line: context.mark.line, column: context.mark.column),
                "",
                "a key is given twice: \(duplicates.joined(separator: ", "))"
            )
        default:
            issues.report(Site(file: file, line: 1, column: 1), "", "invalid YAML: \(error)")
        }
    }

    /// Reports a second declaration of a name; returns whether `name` is new.
    func isNew(
        _ name: String,
        kind: String,
        existing: Site?,
        at node: Node,
        _ reader: YAMLReader,
        _ field: String
    ) -> Bool {
        guard let existing else { return true }
        reader.report(
            node,
            field,
            "\(kind) '\(name)' is already declared at \(existing.file):\(existing.line):\(existing.column)"
        )
        return false
    }

    private func readLabelSets(_ node: Node, _ reader: YAMLReader) {
        guard let sets = reader.mapping(node, "label_sets") else { return }
        for entry in sets {
            let field = "label_sets." + entry.name
            guard reader.name(entry.key, field) != nil else { continue }
            if entry.name == LabelSet.timingName {
                reader.report(
                    entry.key,
                    field,
                    "'timing' is the built-in label set of send windows and is not declared"
                )
                continue
            }
            guard
                isNew(
                    entry.name,
                    kind: "label set",
                    existing: labelSets[entry.name]?.site,
                    at: entry.key,
                    reader,
                    field
                ),
                let values = reader.stringList(entry.value, field)
            else { continue }
            var labels: [String] = []
            for (index, (label, labelNode)) in values.enumerated() {
                let labelField = "\(field)[\(index)]"
                guard reader.name(labelNode, labelField) != nil else { continue }
                if let owner = labelOwners[label] {
                    reader.report(
                        labelNode,
                        labelField,
                        "label '\(label)' already belongs to label set '\(owner)'; a label belongs to exactly one set"
                    )
                    continue
                }
                labelOwners[label] = entry.name
                labels.append(label)
            }
            if values.count < 2 {
                reader.report(entry.value, field, "a label set needs at least 2 labels, found \(values.count)")
            }
            labelSets[entry.name] = (LabelSet(name: entry.name, labels: labels), reader.site(entry.key))
        }
    }

    private func readEvents(_ node: Node, _ reader: YAMLReader) {
        guard let values = reader.stringList(node, "events") else { return }
        for (index, (name, nameNode)) in values.enumerated() {
            let field = "events[\(index)]"
            guard reader.name(nameNode, field) != nil else { continue }
            guard isNew(name, kind: "event", existing: knownEvents[name], at: nameNode, reader, field) else { continue }
            knownEvents[name] = reader.site(nameNode)
        }
    }

    private func readGoals(_ node: Node, _ reader: YAMLReader) {
        guard let goals = reader.mapping(node, "goals") else { return }
        for entry in goals {
            let field = "goals." + entry.name
            guard reader.name(entry.key, field) != nil,
                isNew(entry.name, kind: "goal", existing: self.goals[entry.name]?.site, at: entry.key, reader, field),
                let keys = reader.mapping(
                    entry.value,
                    field,
                    allowed: ["events", "value_field", "attribution_window"],
                    required: ["events"]
                )
            else { continue }
            var events: [String] = []
            if let eventsNode = keys["events"]?.value, let values = reader.stringList(eventsNode, field + ".events") {
                for (index, (name, nameNode)) in values.enumerated() {
                    let eventField = "\(field).events[\(index)]"
                    guard reader.name(nameNode, eventField) != nil else { continue }
                    events.append(name)
                    references.append(
                        Reference(kind: .event, name: name, site: reader.site(nameNode), field: eventField)
                    )
                }
            }
            let valueField = keys["value_field"].flatMap { reader.name($0.value, field + ".value_field") }
            var window = Goal.defaultAttributionWindowSeconds
            if let windowNode = keys["attribution_window"]?.value,
                let seconds = reader.durationSeconds(windowNode, field + ".attribution_window")
            {
                if seconds == 0 {
                    reader.report(windowNode, field + ".attribution_window", "expected a duration above zero")
                } else {
                    window = seconds
                }
            }
            let goal = Goal(name: entry.name, events: events, valueField: valueField, attributionWindowSeconds: window)
            self.goals[entry.name] = (goal, reader.site(entry.key))
        }
    }

    private func readCaps(_ node: Node, _ reader: YAMLReader) {
        if let caps {
            reader.report(
                node,
                "caps",
                "caps are already declared at \(caps.site.file):\(caps.site.line):\(caps.site.column)"
            )
            return
        }
        guard let keys = reader.mapping(node, "caps", allowed: ["per_user_per_day", "per_user_per_week"]) else {
            return
        }
        let perDay = keys["per_user_per_day"].flatMap { reader.int($0.value, "caps.per_user_per_day", in: 1...1_000) }
        let perWeek = keys["per_user_per_week"].flatMap {
            reader.int($0.value, "caps.per_user_per_week", in: 1...7_000)
        }
        if let perDay, let perWeek, perWeek < perDay, let weekNode = keys["per_user_per_week"]?.value {
            reader.report(
                weekNode,
                "caps.per_user_per_week",
                "expected at least per_user_per_day (\(perDay)), found \(perWeek)"
            )
        }
        caps = (GlobalCaps(perUserPerDay: perDay, perUserPerWeek: perWeek), reader.site(node))
    }

    /// Checks every reference against what the whole folder declares, then assembles the content.
    func finish() -> Content {
        let eventNames = Set(knownEvents.keys)
        for reference in references {
            let candidates: [String]
            let noun: String
            switch reference.kind {
            case .labelSet:
                candidates = labelSets.keys.sorted()
                noun = "label set"
            case .label(let set):
                guard let labelSet = labelSets[set]?.set else { continue }  // the set's own reference reports
                candidates = labelSet.labels
                noun = "label of '\(set)' (\(labelSet.labels.joined(separator: ", ")))"
            case .goal:
                candidates = goals.keys.sorted()
                noun = "goal"
            case .formula:
                candidates = formulas.keys.sorted()
                noun = "formula"
            case .event:
                // Event names are checked only when the folder declares the app's events.
                guard !eventNames.isEmpty else { continue }
                candidates = eventNames.sorted()
                noun = "event (declared under 'events')"
            }
            guard !candidates.contains(reference.name) else { continue }
            issues.report(
                reference.site,
                reference.field,
                "unknown \(noun): '\(reference.name)'",
                suggestion: NearestName.suggestion(for: reference.name, among: candidates)
            )
        }
        checkCampaigns()
        return Content(
            labelSets: [LabelSet.timing] + labelSets.values.map(\.set).sorted { $0.name < $1.name },
            knownEvents: eventNames.sorted(),
            goals: goals.values.map(\.goal).sorted { $0.name < $1.name },
            formulas: formulas.values.map(\.formula).sorted { $0.name < $1.name },
            campaigns: campaigns.values.map(\.campaign).sorted { $0.name < $1.name },
            caps: caps?.caps ?? GlobalCaps()
        )
    }
}

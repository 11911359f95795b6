/// What a template needs and what it always prints, read from its tags.
///
/// swift-mustache parses and renders; it does not say which names a template interpolates. This scan
/// reads only the tag structure of a template that swift-mustache has already parsed without error, to
/// answer two questions the renderer cannot:
///
/// - **Which variables are required?** A name interpolated outside every section (`{{first_name}}`,
///   `{{{cart.value}}}`, `{{capitalized(first_name)}}`) is required: if it is missing the text would have
///   a hole. A name used only inside a section (`{{#first_name}}Hi {{first_name}}{{/first_name}}`) is
///   guarded by that section and not required.
/// - **What text does every rendering contain?** The literal text outside every section, with
///   `{{>block}}` partials marked where they stand. Channel limits use it as a lower bound on a variant's
///   length at validation time.
struct TemplateScan: Hashable, Sendable {
    /// Names interpolated outside every section, as written (dotted paths kept).
    var requiredVariables: [String] = []
    /// Every partial the template includes, at any depth, in order of appearance.
    var partials: [String] = []
    /// The names looked up outside every section, as variables or as sections (`items` for
    /// `{{#items}}…{{/items}}`), by their first path component.
    var topLevelNames: Set<String> = []
    /// The text outside every section, in order, with the partials that stand outside every section.
    var staticPieces: [Piece] = []

    enum Piece: Hashable, Sendable {
        case text(String)
        case partial(String)
    }

    init(_ template: String) {
        let source = Array(template.unicodeScalars)
        var open: [Unicode.Scalar] = ["{", "{"]
        var close: [Unicode.Scalar] = ["}", "}"]
        var depth = 0
        var index = 0
        var text = String.UnicodeScalarView()

        func matches(_ delimiter: [Unicode.Scalar], at position: Int) -> Bool {
            guard position + delimiter.count <= source.count else { return false }
            for offset in 0..<delimiter.count where source[position + offset] != delimiter[offset] { return false }
            return true
        }
        func flush() {
            if depth == 0, !text.isEmpty { staticPieces.append(.text(String(text))) }
            text = String.UnicodeScalarView()
        }

        while index < source.count {
            guard matches(open, at: index) else {
                if depth == 0 { text.append(source[index]) }
                index += 1
                continue
            }
            let tagStart = index
            var bodyStart = index + open.count
            var closing = close
            if open == ["{", "{"], bodyStart < source.count, source[bodyStart] == "{" {
                closing = ["}"] + close  // triple mustache
            }
            var bodyEnd = bodyStart
            while bodyEnd < source.count, !matches(closing, at: bodyEnd) { bodyEnd += 1 }
            guard bodyEnd < source.count else { break }  // unterminated: swift-mustache has refused it
            let tagEnd = bodyEnd + closing.count
            if closing.count > close.count { bodyStart += 1 }
            var body = String(String.UnicodeScalarView(source[bodyStart..<bodyEnd]))
            let sigil = body.unicodeScalars.first.map(Character.init) ?? " "
            let kind: Character = "#^/!>=%$<&".contains(sigil) ? sigil : " "
            if kind != " " { body.removeFirst() }
            let name = Self.variableName(body.trimmingSpaces())

            // Standalone lines: a non-interpolating tag alone on its line takes the line with it.
            var resumeAt = tagEnd
            if kind != " ", kind != "&", closing.count == close.count {
                var before = tagStart
                while before > 0, source[before - 1] == " " || source[before - 1] == "\t" { before -= 1 }
                var after = tagEnd
                while after < source.count, source[after] == " " || source[after] == "\t" { after += 1 }
                let startsLine = before == 0 || source[before - 1] == "\n"
                let endsLine = after == source.count || source[after] == "\n" || source[after] == "\r"
                if startsLine, endsLine {
                    if depth == 0 { text.removeLast(min(text.count, tagStart - before)) }
                    resumeAt = after
                    if resumeAt < source.count, source[resumeAt] == "\r" { resumeAt += 1 }
                    if resumeAt < source.count, source[resumeAt] == "\n" { resumeAt += 1 }
                }
            }

            switch kind {
            case " ", "&":
                if depth == 0, name != "." {
                    requiredVariables.append(name)
                    topLevelNames.insert(String(name.prefix { $0 != "." }))
                }
            case "#", "^", "$", "<":
                flush()
                if depth == 0, kind == "#" || kind == "^" { topLevelNames.insert(String(name.prefix { $0 != "." })) }
                depth += 1
            case "/":
                flush()
                depth = max(0, depth - 1)
            case ">":
                partials.append(name)
                if depth == 0 {
                    flush()
                    staticPieces.append(.partial(name))
                }
            case "=":
                let parts = body.dropLast().split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2 {
                    open = Array(parts[0].unicodeScalars)
                    close = Array(parts[1].unicodeScalars)
                }
            default:
                break  // comments and pragmas print nothing
            }
            index = resumeAt
        }
        flush()
    }

    /// The variable a tag names: transforms such as `capitalized(first_name)` are unwrapped.
    static func variableName(_ tag: String) -> String {
        var name = Substring(tag)
        while let open = name.firstIndex(of: "("), name.last == ")" {
            name = name[name.index(after: open)..<name.index(before: name.endIndex)]
        }
        return String(name).trimmingSpaces()
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}

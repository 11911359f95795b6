internal import AampeCore
internal import Foundation
internal import Mustache

/// Renders a formula's variants for users, with swift-mustache.
///
/// **Availability.** A variant is rendered only when nothing in it would print a hole:
///
/// 1. An alternate is *unavailable* for a user when a variable it interpolates outside every section
///    (`TemplateScan.requiredVariables`) is missing from the user's `ViewModel`. Variables inside a
///    section (`{{#first_name}}Hi {{first_name}}{{/first_name}}`) are guarded and never make it
///    unavailable; a derived field with a default is never missing.
/// 2. The formula is unavailable when a field's own required variable is missing, or when any block
///    has no available alternate.
/// 3. A rendered variant is unavailable when a required field of its channel renders empty, or when it
///    breaks the channel's limit: a push payload over `Limits.maximumPushPayloadBytes`, an SMS over the
///    campaign's parts (`SMSLength`).
///
/// **Escaping.** Only an email's `html_body` is HTML-escaped (`{{name}}`; `{{{name}}}` never is). Every
/// other field is rendered with swift-mustache's TEXT content type: push, SMS and in-app show plain text.
///
/// **Blocks.** A field places a block with `{{>block}}`; the chosen alternate is registered as that
/// partial for the render, so an alternate sees the same variables and escaping as its field.
public struct FormulaRenderer: Sendable {
    public let formula: Formula
    private let fields: [CompiledTemplate]
    /// Per block, per alternate, compiled twice: as plain text and as HTML (see `init`).
    private let textAlternates: [[CompiledTemplate]]
    private let htmlAlternates: [[CompiledTemplate]]
    private let hasHTMLField: Bool

    struct CompiledTemplate: Sendable {
        var name: String
        var template: MustacheTemplate
        var requiredVariables: [String]
    }

    /// The pragma that makes swift-mustache render a template without HTML escaping. It must lead every
    /// text template, alternates included: swift-mustache starts each partial over in HTML. (A template
    /// that begins with a line break loses it, as the pragma then stands alone on its line.)
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// Compiles a formula that `ContentLoader` has validated.
    ///
    /// - Throws: `RenderError.invalidTemplate` if a template does not parse (a formula built by hand).
    public init(formula: Formula) throws(RenderError) {
        self.formula = formula
        var fields: [CompiledTemplate] = []
        for field in formula.fields {
            let prefix = formula.channel.isHTML(field: field.name) ? "" : Self.textPragma
            fields.append(try Self.compile(name: field.name, text: prefix + field.template, scanned: field.template))
        }
        self.fields = fields
        self.hasHTMLField = formula.fields.contains { formula.channel.isHTML(field: $0.name) }
        func compileAlternates(prefix: String) throws(RenderError) -> [[CompiledTemplate]] {
            var blocks: [[CompiledTemplate]] = []
            for block in formula.blocks {
                var compiled: [CompiledTemplate] = []
                for alternate in block.alternates {
                    let name = block.name + "/" + alternate.label
                    compiled.append(
                        try Self.compile(name: name, text: prefix + alternate.template, scanned: alternate.template)
                    )
                }
                blocks.append(compiled)
            }
            return blocks
        }
        self.textAlternates = try compileAlternates(prefix: Self.textPragma)
        self.htmlAlternates = try compileAlternates(prefix: "")
    }

    private static func compile(name: String, text: String, scanned: String) throws(RenderError) -> CompiledTemplate {
        do {
            let template = try MustacheTemplate(string: text)
            return CompiledTemplate(
                name: name,
                template: template,
                requiredVariables: TemplateScan(scanned).requiredVariables
            )
        } catch {
            throw .invalidTemplate(name: name, reason: "\(error)")
        }
    }

    /// The view model of one user for this formula (its derived fields included).
    public func viewModel(_ data: RenderData) -> ViewModel {
        ViewModel(data, derivedFields: formula.derivedFields)
    }

    /// The indices of each block's alternates that are available for the user, in block order.
    public func availableAlternates(_ model: ViewModel) -> [[Int]] {
        textAlternates.map { block in
            block.indices.filter { missing(block[$0].requiredVariables, model).isEmpty }
        }
    }

    /// Why the formula has no available variant for the user, or nil when it has at least one before
    /// channel limits (which depend on the variant's rendered text).
    public func unavailability(_ model: ViewModel) -> Unavailability? {
        for field in fields {
            let names = missing(field.requiredVariables, model)
            if !names.isEmpty { return .missingVariables(part: field.name, names: names) }
        }
        for (position, available) in availableAlternates(model).enumerated() where available.isEmpty {
            return .noAvailableAlternate(block: formula.blocks[position].name)
        }
        return nil
    }

    /// Renders `variant` for the user, or says why it is unavailable.
    ///
    /// - Parameter maximumSMSParts: the campaign's limit on SMS parts (ignored for other channels).
    public func render(
        _ variant: Variant,
        for model: ViewModel,
        maximumSMSParts: Int = 1
    ) -> Result<RenderedMessage, Unavailability> {
        precondition(variant.choices.count == formula.blocks.count, "the variant belongs to another formula")
        for field in fields {
            let names = missing(field.requiredVariables, model)
            if !names.isEmpty { return .failure(.missingVariables(part: field.name, names: names)) }
        }
        var textLibrary = MustacheLibrary()
        var htmlLibrary = MustacheLibrary()
        for (position, choice) in variant.choices.enumerated() {
            let alternate = textAlternates[position][choice]
            let names = missing(alternate.requiredVariables, model)
            if !names.isEmpty { return .failure(.missingVariables(part: alternate.name, names: names)) }
            textLibrary.register(alternate.template, named: formula.blocks[position].name)
            if hasHTMLField {
                htmlLibrary.register(htmlAlternates[position][choice].template, named: formula.blocks[position].name)
            }
        }
        var rendered: [RenderedMessage.Field] = []
        for field in fields {
            let isHTML = formula.channel.isHTML(field: field.name)
            let text = field.template.render(model.root, library: isHTML ? htmlLibrary : textLibrary)
            if formula.channel.requiredFields.contains(field.name), text.trimmingSpaces().isEmpty {
                return .failure(.emptyField(field.name))
            }
            rendered.append(RenderedMessage.Field(name: field.name, text: text))
        }
        let message = RenderedMessage(
            formula: formula.name,
            variant: variant.index,
            channel: formula.channel,
            fields: rendered
        )
        switch formula.channel {
        case .push:
            let bytes = PushPayload(fields: rendered.map { ($0.name, $0.text) }).byteCount
            if bytes > Limits.maximumPushPayloadBytes { return .failure(.pushPayloadTooLarge(bytes: bytes)) }
        case .sms:
            let length = SMSLength(message.text(of: "body") ?? "")
            if length.parts > maximumSMSParts {
                return .failure(.tooManySMSParts(parts: length.parts, maximum: maximumSMSParts))
            }
        case .email, .inApp:
            break
        }
        return .success(message)
    }

    private func missing(_ names: [String], _ model: ViewModel) -> [String] {
        names.filter { model.value(at: $0) == nil }
    }
}

/// A rendered variant: the text of each field.
public struct RenderedMessage: Hashable, Sendable {
    public var formula: String
    public var variant: Int
    public var channel: MessageChannel
    public var fields: [Field]

    public struct Field: Hashable, Sendable {
        public var name: String
        public var text: String
    }

    /// The text of field `name`.
    public func text(of name: String) -> String? {
        fields.first { $0.name == name }?.text
    }
}

/// Why a variant cannot be sent to a user. Descriptions name variables and limits, never user values.
public enum Unavailability: Error, Hashable, Sendable, CustomStringConvertible {
    /// A field or alternate (`block/label`) interpolates variables the user lacks.
    case missingVariables(part: String, names: [String])
    /// No alternate of the block is available.
    case noAvailableAlternate(block: String)
    /// A required field rendered as nothing but white space.
    case emptyField(String)
    case pushPayloadTooLarge(bytes: Int)
    case tooManySMSParts(parts: Int, maximum: Int)

    public var description: String {
        switch self {
        case .missingVariables(let part, let names):
            "\(part) needs \(names.joined(separator: ", ")), which the user lacks"
        case .noAvailableAlternate(let block):
            "no alternate of block '\(block)' is available for the user"
        case .emptyField(let field):
            "field '\(field)' renders empty"
        case .pushPayloadTooLarge(let bytes):
            "the push payload has \(bytes) bytes; at most \(Limits.maximumPushPayloadBytes)"
        case .tooManySMSParts(let parts, let maximum):
            "the SMS takes \(parts) parts; the campaign allows \(maximum)"
        }
    }
}

/// The errors of rendering.
public enum RenderError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidTemplate(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalidTemplate(let name, let reason): "template \(name) does not parse: \(reason)"
        }
    }
}

/// A push notification's payload as the limit measures it: the JSON object of its rendered fields
/// (`{"body":…,"deep_link":…,"image":…,"title":…}`, no white space, strings escaped as JSONEncoder
/// escapes them, slashes not escaped), in UTF-8 bytes. APNs and FCM wrap it in a few more bytes of their
/// own. Counted without building the JSON: this runs for every push render.
struct PushPayload {
    var fields: [(name: String, text: String)]

    var byteCount: Int {
        // {} plus, per field, "name":"text" and a comma between fields.
        var bytes = 2 + max(0, fields.count - 1)
        for field in fields {
            bytes += Self.quotedBytes(field.name) + 1 + Self.quotedBytes(field.text)
        }
        return bytes
    }

    /// The bytes of `text` as a JSON string, quotes included.
    static func quotedBytes(_ text: String) -> Int {
        var bytes = 2
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, 0x0A, 0x0D, 0x09: bytes += 2
            case 0..<0x20: bytes += 6  // \u00XX
            default: bytes += 1
            }
        }
        return bytes
    }
}

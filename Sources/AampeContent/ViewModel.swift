internal import Foundation

/// A value a template can show: the profile's fields, the trigger event's properties, recommended items.
public indirect enum ViewValue: Hashable, Sendable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case list([ViewValue])
    case object([String: ViewValue])

    /// The value with every empty part removed, or nil when nothing is left.
    ///
    /// Mustache treats an empty string as true in a section, so `{{#first_name}}Hi {{first_name}}{{/first_name}}`
    /// would print "Hi " for an empty name. Text that is empty or only white space, empty lists and
    /// objects, and numbers that are not finite are therefore *missing*, the same as absent.
    public var normalized: ViewValue? {
        switch self {
        case .text(let text):
            return text.trimmingSpaces().isEmpty ? nil : self
        case .number(let number):
            return number.isFinite ? self : nil
        case .bool:
            return self
        case .list(let values):
            let kept = values.compactMap(\.normalized)
            return kept.isEmpty ? nil : .list(kept)
        case .object(let members):
            let kept = members.compactMapValues(\.normalized)
            return kept.isEmpty ? nil : .object(kept)
        }
    }

    /// The value as text, for derived fields: numbers without a trailing `.0`.
    var text: String? {
        switch self {
        case .text(let text): text
        case .number(let number): Self.format(number)
        case .bool(let bool): bool ? "true" : "false"
        case .list, .object: nil
        }
    }

    static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }

    /// What swift-mustache renders: `String`, `Bool`, `[Any]` and `[String: Any]`. Numbers become text
    /// here so that `20` prints as `20`, not `20.0`.
    var mustacheValue: Any {
        switch self {
        case .text(let text): text
        case .number(let number): Self.format(number)
        case .bool(let bool): bool
        case .list(let values): values.map(\.mustacheValue)
        case .object(let members): members.mapValues(\.mustacheValue)
        }
    }
}

/// What one user's message is rendered from.
public struct RenderData: Hashable, Sendable {
    /// Profile fields: `first_name`, `country`, `language`, and every imported attribute.
    public var profile: [String: ViewValue]
    /// The properties of the event that triggered the campaign (`cart: {items, value}` of `add_to_cart`),
    /// or empty when there is no trigger.
    public var event: [String: ViewValue]
    /// The recommendation slot's items, each with `title`, `price`, `url`, `image_url`, `category` and
    /// any catalog attribute.
    public var items: [[String: ViewValue]]

    public init(profile: [String: ViewValue] = [:], event: [String: ViewValue] = [:], items: [[String: ViewValue]] = [])
    {
        self.profile = profile
        self.event = event
        self.items = items
    }
}

/// The normalized variables of one user for one formula, ready to render any of its variants.
///
/// Names, in the order they are looked up:
/// - profile fields at the top level (`{{first_name}}`);
/// - the trigger event's properties under `event` (`{{event.cart.value}}`), and also at the top level
///   where no profile field has the same name (`{{cart.value}}`);
/// - the recommendation slot's items as `items` (`{{#items}}{{title}} {{price}}{{/items}}`), the last
///   one with `is_last` set, for separators (`{{^is_last}}, {{/is_last}}`);
/// - the formula's derived fields (`DerivedField`), computed last from any of the above.
///
/// Every empty value is removed (`ViewValue.normalized`), so a missing and an empty value behave alike.
///
/// `@unchecked Sendable`: `root` is an immutable tree of `String`, `Bool`, arrays and dictionaries (value
/// types) built from `values`; it is typed `Any` only because swift-mustache reads `Any`.
public struct ViewModel: @unchecked Sendable {
    /// The variables, normalized.
    public let values: [String: ViewValue]
    /// The same, as swift-mustache reads them.
    let root: [String: Any]

    public init(_ data: RenderData, derivedFields: [DerivedField] = []) {
        // Normalize first, so that an empty profile field does not hide the event property of its name.
        var values = data.profile.compactMapValues(\.normalized)
        let event = data.event.compactMapValues(\.normalized)
        if !event.isEmpty {
            values["event"] = .object(event)
            for (name, value) in event where values[name] == nil { values[name] = value }
        }
        if case .list(var items)? = ViewValue.list(data.items.map { .object($0) }).normalized {
            // The last item carries `is_last`, so a template can separate items without a trailing
            // separator: `{{#items}}{{title}}{{^is_last}} · {{/is_last}}{{/items}}`.
            if case .object(var last) = items[items.count - 1] {
                last["is_last"] = .bool(true)
                items[items.count - 1] = .object(last)
            }
            values["items"] = .list(items)
        }
        for field in derivedFields {
            values[field.name] = Self.derive(field, from: values)
        }
        self.values = values
        self.root = values.mapValues(\.mustacheValue)
    }

    /// The value at a dotted path (`cart.value`), or nil when any step is missing.
    public func value(at path: String) -> ViewValue? {
        Self.value(at: path, in: values)
    }

    static func value(at path: String, in values: [String: ViewValue]) -> ViewValue? {
        var parts = path.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return nil }
        var current = values[parts.removeFirst()]
        for part in parts {
            guard case .object(let members)? = current else { return nil }
            current = members[part]
        }
        return current
    }

    static func derive(_ field: DerivedField, from values: [String: ViewValue]) -> ViewValue? {
        var text = value(at: field.source, in: values)?.text
        if let pattern = field.datePattern, let source = text {
            text = formatDate(source, pattern: pattern)
        }
        if let textCase = field.textCase, let source = text {
            switch textCase {
            case .capitalized: text = source.capitalized
            case .uppercase: text = source.uppercased()
            case .lowercase: text = source.lowercased()
            }
        }
        if text?.trimmingSpaces().isEmpty ?? true { text = field.defaultText }
        return text.flatMap { ViewValue.text($0).normalized }
    }

    /// An ISO-8601 date (`2026-11-27`, taken as UTC midnight) or time, formatted with `pattern` in UTC;
    /// nil (so missing) when the source is neither.
    static func formatDate(_ source: String, pattern: String) -> String? {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = source.count == 10 ? [.withFullDate] : [.withInternetDateTime]
        var date = parser.date(from: source)
        if date == nil, source.count > 10 {
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = parser.date(from: source)
        }
        guard let date else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

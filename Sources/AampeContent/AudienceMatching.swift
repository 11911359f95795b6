public import AampeCore
public import AampeStore

extension AudienceRule {
    /// Why the user with `profile` (its attributes parsed into `attributes`) is outside the audience, or
    /// `nil` when they are in it. Consent is not checked here: assignment checks it per channel, after.
    ///
    /// - Countries compare upper case. A user without a country is outside a rule that lists countries.
    /// - Languages compare as BCP 47 tags, case-insensitively: a listed tag admits itself and every tag
    ///   it is a prefix of (`pt` admits `pt-BR`; `pt-BR` does not admit `pt`).
    /// - A condition on an attribute the user lacks fails, except `exists: false`; `atLeast`/`atMost`
    ///   read the value as a number (text that parses as one included) and fail when it is not one.
    public func exclusion(profile: StoredProfile, attributes: [String: ViewValue]) -> String? {
        if !countries.isEmpty {
            guard let country = profile.country?.uppercased(), countries.contains(country) else {
                return "country \(profile.country ?? "unknown") is not one of \(countries.joined(separator: ", "))"
            }
        }
        if !languages.isEmpty {
            let language = (profile.language ?? "").lowercased()
            let isAdmitted = languages.contains { tag in
                let tag = tag.lowercased()
                return language == tag || language.hasPrefix(tag + "-")
            }
            if !isAdmitted {
                return "language \(profile.language ?? "unknown") is not one of \(languages.joined(separator: ", "))"
            }
        }
        for condition in conditions where !condition.holds(for: attributes[condition.attribute]?.normalized) {
            return "attribute \(condition.attribute) fails its condition"
        }
        return nil
    }
}

extension AttributeCondition {
    /// Whether the condition holds for the attribute's value (`nil`: the user lacks it).
    public func holds(for value: ViewValue?) -> Bool {
        switch test {
        case .exists(let shouldExist):
            return (value != nil) == shouldExist
        case .isOneOf(let values):
            guard let text = value.flatMap(Self.text) else { return false }
            return values.contains(text)
        case .isNoneOf(let values):
            guard let text = value.flatMap(Self.text) else { return true }
            return !values.contains(text)
        case .atLeast(let bound):
            guard let number = value.flatMap(Self.number) else { return false }
            return number >= bound
        case .atMost(let bound):
            guard let number = value.flatMap(Self.number) else { return false }
            return number <= bound
        }
    }

    static func text(_ value: ViewValue) -> String? {
        switch value {
        case .text(let text): text
        case .number(let number): ViewValue.format(number)
        case .bool(let bool): bool ? "true" : "false"
        case .list, .object: nil
        }
    }

    static func number(_ value: ViewValue) -> Double? {
        switch value {
        case .number(let number): number
        case .text(let text): Double(text.trimmingSpaces())
        case .bool, .list, .object: nil
        }
    }
}

extension DateRange {
    /// Whether the local date `date` is one of the range's days (both ends included).
    public func contains(_ date: CivilDate) -> Bool {
        date.daysSinceEpoch >= first.daysSinceEpoch && date.daysSinceEpoch <= last.daysSinceEpoch
    }
}

extension ContentPreview {
    /// A stored profile's attributes object, parsed; `{}` for anything that is not a JSON object.
    public static func parsedAttributes(_ json: String) -> [String: ViewValue] { attributes(json) }
}

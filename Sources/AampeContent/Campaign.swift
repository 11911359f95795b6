public import AampeCore
public import AampeStore

/// A campaign: formulas tied to a goal and the rules that say who may get them and when.
///
/// The rules are values. Evaluating them against a user's profile and events is assignment's work; this
/// type only says what they are.
public struct Campaign: Hashable, Sendable, Codable {
    public var name: String
    public var goal: String
    /// The formulas the campaign may send, by name.
    public var formulas: [String]
    public var audience: AudienceRule
    /// What starts the campaign for a user; nil when it has no trigger (any eligible user, any time).
    public var trigger: TriggerRule?
    public var dateRange: DateRange?
    /// The most messages of this campaign per user in any rolling 7 days. Limits of different campaigns
    /// add up; the global caps (`GlobalCaps`) bound the sum.
    public var maximumPerUserPer7Days: Int?
    public var quietHours: QuietHours
    public var recommendations: RecommendationSlot?
    /// The most SMS parts one rendered SMS of this campaign may take (default 1).
    public var maximumSMSParts: Int

    public init(
        name: String,
        goal: String,
        formulas: [String],
        audience: AudienceRule,
        trigger: TriggerRule?,
        dateRange: DateRange?,
        maximumPerUserPer7Days: Int?,
        quietHours: QuietHours,
        recommendations: RecommendationSlot?,
        maximumSMSParts: Int
    ) {
        self.name = name
        self.goal = goal
        self.formulas = formulas
        self.audience = audience
        self.trigger = trigger
        self.dateRange = dateRange
        self.maximumPerUserPer7Days = maximumPerUserPer7Days
        self.quietHours = quietHours
        self.recommendations = recommendations
        self.maximumSMSParts = maximumSMSParts
    }
}

/// Who may receive a campaign. Empty lists mean "anyone".
public struct AudienceRule: Hashable, Sendable, Codable {
    /// ISO 3166-1 alpha-2 codes, upper case.
    public var countries: [String]
    /// BCP 47 language tags as profiles store them (`en`, `pt-BR`).
    public var languages: [String]
    /// Channels of which the user must have consented to at least one (the consent that user imports
    /// record per channel); empty: no requirement. Whatever it says, a message goes out only on a channel
    /// the user consented to, so `[push, sms]` on a campaign with a push and an SMS formula admits users
    /// reachable by either and sends each on a channel they accepted.
    public var requiredConsent: [Channel]
    /// Conditions on profile attributes; all must hold.
    public var conditions: [AttributeCondition]

    public init(
        countries: [String] = [],
        languages: [String] = [],
        requiredConsent: [Channel] = [],
        conditions: [AttributeCondition] = []
    ) {
        self.countries = countries
        self.languages = languages
        self.requiredConsent = requiredConsent
        self.conditions = conditions
    }
}

/// One condition on a profile attribute.
public struct AttributeCondition: Hashable, Sendable, Codable {
    public var attribute: String
    public var test: Test

    public init(attribute: String, test: Test) {
        self.attribute = attribute
        self.test = test
    }

    /// What the attribute's value must satisfy.
    public enum Test: Hashable, Sendable, Codable {
        /// The attribute is present (non-empty) or absent.
        case exists(Bool)
        /// The value equals one of these, compared as text.
        case isOneOf([String])
        /// The value differs from all of these.
        case isNoneOf([String])
        /// The value, read as a number, is at least / at most this.
        case atLeast(Double)
        case atMost(Double)
    }
}

/// What starts a campaign for a user.
public enum TriggerRule: Hashable, Sendable, Codable {
    /// `event` happened; send after `delaySeconds` unless one of `cancellingEvents` happened in between.
    /// Cart abandonment: `add_to_cart`, 900 s, cancelled by `checkout` or `purchase`.
    case event(name: String, delaySeconds: Int64, cancellingEvents: [String])
    /// `event` has not happened for `durationSeconds`. Inactivity: no `app_opened` for 172,800 s.
    case inactivity(event: String, durationSeconds: Int64)
}

/// The days a campaign runs, both included, as dates in the user's local time.
public struct DateRange: Hashable, Sendable {
    public var first: CivilDate
    public var last: CivilDate

    public init(first: CivilDate, last: CivilDate) {
        self.first = first
        self.last = last
    }
}

/// Encoded as `{"first": "2026-11-27", "last": "2026-11-30"}`.
extension DateRange: Codable {
    enum CodingKeys: String, CodingKey { case first, last }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func date(_ key: CodingKeys) throws -> CivilDate {
            let text = try container.decode(String.self, forKey: key)
            guard let date = CivilDate(iso8601Date: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: container,
                    debugDescription: "expected YYYY-MM-DD"
                )
            }
            return date
        }
        self.init(first: try date(.first), last: try date(.last))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(first.description, forKey: .first)
        try container.encode(last.description, forKey: .last)
    }
}

/// Local times when nothing is sent. The range may wrap midnight (22:00 to 07:00 does).
public struct QuietHours: Hashable, Sendable, Codable {
    /// Minutes after local midnight at which quiet starts; 0 ..< 1440.
    public var startMinute: Int
    /// Minutes after local midnight at which quiet ends; equal to `startMinute` means no quiet hours.
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    /// The default: 22:00 to 07:00.
    public static let `default` = QuietHours(startMinute: 22 * 60, endMinute: 7 * 60)

    /// Whether a local time (`minuteOfDay`, 0 ..< 1440) falls in the quiet hours.
    public func contains(minuteOfDay minute: Int) -> Bool {
        if startMinute == endMinute { return false }
        if startMinute < endMinute { return minute >= startMinute && minute < endMinute }
        return minute >= startMinute || minute < endMinute
    }
}

/// The recommendation slot of a campaign's messages: how many items fill `{{#items}}`, and which.
public struct RecommendationSlot: Hashable, Sendable, Codable {
    public var count: Int
    /// Catalog categories to draw from; empty means any.
    public var categories: [String]
    public var isInStockOnly: Bool
    /// Attribute conditions (`genres: [Action]`), all of which must hold.
    public var attributes: [String: [String]]

    public init(
        count: Int,
        categories: [String] = [],
        isInStockOnly: Bool = false,
        attributes: [String: [String]] = [:]
    ) {
        self.count = count
        self.categories = categories
        self.isInStockOnly = isInStockOnly
        self.attributes = attributes
    }
}

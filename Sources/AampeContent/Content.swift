public import AampeStore

/// Everything a content folder declares, validated: label sets, formulas, goals, campaigns and the global
/// caps. `ContentLoader` builds one from YAML; assignment and rendering read it.
///
/// Collections are sorted by name so that two loads of the same folder compare equal and print alike.
public struct Content: Hashable, Sendable, Codable {
    /// Declared label sets, by name, plus the built-in `timing` set (`LabelSet.timing`).
    public var labelSets: [LabelSet]
    /// The app's event names the folder declares (`events:`); triggers and goals are checked against them.
    public var knownEvents: [String]
    public var goals: [Goal]
    public var formulas: [Formula]
    public var campaigns: [Campaign]
    public var caps: GlobalCaps

    public init(
        labelSets: [LabelSet],
        knownEvents: [String],
        goals: [Goal],
        formulas: [Formula],
        campaigns: [Campaign],
        caps: GlobalCaps
    ) {
        self.labelSets = labelSets
        self.knownEvents = knownEvents
        self.goals = goals
        self.formulas = formulas
        self.campaigns = campaigns
        self.caps = caps
    }

    /// The label set named `name`, the built-in timing set included.
    public func labelSet(named name: String) -> LabelSet? {
        labelSets.first { $0.name == name }
    }

    /// The formula named `name`.
    public func formula(named name: String) -> Formula? {
        formulas.first { $0.name == name }
    }
}

/// One kind of choice, such as `tone` {playful, plain}. Each label belongs to exactly one set.
public struct LabelSet: Hashable, Sendable, Codable {
    public var name: String
    public var labels: [String]
    /// True for the built-in `timing` set, which needs no declaration.
    public var isBuiltIn: Bool

    public init(name: String, labels: [String], isBuiltIn: Bool = false) {
        self.name = name
        self.labels = labels
        self.isBuiltIn = isBuiltIn
    }

    /// The name of the built-in label set of send windows.
    public static let timingName = "timing"

    /// The built-in label set of the 35 send windows of the standard layout (5 three-hour windows from
    /// 07:00 to 22:00 local time, 7 weekdays), named `mon_0700` … `sun_1900` after each window's start.
    public static let timing: LabelSet = {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        var labels: [String] = []
        for day in days {
            for window in 0..<5 {
                let startMinute = 7 * 60 + window * 180
                let hour = startMinute / 60
                let minute = startMinute % 60
                labels.append(day + "_" + twoDigits(hour) + twoDigits(minute))
            }
        }
        return LabelSet(name: timingName, labels: labels, isBuiltIn: true)
    }()
}

func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
}

/// The channel a message is delivered through, and the text fields a formula for it has. Push, email and
/// SMS need the user's consent on the matching `Channel` of their imported profile; in-app does not.
public enum MessageChannel: String, CaseIterable, Hashable, Sendable, Codable {
    case push, email, sms
    case inApp = "in_app"

    /// The channel whose consent a message on this one needs; nil for in-app messages.
    public var consentChannel: Channel? {
        switch self {
        case .push: .push
        case .email: .email
        case .sms: .sms
        case .inApp: nil
        }
    }

    /// The fields a formula for this channel must have.
    public var requiredFields: [String] {
        switch self {
        case .push: ["title", "body"]
        case .email: ["subject", "preheader", "html_body", "text_body"]
        case .sms: ["body"]
        case .inApp: ["title", "body", "button"]
        }
    }

    /// The fields a formula for this channel may have besides the required ones.
    public var optionalFields: [String] {
        switch self {
        case .push: ["image", "deep_link"]
        case .email, .sms, .inApp: []
        }
    }

    /// Whether `field` is rendered with HTML escaping. Only an email's HTML body is: push, SMS and in-app
    /// text are shown as plain text, where `&amp;` would be a visible mistake.
    public func isHTML(field: String) -> Bool {
        self == .email && field == "html_body"
    }
}

/// A message template for one channel. Its fields are Mustache templates; `{{>block}}` places one of
/// the block's alternates.
public struct Formula: Hashable, Sendable, Codable {
    public var name: String
    public var channel: MessageChannel
    /// Field name (`title`, `body`, `html_body`, …) to its template text, in the channel's field order.
    public var fields: [Field]
    /// The blocks, in the order their choices are numbered in a variant index.
    public var blocks: [Block]
    /// Fields computed into the view model before rendering (defaults, capitalization, dates).
    public var derivedFields: [DerivedField]

    public init(
        name: String,
        channel: MessageChannel,
        fields: [Field],
        blocks: [Block],
        derivedFields: [DerivedField] = []
    ) {
        self.name = name
        self.channel = channel
        self.fields = fields
        self.blocks = blocks
        self.derivedFields = derivedFields
    }

    /// One field of a formula.
    public struct Field: Hashable, Sendable, Codable {
        public var name: String
        public var template: String
        public init(name: String, template: String) {
            self.name = name
            self.template = template
        }
    }

    /// How many variants the formula expands to: the product of its blocks' alternate counts (1 for a
    /// formula without blocks).
    public var variantCount: Int {
        blocks.reduce(1) { $0 * $1.alternates.count }
    }
}

/// A building block: two or more alternates, each tagged with one label of the block's label set.
public struct Block: Hashable, Sendable, Codable {
    public var name: String
    public var labelSet: String
    public var alternates: [Alternate]

    public init(name: String, labelSet: String, alternates: [Alternate]) {
        self.name = name
        self.labelSet = labelSet
        self.alternates = alternates
    }
}

/// One alternate of a block: a Mustache template tagged with a label.
public struct Alternate: Hashable, Sendable, Codable {
    public var label: String
    public var template: String

    public init(label: String, template: String) {
        self.label = label
        self.template = template
    }
}

/// The app events that count as success for a campaign.
public struct Goal: Hashable, Sendable, Codable {
    public var name: String
    public var events: [String]
    /// The event property that carries a purchase's value, if the goal counts value.
    public var valueField: String?
    /// How long after a send a goal event is credited to it. Default 24 hours.
    public var attributionWindowSeconds: Int64

    /// The default attribution window: 24 hours.
    public static let defaultAttributionWindowSeconds: Int64 = 24 * 3600

    public init(name: String, events: [String], valueField: String?, attributionWindowSeconds: Int64) {
        self.name = name
        self.events = events
        self.valueField = valueField
        self.attributionWindowSeconds = attributionWindowSeconds
    }
}

/// The global caps on messages per user, over all campaigns.
public struct GlobalCaps: Hashable, Sendable, Codable {
    public var perUserPerDay: Int?
    public var perUserPerWeek: Int?

    public init(perUserPerDay: Int? = nil, perUserPerWeek: Int? = nil) {
        self.perUserPerDay = perUserPerDay
        self.perUserPerWeek = perUserPerWeek
    }
}

/// A view-model field computed from another before rendering: the `default`, capitalization and date
/// formatting that Liquid and Handlebars have as filters. Mustache has no filters, so a formula declares
///
/// ```yaml
/// derive:
///   name: { from: first_name, case: capitalized, default: friend }
///   sale_ends: { from: sale_end, date: "d MMMM" }
/// ```
///
/// and its templates use `{{name}}` and `{{sale_ends}}`. A derived field with a default is never missing,
/// so an alternate that uses it is always available.
public struct DerivedField: Hashable, Sendable, Codable {
    /// The new field's name.
    public var name: String
    /// The dotted path of the value it is computed from (`first_name`, `cart.value`).
    public var source: String
    /// The text used when the source is missing or empty.
    public var defaultText: String?
    public var textCase: TextCase?
    /// A date pattern (Unicode TR 35, as `DateFormatter` reads it, in the `en_US_POSIX` locale) applied
    /// to a source holding an ISO-8601 date (`2026-11-27`) or time (`2026-11-27T10:00:00Z`).
    public var datePattern: String?

    public init(
        name: String,
        source: String,
        defaultText: String? = nil,
        textCase: TextCase? = nil,
        datePattern: String? = nil
    ) {
        self.name = name
        self.source = source
        self.defaultText = defaultText
        self.textCase = textCase
        self.datePattern = datePattern
    }

    /// A change of letter case.
    public enum TextCase: String, Hashable, Sendable, CaseIterable, Codable {
        /// The first letter of each word upper case, the rest lower case (`mary-ann` → `Mary-Ann`).
        case capitalized
        case uppercase
        case lowercase
    }
}

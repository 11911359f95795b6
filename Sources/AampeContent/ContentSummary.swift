internal import AampeStore

/// What `aampectl content show` prints: label sets, formulas with their variant counts, goals and
/// campaigns with their rules in words. Encodes to JSON with snake_case keys.
public struct ContentSummary: Codable, Hashable, Sendable {
    public var labelSets: [LabelSetSummary]
    public var formulas: [FormulaSummary]
    public var goals: [GoalSummary]
    public var campaigns: [CampaignSummary]
    public var caps: CapsSummary

    public struct LabelSetSummary: Codable, Hashable, Sendable {
        public var name: String
        public var labels: [String]
        public var builtIn: Bool
        enum CodingKeys: String, CodingKey {
            case name, labels
            case builtIn = "built_in"
        }
    }

    public struct FormulaSummary: Codable, Hashable, Sendable {
        public var name: String
        public var channel: String
        /// `block (label set): n alternates`, in block order.
        public var blocks: [BlockSummary]
        public var variants: Int
    }

    public struct BlockSummary: Codable, Hashable, Sendable {
        public var name: String
        public var labelSet: String
        public var labels: [String]
        enum CodingKeys: String, CodingKey {
            case name, labels
            case labelSet = "label_set"
        }
    }

    public struct GoalSummary: Codable, Hashable, Sendable {
        public var name: String
        public var events: [String]
        public var valueField: String?
        public var attributionWindowSeconds: Int64
        enum CodingKeys: String, CodingKey {
            case name, events
            case valueField = "value_field"
            case attributionWindowSeconds = "attribution_window_seconds"
        }
    }

    public struct CampaignSummary: Codable, Hashable, Sendable {
        public var name: String
        public var goal: String
        public var formulas: [String]
        public var audience: String
        public var trigger: String
        public var dates: String?
        public var frequencyPer7Days: Int?
        public var quietHours: String
        public var recommendations: String?
        public var smsMaxParts: Int
        enum CodingKeys: String, CodingKey {
            case name, goal, formulas, audience, trigger, dates, recommendations
            case frequencyPer7Days = "frequency_per_7_days"
            case quietHours = "quiet_hours"
            case smsMaxParts = "sms_max_parts"
        }
    }

    public struct CapsSummary: Codable, Hashable, Sendable {
        public var perUserPerDay: Int?
        public var perUserPerWeek: Int?
        enum CodingKeys: String, CodingKey {
            case perUserPerDay = "per_user_per_day"
            case perUserPerWeek = "per_user_per_week"
        }
    }

    enum CodingKeys: String, CodingKey {
        case formulas, goals, campaigns, caps
        case labelSets = "label_sets"
    }

    public init(_ content: Content) {
        labelSets = content.labelSets.map { LabelSetSummary(name: $0.name, labels: $0.labels, builtIn: $0.isBuiltIn) }
        formulas = content.formulas.map { formula in
            FormulaSummary(
                name: formula.name,
                channel: formula.channel.rawValue,
                blocks: formula.blocks.map {
                    BlockSummary(name: $0.name, labelSet: $0.labelSet, labels: $0.alternates.map(\.label))
                },
                variants: formula.variantCount
            )
        }
        goals = content.goals.map {
            GoalSummary(
                name: $0.name,
                events: $0.events,
                valueField: $0.valueField,
                attributionWindowSeconds: $0.attributionWindowSeconds
            )
        }
        campaigns = content.campaigns.map { campaign in
            CampaignSummary(
                name: campaign.name,
                goal: campaign.goal,
                formulas: campaign.formulas,
                audience: Self.describe(campaign.audience),
                trigger: campaign.trigger.map(Self.describe) ?? "none",
                dates: campaign.dateRange.map { "\($0.first) to \($0.last)" },
                frequencyPer7Days: campaign.maximumPerUserPer7Days,
                quietHours: Self.describe(campaign.quietHours),
                recommendations: campaign.recommendations.map(Self.describe),
                smsMaxParts: campaign.maximumSMSParts
            )
        }
        caps = CapsSummary(perUserPerDay: content.caps.perUserPerDay, perUserPerWeek: content.caps.perUserPerWeek)
    }

    /// The summary as terminal text.
    public var text: String {
        var lines: [String] = ["label sets:"]
        for set in labelSets {
            let labels =
                set.builtIn ? "\(set.labels.count) send windows (built in)" : set.labels.joined(separator: ", ")
            lines.append("  \(set.name): \(labels)")
        }
        lines.append("formulas:")
        for formula in formulas {
            let blocks = formula.blocks.map { "\($0.name) (\($0.labelSet)) × \($0.labels.count)" }.joined(
                separator: ", "
            )
            lines.append(
                "  \(formula.name) [\(formula.channel)]: \(formula.variants) variants\(blocks.isEmpty ? "" : " = " + blocks)"
            )
        }
        lines.append("goals:")
        for goal in goals {
            let value = goal.valueField.map { ", value from \($0)" } ?? ""
            lines.append(
                "  \(goal.name): \(goal.events.joined(separator: ", "))\(value), within \(Self.describe(seconds: goal.attributionWindowSeconds))"
            )
        }
        lines.append("campaigns:")
        for campaign in campaigns {
            lines.append(
                "  \(campaign.name): goal \(campaign.goal); formulas \(campaign.formulas.joined(separator: ", "))"
            )
            lines.append("    audience: \(campaign.audience)")
            lines.append("    trigger: \(campaign.trigger)")
            if let dates = campaign.dates { lines.append("    dates: \(dates)") }
            if let frequency = campaign.frequencyPer7Days {
                lines.append("    at most \(frequency) per user per 7 days")
            }
            lines.append("    quiet hours: \(campaign.quietHours)")
            if let recommendations = campaign.recommendations {
                lines.append("    recommendations: \(recommendations)")
            }
        }
        let day = caps.perUserPerDay.map(String.init) ?? "none"
        let week = caps.perUserPerWeek.map(String.init) ?? "none"
        lines.append("caps: per user per day \(day), per week \(week)")
        return lines.joined(separator: "\n")
    }

    static func describe(_ audience: AudienceRule) -> String {
        var parts: [String] = []
        if !audience.countries.isEmpty { parts.append("countries " + audience.countries.joined(separator: ", ")) }
        if !audience.languages.isEmpty { parts.append("languages " + audience.languages.joined(separator: ", ")) }
        if !audience.requiredConsent.isEmpty {
            parts.append("consent to " + audience.requiredConsent.map(\.rawValue).joined(separator: " or "))
        }
        for condition in audience.conditions {
            switch condition.test {
            case .exists(let exists): parts.append("\(condition.attribute) \(exists ? "is set" : "is not set")")
            case .isOneOf(let values): parts.append("\(condition.attribute) in [\(values.joined(separator: ", "))]")
            case .isNoneOf(let values):
                parts.append("\(condition.attribute) not in [\(values.joined(separator: ", "))]")
            case .atLeast(let number): parts.append("\(condition.attribute) ≥ \(ViewValue.format(number))")
            case .atMost(let number): parts.append("\(condition.attribute) ≤ \(ViewValue.format(number))")
            }
        }
        return parts.isEmpty ? "everyone" : parts.joined(separator: "; ")
    }

    static func describe(_ trigger: TriggerRule) -> String {
        switch trigger {
        case .event(let name, let delay, let cancelling):
            let cancel = cancelling.isEmpty ? "" : ", unless " + cancelling.joined(separator: " or ") + " happens first"
            return "\(name), after \(describe(seconds: delay))\(cancel)"
        case .inactivity(let event, let duration):
            return "no \(event) for \(describe(seconds: duration))"
        }
    }

    static func describe(_ quiet: QuietHours) -> String {
        quiet.startMinute == quiet.endMinute
            ? "none"
            : "\(twoDigits(quiet.startMinute / 60)):\(twoDigits(quiet.startMinute % 60)) to \(twoDigits(quiet.endMinute / 60)):\(twoDigits(quiet.endMinute % 60)) local time"
    }

    static func describe(_ slot: RecommendationSlot) -> String {
        var text = "\(slot.count) items"
        if !slot.categories.isEmpty { text += " from " + slot.categories.joined(separator: ", ") }
        if slot.isInStockOnly { text += ", in stock" }
        for (name, values) in slot.attributes.sorted(by: { $0.key < $1.key }) {
            text += ", \(name) in [\(values.joined(separator: ", "))]"
        }
        return text
    }

    /// A duration as the YAML writes it: days from 4 days up, else hours, minutes or seconds.
    static func describe(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        if seconds % 86_400 == 0, seconds > 3 * 86_400 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

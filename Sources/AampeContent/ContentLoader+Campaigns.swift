internal import AampeCore
internal import AampeStore
internal import Yams

extension ContentBuilder {
    static let campaignKeys = [
        "goal", "formulas", "audience", "trigger", "dates", "frequency_per_7_days", "quiet_hours", "recommendations",
        "sms_max_parts",
    ]

    func readCampaigns(_ node: Node, _ reader: YAMLReader) {
        guard let campaigns = reader.mapping(node, "campaigns") else { return }
        for entry in campaigns {
            let field = "campaigns." + entry.name
            guard reader.name(entry.key, field) != nil,
                isNew(
                    entry.name,
                    kind: "campaign",
                    existing: self.campaigns[entry.name]?.site,
                    at: entry.key,
                    reader,
                    field
                ),
                let keys = reader.mapping(
                    entry.value,
                    field,
                    allowed: Self.campaignKeys,
                    required: ["goal", "formulas"]
                )
            else { continue }
            var goal = ""
            if let goalNode = keys["goal"]?.value, let name = reader.name(goalNode, field + ".goal") {
                goal = name
                references.append(
                    Reference(kind: .goal, name: name, site: reader.site(goalNode), field: field + ".goal")
                )
            }
            var formulas: [String] = []
            if let formulasNode = keys["formulas"]?.value,
                let values = reader.stringList(formulasNode, field + ".formulas")
            {
                for (index, (name, nameNode)) in values.enumerated() {
                    let formulaField = "\(field).formulas[\(index)]"
                    guard reader.name(nameNode, formulaField) != nil else { continue }
                    formulas.append(name)
                    references.append(
                        Reference(kind: .formula, name: name, site: reader.site(nameNode), field: formulaField)
                    )
                }
            }
            let audience =
                keys["audience"].map { readAudience($0.value, reader, field + ".audience") } ?? AudienceRule()
            let trigger = keys["trigger"].flatMap { readTrigger($0.value, reader, field + ".trigger") }
            let dates = keys["dates"].flatMap { readDates($0.value, reader, field + ".dates") }
            let frequency = keys["frequency_per_7_days"].flatMap {
                reader.int($0.value, field + ".frequency_per_7_days", in: 1...1_000)
            }
            var quietHours = QuietHours.default
            if let quietNode = keys["quiet_hours"]?.value {
                if quietNode.scalar?.string == "none" {
                    quietHours = QuietHours(startMinute: 0, endMinute: 0)
                } else if let quietKeys = reader.mapping(
                    quietNode,
                    field + ".quiet_hours",
                    allowed: ["from", "until"],
                    required: ["from", "until"]
                ),
                    let from = quietKeys["from"].flatMap({ reader.minuteOfDay($0.value, field + ".quiet_hours.from") }),
                    let until = quietKeys["until"].flatMap({
                        reader.minuteOfDay($0.value, field + ".quiet_hours.until")
                    })
                {
                    quietHours = QuietHours(startMinute: from, endMinute: until)
                }
            }
            let recommendations = keys["recommendations"].flatMap {
                readSlot($0.value, reader, field + ".recommendations")
            }
            let smsParts =
                keys["sms_max_parts"].flatMap {
                    reader.int($0.value, field + ".sms_max_parts", in: 1...Limits.maximumSMSParts)
                } ?? 1
            let campaign = Campaign(
                name: entry.name,
                goal: goal,
                formulas: formulas,
                audience: audience,
                trigger: trigger,
                dateRange: dates,
                maximumPerUserPer7Days: frequency,
                quietHours: quietHours,
                recommendations: recommendations,
                maximumSMSParts: smsParts
            )
            self.campaigns[entry.name] = (campaign, reader.site(entry.key))
        }
    }

    private func readAudience(_ node: Node, _ reader: YAMLReader, _ field: String) -> AudienceRule {
        var rule = AudienceRule()
        guard let keys = reader.mapping(node, field, allowed: ["countries", "languages", "consent", "attributes"])
        else {
            return rule
        }
        if let countries = keys["countries"].flatMap({ reader.stringList($0.value, field + ".countries") }) {
            for (index, (code, codeNode)) in countries.enumerated() {
                if code.count == 2, code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) {
                    rule.countries.append(code)
                } else {
                    reader.report(
                        codeNode,
                        "\(field).countries[\(index)]",
                        "expected an ISO 3166-1 alpha-2 country code in upper case (US, DE), found '\(code)'"
                    )
                }
            }
        }
        if let languages = keys["languages"].flatMap({ reader.stringList($0.value, field + ".languages") }) {
            rule.languages = languages.map(\.0)
        }
        if let channels = keys["consent"].flatMap({ reader.stringList($0.value, field + ".consent") }) {
            for (index, (name, nameNode)) in channels.enumerated() {
                if let channel = Channel(rawValue: name) {
                    rule.requiredConsent.append(channel)
                } else {
                    let names = Channel.allCases.map(\.rawValue)
                    reader.report(
                        nameNode,
                        "\(field).consent[\(index)]",
                        "unknown channel '\(name)'; expected one of: \(names.joined(separator: ", "))",
                        suggestion: NearestName.suggestion(for: name, among: names)
                    )
                }
            }
        }
        if let conditionsNode = keys["attributes"]?.value {
            guard let sequence = conditionsNode.sequence else {
                reader.report(
                    conditionsNode,
                    field + ".attributes",
                    "expected a list of conditions (- attribute: plan, in: [premium])"
                )
                return rule
            }
            for (index, item) in sequence.enumerated() {
                if let condition = readCondition(item, reader, "\(field).attributes[\(index)]") {
                    rule.conditions.append(condition)
                }
            }
        }
        return rule
    }

    private func readCondition(_ node: Node, _ reader: YAMLReader, _ field: String) -> AttributeCondition? {
        let tests = ["exists", "in", "not_in", "at_least", "at_most"]
        guard let keys = reader.mapping(node, field, allowed: ["attribute"] + tests, required: ["attribute"]),
            let attribute = keys["attribute"].flatMap({ reader.name($0.value, field + ".attribute") })
        else { return nil }
        let given = keys.filter { tests.contains($0.name) }
        guard given.count == 1, let test = given.first else {
            reader.report(
                node,
                field,
                "expected exactly one test of: \(tests.joined(separator: ", ")); found \(given.count)"
            )
            return nil
        }
        let path = field + "." + test.name
        switch test.name {
        case "exists":
            return reader.bool(test.value, path).map { AttributeCondition(attribute: attribute, test: .exists($0)) }
        case "in", "not_in":
            guard let values = reader.stringList(test.value, path) else { return nil }
            let texts = values.map(\.0)
            return AttributeCondition(
                attribute: attribute,
                test: test.name == "in" ? .isOneOf(texts) : .isNoneOf(texts)
            )
        default:
            guard let text = reader.string(test.value, path), let number = Double(text), number.isFinite else {
                reader.report(test.value, path, "expected a number")
                return nil
            }
            return AttributeCondition(
                attribute: attribute,
                test: test.name == "at_least" ? .atLeast(number) : .atMost(number)
            )
        }
    }

    /// `{event: add_to_cart, delay: 15m, cancelled_by: [checkout, purchase]}` or
    /// `{inactive: app_opened, for: 48h}`.
    private func readTrigger(_ node: Node, _ reader: YAMLReader, _ field: String) -> TriggerRule? {
        guard let keys = reader.mapping(node, field, allowed: ["event", "delay", "cancelled_by", "inactive", "for"])
        else {
            return nil
        }
        func event(_ entry: Entry, _ path: String) -> String? {
            guard let name = reader.name(entry.value, path) else { return nil }
            references.append(Reference(kind: .event, name: name, site: reader.site(entry.value), field: path))
            return name
        }
        switch (keys["event"], keys["inactive"]) {
        case (let eventEntry?, nil):
            for key in ["for"] where keys[key] != nil {
                reader.report(
                    keys[key]!.key,
                    field + "." + key,
                    "'for' goes with 'inactive'; an event trigger waits with 'delay'"
                )
            }
            let name = event(eventEntry, field + ".event")
            let delay = keys["delay"].flatMap { reader.durationSeconds($0.value, field + ".delay") } ?? 0
            var cancelling: [String] = []
            if let cancelNode = keys["cancelled_by"]?.value,
                let values = reader.stringList(cancelNode, field + ".cancelled_by")
            {
                for (index, (cancel, cancelNode)) in values.enumerated() {
                    let path = "\(field).cancelled_by[\(index)]"
                    guard reader.name(cancelNode, path) != nil else { continue }
                    references.append(Reference(kind: .event, name: cancel, site: reader.site(cancelNode), field: path))
                    cancelling.append(cancel)
                }
            }
            return name.map { .event(name: $0, delaySeconds: delay, cancellingEvents: cancelling) }
        case (nil, let inactiveEntry?):
            for key in ["delay", "cancelled_by"] where keys[key] != nil {
                reader.report(
                    keys[key]!.key,
                    field + "." + key,
                    "'\(key)' goes with 'event'; an inactivity trigger takes 'for'"
                )
            }
            let name = event(inactiveEntry, field + ".inactive")
            guard let forEntry = keys["for"] else {
                reader.report(
                    node,
                    field + ".for",
                    "missing required key 'for' (how long without the event, such as 48h)"
                )
                return nil
            }
            guard let seconds = reader.durationSeconds(forEntry.value, field + ".for") else { return nil }
            if seconds == 0 {
                reader.report(forEntry.value, field + ".for", "expected a duration above zero")
                return nil
            }
            return name.map { .inactivity(event: $0, durationSeconds: seconds) }
        case (.some, .some):
            reader.report(
                node,
                field,
                "expected either 'event' (with delay and cancelled_by) or 'inactive' (with for), not both"
            )
            return nil
        case (nil, nil):
            reader.report(node, field, "expected 'event' (such as add_to_cart) or 'inactive' (such as app_opened)")
            return nil
        }
    }

    private func readDates(_ node: Node, _ reader: YAMLReader, _ field: String) -> DateRange? {
        guard let keys = reader.mapping(node, field, allowed: ["from", "until"], required: ["from", "until"]),
            let from = keys["from"].flatMap({ reader.date($0.value, field + ".from") }),
            let untilEntry = keys["until"], let until = reader.date(untilEntry.value, field + ".until")
        else { return nil }
        guard until.daysSinceEpoch >= from.daysSinceEpoch else {
            reader.report(untilEntry.value, field + ".until", "expected a date on or after \(from), found \(until)")
            return nil
        }
        return DateRange(first: from, last: until)
    }

    private func readSlot(_ node: Node, _ reader: YAMLReader, _ field: String) -> RecommendationSlot? {
        guard
            let keys = reader.mapping(
                node,
                field,
                allowed: ["count", "categories", "in_stock", "attributes"],
                required: ["count"]
            ),
            let count = keys["count"].flatMap({
                reader.int($0.value, field + ".count", in: 1...Limits.maximumRecommendationSlotItems)
            })
        else { return nil }
        var slot = RecommendationSlot(count: count)
        slot.categories =
            keys["categories"].flatMap { reader.stringList($0.value, field + ".categories") }?.map(\.0) ?? []
        slot.isInStockOnly = keys["in_stock"].flatMap { reader.bool($0.value, field + ".in_stock") } ?? false
        if let attributesNode = keys["attributes"]?.value,
            let entries = reader.mapping(attributesNode, field + ".attributes")
        {
            for entry in entries {
                if let values = reader.stringList(entry.value, field + ".attributes." + entry.name) {
                    slot.attributes[entry.name] = values.map(\.0)
                }
            }
        }
        return slot
    }

    /// Refuses an SMS formula of a campaign any of whose variants takes more parts than the campaign
    /// allows with every variable empty: it could never be sent. Refuses a formula that shows `items`
    /// in a campaign without a recommendation slot: the items could never be there.
    func checkCampaigns() {
        for (campaign, site) in campaigns.values {
            if campaign.recommendations == nil {
                for name in campaign.formulas {
                    guard let (_, _, scans) = formulas[name] else { continue }
                    let scansUsed = scans.fields.map(\.scan) + scans.alternates.joined()
                    if scansUsed.contains(where: { $0.topLevelNames.contains("items") }) {
                        issues.report(
                            site,
                            "campaigns.\(campaign.name).recommendations",
                            "formula '\(name)' shows items, but the campaign has no recommendation slot; expected recommendations: { count: N }"
                        )
                    }
                }
            }
            for name in campaign.formulas {
                guard let (formula, _, scans) = formulas[name], formula.channel == .sms else { continue }
                var tooLong: [Int] = []
                var fewestParts = Int.max
                for variant in formula.variants {
                    let text = scans.staticFields(of: variant).map(\.text).joined()
                    let parts = SMSLength(text).parts
                    if parts > campaign.maximumSMSParts {
                        tooLong.append(variant.index)
                        fewestParts = min(fewestParts, parts)
                    }
                }
                if let first = tooLong.first {
                    issues.report(
                        site,
                        "campaigns.\(campaign.name).formulas",
                        "\(tooLong.count) variant(s) of SMS formula '\(name)' (first: variant \(first)) can never fit: at least \(fewestParts) parts of fixed text, sms_max_parts is \(campaign.maximumSMSParts)"
                    )
                }
            }
        }
    }
}

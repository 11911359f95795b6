import AampeContent
import Testing

/// `Fixtures/broken` holds one mistake of each kind. Loading it reports every one of them, in file and
/// position order, each with its file, line, column and field, what was expected, and the nearest known
/// name where the value looks misspelt. Nothing stops at the first error.
@Suite("Content validation errors")
struct ValidationErrorTests {
    static func issues() throws -> [ContentIssue] {
        ContentFixtures.issues(folder: try ContentFixtures.path("broken"))
    }

    /// Every expected line, exactly as `aampectl content validate` prints it.
    static let expected: [String] = [
        "campaigns.yaml:3:11: campaigns.cart.goal: unknown goal: 'purchases' (did you mean 'purchase'?)",
        "campaigns.yaml:4:23: campaigns.cart.formulas[1]: unknown formula: 'promo2'",
        "campaigns.yaml:6:19: campaigns.cart.audience.countries[0]: expected an ISO 3166-1 alpha-2 country code in upper case (US, DE), found 'de'",
        "campaigns.yaml:7:17: campaigns.cart.audience.consent[0]: unknown channel 'emial'; expected one of: email, sms, push (did you mean 'email'?)",
        "campaigns.yaml:9:14: campaigns.cart.trigger.event: unknown event (declared under 'events'): 'add_to_crat' (did you mean 'add_to_cart'?)",
        "campaigns.yaml:10:14: campaigns.cart.trigger.delay: expected a duration such as 30s, 15m, 48h or 7d (at most 366d), found '15 minutes'",
        "campaigns.yaml:12:42: campaigns.cart.quiet_hours.until: expected a local time HH:MM such as 22:00, found '7am'",
        "campaigns.yaml:16:14: campaigns.idle.trigger.for: missing required key 'for' (how long without the event, such as 48h)",
        "campaigns.yaml:17:39: campaigns.idle.dates.until: expected a date on or after 2026-12-01, found 2026-11-01",
        "campaigns.yaml:18:27: campaigns.idle.frequency_per_7_days: expected a whole number from 1 to 1000, found '0'",
        "formulas.yaml:3:14: formulas.promo.channel: unknown channel 'psuh'; expected one of: push, email, sms, in_app (did you mean 'push'?)",
        "formulas.yaml:7:11: formulas.short.body: unknown block 'ofer' in {{>ofer}}; the formula's blocks are: tone, offer, style (did you mean 'offer'?)",
        "formulas.yaml:12:20: formulas.short.blocks.tone.alternates[0].label: unknown label of 'tone' (playful, plain): 'playfull' (did you mean 'playful'?)",
        // The Mustache error's own wording comes from swift-mustache; its position and field are ours.
        "formulas.yaml:20:19: formulas.short.blocks.offer.alternates[0].text: invalid Mustache at template line 1, column ",
        "formulas.yaml:23:7: formulas.short.blocks.style: block 'tone' already uses label set 'tone'; a formula has at most one block per label set",
        "formulas.yaml:31:5: formulas.lonely.button: missing required key 'button'",
        "labels.yaml:4:9: label_sets.solo: a label set needs at least 2 labels, found 1",
        "labels.yaml:5:3: label_sets.timing: 'timing' is the built-in label set of send windows and is not declared",
        "labels.yaml:6:11: label_sets.style[0]: label 'plain' already belongs to label set 'tone'; a label belongs to exactly one set",
        "labels.yaml:10:14: goals.purchase.events[0]: unknown event (declared under 'events'): 'purchse' (did you mean 'purchase'?)",
        "labels.yaml:11:25: goals.purchase.attribution_window: expected a duration such as 30s, 15m, 48h or 7d (at most 366d), found '2 weeks'",
        "labels.yaml:12:1: cap: unknown key 'cap'; expected one of: label_sets, events, goals, formulas, campaigns, caps (did you mean 'caps'?)",
        "zz-dupe.yaml:2:3: goals.purchase: goal 'purchase' is already declared at labels.yaml:9:3",
    ]

    @Test("every mistake is reported once, with file:line:column, field, expectation and suggestion")
    func everyIssue() throws {
        let issues = try Self.issues()
        // bad.yaml's syntax error comes first; its wording and position are libyaml's.
        let syntax = try #require(issues.first)
        #expect(syntax.file == "bad.yaml")
        // libyaml notices the unclosed list at the ':' of the next line's key.
        #expect(syntax.description == "bad.yaml:3:9: invalid YAML: did not find expected ',' or ']'")
        let rest = issues.dropFirst().map(\.description)
        #expect(rest.count == Self.expected.count, "\(rest.joined(separator: "\n"))")
        for (line, expected) in zip(rest, Self.expected) {
            #expect(line.hasPrefix(expected))
        }
    }

    @Test("the nearest name is suggested only when it is a plausible typo")
    func suggestions() {
        #expect(ContentIssue(file: "a", line: 1, column: 1, field: "f", message: "m").description == "a:1:1: f: m")
        let labels = ["playful", "plain", "discount"]
        #expect(suggestion("playfull", labels) == "playful")
        #expect(suggestion("pla1n", labels) == "plain")
        #expect(suggestion("dicsount", labels) == "discount")  // two letters swapped: one edit
        #expect(suggestion("xyz", labels) == nil)
        #expect(suggestion("bold", labels) == nil)
    }

    private func suggestion(_ name: String, _ candidates: [String]) -> String? {
        ContentFixtures.issues(files: [
            (
                "l.yaml",
                "label_sets:\n  s: [\(candidates.joined(separator: ", "))]\nformulas:\n  f:\n    channel: sms\n    body: \"{{>b}}\"\n    blocks:\n      b:\n        label_set: s\n        alternates:\n          - { label: \(name), text: a }\n          - { label: \(candidates[0]), text: b }\n"
            )
        ]).first?.suggestion
    }
}

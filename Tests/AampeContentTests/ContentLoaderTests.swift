import AampeContent
import AampeCore
import AampeStore
import Testing

/// The valid fixture folder (`Fixtures/valid`) loads into exactly the declarations it holds: label sets
/// with the built-in timing set, goals with their defaults, formulas, campaigns and their rules.
@Suite("Content folder loading")
struct ContentLoaderTests {
    let content: Content

    init() throws {
        content = try ContentLoader.load(folder: try ContentFixtures.path("valid"))
    }

    @Test("label sets: the declared ones, sorted, after the built-in timing set of 35 windows")
    func labelSets() throws {
        #expect(content.labelSets.map(\.name) == ["timing", "greeting", "offer", "tone"])
        let timing = try #require(content.labelSet(named: "timing"))
        #expect(timing.isBuiltIn)
        #expect(timing.labels.count == 35)
        #expect(timing.labels.prefix(5) == ["mon_0700", "mon_1000", "mon_1300", "mon_1600", "mon_1900"])
        #expect(timing.labels.last == "sun_1900")
        #expect(Set(timing.labels).count == 35)
        #expect(content.labelSet(named: "offer")?.labels == ["discount", "quality", "speed"])
    }

    @Test("goals: value field, and the attribution window defaulting to 24 h")
    func goals() {
        #expect(
            content.goals == [
                Goal(name: "purchase", events: ["purchase"], valueField: "revenue", attributionWindowSeconds: 86_400),
                Goal(name: "return_to_app", events: ["app_opened"], valueField: nil, attributionWindowSeconds: 172_800),
            ]
        )
        #expect(content.caps == GlobalCaps(perUserPerDay: 2, perUserPerWeek: 7))
    }

    @Test("formulas: channel fields in the channel's order, blocks in file order, variant counts")
    func formulas() throws {
        #expect(content.formulas.map(\.name) == ["cart_push", "cart_sms", "sale_email", "welcome_in_app"])
        let push = try #require(content.formula(named: "cart_push"))
        #expect(push.channel == .push)
        #expect(push.fields.map(\.name) == ["title", "body", "deep_link"])
        #expect(push.blocks.map(\.name) == ["greeting", "offer"])
        #expect(push.blocks.map(\.labelSet) == ["greeting", "offer"])
        #expect(push.variantCount == 6)
        let email = try #require(content.formula(named: "sale_email"))
        #expect(email.fields.map(\.name) == ["subject", "preheader", "html_body", "text_body"])
        #expect(
            email.derivedFields == [
                DerivedField(name: "sale_ends", source: "sale_end", defaultText: "soon", datePattern: "d MMMM")
            ]
        )
        #expect(content.formula(named: "welcome_in_app")?.fields.map(\.name) == ["title", "body", "button"])
    }

    @Test("cart abandonment: add_to_cart, 15 minutes, cancelled by checkout or purchase; audience and slot")
    func cartAbandonment() throws {
        let campaign = try #require(content.campaigns.first { $0.name == "cart_abandonment" })
        #expect(
            campaign.trigger
                == .event(name: "add_to_cart", delaySeconds: 900, cancellingEvents: ["checkout", "purchase"])
        )
        #expect(campaign.goal == "purchase")
        #expect(campaign.formulas == ["cart_push", "cart_sms"])
        #expect(
            campaign.audience
                == AudienceRule(
                    countries: ["DE", "FR"],
                    languages: ["de", "fr"],
                    requiredConsent: [.push],
                    conditions: [
                        AttributeCondition(attribute: "plan", test: .isOneOf(["premium", "plus"])),
                        AttributeCondition(attribute: "age", test: .atLeast(18)),
                    ]
                )
        )
        #expect(campaign.maximumPerUserPer7Days == 3)
        #expect(campaign.recommendations == RecommendationSlot(count: 3, categories: ["shoes"], isInStockOnly: true))
        #expect(campaign.maximumSMSParts == 2)
        #expect(campaign.quietHours == .default)
        #expect(campaign.dateRange == nil)
    }

    @Test("inactivity: no app_opened for 48 hours; quiet hours as declared")
    func inactivity() throws {
        let campaign = try #require(content.campaigns.first { $0.name == "winback" })
        #expect(campaign.trigger == .inactivity(event: "app_opened", durationSeconds: 172_800))
        #expect(campaign.quietHours == QuietHours(startMinute: 21 * 60 + 30, endMinute: 8 * 60))
        #expect(campaign.maximumSMSParts == 1)
    }

    @Test("a time-limited sale: no trigger, a date range, default quiet hours 22:00 to 07:00")
    func dateRange() throws {
        let campaign = try #require(content.campaigns.first { $0.name == "black_friday" })
        #expect(campaign.trigger == nil)
        #expect(
            campaign.dateRange
                == DateRange(
                    first: CivilDate(year: 2026, month: 11, day: 27),
                    last: CivilDate(year: 2026, month: 11, day: 30)
                )
        )
        #expect(campaign.quietHours.contains(minuteOfDay: 22 * 60))
        #expect(campaign.quietHours.contains(minuteOfDay: 6 * 60 + 59))
        #expect(!campaign.quietHours.contains(minuteOfDay: 7 * 60))
        #expect(!campaign.quietHours.contains(minuteOfDay: 21 * 60 + 59))
    }

    @Test("loading the same folder twice gives equal content")
    func deterministic() throws {
        #expect(try ContentLoader.load(folder: try ContentFixtures.path("valid")) == content)
    }

    @Test("a missing folder is an outside failure, not a validation error")
    func missingFolder() {
        #expect(throws: ContentError.unreadable(path: "/nonexistent/content", reason: "no such folder")) {
            try ContentLoader.load(folder: "/nonexistent/content")
        }
    }
}

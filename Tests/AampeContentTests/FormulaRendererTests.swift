import AampeContent
import AampeCore
import Testing

/// Rendering the valid fixture's formulas: every variable source, fallbacks, derived fields,
/// unavailability, escaping per channel, and the channel limits on rendered text.
@Suite("Rendering")
struct FormulaRendererTests {
    let content: Content

    init() throws {
        content = try ContentLoader.load(folder: try ContentFixtures.path("valid"))
    }

    func renderer(_ name: String) throws -> FormulaRenderer {
        try FormulaRenderer(formula: try #require(content.formula(named: name)))
    }

    static let cart: [String: ViewValue] = ["cart": .object(["items": .number(3), "value": .number(59.9)])]
    static let items: [[String: ViewValue]] = [
        ["title": .text("Runner"), "price": .number(49.9)],
        ["title": .text("Sock"), "price": .number(5)],
    ]

    func render(
        _ renderer: FormulaRenderer,
        _ choices: [Int],
        _ data: RenderData,
        smsParts: Int = 1
    ) -> Result<RenderedMessage, Unavailability> {
        renderer.render(
            Variant(choices: choices, of: renderer.formula),
            for: renderer.viewModel(data),
            maximumSMSParts: smsParts
        )
    }

    @Test("profile, trigger event and recommendation slot variables all render")
    func variableSources() throws {
        let push = try renderer("cart_push")
        let data = RenderData(profile: ["first_name": .text("Ana")], event: Self.cart, items: Self.items)
        let message = try render(push, [0, 0], data).get()
        #expect(message.text(of: "title") == "Hi Ana, your cart misses you")
        #expect(message.text(of: "body") == "10% off the 3 items in it. Runner 49.9; Sock 5; ")
        #expect(message.text(of: "deep_link") == "shop://cart")
        // The event's properties are also under `event`.
        #expect(push.viewModel(data).value(at: "event.cart.value") == .number(59.9))
        #expect(message.variant == 0)
        #expect(message.channel == .push)
    }

    @Test("the slot's last item carries is_last, for separators without a trailing one")
    func lastItem() throws {
        let model = try renderer("cart_push").viewModel(RenderData(items: Self.items))
        guard case .list(let items)? = model.value(at: "items") else {
            Issue.record("no items in the view model")
            return
        }
        #expect(items.count == 2)
        #expect(items.first == .object(["title": .text("Runner"), "price": .number(49.9)]))
        #expect(items.last == .object(["title": .text("Sock"), "price": .number(5), "is_last": .bool(true)]))
    }

    @Test("the event's property fills a name the profile leaves empty; a profile value wins otherwise")
    func eventAndProfileNames() throws {
        let push = try renderer("cart_push")
        let empty = push.viewModel(RenderData(profile: ["first_name": .text("")], event: ["first_name": .text("Eve")]))
        #expect(empty.value(at: "first_name") == .text("Eve"))
        let both = push.viewModel(
            RenderData(profile: ["first_name": .text("Ana")], event: ["first_name": .text("Eve")])
        )
        #expect(both.value(at: "first_name") == .text("Ana"))
        #expect(both.value(at: "event.first_name") == .text("Eve"))
    }

    @Test("an alternate with a missing required variable is unavailable, never rendered with a hole")
    func unavailableAlternate() throws {
        let push = try renderer("cart_push")
        let anonymous = push.viewModel(RenderData())
        #expect(push.availableAlternates(anonymous) == [[1], [1, 2]])
        #expect(push.unavailability(anonymous) == nil)
        #expect(
            render(push, [0, 1], RenderData())
                == .failure(.missingVariables(part: "greeting/named", names: ["first_name"]))
        )
        #expect(
            render(push, [1, 0], RenderData())
                == .failure(.missingVariables(part: "offer/discount", names: ["cart.items"]))
        )
        #expect(try render(push, [1, 1], RenderData()).get().text(of: "title") == "Your cart misses you")
        // An empty or blank value is missing too.
        for blank in ["", "   "] {
            let data = RenderData(profile: ["first_name": .text(blank)])
            #expect(push.availableAlternates(push.viewModel(data)) == [[1], [1, 2]])
        }
    }

    @Test("a formula with a block whose alternates are all unavailable is unavailable")
    func unavailableFormula() throws {
        let yaml = """
            label_sets: { tone: [playful, plain] }
            formulas:
              f:
                channel: sms
                body: "{{>greeting}} Order {{order_id}}"
                blocks:
                  greeting:
                    label_set: tone
                    alternates:
                      - { label: playful, text: "Hey {{first_name}}!" }
                      - { label: plain, text: "Hello {{first_name}}." }
            """
        let formula = try #require(try ContentLoader.load(files: [("f.yaml", yaml)]).formula(named: "f"))
        let renderer = try FormulaRenderer(formula: formula)
        let noName = renderer.viewModel(RenderData(profile: ["order_id": .text("A1")]))
        #expect(renderer.unavailability(noName) == .noAvailableAlternate(block: "greeting"))
        let noOrder = renderer.viewModel(RenderData(profile: ["first_name": .text("Bo")]))
        #expect(renderer.unavailability(noOrder) == .missingVariables(part: "body", names: ["order_id"]))
        let both = RenderData(profile: ["first_name": .text("Bo"), "order_id": .text("A1")])
        #expect(
            try renderer.render(Variant(index: 1, of: formula), for: renderer.viewModel(both)).get().text(of: "body")
                == "Hello Bo. Order A1"
        )
    }

    @Test("sections give fallbacks; an empty value takes the fallback, not an empty greeting")
    func fallbacks() throws {
        let email = try renderer("sale_email")
        let favorite: [String: ViewValue] = ["favorite": .text("boots")]
        for (name, expected) in [("Ana", "<p>Hi Ana,</p>"), ("", "<p>Hi there,</p>"), (" ", "<p>Hi there,</p>")] {
            var profile = favorite
            profile["first_name"] = .text(name)
            let html = try render(email, [1], RenderData(profile: profile)).get().text(of: "html_body")
            #expect(html?.hasPrefix(expected) == true, "\(html ?? "nil")")
        }
        let noName = try render(email, [1], RenderData(profile: favorite)).get()
        #expect(noName.text(of: "html_body") == "<p>Hi there,</p><p>Quality boots</p>")
    }

    @Test("an empty recommendation list is missing: the inverted section's fallback renders")
    func emptyItems() throws {
        let yaml =
            "formulas:\n  f: { channel: sms, body: \"{{#items}}{{title}}, {{/items}}{{^items}}See the shop{{/items}}\" }\n"
        let renderer = try FormulaRenderer(
            formula: try #require(try ContentLoader.load(files: [("f.yaml", yaml)]).formula(named: "f"))
        )
        func body(_ items: [[String: ViewValue]]) throws -> String? {
            try renderer.render(
                Variant(index: 0, of: renderer.formula),
                for: renderer.viewModel(RenderData(items: items))
            ).get()
                .text(of: "body")
        }
        #expect(try body([]) == "See the shop")
        #expect(try body([["title": .text("")]]) == "See the shop")  // an item with nothing left is dropped
        #expect(try body(Self.items) == "Runner, Sock, ")
    }

    @Test("derived fields: default, capitalization, date formatting")
    func derivedFields() throws {
        let sms = try renderer("cart_sms")
        let named = RenderData(profile: ["first_name": .text("mary-ann")], event: Self.cart)
        #expect(
            try render(sms, [0], named).get().text(of: "body") == "Psst Mary-Ann! Your cart: 59.9 EUR. shop.example/c"
        )
        let anonymous = RenderData(event: Self.cart)
        #expect(
            try render(sms, [1], anonymous).get().text(of: "body") == "Hello there. Your cart: 59.9 EUR. shop.example/c"
        )

        let email = try renderer("sale_email")
        let profile: [String: ViewValue] = ["favorite": .text("boots")]
        var dated = profile
        dated["sale_end"] = .text("2026-11-30")
        #expect(try render(email, [0], RenderData(profile: dated)).get().text(of: "preheader") == "Ends 30 November")
        dated["sale_end"] = .text("2026-11-30T23:00:00Z")
        #expect(try render(email, [0], RenderData(profile: dated)).get().text(of: "preheader") == "Ends 30 November")
        #expect(try render(email, [0], RenderData(profile: profile)).get().text(of: "preheader") == "Ends soon")
        dated["sale_end"] = .text("not a date")
        #expect(try render(email, [0], RenderData(profile: dated)).get().text(of: "preheader") == "Ends soon")
    }

    @Test("HTML escaping applies to an email's HTML body only")
    func escaping() throws {
        let risky = "Tom & Jerry <3 \"quoted\""
        let email = try renderer("sale_email")
        let message = try render(email, [0], RenderData(profile: ["favorite": .text(risky)])).get()
        #expect(
            message.text(of: "html_body")
                == "<p>Hi there,</p><p>Save on Tom &amp; Jerry &lt;3 &quot;quoted&quot; & more</p>"
        )
        #expect(message.text(of: "subject") == "Save on Tom & Jerry <3 \"quoted\" & more")
        #expect(message.text(of: "text_body") == "Save on Tom & Jerry <3 \"quoted\" & more")

        let push = try renderer("cart_push")
        let pushed = try render(push, [0, 1], RenderData(profile: ["first_name": .text(risky)])).get()
        #expect(pushed.text(of: "title") == "Hi Tom & Jerry <3 \"quoted\", your cart misses you")

        let sms = try renderer("cart_sms")
        let texted = try render(sms, [0], RenderData(profile: ["first_name": .text("<b>")], event: Self.cart)).get()
        #expect(texted.text(of: "body")?.hasPrefix("Psst <B>!") == true)

        let yaml =
            "formulas:\n  f: { channel: in_app, title: \"{{title}}\", body: \"{{{title}}} {{&title}}\", button: Go }\n"
        let inApp = try FormulaRenderer(
            formula: try #require(try ContentLoader.load(files: [("f.yaml", yaml)]).formula(named: "f"))
        )
        let shown = try inApp.render(
            Variant(index: 0, of: inApp.formula),
            for: inApp.viewModel(RenderData(profile: ["title": .text("a<b>&c")]))
        ).get()
        #expect(shown.text(of: "title") == "a<b>&c")
        #expect(shown.text(of: "body") == "a<b>&c a<b>&c")
    }

    @Test("push payload: exactly maximumPushPayloadBytes renders, one byte more is unavailable")
    func pushLimit() throws {
        let yaml = "formulas:\n  f: { channel: push, title: T, body: \"{{{text}}}\" }\n"
        let renderer = try FormulaRenderer(
            formula: try #require(try ContentLoader.load(files: [("f.yaml", yaml)]).formula(named: "f"))
        )
        // {"body":"…","title":"T"} is the body's bytes plus 23.
        func render(bodyBytes: Int) -> Result<RenderedMessage, Unavailability> {
            let data = RenderData(profile: ["text": .text(String(repeating: "x", count: bodyBytes))])
            return renderer.render(Variant(index: 0, of: renderer.formula), for: renderer.viewModel(data))
        }
        #expect((try? render(bodyBytes: Limits.maximumPushPayloadBytes - 23).get()) != nil)
        #expect(render(bodyBytes: Limits.maximumPushPayloadBytes - 22) == .failure(.pushPayloadTooLarge(bytes: 4_097)))
    }

    @Test("SMS parts: a rendered text over the campaign's parts is unavailable for that user")
    func smsLimit() throws {
        let sms = try renderer("cart_sms")
        // The fixed text is "Psst ! Your cart:  EUR. shop.example/c" (38 characters) plus the name and value.
        let short = RenderData(profile: ["first_name": .text("Al")], event: Self.cart)
        #expect(try render(sms, [0], short).get().text(of: "body")?.count == 44)
        let long = RenderData(profile: ["first_name": .text(String(repeating: "n", count: 200))], event: Self.cart)
        #expect(render(sms, [0], long, smsParts: 1) == .failure(.tooManySMSParts(parts: 2, maximum: 1)))
        #expect((try? render(sms, [0], long, smsParts: 2).get()) != nil)
    }

    @Test("a variant that can never fit its channel is refused at validation time")
    func neverFits() throws {
        let fixed = String(repeating: "x", count: 170)
        let yaml = """
            label_sets: { tone: [playful, plain] }
            goals: { g: { events: [purchase] } }
            formulas:
              s:
                channel: sms
                body: "{{>tone}}{{#name}}{{name}}{{/name}}"
                blocks:
                  tone:
                    label_set: tone
                    alternates:
                      - { label: playful, text: "\(fixed)" }
                      - { label: plain, text: "short {{name}}" }
              p:
                channel: push
                title: "\(String(repeating: "y", count: 4_100))"
                body: b
            campaigns:
              c: { goal: g, formulas: [s] }
              c2: { goal: g, formulas: [s], sms_max_parts: 2 }
            """
        do {
            #expect(
                ContentFixtures.issues(files: [("f.yaml", yaml)]).map(\.description) == [
                    "f.yaml:14:5: formulas.p: 1 variant(s) (first: variant 0) can never fit a push payload: at least 4123 bytes of fixed text, at most 4096",
                    "f.yaml:18:3: campaigns.c.formulas: 1 variant(s) of SMS formula 's' (first: variant 0) can never fit: at least 2 parts of fixed text, sms_max_parts is 1",
                ]
            )
        }
    }
}

import AampeContent
import Foundation
import Testing

/// The simulator's example content (`tools/simulator/content`) validates, uses the simulator's label
/// sets, and renders for a simulated-looking user.
@Suite("Example content for the simulator")
struct ExampleContentTests {
    static var folder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/simulator/content").path
    }

    @Test("validates, with the simulator's label sets (Vocabulary.labelSets) and 6 variants per formula")
    func validates() throws {
        let content = try ContentLoader.load(folder: Self.folder)
        #expect(content.labelSet(named: "value_proposition")?.labels == ["discount", "quality", "speed"])
        #expect(content.labelSet(named: "tone")?.labels == ["playful", "plain"])
        #expect(content.knownEvents == ["add_to_cart", "app_opened", "checkout", "product_viewed", "purchase"])
        #expect(content.formulas.map(\.variantCount) == [6, 6, 6, 6])
        #expect(content.campaigns.map(\.name) == ["cart_abandonment", "weekly_picks", "winback"])
    }

    @Test("the weekly picks email renders, escaped in HTML only")
    func picksEmail() throws {
        let content = try ContentLoader.load(folder: Self.folder)
        let data = RenderData(
            profile: ["first_name": .text("Ada")],
            items: [["title": .text("Dune & more"), "price": .number(14.5), "url": .text("https://s.example/i1")]]
        )
        let lines = try ContentPreview.preview(content, formula: "picks_email", data: data, selection: .index(1))
        let message = try #require(try lines.first?.outcome.get())
        #expect(message.text(of: "subject") == "Hand-picked for you")
        #expect(message.text(of: "preheader") == "Dune & more")
        #expect(
            message.text(of: "html_body")
                == "<p>Hey Ada, we found treasure!</p><ul><li><a href=\"https://s.example/i1\">Dune &amp; more</a> 14.5</li></ul> <p>Hand-picked for you</p>"
        )
        #expect(message.text(of: "text_body") == "Hey Ada, we found treasure!\n- Dune & more 14.5\nHand-picked for you")
        // An item without a URL is listed without a link, never with an empty href.
        let noURL = RenderData(profile: [:], items: [["title": .text("Dune"), "price": .number(9)]])
        let plain = try #require(
            try ContentPreview.preview(content, formula: "picks_email", data: noURL, selection: .index(0)).first?
                .outcome.get()
        )
        #expect(plain.text(of: "html_body")?.contains("<ul><li>Dune 9</li></ul>") == true)
    }
}

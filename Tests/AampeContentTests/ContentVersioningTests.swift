import AampeContent
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// `content apply`: a new version only when something changed, variant identity that survives added
/// alternates, archiving instead of deleting, reviving, and dry runs that write nothing.
@Suite("Content versions")
struct ContentVersioningTests {
    let content: Content
    let store: Store

    init() throws {
        content = try ContentLoader.load(folder: try ContentFixtures.path("valid"))
        store = try Store.inMemory()
    }

    /// `content` with one more alternate in cart_push's offer block.
    func withExtraOffer(_ content: Content) throws -> Content {
        var content = content
        let formula = try #require(content.formulas.firstIndex { $0.name == "cart_push" })
        content.formulas[formula].blocks[1].alternates.append(Alternate(label: "speed", template: "Here tomorrow."))
        return content
    }

    @Test("the first apply adds every formula and variant; the same content again is a no-op")
    func idempotent() throws {
        let first = try ContentVersioning.apply(content, to: store, isDryRun: false)
        #expect(first.version == 1)
        #expect(!first.isUnchanged)
        #expect(first.addedFormulas == ["cart_push", "cart_sms", "sale_email", "welcome_in_app"])
        #expect(first.addedVariants.count == 12)
        #expect(first.addedVariants.first == "cart_push: greeting=named,offer=discount")
        #expect(first.archivedVariants.isEmpty && first.changedFormulas.isEmpty && first.archivedFormulas.isEmpty)

        let again = try ContentVersioning.apply(content, to: store, isDryRun: false)
        #expect(again == ContentChanges(version: nil, isUnchanged: true))
        #expect(try store.content.latestVersion()?.id == 1)
        #expect(try store.content.variantCounts() == (12, 0))
        // Loading the folder again gives the same version too.
        let reloaded = try ContentLoader.load(folder: try ContentFixtures.path("valid"))
        #expect(try ContentVersioning.apply(reloaded, to: store, isDryRun: false).isUnchanged)
    }

    @Test("an added alternate changes the formula and adds only the new variants")
    func addedAlternate() throws {
        _ = try ContentVersioning.apply(content, to: store, isDryRun: false)
        let changes = try ContentVersioning.apply(try withExtraOffer(content), to: store, isDryRun: false)
        #expect(changes.version == 2)
        #expect(changes.changedFormulas == ["cart_push"])
        #expect(changes.addedFormulas.isEmpty)
        #expect(
            changes.addedVariants == [
                "cart_push: greeting=named,offer=speed", "cart_push: greeting=anonymous,offer=speed",
            ]
        )
        #expect(changes.archivedVariants.isEmpty)
        #expect(try store.content.variantCounts() == (14, 0))
    }

    @Test("dropped variants and formulas are archived, never deleted, and revived when they return")
    func archiving() throws {
        _ = try ContentVersioning.apply(content, to: store, isDryRun: false)
        var smaller = content
        smaller.formulas.removeAll { $0.name == "welcome_in_app" }
        let dropped = try ContentVersioning.apply(smaller, to: store, isDryRun: false)
        #expect(dropped.archivedFormulas == ["welcome_in_app"])
        #expect(dropped.archivedVariants == ["welcome_in_app: tone=plain", "welcome_in_app: tone=playful"])
        #expect(try store.content.variantCounts() == (10, 2))

        let back = try ContentVersioning.apply(content, to: store, isDryRun: false)
        #expect(back.version == 3)
        #expect(back.addedFormulas == ["welcome_in_app"])
        #expect(back.addedVariants == ["welcome_in_app: tone=playful", "welcome_in_app: tone=plain"])
        #expect(try store.content.variantCounts() == (12, 0))
    }

    @Test("a dry run says what would change and writes nothing")
    func dryRun() throws {
        let planned = try ContentVersioning.apply(content, to: store, isDryRun: true)
        #expect(planned.version == nil)
        #expect(!planned.isUnchanged)
        #expect(planned.addedVariants.count == 12)
        #expect(try store.content.latestVersion() == nil)
        #expect(try store.content.variantCounts() == (0, 0))

        _ = try ContentVersioning.apply(content, to: store, isDryRun: false)
        let edit = try ContentVersioning.apply(try withExtraOffer(content), to: store, isDryRun: true)
        #expect(edit.changedFormulas == ["cart_push"])
        #expect(edit.addedVariants.count == 2)
        #expect(try store.content.latestVersion()?.id == 1)
        #expect(try store.content.variantCounts() == (12, 0))
    }

    @Test("a version's document is the content's canonical JSON, which decodes to the same content")
    func document() throws {
        let changes = try ContentVersioning.apply(content, to: store, isDryRun: false)
        let version = try #require(changes.version)
        let document = try #require(try store.content.document(ofVersion: version))
        let decoded = try JSONDecoder().decode(Content.self, from: Data(document.utf8))
        #expect(decoded == content)
    }
}

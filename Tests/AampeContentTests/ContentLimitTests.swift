import AampeContent
import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// The content limits not covered elsewhere, each at its value and one past it: file size and file count
/// of a folder, SMS parts a campaign may allow, items a recommendation slot may ask for.
@Suite("Content limits")
struct ContentLimitTests {
    static let minimal = "formulas:\n  f: { channel: sms, body: Hi }\n"

    @Test("a content file of maximumContentFileBytes loads; one byte more is refused, naming the file")
    func fileBytes() throws {
        let folder = try TemporaryFolder()
        let padding = Limits.maximumContentFileBytes - Self.minimal.utf8.count - 2
        let text = "#" + String(repeating: "x", count: padding) + "\n" + Self.minimal
        #expect(text.utf8.count == Limits.maximumContentFileBytes)
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder.child("big.yaml")))
        #expect(ContentFixtures.issues(folder: folder.path).isEmpty)

        try Data((text + " ").utf8).write(to: URL(fileURLWithPath: folder.child("big.yaml")))
        #expect(
            ContentFixtures.issues(folder: folder.path).map(\.description) == [
                "big.yaml:1:1: the file has 4194305 bytes; a content file may have at most 4194304"
            ]
        )
    }

    @Test("a folder of maximumContentFiles YAML files loads; one more is refused")
    func fileCount() throws {
        let folder = try TemporaryFolder()
        for index in 0..<Limits.maximumContentFiles {
            try Data("events: [e\(index)]\n".utf8).write(to: URL(fileURLWithPath: folder.child("f\(index).yaml")))
        }
        #expect(ContentFixtures.issues(folder: folder.path).isEmpty)
        try Data("events: [extra]\n".utf8).write(to: URL(fileURLWithPath: folder.child("extra.yaml")))
        let issues = ContentFixtures.issues(folder: folder.path)
        #expect(issues.map(\.message) == ["the folder holds more than 1000 YAML files"])
    }

    static func campaign(_ settings: String) -> [(path: String, text: String)] {
        [
            (
                "c.yaml",
                Self.minimal
                    + "goals: { g: { events: [purchase] } }\ncampaigns:\n  c: { goal: g, formulas: [f], \(settings) }\n"
            )
        ]
    }

    @Test("sms_max_parts: maximumSMSParts is accepted, one more is refused")
    func smsParts() throws {
        let content = try ContentLoader.load(files: Self.campaign("sms_max_parts: \(Limits.maximumSMSParts)"))
        #expect(content.campaigns.first?.maximumSMSParts == 10)
        #expect(
            ContentFixtures.issues(files: Self.campaign("sms_max_parts: 11")).map(\.description) == [
                "c.yaml:5:47: campaigns.c.sms_max_parts: expected a whole number from 1 to 10, found '11'"
            ]
        )
    }

    @Test("recommendation slot count: maximumRecommendationSlotItems is accepted, one more is refused")
    func slotItems() throws {
        let content = try ContentLoader.load(files: Self.campaign("recommendations: { count: 20 }"))
        #expect(content.campaigns.first?.recommendations?.count == Limits.maximumRecommendationSlotItems)
        #expect(
            ContentFixtures.issues(files: Self.campaign("recommendations: { count: 21 }")).map(\.description) == [
                "c.yaml:5:58: campaigns.c.recommendations.count: expected a whole number from 1 to 20, found '21'"
            ]
        )
    }
}

/// Checks between a campaign and its formulas.
@Suite("Campaign and formula checks")
struct CampaignFormulaCheckTests {
    static func files(slot: String) -> [(path: String, text: String)] {
        let text = """
            formulas:
              f: { channel: sms, body: "{{#items}}{{title}} {{/items}}{{^items}}See the shop{{/items}}" }
            goals: { g: { events: [purchase] } }
            campaigns:
              c: { goal: g, formulas: [f]\(slot) }
            """
        return [("c.yaml", text)]
    }

    @Test("a formula that shows items needs a campaign with a recommendation slot")
    func itemsNeedASlot() {
        #expect(
            ContentFixtures.issues(files: Self.files(slot: "")).map(\.description) == [
                "c.yaml:5:3: campaigns.c.recommendations: formula 'f' shows items, but the campaign has no recommendation slot; expected recommendations: { count: N }"
            ]
        )
        #expect(ContentFixtures.issues(files: Self.files(slot: ", recommendations: { count: 3 }")).isEmpty)
    }
}

/// Folder reading and error collection details.
@Suite("Content folder details")
struct ContentFolderDetailTests {
    @Test("hidden files and folders (.git, .github) are not read")
    func hiddenSkipped() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.child(".github"), withIntermediateDirectories: true)
        try Data("not: [content".utf8).write(to: URL(fileURLWithPath: folder.child(".github/ci.yml")))
        try Data("not: [content".utf8).write(to: URL(fileURLWithPath: folder.child(".draft.yaml")))
        try Data("formulas:\n  f: { channel: sms, body: Hi }\n".utf8).write(
            to: URL(fileURLWithPath: folder.child("a.yaml"))
        )
        #expect(try ContentLoader.load(folder: folder.path).formulas.map(\.name) == ["f"])
    }

    @Test("a formula with an unknown channel still has its blocks checked")
    func unknownChannelStillChecksBlocks() {
        let yaml = """
            label_sets: { tone: [playful, plain] }
            formulas:
              f:
                channel: pigeon
                body: "{{>b}}"
                blocks:
                  b: { label_set: tone, alternates: [ { label: playful, text: a } ] }
            """
        #expect(
            ContentFixtures.issues(files: [("f.yaml", yaml)]).map(\.description) == [
                "f.yaml:4:14: formulas.f.channel: unknown channel 'pigeon'; expected one of: push, email, sms, in_app",
                "f.yaml:7:41: formulas.f.blocks.b.alternates: a block needs at least 2 alternates, found 1",
            ]
        )
    }
}

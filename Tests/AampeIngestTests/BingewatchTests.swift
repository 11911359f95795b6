import AampeCore
import AampeEvents
import AampeIngest
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// The Bingewatch sample (AWS's Personalize + Pinpoint example, MIT-0) from `../shared/data/bingewatch/`
/// beside the checkout, imported unchanged.
enum BingewatchData {
    static let folder: String = {
        // Tests/AampeIngestTests/BingewatchTests.swift → the package root → its sibling `shared/`.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/data/bingewatch").path
    }()
    static var isAvailable: Bool { FileManager.default.fileExists(atPath: folder + "/interactions.csv") }
}

@Suite(
    "Bingewatch data",
    .enabled(if: BingewatchData.isAvailable, "Bingewatch data not found at ../shared/data/bingewatch; skipped")
)
struct BingewatchTests {
    static let folder = BingewatchData.folder

    let temporary: TemporaryFolder
    let directory: DataDirectory
    let store: Store
    let events: EventStore

    init() throws {
        temporary = try TemporaryFolder()
        directory = DataDirectory(path: temporary.child("data"))
        store = try directory.initialize().store
        events = EventStore(dataDirectory: directory, store: store)
    }

    func importInteractions() throws -> ImportSummary {
        var options = EventImportOptions()
        options.now = Timestamp(secondsSinceEpoch: 1_795_305_600)  // 2026-11-22T00:00:00Z
        return try EventImporter(events: events, options: options).run(paths: [Self.folder + "/interactions.csv"])
    }

    @Test("Personalize interactions: 1,500 rows, all accepted, 100 users and 100 items, read as personalize")
    func interactions() throws {
        let summary = try importInteractions()
        #expect(summary.files.map(\.format) == ["personalize"])
        #expect(summary.totals.rowsRead == 1_500)
        #expect(summary.totals.accepted == 1_500)
        #expect(summary.totals.duplicates == 0)
        #expect(summary.totals.rejected == 0)
        #expect(summary.totals.newUsers == 100)
        #expect(summary.totals.newItems == 100)
        #expect(summary.quarantinePath == nil)
        let keys = try store.ingestion.keyDictionaries()
        #expect(keys.eventTypes == ["Watch"])
        var ratings: Set<Double> = []
        try events.forEachEvent { event in
            if let value = event.value { ratings.insert(value) }
        }
        #expect(ratings == [1, 2, 3, 4, 5])
    }

    @Test("the 87 repeated (user, item) pairs are separate watches at different times, so all are kept")
    func repeatedPairs() throws {
        _ = try importInteractions()
        var byPair: [String: [Timestamp]] = [:]
        try events.forEachEvent { event in
            byPair[event.userID + "/" + (event.itemID ?? ""), default: []].append(event.timestamp)
        }
        let repeated = byPair.filter { $0.value.count > 1 }
        #expect(repeated.count == 87)
        #expect(repeated.values.reduce(0) { $0 + $1.count - 1 } == 89)
        // Each repeat has its own timestamp: the content fingerprint tells them apart.
        #expect(repeated.values.allSatisfy { Set($0).count == $0.count })
    }

    @Test("importing the interactions again adds nothing and reports 1,500 duplicates")
    func reimport() throws {
        _ = try importInteractions()
        let again = try importInteractions()
        #expect(again.totals.accepted == 0)
        #expect(again.totals.duplicates == 1_500)
        #expect(try store.ingestion.eventSegments().reduce(0) { $0 + $1.rows } == 1_500)
    }

    @Test("items: quoted titles with commas, pipe-separated genres, release year kept as an attribute")
    func items() throws {
        let summary = try AttributeImporter(events: events, subject: .catalog, options: AttributeImportOptions())
            .run(paths: [Self.folder + "/items.csv"])
        #expect(summary.totals.rowsRead == 100)
        #expect(summary.totals.accepted == 100)
        #expect(summary.totals.rejected == 0)
        let second = try #require(try store.ingestion.catalogItem(externalID: "2"))
        #expect(second.title == "N Word, The")
        #expect(second.attributeValues["genres"] == ["Documentary"])
        let seventh = try #require(try store.ingestion.catalogItem(externalID: "7"))
        #expect(seventh.title == "Stuff, The")
        #expect(seventh.attributeValues["genres"] == ["Comedy", "Horror", "Mystery", "Sci-Fi"])
        #expect(seventh.attributesJSON.contains("\"GENRES\":[\"Comedy\",\"Horror\",\"Mystery\",\"Sci-Fi\"]"))
        #expect(seventh.attributesJSON.contains("\"RELEASE_YEAR\":\"2003\""))
        let first = try #require(try store.ingestion.catalogItem(externalID: "1"))
        #expect(first.attributeValues["genres"] == ["Crime", "Drama"])
        let titleWithParentheses = try #require(try store.ingestion.catalogItem(externalID: "28"))
        #expect(titleWithParentheses.title == "To Have, or Not (En avoir (ou pas))")
    }

    @Test("Personalize users and Pinpoint endpoints: emails, consent from OptOut, attributes")
    func users() throws {
        let importer = AttributeImporter(events: events, subject: .users, options: AttributeImportOptions())
        let users = try importer.run(paths: [Self.folder + "/users.csv"])
        #expect(users.files.map(\.format) == ["personalize"])
        #expect(users.totals.accepted == 100)
        #expect(users.totals.rejected == 0)
        let personalize = try #require(try store.ingestion.profile(externalID: "1"))
        // The Personalize users file carries no consent column: the address is kept, without consent.
        #expect(
            personalize.channels == [
                ChannelAddress(channel: .email, address: "success1@simulator.amazonses.com", hasConsent: false)
            ]
        )
        #expect(personalize.attributesJSON.contains("\"GENDER\":\"Female\""))

        let endpoints = try importer.run(paths: [Self.folder + "/pinpoint_endpoints.csv"])
        #expect(endpoints.files.map(\.format) == ["pinpoint"])
        // 100 endpoint rows: the file has 100 lines because its last row has no line break.
        #expect(endpoints.totals.rowsRead == 100)
        #expect(endpoints.totals.accepted == 100)
        #expect(endpoints.totals.newUsers == 0)
        let pinpoint = try #require(try store.ingestion.profile(externalID: "1"))
        // No OptOut column means Pinpoint's default, NONE: the user has not opted out.
        #expect(
            pinpoint.channels == [
                ChannelAddress(channel: .email, address: "success+1@simulator.amazonses.com", hasConsent: true)
            ]
        )
        #expect(pinpoint.attributesJSON.contains("\"Gender\":\"Female\""))
        #expect(pinpoint.attributesJSON.contains("\"Age\":\"21\""))
    }
}

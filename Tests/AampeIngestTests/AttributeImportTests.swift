import AampeCore
import AampeIngest
import AampeStore
import Foundation
import Testing

/// `aampectl import users` and `aampectl import catalog` against small fixtures: typed fields stored,
/// one invalid row per typed field rejected and quarantined.
@Suite("Users and catalog imports")
struct AttributeImportTests {
    @Test("a users CSV stores typed fields and rejects one row per invalid field")
    func usersCSV() throws {
        let harness = try ImportHarness()
        let summary = try harness.importAttributes([try Fixture.path("users/users.csv")], subject: .users)
        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.format == "csv")
        #expect(file.rowsRead == 8)
        #expect(file.accepted == 3)
        #expect(file.rejectedByReason == ["invalid_field": 4, "missing_id": 1])
        #expect(summary.totals.newUsers == 3)
        #expect(
            try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" } == [
                "4 invalid_field", "5 invalid_field", "6 invalid_field", "7 invalid_field", "8 missing_id",
            ]
        )

        let ada = try #require(try harness.store.ingestion.profile(externalID: "u1"))
        #expect(ada.country == "GB")
        #expect(ada.language == "en-GB")
        #expect(ada.timeZone == "Europe/London")
        #expect(ada.firstName == "Ada")
        #expect(ada.channels == [ChannelAddress(channel: .email, address: "ada@example.com", hasConsent: true)])
        #expect(ada.attributesJSON == #"{"plan":"pro"}"#)

        let grace = try #require(try harness.store.ingestion.profile(externalID: "u2"))
        #expect(grace.country == "US")
        #expect(grace.language == "en-US")
        #expect(grace.timeZone == "America/New_York")
        #expect(grace.channels == [ChannelAddress(channel: .email, address: "grace@example.com", hasConsent: false)])

        // No consent column value: the address is kept, without consent.
        let hedy = try #require(try harness.store.ingestion.profile(externalID: "u7"))
        #expect(hedy.channels == [ChannelAddress(channel: .email, address: "hedy@example.com", hasConsent: false)])

        for rejected in ["u3", "u4", "u5", "u6"] {
            #expect(try harness.store.ingestion.profile(externalID: rejected) == nil, "\(rejected)")
        }
    }

    @Test("Segment identify lines update profiles from their traits")
    func usersSegmentIdentify() throws {
        let harness = try ImportHarness()
        let summary = try harness.importAttributes([try Fixture.path("users/identify.jsonl")], subject: .users)
        let file = try #require(summary.files.first)
        #expect(file.format == "segment")
        #expect(file.rowsRead == 4)
        #expect(file.accepted == 2)
        #expect(file.rejectedByReason == ["invalid_field": 1, "missing_id": 1])
        #expect(
            try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" } == [
                "2 invalid_field", "3 missing_id",
            ]
        )

        let ada = try #require(try harness.store.ingestion.profile(externalID: "u1"))
        #expect(ada.country == "GB")
        #expect(ada.language == "en-GB")
        #expect(ada.firstName == "Ada")
        #expect(ada.channels == [ChannelAddress(channel: .email, address: "ada@example.com", hasConsent: true)])
        #expect(ada.attributesJSON == #"{"plan":"pro"}"#)

        let third = try #require(try harness.store.ingestion.profile(externalID: "u3"))
        #expect(third.timeZone == "Asia/Tokyo")
        #expect(third.attributesJSON == #"{"tags":"a|b"}"#)
        #expect(try harness.store.ingestion.profile(externalID: "u2") == nil)
    }

    @Test("importing the users file again changes no profile and adds no user")
    func usersReimport() throws {
        let harness = try ImportHarness()
        let path = try Fixture.path("users/users.csv")
        _ = try harness.importAttributes([path], subject: .users)
        let before = try harness.store.ingestion.profile(externalID: "u1")
        let again = try harness.importAttributes([path], subject: .users)
        #expect(again.totals.accepted == 3)
        #expect(again.totals.newUsers == 0)
        #expect(try harness.store.ingestion.profile(externalID: "u1") == before)
    }

    @Test("a catalog CSV stores price, stock, a quoted title with a comma and a pipe multi-value")
    func catalogCSV() throws {
        let harness = try ImportHarness()
        let summary = try harness.importAttributes([try Fixture.path("catalog/items.csv")], subject: .catalog)
        let file = try #require(summary.files.first)
        #expect(file.error == nil)
        #expect(file.rowsRead == 5)
        #expect(file.accepted == 2)
        #expect(file.rejectedByReason == ["not_a_number": 1, "invalid_field": 1, "missing_id": 1])
        #expect(summary.totals.newItems == 2)
        #expect(
            try harness.quarantine(of: summary).map { "\($0.line) \($0.reason)" }
                == ["4 not_a_number", "5 invalid_field", "6 missing_id"]
        )

        let western = try #require(try harness.store.ingestion.catalogItem(externalID: "i1"))
        #expect(western.title == "The Good, the Bad and the Ugly")
        #expect(western.category == "Movies")
        #expect(western.price == 9.99)
        #expect(western.isInStock == true)
        #expect(western.url == "https://example.com/i1")
        #expect(western.attributeValues["genres"] == ["Adventure", "Western"])
        #expect(western.attributeValues["category"] == ["Movies"])
        #expect(western.attributesJSON == #"{"GENRES":["Western","Adventure"]}"#)

        let alien = try #require(try harness.store.ingestion.catalogItem(externalID: "i2"))
        #expect(alien.isInStock == false)
        #expect(alien.price == 12.5)
        #expect(alien.url == nil)
        #expect(alien.attributeValues["genres"] == ["Horror", "Sci-Fi"])

        #expect(try harness.store.ingestion.catalogItem(externalID: "i3") == nil)
        #expect(try harness.store.ingestion.catalogItem(externalID: "i4") == nil)
    }
}

import AampeCore
import AampeOutbox
import AampeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("An outbox batch file")
struct OutboxBatchTests {
    static func record(_ user: String, start: Int64, end: Int64) -> OutboxRecord {
        OutboxRecord(
            user: user,
            campaign: "weekly_picks",
            formula: "picks_email",
            variant: 3,
            labels: ["tone=plain", "value_proposition=discount"],
            channel: .email,
            address: user + "@example.com",
            fields: [.init(name: "subject", text: "Hi \u{1F} there"), .init(name: "text_body", text: "")],
            items: ["i1", "item, with comma", ""],
            windowStart: Timestamp(rawValue: start),
            windowEnd: Timestamp(rawValue: end),
            propensity: 0.25,
            mode: "conditioned",
            weeklyWindow: 34
        )
    }

    @Test("round-trips every field of every record, any text included")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        var records = (0..<5).map { Self.record("u\($0)", start: Int64($0) * 10, end: Int64($0) * 10 + 5) }
        records[2].mode = "preferential"
        records[4].channel = .inApp
        records[4].fields = []
        records[4].items = []
        try OutboxBatch.write(records, to: folder.child("messages.seg"), createdAt: Timestamp(rawValue: 0))
        let batch = try OutboxBatch(path: folder.child("messages.seg"), batch: 7)
        #expect(batch.count == 5)
        #expect(try (0..<5).map { try batch.record(at: $0) } == records)
        #expect(try batch.stateMachineMessages().map(\.windowEnd.rawValue) == [5, 15, 25, 35, 45])
        #expect(records[0].subject == "Hi \u{1F} there")
        #expect(records[0].body == "")
    }

    @Test("refuses a record whose window does not end after it starts, and writes nothing")
    func emptyWindow() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("messages.seg")
        #expect(
            throws: OutboxError.invalidWindow(
                message: 1,
                windowStart: .init(rawValue: 9),
                windowEnd: .init(rawValue: 9)
            )
        ) {
            try OutboxBatch.write(
                [Self.record("a", start: 0, end: 1), Self.record("b", start: 9, end: 9)],
                to: path,
                createdAt: Timestamp(rawValue: 0)
            )
        }
        #expect(access(path, F_OK) != 0)
    }

    @Test("a message id is its batch and row")
    func messageID() {
        let id = OutboxMessageID(batch: 3, row: 7)
        #expect(id.rawValue == 3 << 32 | 7)
        #expect(id.batch == 3 && id.row == 7)
        #expect(OutboxMessageID(rawValue: UInt64.max).batch == UInt32.max)
    }

    @Test("a string list that runs past its value is refused")
    func damagedStrings() throws {
        var bytes = OutboxBatch.encodeStrings(["abc", "de"])
        #expect(throws: (any Error).self) { try OutboxBatch.decodeStrings(Array(bytes.dropLast())) }
        bytes.append(0)
        #expect(throws: (any Error).self) { try OutboxBatch.decodeStrings(bytes) }
        #expect(try OutboxBatch.decodeStrings(OutboxBatch.encodeStrings([])) == [])
    }
}

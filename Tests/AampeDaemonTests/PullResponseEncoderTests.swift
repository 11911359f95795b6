import AampeCore
import AampeOutbox
import AampeProtocol
import AampeTestSupport
import Foundation
import SwiftProtobuf
import Testing

@testable import AampeDaemon

/// The hand-written PULL encoder gives SwiftProtobuf's bytes for the same messages, empty and default
/// fields, negative instants, long texts and odd characters included.
@Suite("PULL response encoder")
struct PullResponseEncoderTests {
    static func records() -> [OutboxRecord] {
        let start = Timestamp(iso8601: "2026-10-30T00:00:00Z")!
        var records: [OutboxRecord] = []
        var random = SplitMix64(state: 42)
        for row in 0..<200 {
            let pick = Int(random.next() % 7)
            records.append(
                OutboxRecord(
                    user: pick == 0 ? "" : "user-\(row)-" + String(repeating: "é", count: Int(random.next() % 90)),
                    campaign: pick == 1 ? "" : "spring",
                    formula: "f\(row)",
                    variant: pick == 2 ? 0 : Int(random.next() % 5_000),
                    labels: pick == 3 ? [] : ["tone=plain", "", "value=\u{1F600}"],
                    channel: OutboxChannel.allCases[row % 4],
                    address: pick == 4 ? "" : "a\(row)@example.com",
                    fields: pick == 5
                        ? []
                        : [
                            .init(name: row % 3 == 0 ? "title" : "subject", text: "Hi"), .init(name: "", text: ""),
                            .init(name: row % 3 == 0 ? "text_body" : "body", text: String(repeating: "x", count: 300)),
                            .init(name: "subject", text: "a later subject"), .init(name: "body", text: ""),
                        ],
                    items: pick == 6 ? [] : ["i1", ""],
                    windowStart: row == 7 ? Timestamp(rawValue: -5) : row == 8 ? Timestamp(rawValue: 0) : start,
                    windowEnd: start.adding(microseconds: Int64(row) * 1_000_000 + 1),
                    propensity: row % 9 == 0 ? 0 : row % 9 == 1 ? -0.0 : Double(row) / 7,
                    mode: row % 2 == 0 ? "conditioned" : "preferential",
                    weeklyWindow: 3
                )
            )
        }
        return records
    }

    @Test("encodes exactly what SwiftProtobuf encodes")
    func matchesSwiftProtobuf() throws {
        let records = Self.records()
        let temporary = try TemporaryFolder()
        try OutboxBatch.write(records, to: temporary.child("messages.seg"), createdAt: Timestamp(rawValue: 0))
        let batch = try OutboxBatch(path: temporary.child("messages.seg"), batch: 3)
        let leases = records.indices.map { row in
            OutboxService.LeasedMessage(
                batch: batch,
                lease: MessageStateMachine.Lease(
                    message: MessageIndex(row),
                    token: LeaseToken(rawValue: row == 5 ? 0 : UInt64(row) * 1_000_003),
                    until: Timestamp(rawValue: row == 6 ? -1 : Int64(row) * 77),
                    attempt: row % 4
                )
            )
        }
        for now in [Int64(0), -3, 1_793_318_400_000_000] {
            var expected = Aampe_V1_PullResponse()
            expected.messages = try leases.map(DaemonRequestHandler.message)
            expected.nowMicros = now
            let bytes = try DaemonRequestHandler.pullResponseBytes(leases, now: Timestamp(rawValue: now))
            #expect(bytes == (try expected.serializedBytes() as [UInt8]))
            #expect(try Aampe_V1_PullResponse(serializedBytes: bytes) == expected)
        }
        let empty = try DaemonRequestHandler.pullResponseBytes([], now: Timestamp(rawValue: 0))
        #expect(empty.isEmpty)
    }
}

import AampeClient
import AampeCore
import AampeOutbox
import AampeProtocol
import AampeTestSupport
import Foundation
import Testing

/// PULL, ACK, CLOCK and REQUEUE against a real aamped over a batch written with `OutboxBatch.write`, on a
/// simulated clock, through `aampectl outbox` and the client; restarts with SIGKILL.
///
/// The batch (number 7, so message ids are 7 << 32 | row = 30064771072 + row), with T = 2026-10-30T00:00Z:
///
/// | row | user | channel | window |
/// |---|---|---|---|
/// | 0 | u0 | email | T ..< T+3h |
/// | 1 | u1 | push | T ..< T+2h (ends first: handed out first) |
/// | 2 | u2 | sms | T+5h ..< T+8h (not due at T) |
@Suite("the outbox served by aamped", .serialized)
struct OutboxServingTests {
    static let start = Timestamp(iso8601: "2026-10-30T00:00:00Z")!
    static let hour: Int64 = 3_600_000_000
    static let batch: UInt32 = 7
    static func id(_ row: UInt32) -> UInt64 { OutboxMessageID(batch: batch, row: row).rawValue }

    static func record(
        _ row: Int,
        channel: OutboxChannel,
        from: Int64,
        to: Int64,
        start: Timestamp = start
    ) -> OutboxRecord {
        OutboxRecord(
            user: "u\(row)",
            campaign: "cart",
            formula: "nudge",
            variant: 3,
            labels: ["tone=plain"],
            channel: channel,
            address: "u\(row)@example.com",
            fields: [
                .init(name: "subject", text: "Hi \"u\(row)\""), .init(name: "body", text: "Your cart\nmisses you"),
            ],
            items: ["i1"],
            windowStart: start.adding(microseconds: from * hour),
            windowEnd: start.adding(microseconds: to * hour),
            propensity: 0.25,
            mode: "conditioned",
            weeklyWindow: 4
        )
    }

    /// The table's three messages, with T = `start`.
    static func records(start: Timestamp = start) -> [OutboxRecord] {
        [
            record(0, channel: .email, from: 0, to: 3, start: start),
            record(1, channel: .push, from: 0, to: 2, start: start),
            record(2, channel: .sms, from: 5, to: 8, start: start),
        ]
    }

    /// Writes `records` as batch 7 of the data directory.
    static func writeBatch(_ directory: DataDirectory, _ records: [OutboxRecord] = records()) throws {
        let folder = OutboxFolder(path: directory.outboxPath)
        try FileManager.default.createDirectory(atPath: folder.folder(of: batch), withIntermediateDirectories: true)
        try OutboxBatch.write(records, to: folder.messagesPath(of: batch), createdAt: start)
    }

    static let clockArguments = ["--simulated-clock", "2026-10-30T00:00:00Z"]

    static func daemon(config: String? = nil) throws -> DaemonProcess {
        try DaemonProcess(
            arguments: clockArguments,
            prepare: { directory, folder in
                try writeBatch(directory)
                if let config { try config.write(toFile: folder + "/aamped.yaml", atomically: true, encoding: .utf8) }
            },
            argumentsAfterPrepare: { folder in config == nil ? [] : ["--config", folder + "/aamped.yaml"] }
        )
    }

    static func client(_ daemon: DaemonProcess) -> AampeClient {
        AampeClient(configuration: .init(address: .unix(path: daemon.socketPath)))
    }

    static func ack(
        _ message: UInt64,
        _ token: UInt64,
        _ status: Aampe_V1_Acknowledgement.Status,
        reason: String = ""
    )
        -> Aampe_V1_Acknowledgement
    {
        var acknowledgement = Aampe_V1_Acknowledgement()
        acknowledgement.messageID = message
        acknowledgement.leaseToken = token
        acknowledgement.status = status
        acknowledgement.reason = reason
        return acknowledgement
    }

    static func aampectl(_ daemon: DaemonProcess, _ arguments: [String], input: String? = nil) throws -> Product.Result
    {
        var arguments = arguments + ["--data-dir", daemon.dataDirectory.path]
        if let input {
            let path = daemon.folder + "/acks-\(UUID().uuidString.prefix(6)).jsonl"
            try input.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--file", path]
        }
        return try Aampectl.run(arguments)
    }

    @Test("aampectl outbox pull prints due messages, earliest window end first, as exact JSON lines; ack settles them")
    func pullAndAckThroughAampectl() throws {
        let daemon = try Self.daemon()
        let pulled = try Self.aampectl(
            daemon,
            ["outbox", "pull", "--consumer", "mailer", "--maximum", "10", "--lease-seconds", "60"]
        )
        #expect(pulled.status == 0, "\(pulled.output)")
        let lines = pulled.standardOutput.split(separator: "\n").map(String.init)
        // Row 2's window has not opened; row 1's window ends first.
        #expect(lines.count == 2)
        #expect(
            lines.first
                == #"{"message_id":"30064771073","lease_token":"1","lease_until":"2026-10-30T00:01:00Z","attempt":1,"user":"u1","campaign":"cart","formula":"nudge","variant":3,"labels":["tone=plain"],"channel":"push","address":"u1@example.com","subject":"Hi \"u1\"","body":"Your cart\nmisses you","fields":{"subject":"Hi \"u1\"","body":"Your cart\nmisses you"},"items":["i1"],"window_start":"2026-10-30T00:00:00Z","window_end":"2026-10-30T02:00:00Z","propensity":0.25,"mode":"conditioned"}"#
        )
        #expect(lines.last?.hasPrefix(#"{"message_id":"30064771072","lease_token":"2","#) == true)

        let acks = """
            {"message_id":"30064771073","lease_token":"1","status":"delivered"}
            {"message_id":"30064771072","lease_token":"2","status":"failed","reason":"bounced"}
            {"message_id":"30064771073","lease_token":"1","status":"delivered"}
            {"message_id":"30064771072","lease_token":"2","status":"delivered"}
            {"message_id":"30064771073","lease_token":"9","status":"delivered"}
            {"message_id":"99","lease_token":"1","status":"delivered"}

            """
        let acked = try Self.aampectl(daemon, ["outbox", "ack"], input: acks)
        #expect(acked.status == 0, "\(acked.output)")
        let results = acked.standardOutput.split(separator: "\n").map(String.init)
        #expect(results.count == 6)
        #expect(results[0] == #"{"message_id":"30064771073","lease_token":"1","code":0,"result":"acknowledged"}"#)
        #expect(results[1] == #"{"message_id":"30064771072","lease_token":"2","code":0,"result":"acknowledged"}"#)
        #expect(
            results[2] == #"{"message_id":"30064771073","lease_token":"1","code":0,"result":"already_acknowledged"}"#
        )
        #expect(
            results[3].hasPrefix(
                #"{"message_id":"30064771072","lease_token":"2","code":22,"result":"conflicting_ack","#
            )
        )
        #expect(
            results[4].hasPrefix(#"{"message_id":"30064771073","lease_token":"9","code":20,"result":"stale_lease","#)
        )
        #expect(results[5].hasPrefix(#"{"message_id":"99","lease_token":"1","code":23,"result":"unknown_message","#))

        // Nothing due is left; status, read from the files, agrees with the daemon.
        let again = try Self.aampectl(
            daemon,
            ["outbox", "pull", "--consumer", "mailer", "--maximum", "10", "--lease-seconds", "60"]
        )
        #expect(again.status == 0 && again.standardOutput.isEmpty)
        let status = try Self.aampectl(daemon, ["outbox", "status", "--json"])
        #expect(status.status == 0, "\(status.output)")
        let object = try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any]
        let total = object?["total"] as? [String: Int]
        #expect(total?["delivered"] == 1)
        #expect(total?["failed"] == 1)
        #expect(total?["pending"] == 1)
        #expect(total?["total"] == 3)

        // A malformed line is refused, naming it, before anything is sent.
        let bad = try Self.aampectl(
            daemon,
            ["outbox", "ack"],
            input: #"{"message_id":"1","lease_token":"1","status":"sent"}"# + "\n"
        )
        #expect(bad.status != 0)
        #expect(bad.output.contains("line 1: status: expected"))
    }

    @Test(
        "a lease lapses on the simulated clock: handed out again with a new token, the old one is stale; retry re-queues"
    )
    func leaseExpiryAndRetry() async throws {
        let daemon = try Self.daemon()
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        let first = try await client.pull(consumer: "a", maximum: 1, leaseSeconds: 60, channels: ["push"])
        #expect(first.messages.map(\.messageID) == [Self.id(1)])
        #expect(first.nowMicros == Self.start.rawValue)
        #expect(try await client.pull(consumer: "b", maximum: 1, leaseSeconds: 60, channels: ["push"]).messages.isEmpty)

        // 60 s later the lease has lapsed (it ends at T+60s exactly).
        #expect(try await client.clock(advanceMicros: 60_000_000).nowMicros == Self.start.rawValue + 60_000_000)
        let second = try await client.pull(consumer: "b", maximum: 1, leaseSeconds: 60, channels: ["push"])
        #expect(second.messages.map(\.messageID) == [Self.id(1)])
        #expect(second.messages.first?.attempt == 2)
        let firstToken = try #require(first.messages.first?.leaseToken)
        let secondToken = try #require(second.messages.first?.leaseToken)
        #expect(secondToken > firstToken)

        let stale = try await client.ack([Self.ack(Self.id(1), firstToken, .delivered)])
        #expect(stale.results.map(\.code) == [ErrorCode.staleLease.rawValue])
        let retried = try await client.ack([Self.ack(Self.id(1), secondToken, .retry, reason: "rate limited")])
        #expect(retried.results.map(\.code) == [0])
        #expect(retried.acknowledged == 1)
        let third = try await client.pull(consumer: "c", maximum: 1, leaseSeconds: 60, channels: ["push"])
        #expect(third.messages.first?.attempt == 3)
    }

    @Test("windows: a message is handed out only while its window is open, and expires when it closes")
    func windows() async throws {
        let daemon = try Self.daemon()
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        // At T+4h rows 0 and 1 have closed unsent; row 2 opens at T+5h.
        _ = try await client.clock(setMicros: Self.start.rawValue + 4 * Self.hour)
        #expect(try await client.pull(consumer: "a", maximum: 10, leaseSeconds: 60).messages.isEmpty)
        _ = try await client.clock(setMicros: Self.start.rawValue + 5 * Self.hour)
        let pulled = try await client.pull(consumer: "a", maximum: 10, leaseSeconds: 60)
        #expect(pulled.messages.map(\.messageID) == [Self.id(2)])
        let stats = try await client.stats()
        #expect(stats.outbox.expired == 2)
        #expect(stats.outbox.leased == 1)
        #expect(stats.clockIsSimulated)

        // Time never runs back.
        await #expect(throws: ClientError.self) { try await client.clock(setMicros: Self.start.rawValue) }
    }

    @Test("after SIGKILL, acked messages are not handed out again and leases survive with their tokens")
    func restart() async throws {
        let first = try Self.daemon()
        let before = Self.client(first)
        let pulled = try await before.pull(consumer: "a", maximum: 10, leaseSeconds: 600)
        #expect(pulled.messages.count == 2)
        let delivered = try await before.ack([Self.ack(Self.id(1), pulled.messages[0].leaseToken, .delivered)])
        #expect(delivered.acknowledged == 1)
        await before.close()

        let daemon = try first.restarted(hard: true, arguments: Self.clockArguments)
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        // Row 1 is delivered and row 0 still leased: nothing is due.
        #expect(try await client.pull(consumer: "b", maximum: 10, leaseSeconds: 600).messages.isEmpty)
        let repeated = try await client.ack([Self.ack(Self.id(1), pulled.messages[0].leaseToken, .delivered)])
        #expect(repeated.alreadyAcknowledged == 1)
        let settled = try await client.ack([Self.ack(Self.id(0), pulled.messages[1].leaseToken, .delivered)])
        #expect(settled.acknowledged == 1)
        // The lease would have lapsed at T+600s; past it, nothing comes back either.
        _ = try await client.clock(advanceMicros: 700_000_000)
        #expect(try await client.pull(consumer: "b", maximum: 10, leaseSeconds: 600).messages.isEmpty)
        #expect(daemon.log.contains("serving outbox batch 7: 3 messages"))
    }

    @Test("requeue --dead puts a message that spent its attempts back to pending; its old token stays stale")
    func requeueDead() async throws {
        let daemon = try Self.daemon(config: "outbox:\n  maximumAttempts: 1\n")
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        let pulled = try await client.pull(consumer: "a", maximum: 1, leaseSeconds: 60)
        let token = try #require(pulled.messages.first?.leaseToken)
        #expect(try await client.ack([Self.ack(Self.id(1), token, .retry, reason: "provider down")]).acknowledged == 1)
        #expect(try await client.stats().outbox.dead == 1)

        let requeued = try Self.aampectl(daemon, ["outbox", "requeue", "--dead"])
        #expect(requeued.status == 0, "\(requeued.output)")
        #expect(requeued.standardOutput == "requeued 1 dead messages; 0 stay dead (window closed).\n")
        let again = try await client.pull(consumer: "a", maximum: 1, leaseSeconds: 60)
        #expect(again.messages.map(\.messageID) == [Self.id(1)])
        #expect(again.messages.first?.attempt == 1)
        #expect(try await client.ack([Self.ack(Self.id(1), token, .delivered)]).results.map(\.code) == [20])
    }

    @Test("PULL and ACK limits: each at its maximum is accepted, one past it is INVALID_REQUEST naming the field")
    func limits() async throws {
        let daemon = try Self.daemon()
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        func expectInvalid(_ field: String, _ body: () async throws -> Void) async {
            do {
                try await body()
                Issue.record("\(field): accepted one past the limit")
            } catch ClientError.server(_, let code, let message) {
                #expect(code == .invalidRequest)
                #expect(message.hasPrefix(field), "\(message)")
            } catch {
                Issue.record("\(error)")
            }
        }
        let longest = String(repeating: "c", count: Limits.maximumConsumerNameBytes)
        _ = try await client.pull(
            consumer: longest,
            maximum: Limits.maximumMessagesPerPull,
            leaseSeconds: Limits.maximumLeaseSeconds
        )
        await expectInvalid("consumer") {
            _ = try await client.pull(consumer: longest + "c", maximum: 1, leaseSeconds: 1)
        }
        await expectInvalid("consumer") { _ = try await client.pull(consumer: "", maximum: 1, leaseSeconds: 1) }
        await expectInvalid("maximum_messages") {
            _ = try await client.pull(consumer: "a", maximum: Limits.maximumMessagesPerPull + 1, leaseSeconds: 1)
        }
        await expectInvalid("lease_seconds") {
            _ = try await client.pull(consumer: "a", maximum: 1, leaseSeconds: Limits.maximumLeaseSeconds + 1)
        }
        await expectInvalid("channels[1]") {
            _ = try await client.pull(consumer: "a", maximum: 1, leaseSeconds: 1, channels: ["push", "fax"])
        }

        let atLimit = (0..<Limits.maximumAcknowledgementsPerRequest).map { _ in Self.ack(Self.id(0), 1, .delivered) }
        #expect(try await client.ack(atLimit).results.count == Limits.maximumAcknowledgementsPerRequest)
        await expectInvalid("acknowledgements") { _ = try await client.ack(atLimit + [Self.ack(1, 1, .delivered)]) }
        let reason = String(repeating: "r", count: Limits.maximumAckReasonBytes)
        #expect(try await client.ack([Self.ack(Self.id(2), 1, .failed, reason: reason)]).results.count == 1)
        await expectInvalid("acknowledgements[1].reason") {
            _ = try await client.ack([Self.ack(1, 1, .delivered), Self.ack(1, 1, .failed, reason: reason + "r")])
        }
        await expectInvalid("acknowledgements[0].status") { _ = try await client.ack([Self.ack(1, 1, .unspecified)]) }

        // CLOCK moves a simulated clock at most ten years at once.
        let before = try await client.clock().nowMicros
        await expectInvalid("advance_micros") {
            _ = try await client.clock(advanceMicros: Limits.maximumClockAdvanceMicros + 1)
        }
        await expectInvalid("advance_micros") { _ = try await client.clock(advanceMicros: -1) }
        let moved = try await client.clock(advanceMicros: Limits.maximumClockAdvanceMicros)
        #expect(moved.nowMicros == before + Limits.maximumClockAdvanceMicros)
    }

    @Test("a daemon on the system clock refuses to move it")
    func systemClock() async throws {
        let daemon = try DaemonProcess(prepare: { directory, _ in try Self.writeBatch(directory) })
        let client = Self.client(daemon)
        defer { Task { await client.close() } }
        let read = try await client.clock()
        #expect(!read.isSimulated)
        do {
            _ = try await client.clock(advanceMicros: 1)
            Issue.record("moved the system clock")
        } catch ClientError.server(_, let code, let message) {
            #expect(code == .invalidRequest)
            #expect(message.contains("--simulated-clock"))
        }
    }
}

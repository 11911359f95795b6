import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// aamped retires a settled outbox batch: once every message is delivered, failed, dead or expired and
/// the last window ended `retireAfterHours` ago, it folds the final statuses into the message log and
/// deletes the batch, through real processes.
@Suite("Retiring settled outbox batches")
struct OutboxRetirementTests {
    static func run(_ arguments: [String]) throws -> Product.Result {
        let result = try Aampectl.run(arguments)
        #expect(result.status == 0, "\(arguments.prefix(3)): \(result.standardError)")
        return result
    }

    @Test("a settled batch leaves the outbox after its retention, its statuses kept in the message log")
    func retiresASettledBatch() throws {
        let daemon = try DaemonProcess(
            arguments: ["--simulated-clock", AssignCommandTests.asOf],
            prepare: { directory, folder in
                try AssignCommandTests.prepare(data: directory.path, folder: TemporaryFolder.wrapping(folder))
                try "outbox:\n  rescanMillis: 100\n  retireAfterHours: 1\n".write(
                    toFile: folder + "/aamped.yaml",
                    atomically: true,
                    encoding: .utf8
                )
                _ = try Self.run([
                    "assign", "--data-dir", directory.path, "--as-of", AssignCommandTests.asOf, "--control-share",
                    "0.0001", "--control-salt", AssignCommandTests.controlSalt,
                ])
            },
            argumentsAfterPrepare: { folder in ["--config", folder + "/aamped.yaml"] }
        )
        defer { daemon.stop() }
        let data = daemon.dataDirectory.path
        let batches = try FileManager.default.contentsOfDirectory(atPath: data + "/outbox")
        #expect(batches.count == 1, "\(batches)")
        let batch = try #require(batches.first)

        // One message is delivered; the others are never pulled, and expire when their windows close.
        let pulled = try Self.run([
            "outbox", "pull", "--data-dir", data, "--consumer", "test", "--maximum", "1", "--lease-seconds", "600",
        ])
        let message = try #require(
            try JSONSerialization.jsonObject(with: Data(pulled.standardOutput.utf8)) as? [String: Any]
        )
        let id = try #require(message["message_id"] as? String)
        let token = try #require(message["lease_token"] as? String)
        let acks = daemon.folder + "/acks.jsonl"
        try "{\"message_id\":\"\(id)\",\"lease_token\":\"\(token)\",\"status\":\"delivered\"}\n".write(
            toFile: acks,
            atomically: true,
            encoding: .utf8
        )
        _ = try Self.run(["outbox", "ack", "--data-dir", data, "--file", acks])

        // Settled but kept while its windows are open; past them and the hour kept, it goes.
        usleep(300_000)
        #expect(FileManager.default.fileExists(atPath: data + "/outbox/" + batch))
        _ = try Self.run(["outbox", "clock", "--data-dir", data, "--set", "2026-11-01T00:00:00Z"])
        // The batch folder is renamed to `<batch>.retired`, emptied and removed, and only then is the retirement
        // logged; waiting for the log line (not the folder) sees the whole step.
        let deadline = Date().addingTimeInterval(10)
        while !daemon.log.contains("retired outbox batch \(batch)"), Date() < deadline { usleep(50_000) }
        #expect(!FileManager.default.fileExists(atPath: data + "/outbox/" + batch), "\(daemon.log.suffix(2000))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/outbox").isEmpty)
        #expect(daemon.log.contains("retired outbox batch \(batch)"))

        // The message log has every final status: the delivered message and the expired rest.
        let statuses = try AssignCommandTests.sql(
            data,
            "SELECT status, COUNT(*) FROM message_log WHERE batch IS NOT NULL GROUP BY status ORDER BY status"
        )
        let messages = try AssignCommandTests.sql(data, "SELECT COUNT(*) FROM message_log WHERE batch IS NOT NULL")
        #expect(statuses == "delivered|1\nexpired|\((Int(messages) ?? 0) - 1)", "\(statuses)")

        // A late repeat of the ACK now names an unknown message; the outbox is empty.
        let again = try Aampectl.run(["outbox", "ack", "--data-dir", data, "--file", acks])
        #expect(again.standardOutput.contains("unknown_message"), "\(again.output)")
        let status = try Self.run(["outbox", "status", "--data-dir", data, "--json"]).standardOutput
        #expect(status.contains("\"total\" : 0"), "\(status)")
    }
}

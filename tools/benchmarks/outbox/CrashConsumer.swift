import AampeClient
import AampeProtocol
import Foundation
import Synchronization

/// tools/crash-outbox's consumer: several tasks pull and ack against an aamped that is killed with SIGKILL
/// at random moments, and log every answer they get, for the harness to check afterwards:
///
/// ```
/// P <message_id> <lease_token> <attempt>                  a PULL answer handed this message out
/// A <message_id> <lease_token> <status> <code> <repeated> an ACK answer settled (code 0) or refused it
/// ```
///
/// Lines are appended under one lock right after the answer arrives, before anything is sent that depends
/// on it, so the log's order is an order the server's decisions are consistent with. An ACK whose answer
/// was lost (the daemon died) is sent again after the restart, as a real consumer must. When nothing is
/// due, the simulated clock moves past the lease (30 s), so leases whose PULL answer was lost lapse and
/// their messages come back.
enum CrashConsumer {
    static let leaseSeconds = 30

    static func run(_ options: Options) async throws {
        let path = options.string("unix")
        let stopPath = options.string("stop")
        let log = try Log(path: options.string("log"))
        let consumers = options.int("consumers", default: 4)
        let finalJumpMicros = Int64(options.int("final-jump-hours", default: 1_000)) * 3_600_000_000
        // Messages a second over all tasks, so that the load lasts through every kill of the harness.
        let rate = options.int("rate", default: 2_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for consumer in 0..<consumers {
                group.addTask {
                    try await consume(
                        consumer: consumer,
                        path: path,
                        stopPath: stopPath,
                        log: log,
                        finalJumpMicros: finalJumpMicros,
                        pausePerMessage: .seconds(Double(consumers) / Double(rate))
                    )
                }
            }
            try await group.waitForAll()
        }
        try log.close()
    }

    static func consume(
        consumer: Int,
        path: String,
        stopPath: String,
        log: Log,
        finalJumpMicros: Int64,
        pausePerMessage: Duration
    ) async throws {
        var configuration = AampeClient.Configuration(address: .unix(path: path))
        configuration.clientName = "crash-consumer/\(consumer)"
        configuration.wantsAdmin = true
        configuration.requestTimeout = .seconds(10)
        configuration.connectTimeout = .seconds(1)
        let client = AampeClient(configuration: configuration)
        var generator = SystemRandomNumberGenerator()
        var unanswered: [Aampe_V1_Acknowledgement] = []
        while true {
            do {
                if !unanswered.isEmpty {
                    let answer = try await client.ack(unanswered)
                    try log.acks(unanswered, answer.results)
                    unanswered = []
                }
                let pulled = try await client.pull(
                    consumer: "crash-\(consumer)",
                    maximum: 200,
                    leaseSeconds: leaseSeconds
                )
                try log.pulled(pulled.messages)
                if pulled.messages.isEmpty {
                    if FileManager.default.fileExists(atPath: stopPath) {
                        let stats = try await client.stats()
                        if stats.outbox.leased == 0 && stats.outbox.pending == 0 { break }
                        if stats.outbox.leased == 0 {
                            // Pending but not due: only windows not yet open; jump past every window.
                            _ = try await client.clock(advanceMicros: finalJumpMicros)
                            continue
                        }
                    }
                    _ = try await client.clock(advanceMicros: Int64(leaseSeconds + 1) * 1_000_000)
                    continue
                }
                try await Task.sleep(for: pausePerMessage * pulled.messages.count)
                // Now and then a consumer "crashes" before acking: its leases lapse and come back.
                if Int.random(in: 0..<50, using: &generator) == 0 { continue }
                unanswered = pulled.messages.map { message in
                    var ack = Aampe_V1_Acknowledgement()
                    ack.messageID = message.messageID
                    ack.leaseToken = message.leaseToken
                    switch Int.random(in: 0..<100, using: &generator) {
                    case 0..<85: ack.status = .delivered
                    case 85..<90:
                        ack.status = .failed
                        ack.reason = "bounced"
                    default:
                        ack.status = .retry
                        ack.reason = "rate limited"
                    }
                    return ack
                }
            } catch is ClientError {
                // The daemon is down or restarting: wait, then try again with the same unanswered acks.
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // The last pulls applied every expiry due; one more ends the journal at the final clock.
        _ = try? await client.pull(consumer: "crash-\(consumer)", maximum: 1, leaseSeconds: leaseSeconds)
        await client.close()
    }

    /// The answer log, appended under a lock.
    final class Log: Sendable {
        let handle: Mutex<FileHandle>

        init(path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw BenchError.unexpected("cannot open \(path)")
            }
            handle.seekToEndOfFile()
            self.handle = Mutex(handle)
        }

        func pulled(_ messages: [Aampe_V1_OutboxMessage]) throws {
            guard !messages.isEmpty else { return }
            var text = ""
            for message in messages { text += "P \(message.messageID) \(message.leaseToken) \(message.attempt)\n" }
            try handle.withLock { try $0.write(contentsOf: Data(text.utf8)) }
        }

        func acks(_ acks: [Aampe_V1_Acknowledgement], _ results: [Aampe_V1_AckResult]) throws {
            var text = ""
            for (ack, result) in zip(acks, results) {
                let status = ack.status == .delivered ? "delivered" : ack.status == .failed ? "failed" : "retry"
                text += "A \(ack.messageID) \(ack.leaseToken) \(status) \(result.code) \(result.repeated ? 1 : 0)\n"
            }
            try handle.withLock { try $0.write(contentsOf: Data(text.utf8)) }
        }

        func close() throws {
            try handle.withLock { try $0.close() }
        }
    }
}

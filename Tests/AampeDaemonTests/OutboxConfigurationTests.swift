import AampeCore
import AampeDaemon
import AampeTestSupport
import Foundation
import Testing

@Suite("Daemon configuration: the outbox and the simulated clock")
struct OutboxConfigurationTests {
    func configuration(_ yaml: String) throws -> DaemonConfiguration {
        try DaemonConfigurationTests.configuration(yaml)
    }

    @Test("outbox.maximumAttempts is accepted at the limit and refused one past it, naming the setting")
    func maximumAttempts() throws {
        let atLimit = try configuration("outbox:\n  maximumAttempts: \(Limits.maximumDeliveryAttempts)\n")
        #expect(atLimit.outboxMaximumAttempts == Limits.maximumDeliveryAttempts)
        #expect(try configuration("outbox:\n  rescanMillis: 0\n").outboxRescanMillis == 0)
        do {
            _ = try configuration("outbox:\n  maximumAttempts: \(Limits.maximumDeliveryAttempts + 1)\n")
            Issue.record("accepted maximumAttempts one past the limit")
        } catch let error as DaemonError {
            #expect("\(error)".contains("maximumAttempts"))
        }
        #expect(throws: DaemonError.self) { try configuration("outbox:\n  maximumAttempts: 0\n") }
        #expect(throws: DaemonError.self) { try configuration("outbox:\n  retries: 3\n") }
    }

    @Test("outbox.retireAfterHours: 0 (never) and the limit are accepted, one past it is refused")
    func retireAfterHours() throws {
        #expect(try configuration("logLevel: info\n").outboxRetireAfterHours == 168)
        #expect(try configuration("outbox:\n  retireAfterHours: 0\n").outboxRetireAfterHours == 0)
        let limit = Limits.maximumOutboxRetentionHours
        #expect(try configuration("outbox:\n  retireAfterHours: \(limit)\n").outboxRetireAfterHours == limit)
        do {
            _ = try configuration("outbox:\n  retireAfterHours: \(limit + 1)\n")
            Issue.record("accepted retireAfterHours one past the limit")
        } catch let error as DaemonError {
            #expect("\(error)".contains("retireAfterHours"))
        }
        #expect(throws: DaemonError.self) { try configuration("outbox:\n  retireAfterHours: -1\n") }
    }

    @Test("simulatedClock takes an ISO-8601 instant; anything else is refused")
    func simulatedClock() throws {
        #expect(try configuration("logLevel: info\n").simulatedClock == nil)
        let clock = try configuration("simulatedClock: 2026-10-30T00:00:00Z\n").simulatedClock
        #expect(clock == Timestamp(iso8601: "2026-10-30T00:00:00Z"))
        #expect(throws: DaemonError.self) { try configuration("simulatedClock: tomorrow\n") }
    }
}

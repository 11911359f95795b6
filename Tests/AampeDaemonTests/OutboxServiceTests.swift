import AampeCore
import AampeOutbox
import AampeTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import AampeDaemon

/// The outbox service in process: group commit (one sync covers many requests; answers wait for it),
/// and a failed sync, which fails the requests waiting on it and every later one.
@Suite("Outbox service: group commit and journal failures")
struct OutboxServiceTests {
    static let start = Timestamp(iso8601: "2026-10-30T00:00:00Z")!

    /// A folder with batch 1 of `count` messages, all due at `start` for an hour.
    static func folder(count: Int) throws -> (TemporaryFolder, OutboxFolder) {
        let temporary = try TemporaryFolder()
        let folder = OutboxFolder(path: temporary.child("outbox"))
        try FileManager.default.createDirectory(atPath: folder.folder(of: 1), withIntermediateDirectories: true)
        let records = (0..<count).map { row in
            OutboxRecord(
                user: "u\(row)",
                campaign: "c",
                formula: "f",
                variant: 0,
                labels: [],
                channel: .push,
                address: "",
                fields: [],
                items: [],
                windowStart: start,
                windowEnd: start.adding(microseconds: 3_600_000_000),
                propensity: 1,
                mode: "preferential",
                weeklyWindow: 0
            )
        }
        try OutboxBatch.write(records, to: folder.messagesPath(of: 1), createdAt: start)
        return (temporary, folder)
    }

    /// Waits for `ticket` and returns the outcome.
    static func wait(_ service: OutboxService, _ ticket: UInt64) async -> Result<Void, OutboxError> {
        await withCheckedContinuation { continuation in
            service.whenDurable(ticket) { continuation.resume(returning: $0) }
        }
    }

    @Test("leases are answered only after a sync; concurrent requests share syncs; a restart replays them")
    func groupCommit() async throws {
        let (temporary, folder) = try Self.folder(count: 2_000)
        _ = temporary
        let syncs = Atomic<Int>(0)
        let service = OutboxService(
            folder: folder,
            clock: OutboxClock(simulatedStart: Self.start),
            configuration: .init(),
            rescanIntervalMillis: 0,
            logger: Logger(label: "test"),
            sync: { file throws(OutboxError) in
                // Slow syncs, as a disk's are, so that requests pile up behind one.
                usleep(2_000)
                syncs.add(1, ordering: .relaxed)
                try file.sync()
            }
        )
        #expect(try service.rescan() == 1)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for consumer in 0..<200 {
                group.addTask {
                    let pulled = try service.pull(
                        consumer: "c\(consumer)",
                        maximum: 10,
                        leaseSeconds: 60,
                        channels: .all
                    )
                    guard case .success = await Self.wait(service, pulled.ticket) else { return -1 }
                    return pulled.leases.count
                }
            }
            var total = 0
            for try await count in group { total += count }
            #expect(total == 2_000)
        }
        // 200 requests, far fewer syncs: each sync covered the requests that queued during the one before.
        #expect(syncs.load(ordering: .relaxed) < 200)
        #expect(syncs.load(ordering: .relaxed) >= 1)
        service.committer.stop()

        let reopened = try folder.open(1, configuration: .init())
        #expect(reopened.machine.counts.leased == 2_000)
    }

    @Test("PULL over several batches takes the earliest window end first, whichever batch holds it")
    func interleavesBatches() async throws {
        let temporary = try TemporaryFolder()
        let folder = OutboxFolder(path: temporary.child("outbox"))
        let hour: Int64 = 3_600_000_000
        for (batch, ends) in [(UInt32(1), [3, 1]), (2, [2, 4])] as [(UInt32, [Int64])] {
            try FileManager.default.createDirectory(atPath: folder.folder(of: batch), withIntermediateDirectories: true)
            let records = ends.enumerated().map { row, end in
                OutboxRecord(
                    user: "b\(batch)r\(row)",
                    campaign: "c",
                    formula: "f",
                    variant: 0,
                    labels: [],
                    channel: .push,
                    address: "",
                    fields: [],
                    items: [],
                    windowStart: Self.start,
                    windowEnd: Self.start.adding(microseconds: end * hour),
                    propensity: 1,
                    mode: "preferential",
                    weeklyWindow: 0
                )
            }
            try OutboxBatch.write(records, to: folder.messagesPath(of: batch), createdAt: Self.start)
        }
        let service = OutboxService(
            folder: folder,
            clock: OutboxClock(simulatedStart: Self.start),
            rescanIntervalMillis: 0,
            logger: Logger(label: "test")
        )
        #expect(try service.rescan() == 2)
        let pulled = try service.pull(consumer: "a", maximum: 10, leaseSeconds: 60, channels: .all)
        #expect(
            pulled.leases.map(\.id) == [
                OutboxMessageID(batch: 1, row: 1), OutboxMessageID(batch: 2, row: 0), OutboxMessageID(batch: 1, row: 0),
                OutboxMessageID(batch: 2, row: 1),
            ]
        )
        guard case .success = await Self.wait(service, pulled.ticket) else {
            Issue.record("sync failed")
            return
        }
        service.committer.stop()
    }

    @Test("a failed fdatasync fails the requests waiting on it and every later PULL and ACK")
    func syncFailure() async throws {
        let (temporary, folder) = try Self.folder(count: 10)
        _ = temporary
        let isFailing = Atomic<Bool>(false)
        let service = OutboxService(
            folder: folder,
            clock: OutboxClock(simulatedStart: Self.start),
            configuration: .init(),
            rescanIntervalMillis: 0,
            logger: Logger(label: "test"),
            sync: { file throws(OutboxError) in
                if isFailing.load(ordering: .relaxed) {
                    throw OutboxError.file(FileIOError(path: file.path, operation: "fdatasync", code: EIO))
                }
                try file.sync()
            }
        )
        try service.rescan()
        let first = try service.pull(consumer: "a", maximum: 1, leaseSeconds: 60, channels: .all)
        guard case .success = await Self.wait(service, first.ticket) else {
            Issue.record("the first sync failed")
            return
        }
        isFailing.store(true, ordering: .relaxed)
        let second = try service.pull(consumer: "a", maximum: 1, leaseSeconds: 60, channels: .all)
        guard case .failure(let error) = await Self.wait(service, second.ticket) else {
            Issue.record("a failed sync answered success")
            return
        }
        #expect("\(error)".contains("fdatasync failed"))
        #expect(service.journalFailure != nil)
        #expect(throws: OutboxService.ServiceError.self) {
            try service.pull(consumer: "a", maximum: 1, leaseSeconds: 60, channels: .all)
        }
        #expect(throws: OutboxService.ServiceError.self) { try service.ack([]) }
    }
}

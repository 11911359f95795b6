import AampeCore
import AampeProtocol
import AampeSegments
import AampeServer
import AampeTestSupport
import Foundation
import Logging
import NIOPosix
import Synchronization
import Testing

@testable import AampeDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The real-time log's `fdatasync`, failing with `EIO` while `isFailing` is set.
final class SyncFailpoint: Sendable {
    let isFailing = Atomic<Bool>(false)
    let calls = Atomic<Int>(0)

    var sync: @Sendable (Int32, String) throws(FileIOError) -> Void {
        { [self] descriptor, path throws(FileIOError) in
            calls.add(1, ordering: .relaxed)
            if isFailing.load(ordering: .relaxed) { throw FileIOError(path: path, operation: "fdatasync", code: EIO) }
            try FileIO.dataSync(descriptor, path: path)
        }
    }
}

@Suite("Real-time log durability")
struct RealtimeLogTests {
    let folder: TemporaryFolder
    let failpoint = SyncFailpoint()

    init() throws { folder = try TemporaryFolder(prefix: "aampe-realtime-log") }

    func lines(_ log: RealtimeLog) throws -> [String] {
        try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("a sync runs only when something was written since the last one")
    func syncsOnlyWhenNeeded() throws {
        let log = try RealtimeLog(folder: folder.path, dataSync: failpoint.sync)
        try log.syncIfNeeded()
        #expect(failpoint.calls.load(ordering: .relaxed) == 0)
        try log.append(Array("one\n".utf8))
        try log.syncIfNeeded()
        try log.syncIfNeeded()
        #expect(failpoint.calls.load(ordering: .relaxed) == 1)
    }

    @Test("a failed sync is thrown and counted, refuses appends, is retried, and a success accepts them again")
    func failedSync() throws {
        let log = try RealtimeLog(folder: folder.path, dataSync: failpoint.sync)
        try log.append(Array("one\n".utf8))
        failpoint.isFailing.store(true, ordering: .relaxed)
        let error = try #require(throws: RealtimeLogError.self) { try log.syncIfNeeded() }
        #expect(error.failure.operation == "fdatasync" && error.failure.path == log.path)
        #expect("\(error)".contains("Input/output error"))
        #expect(log.syncFailureCount == 1)
        #expect(log.isRefusingWrites)

        let refusal = try #require(throws: RealtimeLogError.self) { try log.append(Array("two\n".utf8)) }
        #expect(refusal.isRefusedAfterSyncFailure)
        #expect(try lines(log) == ["one"])

        // Retried although nothing new was written, because the failed sync left bytes unsynced.
        #expect(throws: RealtimeLogError.self) { try log.syncIfNeeded() }
        #expect(log.syncFailureCount == 2)

        failpoint.isFailing.store(false, ordering: .relaxed)
        try log.syncIfNeeded()
        #expect(!log.isRefusingWrites)
        try log.append(Array("two\n".utf8))
        #expect(try lines(log) == ["one", "two"])
        #expect(failpoint.calls.load(ordering: .relaxed) == 3)
    }

    @Test("the syncer's tick reports a failure and the recovery")
    func syncerTick() throws {
        let log = try RealtimeLog(folder: folder.path, dataSync: failpoint.sync)
        let syncer = RealtimeLogSyncer(log: log, logger: Logger(label: "test"))
        try log.append(Array("one\n".utf8))
        failpoint.isFailing.store(true, ordering: .relaxed)
        #expect(!syncer.tick())
        #expect(!syncer.tick())
        failpoint.isFailing.store(false, ordering: .relaxed)
        #expect(syncer.tick())
        #expect(log.syncFailureCount == 2)
    }

    @Test("TRACK answers an error while the log cannot sync, changes nothing, and accepts the retried event after")
    func trackWhileSyncFails() throws {
        let log = try RealtimeLog(folder: folder.path, dataSync: failpoint.sync)
        let syncer = RealtimeLogSyncer(log: log, logger: Logger(label: "test"))
        let realtime = RealtimeState()
        let generations = GenerationManager(
            store: GenerationStore(folder: folder.child("generations")),
            pollIntervalMillis: 0,
            logger: Logger(label: "test"),
            registry: ModelRegistry()
        )
        let service = RecommendationService(generations: generations, realtime: realtime, log: log)
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        let handler = DaemonRequestHandler(
            generations: generations,
            statistics: ServerStatistics(),
            threadPool: threadPool,
            serverVersion: "test",
            recommendations: service
        )
        func request(_ key: String) -> Aampe_V1_TrackRequest {
            var event = Aampe_V1_TrackEvent()
            event.userID = "u1"
            event.event = "view"
            event.itemID = "i1"
            event.idempotencyKey = key
            var request = Aampe_V1_TrackRequest()
            request.events = [event]
            return request
        }
        #expect(try service.track(request("k1")).accepted == 1)
        failpoint.isFailing.store(true, ordering: .relaxed)
        #expect(!syncer.tick())

        // DaemonRequestHandler answers a RealtimeLogError with UNAVAILABLE and a retry delay; STATS shows
        // the failure and the refusal.
        #expect(throws: RealtimeLogError.self) { try service.track(request("k2")) }
        #expect(handler.statsResponse().realtimeLogSyncFailures == 1)
        #expect(handler.statsResponse().realtimeLogRefusingWrites)
        #expect(realtime.user("u1")?.items.count == 1)
        #expect(try lines(log).count == 1)

        failpoint.isFailing.store(false, ordering: .relaxed)
        #expect(syncer.tick())
        #expect(!handler.statsResponse().realtimeLogRefusingWrites)
        let retried = try service.track(request("k2"))
        #expect(retried.accepted == 1 && retried.duplicates == 0)
        #expect(realtime.user("u1")?.items.count == 2)
        #expect(try lines(log).count == 2)
    }

    @Test("a failed write forgets the events' keys, so the client's retry is not a duplicate")
    func failedWriteForgetsKeys() throws {
        let realtime = RealtimeState()
        #expect(realtime.rememberKey("k1"))
        realtime.forgetKeys(["k1"])
        #expect(realtime.rememberKey("k1"))
        #expect(!realtime.rememberKey("k1"))
    }
}

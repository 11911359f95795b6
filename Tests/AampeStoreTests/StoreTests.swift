import AampeCore
import AampeStore
import AampeTestSupport
import Foundation
import GRDB
import Testing

/// How a test gets a store: a temporary file in WAL mode, or memory.
enum StoreBacking: String, CaseIterable, CustomTestStringConvertible {
    case file, memory
    var testDescription: String { rawValue }

    func open(in folder: TemporaryFolder, clock: @escaping @Sendable () -> Timestamp = { .now() }) throws -> Store {
        switch self {
        case .file: try Store.open(path: folder.child("aampe.sqlite"), clock: clock)
        case .memory: try Store.inMemory(clock: clock)
        }
    }
}

@Suite("Store: migrations and meta")
struct StoreTests {
    @Test("an empty database gets the full schema and one meta row", arguments: StoreBacking.allCases)
    func migrateEmpty(backing: StoreBacking) throws {
        let folder = try TemporaryFolder()
        let store = try backing.open(in: folder, clock: { Timestamp(secondsSinceEpoch: 1_700_000_000) })
        let meta = try store.meta()
        #expect(meta.schemaVersion == Store.supportedSchemaVersion)
        #expect(meta.createdAt == Timestamp(secondsSinceEpoch: 1_700_000_000))
        #expect(UUID(uuidString: meta.dataDirectoryID) != nil)
        let inventory = try store.inventory()
        #expect(inventory.first == InventoryEntry(name: "runs", count: 0))
        #expect(inventory.map(\.name).contains("event_segments"))
        #expect(inventory.allSatisfy { $0.count == 0 })
    }

    @Test("opening an already migrated database changes nothing")
    func reopenMigrated() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("aampe.sqlite")
        let first = try Store.open(path: path).meta()
        let runID = try Store.open(path: path).runs.begin(.import, subject: "events")
        let second = try Store.open(path: path)
        #expect(try second.meta() == first)
        #expect(try second.runs.run(runID).status == .running)
        let migrations = try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(migrations.count == Store.supportedSchemaVersion)
    }

    @Test("the file database runs in WAL mode")
    func walMode() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("aampe.sqlite")
        _ = try Store.open(path: path)
        let mode = try DatabaseQueue(path: path).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("a database with a migration this build does not know is refused, untouched")
    func newerSchemaRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("aampe.sqlite")
        _ = try Store.open(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999 from the future')")
        }
        #expect {
            try Store.open(path: path)
        } throws: { error in
            guard case StoreError.newerSchema(_, let found, let supported, let unknown) = error else { return false }
            return found == Store.supportedSchemaVersion + 1 && supported == Store.supportedSchemaVersion
                && unknown == ["9999 from the future"]
        }
        let count = try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations")
        }
        #expect(count == Store.supportedSchemaVersion + 1)
    }

    @Test("an SQLite database of some other application is refused")
    func foreignDatabaseRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("aampe.sqlite")
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER)") }
        #expect(throws: StoreError.self) { try Store.open(path: path) }
    }

    @Test("a file that is not SQLite is refused with a clear error")
    func notSQLiteRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("aampe.sqlite")
        try Data("this is a text file, not a database, and it is long enough to have a header".utf8)
            .write(to: URL(fileURLWithPath: path))
        #expect {
            try Store.open(path: path)
        } throws: { error in
            "\(error)".contains(path)
        }
    }
}

@Suite("Store: run history")
struct RunRepositoryTests {
    /// A clock that advances one second per reading.
    final class SteppingClock: @unchecked Sendable {
        private let lock = NSLock()
        private var seconds: Int64 = 1_800_000_000
        func read() -> Timestamp {
            lock.lock()
            defer { lock.unlock() }
            seconds += 1
            return Timestamp(secondsSinceEpoch: seconds)
        }
    }

    @Test("a run records its start, its end, its counters in order, and its status", arguments: StoreBacking.allCases)
    func lifecycle(backing: StoreBacking) throws {
        let folder = try TemporaryFolder()
        let clock = SteppingClock()
        let store = try backing.open(in: folder, clock: clock.read)
        let id = try store.runs.begin(.import, subject: "events")
        let started = try store.runs.run(id)
        #expect(started.status == .running)
        #expect(started.finishedAt == nil)
        #expect(started.kind == .import && started.subject == "events")

        var counters = RunCounters()
        counters["read"] = 10
        counters["accepted"] = 7
        counters["rejected.bad_timestamp"] = 3
        try store.runs.succeed(id, counters: counters)
        let finished = try store.runs.run(id)
        #expect(finished.status == .succeeded)
        #expect(finished.counters == counters)
        #expect(finished.counters.entries.map(\.name) == ["read", "accepted", "rejected.bad_timestamp"])
        #expect(try #require(finished.finishedAt) > finished.startedAt)
        #expect(try store.inventory().first == InventoryEntry(name: "runs", count: 1))
    }

    @Test("a failed run keeps its error text, cut at the limit", arguments: StoreBacking.allCases)
    func failure(backing: StoreBacking) throws {
        let folder = try TemporaryFolder()
        let store = try backing.open(in: folder)
        let limit = Limits.maximumRunErrorTextBytes
        let exact = String(repeating: "e", count: limit)
        let id1 = try store.runs.begin(.train, subject: "recommender")
        try store.runs.fail(id1, error: exact)
        #expect(try store.runs.run(id1).error == exact)

        let long = String(repeating: "é", count: limit)  // 2 bytes each: twice the limit
        let id2 = try store.runs.begin(.train, subject: "recommender")
        try store.runs.fail(id2, error: long)
        let kept = try #require(try store.runs.run(id2).error)
        #expect(kept.utf8.count <= limit)
        #expect(kept.hasSuffix("…"))
        #expect(kept.dropLast().allSatisfy { $0 == "é" })
        #expect(try store.runs.countsByStatus() == [.failed: 2])
    }

    @Test("counters are checked at their limits: count and name length")
    func counterLimits() throws {
        let store = try Store.inMemory()
        var atLimit = RunCounters()
        for index in 0..<Limits.maximumRunCounters { atLimit["c\(index)"] = Int64(index) }
        let id = try store.runs.begin(.report, subject: "activity")
        var overLimit = atLimit
        overLimit["one-more"] = 1
        #expect(throws: StoreError.self) { try store.runs.succeed(id, counters: overLimit) }
        try store.runs.succeed(id, counters: atLimit)
        #expect(try store.runs.run(id).counters == atLimit)

        let longName = String(repeating: "n", count: Limits.maximumRunCounterNameBytes)
        let id2 = try store.runs.begin(.report, subject: "activity")
        #expect(throws: StoreError.self) {
            try store.runs.succeed(id2, counters: RunCounters([longName + "n": 1]))
        }
        try store.runs.succeed(id2, counters: RunCounters([longName: 1]))
        #expect(throws: StoreError.self) {
            let id3 = try store.runs.begin(.report, subject: "activity")
            try store.runs.succeed(id3, counters: RunCounters(["": 1]))
        }
    }

    @Test("a run finishes once; an unknown run is reported as such")
    func finishOnce() throws {
        let store = try Store.inMemory()
        let id = try store.runs.begin(.assign, subject: "spring-sale")
        try store.runs.succeed(id)
        #expect(throws: StoreError.runAlreadyFinished(id: id)) { try store.runs.fail(id, error: "late") }
        #expect(throws: StoreError.runNotFound(id: 999)) { try store.runs.succeed(999) }
        #expect(throws: StoreError.runNotFound(id: 999)) { try store.runs.run(999) }
    }

    @Test("recent runs come newest first, filtered by kind")
    func recent() throws {
        let store = try Store.inMemory()
        let ids = try [RunKind.import, .train, .import, .report].map { try store.runs.begin($0, subject: "x") }
        #expect(try store.runs.recent(limit: 10).map(\.id) == ids.reversed())
        #expect(try store.runs.recent(limit: 10, kind: .import).map(\.id) == [ids[2], ids[0]])
        #expect(try store.runs.recent(limit: 1).map(\.id) == [ids[3]])
    }

    @Test("writes from many tasks are serialized without loss")
    func concurrentWrites() async throws {
        let folder = try TemporaryFolder()
        let store = try Store.open(path: folder.child("aampe.sqlite"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<25 {
                        let id = try store.runs.begin(.import, subject: "events")
                        try store.runs.succeed(id, counters: RunCounters(["read": 1]))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.runs.countsByStatus() == [.succeeded: 200])
    }
}

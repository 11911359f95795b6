public import AampeCore
internal import Foundation
internal import GRDB

/// The data directory's SQLite database: content, profiles, catalog, outbox, message log and run
/// history.
///
/// All writes go through GRDB's single serialized writer (a `DatabasePool` on disk, in WAL mode, so that
/// readers never wait for it; a `DatabaseQueue` in memory). Repositories such as ``runs`` are thin views
/// over the same writer, and later features add theirs as extensions.
///
/// Open it once per process, with ``DataDirectory/openStore()`` for a data directory (which checks the
/// folder first) or ``open(path:clock:)``, and share the instance: it is `Sendable`, and every call may
/// come from any thread. Every call blocks on SQLite, so none belongs on an event loop. Other processes
/// (the daemon, another `aampectl`) may use the same file at once; a write waits up to 10 seconds for
/// theirs, then throws. The database closes when the last reference to the store goes. Errors are
/// ``StoreError``s whose descriptions carry no stored values.
public final class Store: Sendable {
    /// Where the database lives, for error messages: a file path, or `:memory:`.
    public let path: String
    let writer: any DatabaseWriter
    /// The clock that stamps runs and meta rows. Tests inject their own.
    let clock: @Sendable () -> Timestamp

    private init(path: String, writer: any DatabaseWriter, clock: @escaping @Sendable () -> Timestamp) {
        self.path = path
        self.writer = writer
        self.clock = clock
    }

    /// The schema version this build writes.
    public static var supportedSchemaVersion: Int { Migrations.supportedSchemaVersion }

    /// Opens (creating if needed) the database file at `path` in WAL mode, refuses a newer schema, applies
    /// pending migrations, and makes sure the `meta` row exists.
    public static func open(
        path: String,
        clock: @escaping @Sendable () -> Timestamp = { .now() }
    ) throws -> Store {
        var configuration = Configuration()
        configuration.label = "aampe.sqlite"
        // A second process (the daemon, another aampectl) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.database(path: path, operation: "open", reason: Self.reason(error))
        }
        let store = Store(path: path, writer: pool, clock: clock)
        try store.prepareSchema()
        return store
    }

    /// A private in-memory database with the full schema, for tests and dry runs.
    public static func inMemory(clock: @escaping @Sendable () -> Timestamp = { .now() }) throws -> Store {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue()
        } catch {
            throw StoreError.database(path: ":memory:", operation: "open", reason: Self.reason(error))
        }
        let store = Store(path: ":memory:", writer: queue, clock: clock)
        try store.prepareSchema()
        return store
    }

    /// Checks that the database is ours and not from a newer build, then migrates it forward.
    private func prepareSchema() throws {
        let migrator = Migrations.migrator
        try write("check schema") { db in
            let hasMigrationTable = try db.tableExists("grdb_migrations")
            if !hasMigrationTable {
                let tables = try String.fetchAll(
                    db,
                    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
                if !tables.isEmpty {
                    throw StoreError.notAnAampeDatabase(
                        path: self.path,
                        reason: "it has \(tables.count) tables but no aamped migration history"
                    )
                }
            }
            if hasMigrationTable, try migrator.hasBeenSuperseded(db) {
                let known = Set(migrator.migrations)
                let unknown = try migrator.appliedIdentifiers(db).subtracting(known).sorted()
                let found = try migrator.appliedIdentifiers(db).count
                throw StoreError.newerSchema(
                    path: self.path,
                    found: found,
                    supported: Migrations.supportedSchemaVersion,
                    unknownMigrations: unknown
                )
            }
        }
        do {
            try migrator.migrate(writer)
        } catch {
            throw StoreError.database(path: path, operation: "migrate", reason: Self.reason(error))
        }
        let now = clock()
        try write("record schema version") { db in
            let version = Migrations.supportedSchemaVersion
            if try MetaRecord.fetchOne(db, key: 1) == nil {
                try MetaRecord(
                    id: 1,
                    dataDirectoryID: UUID().uuidString.lowercased(),
                    schemaVersion: version,
                    createdAt: now.rawValue
                ).insert(db)
            } else {
                try db.execute(sql: "UPDATE meta SET schema_version = ? WHERE id = 1", arguments: [version])
            }
        }
    }

    /// Runs `body` in a write transaction, turning GRDB errors into ``StoreError``.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, operation: operation, reason: Self.reason(error))
        }
    }

    /// Runs `body` with read access, turning GRDB errors into ``StoreError``.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, operation: operation, reason: Self.reason(error))
        }
    }

    /// SQLite's result code and message, without the statement's arguments.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            let message = error.message ?? "no message"
            return "SQLite error \(error.extendedResultCode.rawValue): \(message)"
        }
        return String(describing: error)
    }
}

extension Store {
    /// How many migrations the database at `path` has applied, read without changing anything.
    static func appliedMigrationCount(path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                guard try db.tableExists("grdb_migrations") else { return 0 }
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0
            }
        } catch {
            throw StoreError.notAnAampeDatabase(path: path, reason: reason(error))
        }
    }
}

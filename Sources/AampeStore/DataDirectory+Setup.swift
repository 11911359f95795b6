public import AampeCore
internal import Foundation

/// What `init` found and did.
public enum InitializeOutcome: String, Sendable, Codable {
    /// The data directory was new, or empty, and is now set up.
    case created
    /// It was already a data directory of this schema; nothing changed.
    case alreadyInitialized
    /// It was a data directory of an older schema and has been migrated.
    case migrated
}

extension DataDirectory {
    /// Creates the data directory's layout and database, or checks and completes an existing one.
    ///
    /// Running it twice is harmless, and so is running it again after a run that was killed half way.
    /// It refuses a path that is not a folder, a folder holding anything aamped did not put there, and a
    /// database written by a newer schema.
    @discardableResult
    public func initialize() throws -> (store: Store, outcome: InitializeOutcome) {
        try checkPathLength()
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw StoreError.notAFolder(path: path) }
            let entries: [String]
            do {
                entries = try fileManager.contentsOfDirectory(atPath: path)
            } catch {
                throw StoreError.fileSystem(path: path, operation: "list", reason: Self.reason(error))
            }
            let foreign = entries.filter { !Self.ownEntryNames.contains($0) }.sorted()
            if !foreign.isEmpty { throw StoreError.foreignEntries(path: path, names: foreign) }
        }
        let hadDatabase = fileManager.fileExists(atPath: databasePath)
        for folder in [path] + folders {
            do {
                try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError.fileSystem(path: folder, operation: "create folder", reason: Self.reason(error))
            }
        }
        let versionBefore = hadDatabase ? try appliedSchemaVersion() : nil
        let store = try Store.open(path: databasePath)
        let outcome: InitializeOutcome =
            switch versionBefore {
            case nil, 0: .created
            case Store.supportedSchemaVersion: .alreadyInitialized
            default: .migrated
            }
        return (store, outcome)
    }

    /// Opens the database of an initialized data directory, migrating an older schema forward.
    ///
    /// Every command but `init` starts here, so that each refuses a folder that `init` has not set up,
    /// instead of creating a database in the wrong place.
    public func openStore() throws -> Store {
        try checkPathLength()
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw StoreError.notInitialized(path: path)
        }
        return try Store.open(path: databasePath)
    }

    /// How much disk each part of the data directory takes, in bytes.
    public func diskUsage() throws -> DiskUsage {
        let database = ["", "-wal", "-shm"].reduce(Int64(0)) { total, suffix in
            total + Self.fileSize(databasePath + suffix)
        }
        return DiskUsage(
            databaseBytes: database,
            eventsBytes: try Self.treeSize(eventsPath),
            generationsBytes: try Self.treeSize(generationsPath),
            realtimeBytes: try Self.treeSize(realtimePath),
            quarantineBytes: try Self.treeSize(quarantinePath)
        )
    }

    private func checkPathLength() throws {
        let bytes = path.utf8.count
        if bytes > Limits.maximumDataDirectoryPathBytes {
            throw StoreError.pathTooLong(path: path, bytes: bytes, limit: Limits.maximumDataDirectoryPathBytes)
        }
    }

    /// The schema version recorded by an existing database file, read without migrating it.
    private func appliedSchemaVersion() throws -> Int {
        // Opening through Store would migrate first; this only needs to know what was there before.
        try Store.appliedMigrationCount(path: databasePath)
    }

    private static func fileSize(_ path: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// The total size of the regular files under `path`; 0 when it does not exist.
    private static func treeSize(_ path: String) throws -> Int64 {
        let url = URL(fileURLWithPath: path, isDirectory: true)
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey]
        guard let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: keys) else {
            throw StoreError.fileSystem(path: path, operation: "list", reason: "cannot enumerate")
        }
        var total: Int64 = 0
        for case let file as URL in enumerator {
            let values = try? file.resourceValues(forKeys: Set(keys))
            if values?.isRegularFile == true { total += Int64(values?.fileSize ?? 0) }
        }
        return total
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? any Error {
            return String(describing: underlying)
        }
        return (error as NSError).localizedDescription
    }
}

/// Bytes on disk, per part of the data directory.
public struct DiskUsage: Hashable, Sendable, Codable {
    /// `aampe.sqlite` with its WAL and shared-memory files.
    public var databaseBytes: Int64
    /// `events/`.
    public var eventsBytes: Int64
    /// `generations/`.
    public var generationsBytes: Int64
    /// `realtime/`.
    public var realtimeBytes: Int64
    /// `quarantine/`.
    public var quarantineBytes: Int64

    /// All parts together.
    public var totalBytes: Int64 {
        databaseBytes + eventsBytes + generationsBytes + realtimeBytes + quarantineBytes
    }
}

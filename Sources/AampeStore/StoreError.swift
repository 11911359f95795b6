/// Why an operation on the data directory or its SQLite database failed.
///
/// The description names the path and the check that failed. It never includes statement arguments or
/// row contents, so it is safe to log; SQLite's own message is included because it names the failed
/// constraint or condition, not the data.
public enum StoreError: Error, Hashable, Sendable {
    /// The path exists but is not a folder.
    case notAFolder(path: String)
    /// The folder holds entries that aamped did not put there, so it is not ours to write into.
    case foreignEntries(path: String, names: [String])
    /// The folder has no `aampe.sqlite`: `aampectl init` has not run on it.
    case notInitialized(path: String)
    /// `aampe.sqlite` exists but is not an aamped database.
    case notAnAampeDatabase(path: String, reason: String)
    /// The database was written by a newer aamped, whose schema this build does not know.
    case newerSchema(path: String, found: Int, supported: Int, unknownMigrations: [String])
    /// The data directory path is longer than ``Limits/maximumDataDirectoryPathBytes``.
    case pathTooLong(path: String, bytes: Int, limit: Int)
    /// A file system operation failed.
    case fileSystem(path: String, operation: String, reason: String)
    /// SQLite reported an error.
    case database(path: String, operation: String, reason: String)
    /// A run's counters break a limit: `reason` says which.
    case invalidRunCounters(reason: String)
    /// No run has this id.
    case runNotFound(id: Int64)
    /// The run has already finished and cannot be finished again.
    case runAlreadyFinished(id: Int64)
}

extension StoreError: CustomStringConvertible {
    /// The path and what is wrong, with SQLite's code and message where it failed; never a row's contents.
    public var description: String {
        switch self {
        case .notAFolder(let path):
            "\(path): exists and is not a folder"
        case .foreignEntries(let path, let names):
            "\(path): holds files that are not part of an aamped data directory ("
                + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "")
                + "); choose an empty or new folder"
        case .notInitialized(let path):
            "\(path): not an aamped data directory (no aampe.sqlite); run `aampectl init` first"
        case .notAnAampeDatabase(let path, let reason):
            "\(path): not an aamped database: \(reason)"
        case .newerSchema(let path, let found, let supported, let unknown):
            "\(path): written by a newer aamped (schema version \(found), this build supports up to "
                + "\(supported)"
                + (unknown.isEmpty ? "" : "; unknown migrations: " + unknown.joined(separator: ", "))
                + "); upgrade aamped to use it"
        case .pathTooLong(let path, let bytes, let limit):
            "\(path): path is \(bytes) bytes; the limit is \(limit) (the daemon's socket must fit sockaddr_un)"
        case .fileSystem(let path, let operation, let reason):
            "\(path): \(operation) failed: \(reason)"
        case .database(let path, let operation, let reason):
            "\(path): \(operation) failed: \(reason)"
        case .invalidRunCounters(let reason):
            "run counters: \(reason)"
        case .runNotFound(let id):
            "run \(id): no such run"
        case .runAlreadyFinished(let id):
            "run \(id): already finished"
        }
    }
}

/// The paths of one aamped data directory, and how a command decides which one it works on.
///
/// ```
/// aampe-data/
///   aampe.sqlite          content, users/profiles, catalog, outbox, message log, runs (WAL mode)
///   events/               immutable event segments, one or more per imported day
///   generations/<N>/      learned artifacts of one training run
///   generations/CURRENT   names the live generation; flipped atomically
///   realtime/             append-only log of TRACK events since the last import
///   quarantine/           rejected input rows with their reasons
///   jobs.lock             held by the training run building a generation
///   aamped.sock           Unix socket (mode 0660)
/// ```
///
/// This type only names paths; creating and checking the folder is `AampeStore`'s job.
public struct DataDirectory: Hashable, Sendable {
    /// The folder, as resolved (absolute when resolved through ``resolve(flag:environment:currentDirectory:)``).
    public let path: String

    /// The environment variable consulted when no `--data-dir` flag is given.
    public static let environmentVariable = "AAMPE_DATA_DIR"
    /// The folder used, relative to the working directory, when neither flag nor environment names one.
    public static let defaultRelativePath = "aampe-data"

    /// Names the data directory at `path`.
    public init(path: String) {
        self.path = path
    }

    /// Where the data directory is, in the order every command uses: the `--data-dir` flag, else the
    /// `AAMPE_DATA_DIR` environment variable, else `./aampe-data`. An empty flag or variable counts as
    /// absent. A relative path is made absolute against `currentDirectory`.
    public static func resolve(
        flag: String?,
        environment: [String: String],
        currentDirectory: String
    ) -> DataDirectory {
        let chosen: String
        if let flag, !flag.isEmpty {
            chosen = flag
        } else if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            chosen = fromEnvironment
        } else {
            chosen = defaultRelativePath
        }
        let absolute = chosen.hasPrefix("/") ? chosen : joined(currentDirectory, chosen)
        return DataDirectory(path: normalized(absolute))
    }

    /// `aampe.sqlite`: everything mutable and transactional.
    public var databasePath: String { Self.joined(path, "aampe.sqlite") }
    /// `events/`: immutable event segments.
    public var eventsPath: String { Self.joined(path, "events") }
    /// `generations/`: learned artifacts, one folder per training run.
    public var generationsPath: String { Self.joined(path, "generations") }
    /// `generations/CURRENT`: names the live generation.
    public var currentGenerationPointerPath: String { Self.joined(generationsPath, "CURRENT") }
    /// `realtime/`: the TRACK log since the last import.
    public var realtimePath: String { Self.joined(path, "realtime") }
    /// `quarantine/`: rejected input rows.
    public var quarantinePath: String { Self.joined(path, "quarantine") }
    /// `outbox/`: one folder per assignment run's messages (`outbox/<batch>/messages.seg`) and their lease
    /// journal. Created by the first assignment run.
    public var outboxPath: String { Self.joined(path, "outbox") }
    /// `jobs.lock`: held (flock) by the batch job that is building a generation.
    public var jobLockPath: String { Self.joined(path, "jobs.lock") }
    /// `aamped.sock`: the daemon's Unix socket.
    public var socketPath: String { Self.joined(path, "aamped.sock") }

    /// The sub-folders that `init` creates, in creation order.
    public var folders: [String] { [eventsPath, generationsPath, realtimePath, quarantinePath] }

    /// Names directly inside a data directory that aamped itself puts there. Anything else means the
    /// folder belongs to someone else. SQLite's `-wal`, `-shm` and `-journal` companions are included.
    public static let ownEntryNames: Set<String> = [
        "aampe.sqlite", "aampe.sqlite-wal", "aampe.sqlite-shm", "aampe.sqlite-journal",
        "events", "generations", "realtime", "quarantine", "outbox", "aamped.sock", "jobs.lock",
    ]

    static func joined(_ base: String, _ component: String) -> String {
        base.hasSuffix("/") ? base + component : base + "/" + component
    }

    /// Removes `.` components, empty components and a trailing slash; resolves `..` lexically.
    static func normalized(_ absolutePath: String) -> String {
        var parts: [Substring] = []
        for part in absolutePath.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

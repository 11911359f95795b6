import AampeClient
import AampeCore
import AampeProtocol
import AampeSegments
import AampeStore
import Foundation

/// What `aampectl status` reports, in the shape its `--json` output has.
struct StatusReport: Codable, Equatable {
    struct Schema: Codable, Equatable {
        var version: Int
        var supportedVersion: Int
    }

    struct Runs: Codable, Equatable {
        var total: Int
        var running: Int
        var succeeded: Int
        var failed: Int
    }

    struct Generation: Codable, Equatable {
        struct Segment: Codable, Equatable {
            struct Column: Codable, Equatable {
                var name: String
                var type: String
                var codec: String
                var rows: Int
                var storedBytes: Int
            }

            var file: String
            var kind: String
            var bytes: Int
            var columns: [Column]
        }

        var number: UInt64
        /// Every published generation still on disk, oldest first.
        var retained: [UInt64]
        var segments: [Segment]
    }

    /// What the running daemon reports, with `status --daemon`.
    struct Daemon: Codable, Equatable {
        var address: String
        var isReachable: Bool
        var version: String?
        var generation: UInt64?
        var uptimeSeconds: UInt64?
        var openConnections: UInt32?
        var error: String?

        static func query(_ client: AampeClient) async -> Daemon {
            defer { Task { await client.close() } }
            let address = client.configuration.address.description
            do {
                let stats = try await client.stats()
                return Daemon(
                    address: address,
                    isReachable: true,
                    version: stats.serverVersion,
                    generation: stats.hasGeneration ? stats.generation : nil,
                    uptimeSeconds: stats.uptimeMillis / 1000,
                    openConnections: stats.openConnections
                )
            } catch {
                return Daemon(address: address, isReachable: false, error: "\(error)")
            }
        }
    }

    var dataDirectory: String
    var dataDirectoryID: String
    var createdAt: String
    var schema: Schema
    /// Rows per stored table.
    var counts: [String: Int]
    var runs: Runs
    /// The live generation, or `nil` before the first training run publishes one.
    var currentGeneration: Generation?
    var diskUsage: DiskUsage
    /// Present only with `--daemon`.
    var daemon: Daemon?

    init(directory: DataDirectory, store: Store) throws {
        let meta = try store.meta()
        let byStatus = try store.runs.countsByStatus()
        dataDirectory = directory.path
        dataDirectoryID = meta.dataDirectoryID
        createdAt = meta.createdAt.description
        schema = Schema(version: meta.schemaVersion, supportedVersion: Store.supportedSchemaVersion)
        counts = Dictionary(uniqueKeysWithValues: try store.inventory().map { ($0.name, $0.count) })
        runs = Runs(
            total: byStatus.values.reduce(0, +),
            running: byStatus[.running] ?? 0,
            succeeded: byStatus[.succeeded] ?? 0,
            failed: byStatus[.failed] ?? 0
        )
        currentGeneration = try Self.currentGeneration(directory)
        diskUsage = try directory.diskUsage()
    }

    /// What the live generation holds, read through the same validating reader the daemon uses.
    private static func currentGeneration(_ directory: DataDirectory) throws -> Generation? {
        let store = GenerationStore(dataDirectory: directory)
        guard let generation = try store.openCurrent() else { return nil }
        let segments = generation.segments.sorted { $0.key < $1.key }.map { file, reader in
            Generation.Segment(
                file: file,
                kind: reader.header.kind.description,
                bytes: reader.fileBytes,
                columns: reader.columns.map { column in
                    Generation.Segment.Column(
                        name: column.name,
                        type: column.type.description,
                        codec: column.codec.description,
                        rows: column.rowCount,
                        storedBytes: column.storedBytes
                    )
                }
            )
        }
        return Generation(
            number: generation.number.rawValue,
            retained: try store.publishedNumbers().map(\.rawValue),
            segments: segments
        )
    }

    enum CodingKeys: String, CodingKey {
        case dataDirectory, dataDirectoryID, createdAt, schema, counts, runs, currentGeneration, diskUsage, daemon
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dataDirectory, forKey: .dataDirectory)
        try container.encode(dataDirectoryID, forKey: .dataDirectoryID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(schema, forKey: .schema)
        try container.encode(counts, forKey: .counts)
        try container.encode(runs, forKey: .runs)
        // An explicit null, so that scripts can tell "no generation yet" from a missing field.
        try container.encode(currentGeneration, forKey: .currentGeneration)
        try container.encode(diskUsage, forKey: .diskUsage)
        try container.encodeIfPresent(daemon, forKey: .daemon)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        var rows: [(String, String)] = [
            ("data directory", dataDirectory),
            ("id", dataDirectoryID),
            ("created", createdAt),
            ("schema version", "\(schema.version) (this build: \(schema.supportedVersion))"),
        ]
        if let generation = currentGeneration {
            let bytes = generation.segments.reduce(0) { $0 + $1.bytes }
            rows.append(
                ("current generation", "\(generation.number) (\(generation.segments.count) segment files, \(ByteCount.format(Int64(bytes))))")
            )
            rows.append(("retained generations", generation.retained.map(String.init).joined(separator: ", ")))
            for segment in generation.segments {
                let rowCounts = Set(segment.columns.map(\.rows)).sorted().map(String.init).joined(separator: "/")
                rows.append(
                    ("  \(segment.file)", "\(segment.kind), \(segment.columns.count) columns, \(rowCounts) rows, \(ByteCount.format(Int64(segment.bytes)))")
                )
            }
        } else {
            rows.append(("current generation", "none"))
        }
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) {
            rows.append(("\(name) rows", String(count)))
        }
        rows.append(
            (
                "runs by status",
                "\(runs.total) (\(runs.running) running, \(runs.succeeded) succeeded, \(runs.failed) failed)"
            )
        )
        rows += [
            ("disk: database", ByteCount.format(diskUsage.databaseBytes)),
            ("disk: events", ByteCount.format(diskUsage.eventsBytes)),
            ("disk: generations", ByteCount.format(diskUsage.generationsBytes)),
            ("disk: realtime", ByteCount.format(diskUsage.realtimeBytes)),
            ("disk: quarantine", ByteCount.format(diskUsage.quarantineBytes)),
            ("disk: total", ByteCount.format(diskUsage.totalBytes)),
        ]
        if let daemon {
            if daemon.isReachable {
                rows.append(("daemon", "aamped \(daemon.version ?? "?") at \(daemon.address), up \(daemon.uptimeSeconds ?? 0) s"))
                rows.append(("daemon generation", daemon.generation.map(String.init) ?? "none"))
                rows.append(("daemon connections", String(daemon.openConnections ?? 0)))
            } else {
                rows.append(("daemon", "not reachable at \(daemon.address): \(daemon.error ?? "unknown error")"))
            }
        }
        return TextTable(header: ("item", "value"), rows: rows).rendered()
    }
}

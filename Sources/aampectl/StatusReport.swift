import AampeCore
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

    var dataDirectory: String
    var dataDirectoryID: String
    var createdAt: String
    var schema: Schema
    /// Rows per stored table.
    var counts: [String: Int]
    var runs: Runs
    /// The live generation's number, or `nil` before the first training run publishes one.
    var currentGeneration: String?
    var diskUsage: DiskUsage

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
        currentGeneration = Self.currentGeneration(directory)
        diskUsage = try directory.diskUsage()
    }

    /// The pointer file's content, when a generation has been published.
    private static func currentGeneration(_ directory: DataDirectory) -> String? {
        guard let data = FileManager.default.contents(atPath: directory.currentGenerationPointerPath) else {
            return nil
        }
        let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    enum CodingKeys: String, CodingKey {
        case dataDirectory, dataDirectoryID, createdAt, schema, counts, runs, currentGeneration, diskUsage
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
            ("current generation", currentGeneration ?? "none"),
        ]
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
        return TextTable(header: ("item", "value"), rows: rows).rendered()
    }
}

public import AampeCore
import AampeSegments
public import AampeStore

/// What a data directory holds, as `aampectl status` reports it (its `--json` shape): the schema, rows
/// per table, the run history's counts, the live generation with its models and segment files, and
/// disk usage. The live generation is read through the same validating reader the daemon uses.
public struct DataDirectoryStatus: Codable, Equatable, Sendable {
    public struct Schema: Codable, Equatable, Sendable {
        public var version: Int
        /// The newest schema this build knows.
        public var supportedVersion: Int
    }

    public struct Runs: Codable, Equatable, Sendable {
        public var total: Int
        public var running: Int
        public var succeeded: Int
        public var failed: Int
    }

    public struct Generation: Codable, Equatable, Sendable {
        /// One model of the generation.
        public struct Model: Codable, Equatable, Sendable {
            public var name: String
            /// The generation whose training run wrote the model's files.
            public var trainedInGeneration: UInt64
        }

        public struct Segment: Codable, Equatable, Sendable {
            public struct Column: Codable, Equatable, Sendable {
                public var name: String
                public var type: String
                public var codec: String
                public var rows: Int
                public var storedBytes: Int
            }

            /// The file's path in the generation, such as `recommender/items.seg`.
            public var file: String
            public var kind: String
            public var bytes: Int
            public var columns: [Column]
        }

        public var number: UInt64
        /// Every published generation still on disk, oldest first.
        public var retained: [UInt64]
        public var models: [Model]
        public var segments: [Segment]
    }

    public var dataDirectory: String
    public var dataDirectoryID: String
    public var createdAt: String
    public var schema: Schema
    /// Rows per stored table.
    public var counts: [String: Int]
    public var runs: Runs
    /// The live generation, or `nil` before the first training run publishes one.
    public var currentGeneration: Generation?
    public var diskUsage: DiskUsage
    /// The last nightly pipeline pass (`pipeline.json`), or `nil` before the first.
    public var lastPipelinePass: PipelineReport?

    /// Reads the status of `directory` through its open `store`.
    public init(directory: DataDirectory, store: Store) throws {
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
        lastPipelinePass = try PipelineReport.read(directory)
    }

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
            models: generation.manifest.models.map {
                Generation.Model(name: $0.name, trainedInGeneration: $0.trainedInGeneration)
            },
            segments: segments
        )
    }

    enum CodingKeys: String, CodingKey {
        case dataDirectory, dataDirectoryID, createdAt, schema, counts, runs, currentGeneration, diskUsage
        case lastPipelinePass
    }

    public func encode(to encoder: any Encoder) throws {
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
        try container.encode(lastPipelinePass, forKey: .lastPipelinePass)
    }
}

import AampeCore
public import AampeSegments

/// The landscape's files in a generation, in its folder `landscape/`:
///
/// - ``users`` (kind `landscape`): the user dictionary, each user's vector (RAW, read in place by
///   assignment and the model), cluster (RAW), last event (RAW) and every aggregate (ZSTD, cold).
/// - ``manifest``: the settings, the scaler, the PCA model and the centroids (so a user new since
///   training can be placed), the explained variance and the cluster descriptions.
///
/// Column names are declared once, in ``UserColumn``; `proto-spec/segment-format.md` lists them for
/// readers in other languages.
public enum LandscapeFiles {
    /// The model's folder in a generation.
    public static let model = "landscape"
    /// `landscape/users.seg`; columns in ``UserColumn``.
    public static let users = GenerationFile(model: model, name: "users.seg")
    /// `landscape/landscape.json` (``Manifest``).
    public static let manifest = GenerationFile(model: model, name: "landscape.json")

    /// The columns of ``users``, one row per user of the dictionary at training.
    public enum UserColumn: String, CaseIterable, Sendable {
        /// Dictionary: external user id → row.
        case userID = "user_id"
        /// f32 × dimensions: the user's landscape vector.
        case vector
        /// u32: the user's cluster.
        case cluster
        /// i64: seconds since the epoch of the user's last event in the longest period, 0 for none.
        case lastSeenSeconds = "last_seen_seconds"
        /// f32 × features, ZSTD: the unscaled aggregates, named by ``Manifest/featureNames``.
        case aggregates
    }

    /// What `landscape.json` holds.
    public struct Manifest: Codable, Sendable, Hashable {
        /// The settings trained with.
        public var settings: LandscapeSettings
        /// The end of every aggregate period, seconds since the epoch.
        public var referenceSeconds: Int64
        /// When training ran, ISO-8601 UTC.
        public var trainedAt: String
        /// Rows of ``users``.
        public var userCount: Int
        /// The aggregate names, the columns of ``UserColumn/aggregates`` and the scaler's input.
        public var featureNames: [String]
        /// Event types left out for ``Limits/maximumLandscapeEventTypes``.
        public var eventTypesLeftOut: [String]
        /// log1p and robust standardization of the aggregates.
        public var scaler: RobustScaler
        /// Per aggregate, the weight applied after scaling, before the PCA.
        public var columnWeights: [Float]
        /// The reduction to the vector.
        public var pca: PCAModel
        /// Clusters.
        public var clusterCount: Int
        /// Cluster count × dimensions, row-major.
        public var centroids: [Float]
        /// Sum of squared distances of the vectors to their centroids.
        public var inertia: Double
        /// The mean silhouette on a seeded sample.
        public var silhouette: Double
        /// With `--choose-k`: every k tried.
        public var clusterChoices: [ClusterChoice]
        /// Per cluster: size and what sets it apart.
        public var clusterProfiles: [ClusterProfile]

        enum CodingKeys: String, CodingKey {
            case settings, scaler, pca, centroids, inertia, silhouette
            case columnWeights = "column_weights"
            case referenceSeconds = "reference_seconds"
            case trainedAt = "trained_at"
            case userCount = "user_count"
            case featureNames = "feature_names"
            case eventTypesLeftOut = "event_types_left_out"
            case clusterCount = "cluster_count"
            case clusterChoices = "cluster_choices"
            case clusterProfiles = "cluster_profiles"
        }
    }

    /// Writes both files into the generation `builder` is building. `userIDs` is the dictionary the
    /// aggregates were indexed by; `lastSeenSeconds` has one entry per user.
    public static func write(
        _ trained: TrainedLandscape,
        userIDs: [String],
        lastSeenSeconds: [Int64],
        into builder: GenerationBuilder,
        trainedAt: String
    ) throws {
        precondition(
            userIDs.count == trained.vectors.rows && lastSeenSeconds.count == userIDs.count,
            "one row per user"
        )
        let dimensions = trained.vectors.columns
        let features = trained.aggregates.columns
        let writer = try SegmentWriter(path: try builder.path(of: users), kind: .landscape)
        try writer.writeDictionaryColumn(UserColumn.userID.rawValue, keys: userIDs)
        try writer.writeVectorColumn(
            UserColumn.vector.rawValue,
            dimension: dimensions,
            vectors: (0..<userIDs.count).lazy.map {
                trained.vectors.values[($0 * dimensions)..<(($0 + 1) * dimensions)]
            }
        )
        try writer.writeColumn(UserColumn.cluster.rawValue, values: trained.clustering.assignments)
        try writer.writeColumn(UserColumn.lastSeenSeconds.rawValue, values: lastSeenSeconds)
        try writer.writeVectorColumn(
            UserColumn.aggregates.rawValue,
            dimension: features,
            codec: .zstd,
            vectors: (0..<userIDs.count).lazy.map { trained.aggregates.values[($0 * features)..<(($0 + 1) * features)] }
        )
        try writer.finish()
        let manifest = Manifest(
            settings: trained.settings,
            referenceSeconds: trained.referenceSeconds,
            trainedAt: trainedAt,
            userCount: userIDs.count,
            featureNames: trained.featureNames,
            eventTypesLeftOut: trained.eventTypesLeftOut,
            scaler: trained.scaler,
            columnWeights: trained.columnWeights,
            pca: trained.pca,
            clusterCount: trained.clustering.k,
            centroids: trained.clustering.centroids,
            inertia: trained.clustering.inertia,
            silhouette: trained.silhouette,
            clusterChoices: trained.clusterChoices,
            clusterProfiles: trained.clusterProfiles
        )
        try GenerationJSON.write(manifest, as: Self.manifest, into: builder)
    }
}

/// A generation's landscape, mapped: the manifest, the user dictionary and the RAW columns.
///
/// Everything in it is immutable and it holds ``generation``, so it may be shared across threads and
/// the files stay mapped while it lives.
// @unchecked Sendable: the buffers point into the generation's read-only mapping, which never changes
// and which `generation` keeps mapped for as long as this object lives.
public final class ServedLandscape: ModelView, @unchecked Sendable {
    /// The model name a generation lists these files under.
    public static let model = LandscapeFiles.model

    /// The generation mapped.
    public let generation: Generation
    /// The generation's `landscape.json`.
    public let manifest: LandscapeFiles.Manifest
    /// External user id → row.
    public let userIDs: DictionaryColumn
    /// The user vectors.
    public let vectors: VectorColumn
    /// The user clusters, RAW.
    public let clusters: UnsafeBufferPointer<UInt32>
    /// The users' last event, RAW.
    public let lastSeenSeconds: UnsafeBufferPointer<Int64>
    /// The unscaled aggregates (ZSTD, decoded on demand).
    public let aggregates: VectorColumn

    /// Maps and checks the landscape files of `generation`. Errors name the file and the column.
    public init(generation: Generation) throws {
        let reader = try generation.segment(LandscapeFiles.users)
        let manifest = try GenerationJSON.read(LandscapeFiles.Manifest.self, LandscapeFiles.manifest, of: generation)
        func fail(_ column: LandscapeFiles.UserColumn, _ detail: String) -> SegmentError {
            SegmentError(path: reader.path, column: column.rawValue, reason: .generation(detail: detail))
        }
        let userIDs = try reader.dictionaryColumn(LandscapeFiles.UserColumn.userID.rawValue)
        let vectors = try reader.vectorColumn(LandscapeFiles.UserColumn.vector.rawValue)
        let aggregates = try reader.vectorColumn(LandscapeFiles.UserColumn.aggregates.rawValue)
        guard
            let clusters = try reader.scalarColumn(LandscapeFiles.UserColumn.cluster.rawValue, as: UInt32.self)
                .rawValues
        else { throw fail(.cluster, "the landscape needs a RAW cluster column") }
        guard
            let lastSeen = try reader.scalarColumn(
                LandscapeFiles.UserColumn.lastSeenSeconds.rawValue,
                as: Int64.self
            ).rawValues
        else { throw fail(.lastSeenSeconds, "the landscape needs a RAW last_seen_seconds column") }
        guard userIDs.count == manifest.userCount, clusters.count == userIDs.count, lastSeen.count == userIDs.count,
            vectors.count == userIDs.count, aggregates.count == userIDs.count
        else { throw fail(.userID, "the columns disagree on the number of users (manifest: \(manifest.userCount))") }
        guard vectors.dimension == manifest.pca.componentCount else {
            throw fail(.vector, "vectors of \(vectors.dimension) against \(manifest.pca.componentCount) components")
        }
        guard aggregates.dimension == manifest.featureNames.count else {
            throw fail(.aggregates, "\(aggregates.dimension) aggregates against \(manifest.featureNames.count) names")
        }
        guard manifest.centroids.count == manifest.clusterCount * manifest.pca.componentCount,
            manifest.clusterProfiles.count == manifest.clusterCount
        else { throw fail(.cluster, "the manifest's centroids or profiles do not match its cluster count") }
        if clusters.contains(where: { Int($0) >= manifest.clusterCount }) {
            throw fail(.cluster, "a cluster index past the manifest's \(manifest.clusterCount) clusters")
        }
        // The placement of new users (`place`) reads these; decoding does not check them.
        let features = manifest.featureNames.count
        let pca = manifest.pca
        guard manifest.scaler.medians.count == features, manifest.scaler.scales.count == features,
            manifest.scaler.scales.allSatisfy({ $0 > 0 && $0.isFinite }), manifest.columnWeights.count == features,
            pca.mean.count == features, pca.components.count == pca.componentCount * features
        else {
            throw SegmentError(
                path: generation.path(of: LandscapeFiles.manifest),
                reason: .generation(detail: "the scaler, weights or PCA do not match the \(features) aggregates")
            )
        }
        self.generation = generation
        self.manifest = manifest
        self.userIDs = userIDs
        self.vectors = vectors
        self.clusters = clusters
        self.lastSeenSeconds = lastSeen
        self.aggregates = aggregates
    }

    /// The number of the generation mapped.
    public var generationNumber: UInt64 { generation.number.rawValue }

    /// The vector and cluster of a user new since training, from their unscaled aggregates (in
    /// ``LandscapeFiles/Manifest/featureNames`` order): scaled, weighted, projected, and the nearest
    /// centroid.
    public func place(aggregates: [Float]) -> (vector: [Float], cluster: Int) {
        precondition(aggregates.count == manifest.featureNames.count, "one value per aggregate")
        var row = aggregates
        manifest.scaler.transform(row: &row)
        for column in row.indices { row[column] *= manifest.columnWeights[column] }
        let vector = manifest.pca.project(row: row)
        return (vector, KMeans.nearest(vector, centroids: manifest.centroids, k: manifest.clusterCount))
    }

    /// The cluster of the user with external id `userID`, or `nil` for a user new since training.
    public func cluster(of userID: String) -> Int? {
        userIDs.row(for: userID).map { Int(clusters[$0]) }
    }
}

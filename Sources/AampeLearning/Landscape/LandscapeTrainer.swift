import AampeCore

/// A trained landscape: each user's vector and cluster, and everything needed to place a user new
/// since training (the scaler, the PCA model and the centroids).
public struct TrainedLandscape: Sendable {
    /// The settings trained with.
    public var settings: LandscapeSettings
    /// The end of every aggregate period, seconds since the epoch.
    public var referenceSeconds: Int64
    /// The aggregate names, in column order of ``aggregates``.
    public var featureNames: [String]
    /// Users × features, before scaling.
    public var aggregates: FeatureMatrix
    /// log1p and robust standardization, fitted on all users.
    public var scaler: RobustScaler
    /// Per aggregate, the weight applied after scaling (``LandscapeAggregates/blockWeights``, or all 1).
    public var columnWeights: [Float]
    /// The reduction to ``LandscapeSettings/dimensions``.
    public var pca: PCAModel
    /// Users × dimensions: the user vectors.
    public var vectors: FeatureMatrix
    /// The clustering of ``vectors`` kept (lowest inertia over the restarts).
    public var clustering: KMeansResult
    /// The mean silhouette of ``clustering`` on a seeded sample.
    public var silhouette: Double
    /// With `--choose-k`: every k tried, its sample silhouette and inertia.
    public var clusterChoices: [ClusterChoice]
    /// Per cluster: its size and what sets it apart.
    public var clusterProfiles: [ClusterProfile]
    /// Event types left out for the limit.
    public var eventTypesLeftOut: [String]
    /// Wall-clock seconds per phase: scaling, pca, clustering (the silhouette included), describing.
    public var phaseSeconds: [String: Double]
}

/// One k tried by `--choose-k`.
public struct ClusterChoice: Codable, Sendable, Hashable {
    /// Clusters.
    public var k: Int
    /// Mean silhouette on the sample.
    public var silhouette: Double
    /// Sum of squared distances to the assigned centroids.
    public var inertia: Double
}

/// One cluster described: its size and the aggregates that set it apart most.
public struct ClusterProfile: Codable, Sendable, Hashable {
    /// The cluster's index.
    public var cluster: Int
    /// Users in it.
    public var users: Int
    /// The aggregates whose standardized mean is furthest from the population's, furthest first.
    public var distinguishing: [Distinction]

    /// One aggregate of one cluster against the population.
    public struct Distinction: Codable, Sendable, Hashable {
        /// The aggregate's name.
        public var feature: String
        /// (cluster mean − population mean) / population standard deviation, on the scaled values.
        public var standardizedMean: Double
        /// The cluster's mean of the unscaled aggregate.
        public var clusterMean: Double
        /// The population's mean of the unscaled aggregate.
        public var populationMean: Double

        enum CodingKeys: String, CodingKey {
            case feature
            case standardizedMean = "standardized_mean"
            case clusterMean = "cluster_mean"
            case populationMean = "population_mean"
        }
    }
}

/// Scales, reduces and clusters the aggregates.
public enum LandscapeTrainer {
    /// The training phases, for progress.
    public enum Phase: String, Sendable {
        case scaling, pca, clustering, describing
    }

    /// How many aggregates describe a cluster.
    public static let distinctionsPerCluster = 5

    /// Trains on `aggregates`. There must be at least one user.
    public static func train(
        _ aggregates: LandscapeAggregates,
        progress: ((Phase) -> Void)? = nil
    ) throws -> TrainedLandscape {
        let settings = aggregates.settings
        guard aggregates.userCount >= 1 else {
            throw LearningError.invalidOption(name: "events", reason: "no users to build a landscape from")
        }
        var times = PhaseTimes()
        func timed<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
            progress?(phase)
            return try times.measure(phase.rawValue, body)
        }
        let raw = aggregates.features()
        let weights = settings.weighsBlocks ? aggregates.blockWeights : Array(repeating: 1, count: raw.columns)
        let (scaler, scaled) = timed(.scaling) {
            let scaler = RobustScaler.fit(raw, clip: settings.clip)
            var scaled = raw
            scaler.transform(&scaled)
            scaled.scaleColumns(by: weights)
            return (scaler, scaled)
        }
        let dimensions = min(settings.dimensions, raw.columns, raw.rows)
        let (pca, vectors) = timed(.pca) {
            let pca = PCAModel.fit(scaled, components: dimensions, seed: settings.seed)
            return (pca, pca.project(scaled))
        }
        let (clustering, choices) = timed(.clustering) { () -> (KMeansResult, [ClusterChoice]) in
            // Choosing k compares at least two clusters, so it needs at least two users.
            if let range = settings.chooseKRange, vectors.rows >= 2 {
                let upper = min(range.upper, vectors.rows)
                let lower = min(range.lower, upper)
                let chosen = KMeans.chooseK(
                    vectors,
                    range: lower...upper,
                    restarts: settings.restarts,
                    sampleSize: settings.silhouetteSampleSize,
                    seed: settings.seed
                )
                return (
                    chosen.best,
                    chosen.scores.map { ClusterChoice(k: $0.k, silhouette: $0.silhouette, inertia: $0.inertia) }
                )
            }
            let k = min(settings.clusters, vectors.rows)
            return (KMeans.fit(vectors, k: k, restarts: settings.restarts, seed: settings.seed), [])
        }
        let silhouette = times.measure(Phase.clustering.rawValue) {
            KMeans.silhouette(
                vectors,
                assignments: clustering.assignments,
                k: clustering.k,
                sampleSize: settings.silhouetteSampleSize,
                seed: settings.seed
            )
        }
        let profiles = timed(.describing) {
            describe(raw: raw, scaled: scaled, clustering: clustering, names: aggregates.featureNames)
        }
        return TrainedLandscape(
            settings: settings,
            referenceSeconds: aggregates.referenceSeconds,
            featureNames: aggregates.featureNames,
            aggregates: raw,
            scaler: scaler,
            columnWeights: weights,
            pca: pca,
            vectors: vectors,
            clustering: clustering,
            silhouette: silhouette,
            clusterChoices: choices,
            clusterProfiles: profiles,
            eventTypesLeftOut: aggregates.eventTypesLeftOut,
            phaseSeconds: times.seconds
        )
    }

    /// Per cluster, the aggregates whose scaled mean is furthest from the population's, in population
    /// standard deviations.
    static func describe(
        raw: FeatureMatrix,
        scaled: FeatureMatrix,
        clustering: KMeansResult,
        names: [String]
    ) -> [ClusterProfile] {
        let columns = raw.columns
        let k = clustering.k
        var sums = [Double](repeating: 0, count: k * columns)
        var rawSums = [Double](repeating: 0, count: k * columns)
        var total = [Double](repeating: 0, count: columns)
        var totalSquares = [Double](repeating: 0, count: columns)
        var rawTotal = [Double](repeating: 0, count: columns)
        var sizes = [Int](repeating: 0, count: k)
        for row in 0..<raw.rows {
            let cluster = Int(clustering.assignments[row])
            sizes[cluster] += 1
            for column in 0..<columns {
                let value = Double(scaled.values[row * columns + column])
                let rawValue = Double(raw.values[row * columns + column])
                sums[cluster * columns + column] += value
                rawSums[cluster * columns + column] += rawValue
                total[column] += value
                totalSquares[column] += value * value
                rawTotal[column] += rawValue
            }
        }
        let n = Double(raw.rows)
        return (0..<k).map { cluster in
            let size = Double(max(sizes[cluster], 1))
            let distinctions = (0..<columns).compactMap { column -> ClusterProfile.Distinction? in
                let mean = total[column] / n
                let variance = max(0, totalSquares[column] / n - mean * mean)
                guard variance > 1e-12 else { return nil }
                return ClusterProfile.Distinction(
                    feature: names[column],
                    standardizedMean: (sums[cluster * columns + column] / size - mean) / variance.squareRoot(),
                    clusterMean: rawSums[cluster * columns + column] / size,
                    populationMean: rawTotal[column] / n
                )
            }
            .sorted { (abs($0.standardizedMean), $1.feature) > (abs($1.standardizedMean), $0.feature) }
            return ClusterProfile(
                cluster: cluster,
                users: sizes[cluster],
                distinguishing: Array(distinctions.prefix(distinctionsPerCluster))
            )
        }
    }
}

extension FeatureMatrix {
    /// Multiplies column j by `weights[j]`.
    public mutating func scaleColumns(by weights: [Float]) {
        precondition(weights.count == columns, "one weight per column")
        guard weights.contains(where: { $0 != 1 }) else { return }
        let columns = columns
        values.withUnsafeMutableBufferPointer { values in
            weights.withUnsafeBufferPointer { weights in
                for row in 0..<rows {
                    for column in 0..<columns { values[row * columns + column] *= weights[column] }
                }
            }
        }
    }
}

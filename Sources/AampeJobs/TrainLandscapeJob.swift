public import AampeCore
import AampeEvents
public import AampeLearning
import AampeSegments
import AampeStore
import Foundation

/// `aampectl train landscape`: aggregates each user's events, scales, reduces and clusters them, and
/// publishes the landscape as a new generation with the live generation's other models carried over.
public enum TrainLandscapeJob {
    /// What a run did.
    public struct Report: Codable, Sendable {
        /// The generation published.
        public var publication: GenerationPublisher.Outcome
        /// The settings trained with.
        public var settings: LandscapeSettings
        /// The end of every aggregate period, ISO-8601.
        public var referenceTime: String
        /// Users (rows).
        public var users: Int
        /// Events aggregated (within the longest period).
        public var eventsAggregated: Int
        /// Events after the reference time, ignored.
        public var eventsAfterReference: Int
        /// Aggregates per user.
        public var features: Int
        /// Event types left out for the limit.
        public var eventTypesLeftOut: [String]
        /// Catalog categories aggregated as shares.
        public var categories: [String]
        /// Catalog categories left out for ``Limits/maximumLandscapeCategories``.
        public var categoriesLeftOut: [String]
        /// Dimensions of the vector.
        public var dimensions: Int
        /// Per component: the share of the scaled aggregates' variance it explains.
        public var explainedVarianceRatio: [Double]
        /// Clusters.
        public var clusters: Int
        /// Sum of squared distances to the centroids.
        public var inertia: Double
        /// The mean silhouette on a seeded sample.
        public var silhouette: Double
        /// With `--choose-k`: every k tried.
        public var clusterChoices: [ClusterChoice]
        /// Per cluster: size and what sets it apart.
        public var clusterProfiles: [ClusterProfile]
        /// Wall-clock seconds per phase: reading, scaling, pca, clustering, describing, writing.
        public var phaseSeconds: [String: Double]

        /// The share of variance all components explain together.
        public var totalExplainedVariance: Double { explainedVarianceRatio.reduce(0, +) }

        enum CodingKeys: String, CodingKey {
            case publication, settings, users, features, dimensions, clusters, inertia, silhouette
            case referenceTime = "reference_time"
            case eventsAggregated = "events_aggregated"
            case eventsAfterReference = "events_after_reference"
            case eventTypesLeftOut = "event_types_left_out"
            case categories
            case categoriesLeftOut = "categories_left_out"
            case explainedVarianceRatio = "explained_variance_ratio"
            case clusterChoices = "cluster_choices"
            case clusterProfiles = "cluster_profiles"
            case phaseSeconds = "phase_seconds"
        }
    }

    /// Trains and publishes. `asOf` rebuilds a past state; `exportScaledPath`, when given, also writes
    /// the scaled users × aggregates matrix there as a NumPy `.npy` file (float32), so a benchmark can
    /// run another implementation on exactly the same input. `progress` gets a phase name, the units
    /// done and the units in all.
    public static func run(
        directory: DataDirectory,
        settings: LandscapeSettings,
        asOf: Timestamp? = nil,
        exportScaledPath: String? = nil,
        progress: (@Sendable (String, Int, Int) -> Void)? = nil
    ) throws -> Report {
        try settings.validate()
        return try BatchRun.run(.train, subject: LandscapeFiles.model, directory: directory, buildsGeneration: true) {
            context in
            var times = PhaseTimes()
            let (window, aggregates, categories) = try times.measure("reading") {
                let window = try TrainingWindow(
                    directory: directory,
                    store: context.store,
                    asOf: asOf,
                    defaultZone: settings.defaultTimeZone
                )
                let keys = window.snapshot.keys
                var itemCategories = [String?](repeating: nil, count: keys.itemIDs.count)
                for row in try context.store.ingestion.catalogRows() where row.itemIndex < itemCategories.count {
                    itemCategories[row.itemIndex] = row.category
                }
                let categories = LandscapeAggregates.categoryTable(itemCategories: itemCategories)
                var aggregates = LandscapeAggregates(
                    settings: settings,
                    referenceSeconds: window.reference.secondsSinceEpoch,
                    userCount: keys.userIDs.count,
                    eventTypes: keys.eventTypes,
                    typeFrequencies: keys.eventTypes.count > Limits.maximumLandscapeEventTypes
                        ? try eventTypeFrequencies(window) : nil,
                    categoryNames: categories.names,
                    categoryOfItem: categories.ofItem
                )
                try window.read(
                    from: Timestamp(secondsSinceEpoch: aggregates.earliestSecondsAggregated),
                    progress: progress
                ) { aggregates.add($0, zones: window.zones) }
                return (window, aggregates, categories)
            }
            let keys = window.snapshot.keys
            let trained = try LandscapeTrainer.train(aggregates) { phase in progress?(phase.rawValue, 0, 0) }
            let publication = try times.measure("writing") {
                if let exportScaledPath {
                    var scaled = trained.aggregates
                    trained.scaler.transform(&scaled)
                    scaled.scaleColumns(by: trained.columnWeights)
                    try NumPyFile.write(scaled, to: exportScaledPath)
                }
                let lastSeen = (0..<keys.userIDs.count).map { aggregates.lastSeenSeconds(of: $0) ?? 0 }
                return try GenerationPublisher.publish(model: LandscapeFiles.model, in: directory) { builder in
                    try LandscapeFiles.write(
                        trained,
                        userIDs: keys.userIDs,
                        lastSeenSeconds: lastSeen,
                        into: builder,
                        trainedAt: Timestamp.now().description
                    )
                }
            }
            let phases = trained.phaseSeconds.merging(times.seconds) { $1 }
            let report = Report(
                publication: publication,
                settings: settings,
                referenceTime: window.reference.description,
                users: keys.userIDs.count,
                eventsAggregated: aggregates.eventsAggregated,
                eventsAfterReference: aggregates.eventsAfterReference + window.eventsInLaterSegments,
                features: trained.featureNames.count,
                eventTypesLeftOut: trained.eventTypesLeftOut,
                categories: categories.names,
                categoriesLeftOut: categories.leftOut,
                dimensions: trained.pca.componentCount,
                explainedVarianceRatio: trained.pca.explainedVarianceRatio,
                clusters: trained.clustering.k,
                inertia: trained.clustering.inertia,
                silhouette: trained.silhouette,
                clusterChoices: trained.clusterChoices,
                clusterProfiles: trained.clusterProfiles,
                phaseSeconds: phases
            )
            let counters = RunCounters([
                "users": Int64(report.users),
                "events_aggregated": Int64(report.eventsAggregated),
                "clusters": Int64(report.clusters),
                "generation": Int64(publication.generation),
            ])
            return (report, counters)
        }
    }

    /// Events per type in the window, for choosing which types to keep when there are too many.
    private static func eventTypeFrequencies(_ window: TrainingWindow) throws -> [Int] {
        var frequency = [Int](repeating: 0, count: window.snapshot.keys.eventTypes.count)
        try window.events.forEachSegment(of: window.snapshot) { events, _, _ in
            for type in events.eventTypes { frequency[Int(type)] += 1 }
        }
        return frequency
    }
}

/// Reads a generation's landscape for `aampectl landscape show` and `export`.
public enum LandscapeLookup {
    /// The live generation's landscape. No generation, or one without a landscape, throws with what to
    /// run.
    public static func current(directory: DataDirectory) throws -> ServedLandscape {
        let generations = GenerationStore(dataDirectory: directory)
        guard let live = try generations.openCurrent(), live.contains(model: LandscapeFiles.model) else {
            throw JobError(
                .noData(detail: "the live generation has no landscape; run `aampectl train landscape` first")
            )
        }
        return try ServedLandscape(generation: live)
    }

    /// Every user's cluster and vector as CSV: `user_id,cluster,v0,…`.
    public static func writeCSV(_ landscape: ServedLandscape, _ write: (String) throws -> Void) throws {
        let dimensions = landscape.vectors.dimension
        var output = "user_id,cluster," + (0..<dimensions).map { "v\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<landscape.userIDs.count {
            let vector = try landscape.vectors.vector(at: row)
            output += CSVText.field(landscape.userIDs.key(at: row)) + ",\(landscape.clusters[row]),"
            output += vector.map { String($0) }.joined(separator: ",") + "\n"
            if output.utf8.count > 1 << 16 {
                try write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        try write(output)
    }
}

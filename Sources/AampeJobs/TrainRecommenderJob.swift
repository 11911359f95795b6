public import AampeCore
public import AampeLearning
import AampeSegments
import AampeStore

/// `aampectl train recommender`: reads the imported events, trains the item-item recommender, and
/// publishes it as a new generation with the live generation's other models carried over.
public enum TrainRecommenderJob {
    /// What a training run did.
    public struct Report: Codable, Sendable {
        /// The generation published, what it carried over and what it retired.
        public var publication: GenerationPublisher.Outcome
        /// The settings trained with.
        public var settings: RecommenderSettings
        /// What training saw and did.
        public var statistics: TrainingStatistics
        /// Users in the data directory's user dictionary, rows of the user file.
        public var users: Int
        /// Items in the item dictionary, rows of the item file.
        public var items: Int
        /// The newest interaction, ISO-8601, or `none`.
        public var newestEvent: String
        /// Wall-clock seconds reading events and the catalog.
        public var secondsReading: Double
        /// Wall-clock seconds training.
        public var secondsTraining: Double
        /// Wall-clock seconds computing the served lists (0 when the settings keep none). Apart from
        /// ``secondsTraining``: the lists are answers computed ahead for every user, not the model.
        public var secondsServedLists: Double = 0
        /// Served list entries written over all users (0 when none are kept).
        public var servedListEntries = 0
        /// Wall-clock seconds writing and publishing the generation, retiring old ones included.
        public var secondsWriting: Double

        enum CodingKeys: String, CodingKey {
            case publication, settings, statistics, users, items
            case newestEvent = "newest_event"
            case secondsReading = "seconds_reading"
            case secondsTraining = "seconds_training"
            case secondsWriting = "seconds_writing"
            case secondsServedLists = "seconds_served_lists"
            case servedListEntries = "served_list_entries"
        }
    }

    /// Trains and publishes. `progress` gets a phase name, the units done and the units in all.
    public static func run(
        directory: DataDirectory,
        settings: RecommenderSettings,
        progress: (@Sendable (String, Int, Int) -> Void)? = nil
    ) throws -> Report {
        try BatchRun.run(.train, subject: RecommenderFiles.model, directory: directory, buildsGeneration: true) {
            context in
            let clock = ContinuousClock()
            let started = clock.now
            let (log, keys) = try InteractionLoading.load(
                directory: directory,
                store: context.store,
                settings: settings
            ) { done, total in
                progress?("reading events", done, total)
            }
            let (catalog, catalogUpdatedAtMicros) = try InteractionLoading.catalogSnapshot(
                store: context.store,
                itemCount: keys.itemIDs.count
            )
            let read = clock.now
            let trained = RecommenderTrainer.train(log, settings: settings) { phase, done, total in
                progress?(phase.rawValue, done, total)
            }
            let learned = clock.now
            let length = settings.effectiveServedListLength
            let servedLists = length > 0 ? ServedLists.compute(trained, length: length) : nil
            let listed = clock.now
            let publication = try GenerationPublisher.publish(model: RecommenderFiles.model, in: directory) { builder in
                try RecommenderFiles.write(
                    trained,
                    catalog: catalog,
                    itemIDs: keys.itemIDs,
                    userIDs: keys.userIDs,
                    into: builder,
                    trainedAt: Timestamp.now().description,
                    catalogUpdatedAtMicros: catalogUpdatedAtMicros,
                    servedLists: servedLists
                )
            }
            let written = clock.now
            let report = Report(
                publication: publication,
                settings: settings,
                statistics: trained.statistics,
                users: keys.userIDs.count,
                items: keys.itemIDs.count,
                newestEvent: log.count > 0
                    ? Timestamp(secondsSinceEpoch: trained.newestTimestampSeconds).description : "none",
                secondsReading: (read - started).secondsValue,
                secondsTraining: (learned - read).secondsValue,
                secondsServedLists: (listed - learned).secondsValue,
                servedListEntries: servedLists?.items.count ?? 0,
                secondsWriting: (written - listed).secondsValue
            )
            let counters = RunCounters([
                "interactions": Int64(trained.statistics.interactions),
                "neighbour_pairs": Int64(trained.statistics.neighbourPairs),
                "generation": Int64(publication.generation),
            ])
            return (report, counters)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

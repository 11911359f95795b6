public import AampeCore
public import AampeLearning
import AampeStore

/// `aampectl audience affinity`: the users most drawn to items with an attribute value, ranked by the
/// recommender's affinity, checked on held-out days against two baselines, and optionally exported.
///
/// The model score is Σ over the user's items of decayed affinity × (1 if the item has the value, plus
/// the share of the item's neighbour similarity on items that have it) / 2. The baselines are the count
/// of the user's interactions with such items and their share of the user's interactions. The
/// recommender is trained in memory; nothing is published.
public enum AudienceAffinityJob {
    /// What to rank and keep.
    public struct Request: Sendable {
        /// The attribute's name (`category` means the catalog category).
        public var attribute: String
        /// Values; an item with any of them counts.
        public var values: [String]
        /// Keep the best so many users.
        public var top: Int?
        /// Keep users whose model score is at least this.
        public var minimumScore: Double?
        /// Check the rankings on the last so many days, trained on the days before; 0 skips it.
        public var holdoutDays: Int
        /// How the recommender behind the score is trained (event weights, half-life, similarity).
        public var settings: RecommenderSettings

        /// A request; by default no cut by rank or score, and a 7-day holdout check.
        public init(
            attribute: String,
            values: [String],
            top: Int? = nil,
            minimumScore: Double? = nil,
            holdoutDays: Int = 7,
            settings: RecommenderSettings
        ) {
            self.attribute = attribute
            self.values = values
            self.top = top
            self.minimumScore = minimumScore
            self.holdoutDays = holdoutDays
            self.settings = settings
        }

        /// `name=value[,value]`: the audience's name in exports and reports.
        public var name: String { "\(attribute)=\(values.joined(separator: ","))" }
    }

    /// Where to write the audience.
    public struct Export: Sendable {
        /// The file to write; replaced if it exists.
        public var path: String
        /// The file layout.
        public var format: AudienceExport.Format
        /// Pinpoint only: the channel type push addresses are exported under (APNS, GCM, ...); `nil`: no push.
        public var pushChannelType: String?

        /// An export of `format` to `path`.
        public init(path: String, format: AudienceExport.Format, pushChannelType: String? = nil) {
            self.path = path
            self.format = format
            self.pushChannelType = pushChannelType
        }
    }

    /// What the job found.
    public struct Report: Codable, Sendable {
        /// The audience's name, `name=value[,value]` (``Request/name``).
        public var attribute: String
        /// Catalog items with any of the values.
        public var itemsWithAttribute: Int
        /// Users in the data directory's user dictionary; only those with interactions get a score.
        public var usersConsidered: Int
        /// Users kept: a positive model score, within ``Request/top`` and ``Request/minimumScore``.
        public var usersInAudience: Int
        /// Precision and recall of each ranking on the holdout; empty when the check was skipped or had no data.
        public var holdout: [AttributeAffinity.HoldoutResult]
        /// The holdout asked for, in days; 0: no check.
        public var holdoutDays: Int
        /// Users with an interaction with a matching item in the holdout days.
        public var holdoutPositives: Int
        /// What the export wrote; `nil` without an export.
        public var export: AudienceExport.Summary?
        /// The audience, best first, with external ids. Left out of the JSON report, which stays small
        /// for a million users; ``AudienceExport`` writes them all.
        public var members: [Member] = []

        enum CodingKeys: String, CodingKey {
            case attribute, holdout, export
            case itemsWithAttribute = "items_with_attribute"
            case usersConsidered = "users_considered"
            case usersInAudience = "users_in_audience"
            case holdoutDays = "holdout_days"
            case holdoutPositives = "holdout_positives"
        }
    }

    /// One user of the audience.
    public struct Member: Codable, Sendable {
        /// The external user id.
        public var userID: String
        /// The model score (see ``AttributeAffinity/UserScore/score``); always positive here.
        public var score: Double
        /// The user's interactions with matching items.
        public var count: Int
        /// ``count`` over all the user's interactions, 0 ... 1.
        public var share: Double

        enum CodingKeys: String, CodingKey {
            case score, count, share
            case userID = "user_id"
        }
    }

    /// Ranks, checks and (with `export`) writes the audience; recorded in the run history.
    public static func run(directory: DataDirectory, request: Request, export: Export?) throws -> Report {
        try BatchRun.run(.audience, subject: request.name, directory: directory, buildsGeneration: false) { context in
            let report = try rank(store: context.store, directory: directory, request: request, export: export)
            let counters = RunCounters([
                "users_in_audience": Int64(report.usersInAudience),
                "rows_exported": Int64(report.export?.rows ?? 0),
            ])
            return (report, counters)
        }
    }

    static func rank(store: Store, directory: DataDirectory, request: Request, export: Export?) throws -> Report {
        let settings = request.settings
        let (log, keys) = try InteractionLoading.load(directory: directory, store: store, settings: settings)
        var hasAttribute = [Bool](repeating: false, count: keys.itemIDs.count)
        var known: Set<String> = []
        for row in try store.ingestion.catalogRows() where row.itemIndex < hasAttribute.count {
            let itemValues =
                request.attribute == "category"
                ? (row.category.map { [$0] } ?? []) : (row.attributeValues[request.attribute] ?? [])
            known.formUnion(itemValues)
            if itemValues.contains(where: request.values.contains) { hasAttribute[row.itemIndex] = true }
        }
        let itemsWithAttribute = hasAttribute.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard itemsWithAttribute > 0 else {
            let hint =
                known.isEmpty
                ? "no catalog item has the attribute '\(request.attribute)'"
                : "known values: \(known.sorted().prefix(20).joined(separator: ", "))"
            throw JobError(
                .invalidOption(option: "--attribute \(request.name)", detail: "no catalog item matches (\(hint))")
            )
        }

        // The check: rankings from the data before the holdout, against who acted in it.
        var holdout: [AttributeAffinity.HoldoutResult] = []
        var positives: Set<UInt32> = []
        if request.holdoutDays > 0, let newest = log.newestTimestampSeconds {
            let cut = newest - Int64(request.holdoutDays) * Timestamp.secondsPerDay
            var before = InteractionLog(userCount: log.userCount, itemCount: log.itemCount)
            for index in 0..<log.count {
                if log.timestampSeconds[index] <= cut {
                    before.append(
                        user: log.users[index],
                        item: log.items[index],
                        weight: log.weights[index],
                        timestampSeconds: log.timestampSeconds[index],
                        isPurchase: log.isPurchase[index]
                    )
                } else if hasAttribute[Int(log.items[index])] {
                    positives.insert(log.users[index])
                }
            }
            if before.count > 0 && !positives.isEmpty {
                var holdoutSettings = settings
                holdoutSettings.historyLength = 0
                let trained = RecommenderTrainer.train(before, settings: holdoutSettings)
                let scores = AttributeAffinity.scores(log: before, trained: trained, hasAttribute: hasAttribute)
                holdout = AttributeAffinity.holdout(
                    scores: scores,
                    positives: positives,
                    top: request.top ?? positives.count
                )
            }
        }

        var fullSettings = settings
        fullSettings.historyLength = 0
        let trained = RecommenderTrainer.train(log, settings: fullSettings)
        // Users with no affinity at all (score 0) are in no audience.
        var ranked = AttributeAffinity.ranked(
            AttributeAffinity.scores(log: log, trained: trained, hasAttribute: hasAttribute),
            by: .model
        )
        .filter { $0.score > 0 }
        if let top = request.top { ranked = Array(ranked.prefix(top)) }
        if let minimumScore = request.minimumScore { ranked = ranked.filter { $0.score >= minimumScore } }

        var summary: AudienceExport.Summary?
        if let export {
            summary = try AudienceExport.write(
                ranked,
                to: export.path,
                format: export.format,
                userIDs: keys.userIDs,
                channels: try store.ingestion.channelRows(),
                audienceName: request.name,
                pushChannelType: export.pushChannelType
            )
        }
        return Report(
            attribute: request.name,
            itemsWithAttribute: itemsWithAttribute,
            usersConsidered: log.userCount,
            usersInAudience: ranked.count,
            holdout: holdout,
            holdoutDays: request.holdoutDays,
            holdoutPositives: positives.count,
            export: summary,
            members: ranked.map {
                Member(userID: keys.userIDs[Int($0.user)], score: $0.score, count: $0.count, share: $0.share)
            }
        )
    }
}

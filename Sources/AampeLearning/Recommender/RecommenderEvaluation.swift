/// Trains on one set of interactions and scores the held-out set, for the model and the most-popular
/// baseline side by side, under the protocol Microsoft Recommenders publishes tables for: top k, items
/// seen in train removed, any held-out interaction relevant.
public enum RecommenderEvaluation {
    /// What an evaluation measured.
    public struct Result: Sendable, Codable {
        /// Metrics of the model's lists.
        public var model: RankingMetrics
        /// Metrics of the most-popular baseline, under the same exclusions.
        public var popularity: RankingMetrics
        /// The settings trained with, `historyLength` 0 (whole histories) whatever was asked for.
        public var settings: RecommenderSettings
        /// Interactions in the train set.
        public var trainInteractions: Int
        /// Interactions in the test set.
        public var testInteractions: Int
        /// Test users with no train history get no list from either ranking (as in Recommenders, which
        /// evaluates users present in both), so they are not counted.
        public var testUsersWithoutHistory: Int
    }

    /// Evaluates `settings` on `train` → `test`. User and item indices share one space across both sets.
    /// Histories are kept whole (every train item is removed from the lists), whatever `historyLength` says.
    public static func run(
        train: [Interaction],
        test: [Interaction],
        userCount: Int,
        itemCount: Int,
        settings: RecommenderSettings,
        k: Int = 10
    ) -> Result {
        var settings = settings
        settings.historyLength = 0
        let log = InteractionLog(train, userCount: userCount, itemCount: itemCount)
        let trained = RecommenderTrainer.train(log, settings: settings)
        let model = RecommenderModel(trained: trained)
        let engine = RecommendationEngine(model: model)
        let relevant = relevantByUser(test, userCount: model.userCount)

        var modelLists = [[UInt32]](repeating: [], count: model.userCount)
        var popularLists = [[UInt32]](repeating: [], count: model.userCount)
        var withoutHistory = 0
        var options = RecommendationOptions(count: k, nowSeconds: trained.newestTimestampSeconds)
        options.backfill = [.popular]
        for user in 0..<model.userCount where !relevant[user].isEmpty {
            let history = model.history(of: user)
            guard !history.isEmpty else {
                withoutHistory += 1
                continue
            }
            modelLists[user] = engine.recommend(history: history, options: options).map(\.item)
            // The baseline: the same exclusions, no scores, so only the popularity backfill answers.
            let unscored = history.map { HistoryEntry(item: $0.item, weight: 0, lastSeenSeconds: $0.lastSeenSeconds) }
            popularLists[user] = engine.recommend(history: unscored, options: options).map(\.item)
        }
        let popularity = ItemPopularity(training: train)
        return Result(
            model: RankingMetrics.evaluate(
                recommendations: modelLists,
                relevantItems: relevant,
                popularity: popularity,
                k: k
            ),
            popularity: RankingMetrics.evaluate(
                recommendations: popularLists,
                relevantItems: relevant,
                popularity: popularity,
                k: k
            ),
            settings: settings,
            trainInteractions: train.count,
            testInteractions: test.count,
            testUsersWithoutHistory: withoutHistory
        )
    }

    static func relevantByUser(_ test: [Interaction], userCount: Int) -> [Set<UInt32>] {
        var relevant = [Set<UInt32>](repeating: [], count: userCount)
        for interaction in test where Int(interaction.user) < userCount {
            relevant[Int(interaction.user)].insert(interaction.item)
        }
        return relevant
    }
}

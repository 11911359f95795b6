public import AampeCore
import AampeLearning
import AampeSegments

/// Recommendations read straight from the current generation, for previews when no daemon answers. It
/// scores as the daemon does from the trained history only: real-time TRACK events since the generation
/// live in the daemon and are not seen here.
public enum RecommendationPreview {
    /// Up to `count` item ids the current generation recommends for `user` (popular items for a user it
    /// does not know), or an empty list when no generation holds a recommender.
    public static func itemIDs(directory: DataDirectory, user: String, count: Int) throws -> [String] {
        precondition(count > 0, "a preview asks for at least one item")
        guard let generation = try GenerationStore(dataDirectory: directory).openCurrent(),
            generation.contains(model: ServedRecommender.model)
        else { return [] }
        let served = try ServedRecommender(generation: generation)
        let history = served.userIDs.row(for: user).map { served.model.history(of: $0) } ?? []
        let options = RecommendationOptions(count: count, nowSeconds: Timestamp.now().secondsSinceEpoch)
        return served.engine.recommend(history: history, options: options).map { served.itemIDs.key(at: Int($0.item)) }
    }
}

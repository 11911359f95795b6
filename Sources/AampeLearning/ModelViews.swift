public import AampeSegments

/// Every model a generation may hold, by its serving view: what `status --verify` builds to check a
/// generation the way a reader would. A new model adds its view here.
public enum ModelViews {
    /// The views, one per model folder.
    public static let all: [any ModelView.Type] = [
        ServedRecommender.self, ServedLandscape.self, ServedTiming.self, ServedModel.self,
    ]
}

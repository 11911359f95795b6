import AampeLearning

/// A world small enough to check by hand. Four users, four items (A = 0, B = 1, C = 2, D = 3), one
/// interaction each of weight 1 at the same time unless a test says otherwise:
///
///     u0: A B      u1: A B C      u2: B C      u3: D
///
/// Users per item: A 2, B 3, C 2, D 1. Pairs: AB 2, AC 1, BC 2.
/// Jaccard: AB = 2 / (2 + 3 − 2) = 2/3, AC = 1 / (2 + 2 − 1) = 1/3, BC = 2 / (3 + 2 − 2) = 2/3.
/// Cosine: AB = 2/√6, AC = 1/2, BC = 2/√6. Lift (4 users): AB = 2·4/(2·3) = 4/3, AC = 1·4/(2·2) = 1,
/// BC = 4/3.
enum RecommenderWorld {
    static let a: UInt32 = 0, b: UInt32 = 1, c: UInt32 = 2, d: UInt32 = 3
    static let time: Int64 = 1_700_000_000

    static var interactions: [Interaction] {
        [(0, a), (0, b), (1, a), (1, b), (1, c), (2, b), (2, c), (3, d)].map {
            Interaction(user: $0.0, item: $0.1, weight: 1, timestampSeconds: time)
        }
    }

    static func settings(
        _ similarity: RecommenderSettings.Similarity = .jaccard,
        support: Int? = nil,
        neighbours: Int = 50
    ) -> RecommenderSettings {
        var settings = RecommenderSettings()
        settings.similarity = similarity
        settings.minimumSupport = support
        settings.neighbours = neighbours
        settings.halfLifeDays = 0
        return settings
    }

    static func train(
        _ settings: RecommenderSettings = settings(),
        interactions: [Interaction] = interactions
    ) -> TrainedRecommender {
        RecommenderTrainer.train(InteractionLog(interactions), settings: settings, threads: 2)
    }

    /// The catalog the filter tests use: categories A x, B y, C x, D x; prices A 5, B 10, C 20, D none;
    /// C out of stock; genres A Action, C Action and Drama, D Drama.
    static var catalog: ItemCatalog {
        ItemCatalog(
            itemCount: 4,
            records: [
                0: CatalogRecord(category: "x", price: 5, isInStock: true, attributes: ["genres": ["Action"]]),
                1: CatalogRecord(category: "y", price: 10, isInStock: true),
                2: CatalogRecord(
                    category: "x",
                    price: 20,
                    isInStock: false,
                    attributes: ["genres": ["Action", "Drama"]]
                ),
                3: CatalogRecord(category: "x", attributes: ["genres": ["Drama"]]),
            ]
        )
    }

    static func neighbours(_ trained: TrainedRecommender, of item: UInt32) -> [(UInt32, Float)] {
        let range = Int(trained.neighbourOffsets[Int(item)])..<Int(trained.neighbourOffsets[Int(item) + 1])
        return range.map { (trained.neighbourItems[$0], trained.neighbourScores[$0]) }
    }
}

import AampeLearning
import AampeSegments
import AampeTestSupport
import Testing

@Suite("the recommender's generation files")
struct RecommenderFilesTests {
    typealias W = RecommenderWorld

    @Test("written, published, mapped and served: the same answers as the model in memory, ids translated")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        let trained = W.train()
        try RecommenderFiles.write(
            trained,
            catalog: W.catalog,
            itemIDs: ["A", "B", "C", "D"],
            userIDs: ["u0", "u1", "u2", "u3"],
            into: builder,
            trainedAt: "test"
        )
        try builder.publish()
        let served = try ServedRecommender(generation: try #require(try store.openCurrent()))
        #expect(served.itemIDs.row(for: "C") == 2 && served.userIDs.row(for: "u2") == 2)
        #expect(served.categoryIndex("y") == 1 && served.categoryIndex("z") == nil)
        #expect(served.attributeIndex(name: "genres", value: "Drama") != nil)
        #expect(served.manifest.statistics == trained.statistics)
        let memory = RecommendationEngine(model: RecommenderModel(trained: trained, catalog: W.catalog))
        let options = RecommendationOptions(count: 4, nowSeconds: W.time)
        for user in 0..<4 {
            #expect(
                served.engine.recommend(history: served.model.history(of: user), options: options)
                    == memory.recommend(history: memory.model.history(of: user), options: options)
            )
        }
    }

    @Test("a generation whose neighbour offsets do not span the neighbours is refused, naming the file and column")
    func inconsistent() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        var trained = W.train()
        trained.neighbourOffsets[4] += 1
        try RecommenderFiles.write(
            trained,
            catalog: W.catalog,
            itemIDs: ["A", "B", "C", "D"],
            userIDs: ["u0", "u1", "u2", "u3"],
            into: builder,
            trainedAt: "test"
        )
        try builder.publish()
        let generation = try #require(try store.openCurrent())
        let error = try #require(throws: SegmentError.self) { try ServedRecommender(generation: generation) }
        #expect("\(error)".contains("items.seg"))
        #expect("\(error)".contains("neighbour_offsets does not span"))
    }
}

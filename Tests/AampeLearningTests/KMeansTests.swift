import AampeLearning
import AampeTestSupport
import Testing

@Suite("k-means, the silhouette and the choice of k")
struct KMeansTests {
    // Four blobs of 25 points in the plane, centred on (0, 0), (10, 0), (0, 10) and (10, 10). Each is a
    // 5 × 5 grid with steps of 0.2 around its centre, so a blob's mean is its centre and its squared
    // distances to it add up to 2 · 5 · 0.04 · (4 + 1 + 0 + 1 + 4) = 4: the inertia of the true clustering
    // is 16.
    static let centres: [(Float, Float)] = [(0, 0), (10, 0), (0, 10), (10, 10)]
    static let blobs: FeatureMatrix = {
        var values: [Float] = []
        for (x, y) in centres {
            for i in 0..<25 { values += [x + Float(i % 5 - 2) * 0.2, y + Float(i / 5 - 2) * 0.2] }
        }
        return FeatureMatrix(rows: 100, columns: 2, values: values)
    }()

    /// Three blobs in 3-D of 3,000 points each (more rows than one chunk), jittered by a seeded generator.
    static let bigBlobs: FeatureMatrix = {
        var rng = SplitMix64(state: 11)
        var values: [Float] = []
        for blob in 0..<3 {
            for _ in 0..<3_000 {
                for axis in 0..<3 {
                    let jitter = Float(Double(rng.next() >> 11) * 0x1p-53 - 0.5)
                    values.append((axis == blob ? 20 : 0) + jitter)
                }
            }
        }
        return FeatureMatrix(rows: 9_000, columns: 3, values: values)
    }()

    @Test("well-separated blobs are recovered exactly, with their means as centroids")
    func recoversBlobs() {
        let result = KMeans.fit(Self.blobs, k: 4, seed: 1)
        #expect(result.k == 4 && result.sizes == [25, 25, 25, 25])
        for blob in 0..<4 {
            let label = result.assignments[blob * 25]
            #expect(result.assignments[(blob * 25)..<(blob * 25 + 25)].allSatisfy { $0 == label })
            #expect(abs(result.centroids[Int(label) * 2] - Self.centres[blob].0) < 1e-5)
            #expect(abs(result.centroids[Int(label) * 2 + 1] - Self.centres[blob].1) < 1e-5)
        }
        #expect(Set(result.assignments).count == 4)
        #expect(abs(result.inertia - 16) < 1e-3)
        for row in 0..<100 {
            #expect(
                KMeans.nearest(Self.blobs.row(row), centroids: result.centroids, k: 4) == Int(result.assignments[row])
            )
        }
    }

    @Test("the same seed gives the same result, on one thread or three")
    func deterministic() {
        let once = KMeans.fit(Self.bigBlobs, k: 3, restarts: 2, seed: 7)
        #expect(once == KMeans.fit(Self.bigBlobs, k: 3, restarts: 2, seed: 7))
        #expect(once == KMeans.fit(Self.bigBlobs, k: 3, restarts: 2, seed: 7, threads: 1))
        #expect(once == KMeans.fit(Self.bigBlobs, k: 3, restarts: 2, seed: 7, threads: 3))
        #expect(once.sizes == [3_000, 3_000, 3_000])
        // Each blob is within ±0.5 of its corner: 3 · (1/12) per point on average.
        #expect(abs(once.inertia / 9_000 - 0.25) < 0.01)
    }

    @Test("the silhouette is near 1 on separated blobs and lower for a wrong k; chooseK picks the true k")
    func silhouetteAndChoice() {
        let four = KMeans.fit(Self.blobs, k: 4, seed: 2)
        let score = KMeans.silhouette(Self.blobs, assignments: four.assignments, k: 4, seed: 3)
        #expect(score > 0.9)
        let two = KMeans.fit(Self.blobs, k: 2, seed: 2)
        #expect(KMeans.silhouette(Self.blobs, assignments: two.assignments, k: 2, seed: 3) < score)
        // A sample of 40 of the 100 rows scores the same clustering about the same.
        let sampled = KMeans.silhouette(Self.blobs, assignments: four.assignments, k: 4, sampleSize: 40, seed: 3)
        #expect(abs(sampled - score) < 0.05)
        let (best, scores) = KMeans.chooseK(Self.blobs, range: 2...6, restarts: 2, seed: 4)
        #expect(best.k == 4 && scores.map(\.k) == [2, 3, 4, 5, 6])
        #expect(scores.max { $0.silhouette < $1.silhouette }!.k == 4)
        #expect(scores[2].inertia == best.inertia)
    }

    @Test("k = 1: the centroid is the mean and the inertia the total sum of squares")
    func oneCluster() {
        let result = KMeans.fit(Self.blobs, k: 1, seed: 5)
        #expect(result.sizes == [100] && result.assignments.allSatisfy { $0 == 0 })
        #expect(abs(result.centroids[0] - 5) < 1e-5 && abs(result.centroids[1] - 5) < 1e-5)
        // Every point is (±5, ±5) plus its grid offset from the centre: 100 · 50 + 16.
        #expect(abs(result.inertia - 5_016) < 1e-2)
        #expect(KMeans.silhouette(Self.blobs, assignments: result.assignments, k: 1, seed: 1) == 0)
    }

    @Test("k = rows puts every row in its own cluster; a single row is its own centroid")
    func kEqualsRows() {
        let points = FeatureMatrix(rows: 6, columns: 2, values: [0, 0, 1, 0, 0, 1, 5, 5, 9, 1, 3, 7])
        let result = KMeans.fit(points, k: 6, seed: 6)
        #expect(result.inertia == 0 && result.sizes == [1, 1, 1, 1, 1, 1])
        #expect(Set(result.assignments).count == 6)
        let single = KMeans.fit(FeatureMatrix(rows: 1, columns: 3, values: [1, 2, 3]), k: 1, seed: 7)
        #expect(single.centroids == [1, 2, 3] && single.assignments == [0] && single.inertia == 0)
    }

    @Test("duplicate points: fewer distinct rows than k still gives a result, with zero inertia")
    func duplicates() {
        let same = FeatureMatrix(rows: 10, columns: 2, values: [Float](repeating: 4, count: 20))
        let result = KMeans.fit(same, k: 3, seed: 8)
        #expect(result.inertia == 0 && result.sizes.reduce(0, +) == 10)
        #expect(result.assignments.allSatisfy { $0 < 3 })
        #expect(KMeans.silhouette(same, assignments: result.assignments, k: 3, seed: 1) == 0)
        // Two distinct points, each repeated: k = 2 finds them.
        let pairs = FeatureMatrix(rows: 6, columns: 1, values: [1, 1, 1, 8, 8, 8])
        let two = KMeans.fit(pairs, k: 2, seed: 9)
        #expect(two.inertia == 0 && two.sizes == [3, 3])
    }

    @Test("cluster counts and the silhouette sample from outside are checked at their limits and one past")
    func limits() throws {
        // Limits.maximumLandscapeClusters and maximumSilhouetteSampleRows (this target does not import
        // AampeCore, so the values are spelled out: changing a limit means changing its test).
        let clusters = 64
        try KMeans.checkClusters(2...clusters, rows: 1_000)
        #expect(throws: LearningError.self) { try KMeans.checkClusters(2...(clusters + 1), rows: 1_000) }
        #expect(throws: LearningError.self) { try KMeans.checkClusters(1...4, rows: 1_000) }
        #expect(throws: LearningError.self) { try KMeans.checkClusters(2...8, rows: 7) }
        let sample = 50_000
        try KMeans.checkSilhouetteSampleSize(sample)
        #expect(throws: LearningError.self) { try KMeans.checkSilhouetteSampleSize(sample + 1) }
    }
}

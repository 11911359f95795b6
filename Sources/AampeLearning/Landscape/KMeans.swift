import AampeCore

/// The outcome of a k-means fit: the centroids, each row's cluster, and how tight the clusters are.
public struct KMeansResult: Sendable, Hashable {
    /// The number of clusters.
    public var k: Int
    /// The cluster centres: `k` rows of the matrix's column count, row-major.
    public var centroids: [Float]
    /// Each row's cluster, in 0 ..< `k`.
    public var assignments: [UInt32]
    /// The sum over the rows of the squared distance to the centroid of their cluster (scikit-learn's
    /// `inertia_`).
    public var inertia: Double
    /// The Lloyd iterations the kept restart ran (scikit-learn's `n_iter_`).
    public var iterations: Int
    /// The number of rows in each cluster.
    public var sizes: [Int]

    /// A result from its parts.
    public init(k: Int, centroids: [Float], assignments: [UInt32], inertia: Double, iterations: Int, sizes: [Int]) {
        self.k = k
        self.centroids = centroids
        self.assignments = assignments
        self.inertia = inertia
        self.iterations = iterations
        self.sizes = sizes
    }
}

/// k-means clustering of a feature matrix's rows, as scikit-learn's `KMeans(algorithm="lloyd")` runs it, so
/// that its inertia and clusters can be checked against a notebook's.
public enum KMeans {
    /// Clusters the rows of `matrix` into `k` clusters (1 ≤ `k` ≤ rows, `k` ≤
    /// `Limits.maximumLandscapeClusters`).
    ///
    /// Each of the `restarts` runs seeds its centroids by greedy k-means++ (Arthur and Vassilvitskii 2007,
    /// with 2 + ⌊ln k⌋ candidate centres per step, the best of them kept, as scikit-learn's
    /// `_kmeans_plusplus`), then runs Lloyd iterations until the assignments stop changing, or the squared
    /// shift of the centroids, summed, is at most `tolerance` times the mean of the columns' variances, or
    /// `maxIterations` have run. A cluster left empty is re-seeded at the row farthest from its own
    /// centroid (the next farthest for the next empty one), as scikit-learn does. After a run that stopped
    /// on the tolerance, the rows are assigned once more to the final centroids. The run with the lowest
    /// inertia is kept (the first, on a tie).
    ///
    /// The result is deterministic for a seed, whatever `threads` is: the rows are split into fixed
    /// chunks, and every sum is taken per chunk and added in chunk order.
    public static func fit(
        _ matrix: FeatureMatrix,
        k: Int,
        restarts: Int = 4,
        maxIterations: Int = 300,
        tolerance: Double = 1e-4,
        seed: UInt64,
        threads: Int? = nil
    ) -> KMeansResult {
        precondition(matrix.rows >= 1 && matrix.columns >= 1, "k-means needs at least one row and one column")
        precondition(k >= 1 && k <= matrix.rows, "k-means needs 1 ≤ k ≤ rows")
        precondition(k <= Limits.maximumLandscapeClusters, "more clusters than Limits allows")
        precondition(restarts >= 1 && maxIterations >= 1 && tolerance >= 0, "restarts and iterations are positive")
        let threads = threads ?? landscapeDefaultThreads
        return matrix.values.withUnsafeBufferPointer { values in
            let lloyd = Lloyd(values: values, rows: matrix.rows, columns: matrix.columns, k: k, threads: threads)
            defer { lloyd.deallocate() }
            let threshold = tolerance * lloyd.meanColumnVariance()
            var rng = SplitMix64(seed: seed)
            var best: KMeansResult?
            for _ in 0..<restarts {
                var restartRNG = SplitMix64(seed: rng.next())
                let initial = lloyd.seedPlusPlus(&restartRNG)
                let result = lloyd.run(from: initial, maxIterations: maxIterations, threshold: threshold)
                if best == nil || result.inertia < best!.inertia { best = result }
            }
            return best!
        }
    }

    /// The nearest of `k` centroids (row-major, `k` × `row.count`) to `row`: the lowest index on a tie. The
    /// distances are summed in the same order as in `fit`, so a row of the fitted matrix gets the cluster
    /// `fit` assigned it.
    public static func nearest(_ row: [Float], centroids: [Float], k: Int) -> Int {
        precondition(k >= 1 && centroids.count == k * row.count, "centroids must be k × the row's length")
        let d = row.count
        var best = Float.infinity
        var bestIndex = 0
        row.withUnsafeBufferPointer { row in
            centroids.withUnsafeBufferPointer { centroids in
                for c in 0..<k {
                    let distance = squaredDistance(row.baseAddress!, centroids.baseAddress! + c * d, count: d)
                    if distance < best {
                        best = distance
                        bestIndex = c
                    }
                }
            }
        }
        return bestIndex
    }

    /// Σ (a_j − b_j)² over `count` elements, summed in index order: the one scalar distance the fit, the
    /// inertia and `nearest` share, so they agree to the last bit.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var distance: Float = 0
        for j in 0..<count {
            let difference = a[j] - b[j]
            distance += difference * difference
        }
        return distance
    }
}

import AampeCore

extension KMeans {
    /// The mean silhouette (Rousseeuw 1987) of the clustering `assignments` of `matrix`'s rows, over a
    /// seeded sample of at most `sampleSize` rows (all rows when there are no more), with exact Euclidean
    /// distances within the sample, as scikit-learn's `silhouette_score(X, labels, sample_size=...)`.
    ///
    /// A row's silhouette is (b − a) / max(a, b), where a is its mean distance to the other sampled rows of
    /// its cluster and b the least mean distance to the sampled rows of another cluster; it is 0 for a row
    /// alone in its cluster in the sample, and where a = b = 0. The score is near 1 for tight, separated
    /// clusters, near 0 for overlapping ones. With fewer than two clusters in the sample it is 0 (where
    /// scikit-learn raises), so such a clustering never wins ``chooseK(_:range:restarts:sampleSize:seed:)``.
    /// `sampleSize` is at most `Limits.maximumSilhouetteSampleRows`.
    public static func silhouette(
        _ matrix: FeatureMatrix,
        assignments: [UInt32],
        k: Int,
        sampleSize: Int = 10_000,
        seed: UInt64
    ) -> Double {
        silhouette(matrix, assignments: assignments, k: k, sampleSize: sampleSize, seed: seed, threads: nil)
    }

    /// ``silhouette(_:assignments:k:sampleSize:seed:)`` on up to `threads` threads.
    public static func silhouette(
        _ matrix: FeatureMatrix,
        assignments: [UInt32],
        k: Int,
        sampleSize: Int = 10_000,
        seed: UInt64,
        threads: Int?
    ) -> Double {
        precondition(assignments.count == matrix.rows, "one assignment per row")
        precondition(k >= 1 && assignments.allSatisfy { $0 < k }, "assignments are in 0 ..< k")
        precondition(sampleSize >= 1 && sampleSize <= Limits.maximumSilhouetteSampleRows, "sample size out of range")
        let threads = threads ?? landscapeDefaultThreads
        let d = matrix.columns
        // The sample, ordered by cluster and then by row, so that each cluster is one run of columns.
        let sample = sampleRows(matrix.rows, size: sampleSize, seed: seed).sorted {
            (assignments[$0], $0) < (assignments[$1], $1)
        }
        let s = sample.count
        var clusterStart = [Int](repeating: 0, count: k + 1)
        for row in sample { clusterStart[Int(assignments[row]) + 1] += 1 }
        for c in 0..<k { clusterStart[c + 1] += clusterStart[c] }
        guard (0..<k).filter({ clusterStart[$0 + 1] > clusterStart[$0] }).count >= 2 else { return 0 }
        // The sample transposed: column j is a run of s values, padded to whole SIMD8 vectors.
        let stride = (s + 7) / 8 * 8
        var columnsOfSample = [Float](repeating: 0, count: d * stride)
        for (i, row) in sample.enumerated() {
            for j in 0..<d { columnsOfSample[j * stride + i] = matrix.values[row * d + j] }
        }
        var scores = [Double](repeating: 0, count: s)
        columnsOfSample.withUnsafeBufferPointer { columnsBuffer in
            clusterStart.withUnsafeBufferPointer { clusterStart in
                scores.withUnsafeMutableBufferPointer { scores in
                    let shared = UnsafeSendable((columnsBuffer, clusterStart, scores))
                    ParallelChunks(count: s, rowsPerChunk: 64, threads: threads).run { _, range in
                        let (columnsBuffer, clusterStart, scores) = shared.buffer
                        let x = columnsBuffer.baseAddress!
                        var point = [Float](repeating: 0, count: d)
                        var sums = [Double](repeating: 0, count: k)
                        for i in range {
                            for j in 0..<d { point[j] = x[j * stride + i] }
                            for c in 0..<k {
                                sums[c] = distanceSum(
                                    from: point,
                                    to: x,
                                    stride: stride,
                                    rows: clusterStart[c]..<clusterStart[c + 1]
                                )
                            }
                            var own = 0
                            while clusterStart[own + 1] <= i { own += 1 }
                            let ownCount = clusterStart[own + 1] - clusterStart[own]
                            guard ownCount > 1 else {
                                scores[i] = 0
                                continue
                            }
                            let a = sums[own] / Double(ownCount - 1)
                            var b = Double.infinity
                            for c in 0..<k where c != own && clusterStart[c + 1] > clusterStart[c] {
                                b = min(b, sums[c] / Double(clusterStart[c + 1] - clusterStart[c]))
                            }
                            let denominator = max(a, b)
                            scores[i] = denominator > 0 ? (b - a) / denominator : 0
                        }
                    }
                }
            }
        }
        return scores.reduce(0, +) / Double(s)
    }

    /// Σ ‖point − x_i‖ over the sample rows `rows`, whose columns are runs of `stride` values at `x`: eight
    /// rows at a time in SIMD, in `Float` within a block of 512 rows and in `Double` across blocks.
    static func distanceSum(from point: [Float], to x: UnsafePointer<Float>, stride: Int, rows: Range<Int>) -> Double {
        let d = point.count
        var total = 0.0
        var start = rows.lowerBound
        let raw = UnsafeRawPointer(x)
        while start < rows.upperBound {
            let end = min(rows.upperBound, start + 512)
            var block = SIMD8<Float>()
            var i = start
            while i + 8 <= end {
                var squares = SIMD8<Float>()
                for j in 0..<d {
                    let difference =
                        SIMD8<Float>(repeating: point[j])
                        - raw.loadUnaligned(fromByteOffset: (j * stride + i) * 4, as: SIMD8<Float>.self)
                    squares += difference * difference
                }
                block += squares.squareRoot()
                i += 8
            }
            var tail: Float = 0
            while i < end {
                var squares: Float = 0
                for j in 0..<d {
                    let difference = point[j] - x[j * stride + i]
                    squares += difference * difference
                }
                tail += squares.squareRoot()
                i += 1
            }
            total += Double(block.sum()) + Double(tail)
            start = end
        }
        return total
    }

    /// `size` distinct rows of `0 ..< rows` drawn uniformly by a partial Fisher–Yates shuffle, or all rows
    /// when there are no more than `size`.
    static func sampleRows(_ rows: Int, size: Int, seed: UInt64) -> [Int] {
        guard rows > size else { return Array(0..<rows) }
        var rng = SplitMix64(seed: seed)
        var indices = Array(0..<rows)
        for i in 0..<size {
            let j = Int.random(in: i..<rows, using: &rng)
            indices.swapAt(i, j)
        }
        return Array(indices.prefix(size))
    }

    /// Fits k-means for each k in `range` (2 ≤ lower bound, upper bound ≤ rows) and keeps the k whose
    /// clustering has the highest sample silhouette (the smaller k on a tie). Every k is scored on the same
    /// sample of rows; `scores` holds each k's silhouette and inertia, in k order.
    public static func chooseK(
        _ matrix: FeatureMatrix,
        range: ClosedRange<Int>,
        restarts: Int = 4,
        sampleSize: Int = 10_000,
        seed: UInt64
    ) -> (best: KMeansResult, scores: [(k: Int, silhouette: Double, inertia: Double)]) {
        chooseK(matrix, range: range, restarts: restarts, sampleSize: sampleSize, seed: seed, threads: nil)
    }

    /// ``chooseK(_:range:restarts:sampleSize:seed:)`` on up to `threads` threads.
    public static func chooseK(
        _ matrix: FeatureMatrix,
        range: ClosedRange<Int>,
        restarts: Int = 4,
        sampleSize: Int = 10_000,
        seed: UInt64,
        threads: Int?
    ) -> (best: KMeansResult, scores: [(k: Int, silhouette: Double, inertia: Double)]) {
        precondition(range.lowerBound >= 2, "a silhouette compares clusters: k starts at 2")
        precondition(range.upperBound <= matrix.rows, "k is at most the row count")
        var best: (result: KMeansResult, silhouette: Double)?
        var scores: [(k: Int, silhouette: Double, inertia: Double)] = []
        for k in range {
            // Each k its own seed, derived from the caller's; the silhouette's sample is the same for all.
            var derive = SplitMix64(seed: seed ^ (UInt64(k) &* 0x9E37_79B9_7F4A_7C15))
            let result = fit(matrix, k: k, restarts: restarts, seed: derive.next(), threads: threads)
            let score = silhouette(
                matrix,
                assignments: result.assignments,
                k: k,
                sampleSize: sampleSize,
                seed: seed,
                threads: threads
            )
            scores.append((k, score, result.inertia))
            if best == nil || score > best!.silhouette { best = (result, score) }
        }
        return (best!.result, scores)
    }
}

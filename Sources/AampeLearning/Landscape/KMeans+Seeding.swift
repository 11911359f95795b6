import Foundation

extension Lloyd {
    /// Greedy k-means++ seeding, as scikit-learn's `_kmeans_plusplus`: a first centre drawn uniformly, then
    /// for each next centre 2 + ⌊ln k⌋ candidate rows drawn with probability proportional to their squared
    /// distance to the nearest centre so far, keeping the candidate that leaves the smallest total. Returns
    /// `k` centroids, row-major.
    func seedPlusPlus(_ rng: inout SplitMix64) -> [Float] {
        let d = columns
        let n = rows
        let trials = 2 + Int(log(Double(k)))
        let chunkCount = chunks.chunkCount
        var centroids = [Float](repeating: 0, count: k * d)
        // closest: each row's squared distance to its nearest centre so far; candidate t's row-wise minimum
        // with it goes to trialDistances[t]; chunk sums of each, per trial, to partialPots.
        let closest = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
        let trialDistances = UnsafeMutableBufferPointer<Float>.allocate(capacity: trials * n)
        let partialPots = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunkCount * 8)
        let closestPots = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunkCount)
        defer {
            closest.deallocate()
            trialDistances.deallocate()
            partialPots.deallocate()
            closestPots.deallocate()
        }
        closest.initialize(repeating: .infinity)

        /// Fills trialDistances and partialPots for the candidate rows `candidates`.
        func measure(_ candidates: [Int]) {
            var t = [Float](repeating: .infinity, count: d * 8)
            for (lane, row) in candidates.enumerated() { for j in 0..<d { t[j * 8 + lane] = values[row * d + j] } }
            let count = candidates.count
            let shared = UnsafeSendable((closest, trialDistances, partialPots))
            let me = self
            t.withUnsafeBytes { t in
                let t = UnsafeSendable(t)
                me.chunks.run { chunk, range in
                    let (closest, trialDistances, partialPots) = shared.buffer
                    let x = me.values.baseAddress!
                    var pots = SIMD8<Double>()
                    for row in range {
                        let distances = Lloyd.distances(
                            x + row * d,
                            columns: d,
                            centroids: t.buffer.baseAddress!,
                            paddedK: 8,
                            group: 0
                        )
                        let nearest = distances.replacing(with: closest[row], where: distances .> closest[row])
                        for lane in 0..<count {
                            trialDistances[lane * n + row] = nearest[lane]
                            pots[lane] += Double(nearest[lane])
                        }
                    }
                    for lane in 0..<8 { partialPots[chunk * 8 + lane] = pots[lane] }
                }
            }
        }

        /// Makes candidate `lane` of the last `measure` the new closest distances; returns their total.
        func adopt(_ lane: Int) -> Double {
            var total = 0.0
            for chunk in 0..<chunkCount {
                closestPots[chunk] = partialPots[chunk * 8 + lane]
                total += closestPots[chunk]
            }
            for row in 0..<n { closest[row] = trialDistances[lane * n + row] }
            return total
        }

        /// numpy's `searchsorted(cumsum(closest), target)`: the first row whose running total reaches
        /// `target`, the last row if none does. Chunk totals skip whole chunks.
        func rowReaching(_ target: Double) -> Int {
            var running = 0.0
            for chunk in 0..<chunkCount {
                if running + closestPots[chunk] >= target {
                    var inside = running
                    for row in chunks.range(of: chunk) {
                        inside += Double(closest[row])
                        if inside >= target { return row }
                    }
                }
                running += closestPots[chunk]
            }
            return n - 1
        }

        let first = Int.random(in: 0..<n, using: &rng)
        for j in 0..<d { centroids[j] = values[first * d + j] }
        measure([first])
        var pot = adopt(0)
        for c in 1..<max(1, k) {
            let candidates = (0..<trials).map { _ in
                rowReaching(Double(rng.next() >> 11) * 0x1p-53 * pot)
            }
            measure(candidates)
            var best = 0
            var bestPot = Double.infinity
            for lane in 0..<trials {
                var total = 0.0
                for chunk in 0..<chunkCount { total += partialPots[chunk * 8 + lane] }
                if total < bestPot {
                    bestPot = total
                    best = lane
                }
            }
            pot = adopt(best)
            for j in 0..<d { centroids[c * d + j] = values[candidates[best] * d + j] }
        }
        return centroids
    }
}

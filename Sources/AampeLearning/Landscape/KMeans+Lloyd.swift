import Foundation

extension KMeans {
    /// Rows per chunk of the k-means passes.
    static let rowsPerChunk = 4_096
}

/// The buffers and passes of one k-means fit: k-means++ seeding and Lloyd iterations over raw pointers.
///
/// The iterations are Lloyd's, accelerated with Hamerly's bounds ("Making k-means even faster", SDM 2010):
/// each row keeps an upper bound on its distance to its own centroid and a lower bound on its distance to
/// any other, moved by the centroids' shifts after each update. A row whose upper bound is below both its
/// lower bound and half the distance from its centroid to the nearest other one cannot change cluster, and
/// is skipped; the others get every distance computed, exactly as plain Lloyd would. Late iterations,
/// where few rows move, cost a fraction of a full pass. The bounds carry a relative slack of 1e-5 (well
/// above `Float`'s rounding of a distance over a few dozen columns), so a row is skipped only when plain
/// Lloyd would have kept it too, except for near ties that rounding decides either way. The cluster sums
/// are updated with the rows that moved, per chunk in `Double`, added in chunk order.
///
/// Centroids are held transposed and padded for the distance kernel: column j of every centroid is a
/// run of `paddedK` floats (a multiple of 8, the padding lanes +∞), so one SIMD8 subtraction compares a
/// row's value with eight centroids at once and the eight squared distances build up lane by lane, in the
/// same order as the scalar `KMeans.nearest`.
///
/// `@unchecked Sendable`: the workers of a pass read `values` and the centroids and write only the rows and
/// the partial slots of the chunks they took (see ``ParallelChunks``); buffers are owned by the fit that
/// made it, which frees them with `deallocate()`.
struct Lloyd: @unchecked Sendable {
    let values: UnsafeBufferPointer<Float>
    let rows: Int
    let columns: Int
    let k: Int
    let paddedK: Int
    let chunks: ParallelChunks
    /// Each row's cluster, and the squared distance to that cluster's centroid.
    let labels: UnsafeMutableBufferPointer<UInt32>
    let distances: UnsafeMutableBufferPointer<Float>
    /// Hamerly's bounds per row: on the distance (not squared) to its own centroid, from above, and to any
    /// other centroid, from below.
    let upper: UnsafeMutableBufferPointer<Float>
    let lower: UnsafeMutableBufferPointer<Float>
    /// Per chunk: the sums of its rows per cluster (k × columns), the counts per cluster, the squared
    /// distances summed, and how many labels changed.
    let partialSums: UnsafeMutableBufferPointer<Double>
    let partialCounts: UnsafeMutableBufferPointer<Int>
    let partialInertia: UnsafeMutableBufferPointer<Double>
    let partialChanged: UnsafeMutableBufferPointer<Int>

    init(values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int, threads: Int) {
        self.values = values
        self.rows = rows
        self.columns = columns
        self.k = k
        paddedK = (k + 7) / 8 * 8
        chunks = ParallelChunks(count: rows, rowsPerChunk: KMeans.rowsPerChunk, threads: threads)
        labels = .allocate(capacity: rows)
        distances = .allocate(capacity: rows)
        upper = .allocate(capacity: rows)
        lower = .allocate(capacity: rows)
        let chunkCount = chunks.chunkCount
        partialSums = .allocate(capacity: chunkCount * k * columns)
        partialCounts = .allocate(capacity: chunkCount * k)
        partialInertia = .allocate(capacity: chunkCount)
        partialChanged = .allocate(capacity: chunkCount)
    }

    func deallocate() {
        labels.deallocate()
        distances.deallocate()
        upper.deallocate()
        lower.deallocate()
        partialSums.deallocate()
        partialCounts.deallocate()
        partialInertia.deallocate()
        partialChanged.deallocate()
    }

    /// The mean of the columns' variances (ddof 0), which scales the tolerance, as scikit-learn's
    /// `_tolerance`: per chunk in `Double`, added in chunk order.
    func meanColumnVariance() -> Double {
        let d = columns
        let chunkCount = chunks.chunkCount
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunkCount * d)
        defer { partial.deallocate() }
        let shared = UnsafeSendable(partial)
        let me = self
        func pass(_ mean: [Double]?) -> [Double] {
            partial.initialize(repeating: 0)
            chunks.run { chunk, range in
                let x = me.values.baseAddress!
                let sums = shared.buffer.baseAddress! + chunk * d
                for row in range {
                    for j in 0..<d {
                        let value = Double(x[row * d + j])
                        if let mean {
                            sums[j] += (value - mean[j]) * (value - mean[j])
                        } else {
                            sums[j] += value
                        }
                    }
                }
            }
            var totals = [Double](repeating: 0, count: d)
            for chunk in 0..<chunkCount { for j in 0..<d { totals[j] += partial[chunk * d + j] } }
            return totals.map { $0 / Double(me.rows) }
        }
        return pass(pass(nil)).reduce(0, +) / Double(d)
    }

    // MARK: Distances

    /// Transposes `k` row-major centroids into the kernel's layout.
    func transposed(_ centroids: [Float]) -> [Float] {
        var t = [Float](repeating: .infinity, count: columns * paddedK)
        for c in 0..<k { for j in 0..<columns { t[j * paddedK + c] = centroids[c * columns + j] } }
        return t
    }

    /// The squared distances from the row at `x` to eight centroids: lanes `group ..< group + 8` of the
    /// transposed centroids, `paddedK` per column, summed over the columns in order.
    @inline(__always)
    static func distances(
        _ x: UnsafePointer<Float>,
        columns d: Int,
        centroids: UnsafeRawPointer,
        paddedK: Int,
        group: Int
    ) -> SIMD8<Float> {
        let stride = paddedK * MemoryLayout<Float>.stride
        var acc = SIMD8<Float>()
        var p = centroids + group * MemoryLayout<Float>.stride
        for j in 0..<d {
            let difference = SIMD8<Float>(repeating: x[j]) - p.loadUnaligned(as: SIMD8<Float>.self)
            acc += difference * difference
            p += stride
        }
        return acc
    }

    // MARK: Lloyd

    /// What a pass adds up per chunk: nothing, the rows that changed cluster (subtracted from the old, added
    /// to the new), or every row.
    enum Sums {
        case none
        case moved
        case all
    }

    /// Assigns every row that may have changed cluster to its nearest centroid (all rows when `full`),
    /// first moving the bounds by the centroids' `shifts` since the last pass. Writes per chunk the sums and
    /// counts that `sums` asks for, and how many labels changed.
    func assign(_ centroids: [Float], shifts: [Float], full: Bool, sums mode: Sums) {
        let t = transposed(centroids)
        let d = columns
        let k = k
        let paddedK = paddedK
        // Half the distance from each centroid to its nearest other: a row closer than that to its own
        // centroid is closer to it than to any other.
        var half = [Float](repeating: .infinity, count: k)
        centroids.withUnsafeBufferPointer { centroids in
            let c = centroids.baseAddress!
            for a in 0..<k {
                for b in 0..<k where b != a {
                    let squared = KMeans.squaredDistance(c + a * d, c + b * d, count: d)
                    half[a] = min(half[a], 0.5 * squared.squareRoot() * (1 - Lloyd.slack))
                }
            }
        }
        // The lower bounds fall by the largest shift of another centroid: the largest, or for the rows of
        // the centroid that moved most, the second largest.
        var largest = 0
        for c in 0..<k where shifts[c] > shifts[largest] { largest = c }
        var second: Float = 0
        for c in 0..<k where c != largest { second = max(second, shifts[c]) }
        let largestShift = shifts[largest]
        let (largestCentroid, secondShift) = (largest, second)
        let me = self
        t.withUnsafeBytes { t in
            half.withUnsafeBufferPointer { half in
                shifts.withUnsafeBufferPointer { shifts in
                    let shared = UnsafeSendable((t, half, shifts))
                    me.chunks.run { chunk, range in
                        let (t, half, shifts) = shared.buffer
                        let x = me.values.baseAddress!
                        let labels = me.labels.baseAddress!
                        let upper = me.upper.baseAddress!
                        let lower = me.lower.baseAddress!
                        let sums = me.partialSums.baseAddress! + chunk * k * d
                        let counts = me.partialCounts.baseAddress! + chunk * k
                        if mode != .none {
                            sums.initialize(repeating: 0, count: k * d)
                            counts.initialize(repeating: 0, count: k)
                        }
                        var changed = 0
                        for row in range {
                            let source = x + row * d
                            let old = Int(labels[row])
                            if !full {
                                let bound = upper[row] + shifts[old]
                                let lowerBound = lower[row] - (old == largestCentroid ? secondShift : largestShift)
                                if bound <= max(half[old], lowerBound) {
                                    upper[row] = bound
                                    lower[row] = lowerBound
                                    if mode == .all {
                                        let sum = sums + old * d
                                        for j in 0..<d { sum[j] += Double(source[j]) }
                                        counts[old] += 1
                                    }
                                    continue
                                }
                            }
                            let (index, best, runnerUp) = Lloyd.nearestTwo(
                                source,
                                columns: d,
                                centroids: t.baseAddress!,
                                paddedK: paddedK
                            )
                            upper[row] = best.squareRoot() * (1 + Lloyd.slack)
                            lower[row] = runnerUp.squareRoot() * (1 - Lloyd.slack)
                            if index != old {
                                labels[row] = UInt32(index)
                                changed += 1
                            }
                            switch mode {
                            case .none: break
                            case .all:
                                let sum = sums + index * d
                                for j in 0..<d { sum[j] += Double(source[j]) }
                                counts[index] += 1
                            case .moved:
                                guard index != old else { break }
                                let sum = sums + index * d
                                for j in 0..<d { sum[j] += Double(source[j]) }
                                counts[index] += 1
                                if old < k {
                                    let oldSum = sums + old * d
                                    for j in 0..<d { oldSum[j] -= Double(source[j]) }
                                    counts[old] -= 1
                                }
                            }
                        }
                        me.partialChanged[chunk] = changed
                    }
                }
            }
        }
    }

    /// The relative slack on Hamerly's bounds.
    static let slack: Float = 1e-5

    /// The nearest centroid to the row at `x` (the lowest index on a tie), its squared distance, and the
    /// squared distance to the next nearest (+∞ when k is 1).
    @inline(__always)
    static func nearestTwo(
        _ x: UnsafePointer<Float>,
        columns d: Int,
        centroids: UnsafeRawPointer,
        paddedK: Int
    ) -> (index: Int, best: Float, second: Float) {
        var best = Float.infinity
        var second = Float.infinity
        var bestIndex = 0
        var group = 0
        while group < paddedK {
            let acc = distances(x, columns: d, centroids: centroids, paddedK: paddedK, group: group)
            let least = acc.min()
            if least < best {
                var lane = 0
                while acc[lane] != least { lane += 1 }
                // The runner-up is the old best or the group's second least.
                var masked = acc
                masked[lane] = .infinity
                second = min(best, masked.min())
                best = least
                bestIndex = group + lane
            } else {
                second = min(second, least)
            }
            group += 8
        }
        return (bestIndex, best, second)
    }

    /// Adds the per-chunk sums and counts of the last `assign` to `sums` and `counts`, in chunk order, and
    /// returns the number of labels that changed.
    func addPartials(to sums: inout [Double], _ counts: inout [Int]) -> Int {
        var changed = 0
        for chunk in 0..<chunks.chunkCount {
            for i in 0..<(k * columns) { sums[i] += partialSums[chunk * k * columns + i] }
            for c in 0..<k { counts[c] += partialCounts[chunk * k + c] }
            changed += partialChanged[chunk]
        }
        return changed
    }

    /// The inertia of the last pass that measured it, per chunk, added in chunk order.
    func inertia() -> Double {
        var inertia = 0.0
        for chunk in 0..<chunks.chunkCount { inertia += partialInertia[chunk] }
        return inertia
    }

    /// One restart's Lloyd iterations from `initial` centroids (row-major), as scikit-learn's
    /// `_kmeans_single_lloyd`: each iteration assigns the rows to the current centroids and moves every
    /// centroid to its rows' mean; the loop stops when no label changed, when the summed squared shift is at
    /// most `threshold`, or after `maxIterations`.
    func run(from initial: [Float], maxIterations: Int, threshold: Double) -> KMeansResult {
        let d = columns
        var centroids = initial
        labels.initialize(repeating: UInt32.max)
        var sums = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        var shifts = [Float](repeating: 0, count: k)
        var iterations = 0
        var strictlyConverged = false
        var full = true
        var mode = Sums.all
        for iteration in 0..<maxIterations {
            iterations = iteration + 1
            if mode == .all {
                sums = [Double](repeating: 0, count: k * d)
                counts = [Int](repeating: 0, count: k)
            }
            assign(centroids, shifts: shifts, full: full, sums: mode)
            let changed = addPartials(to: &sums, &counts)
            full = false
            mode = .moved
            var updatedSums = sums
            var updatedCounts = counts
            if counts.contains(0) {
                measureDistances(centroids)
                relocateEmptyClusters(sums: &updatedSums, counts: &updatedCounts)
                // The relocation moved weight but no label; the next pass adds every row up again.
                mode = .all
            }
            var shift = 0.0
            for c in 0..<k {
                var squared: Float = 0
                for j in 0..<d {
                    // A cluster still empty (fewer distinct rows than k) keeps its centroid.
                    let updated =
                        updatedCounts[c] > 0
                        ? Float(updatedSums[c * d + j] / Double(updatedCounts[c])) : centroids[c * d + j]
                    let difference = updated - centroids[c * d + j]
                    squared += difference * difference
                    shift += Double(difference) * Double(difference)
                    centroids[c * d + j] = updated
                }
                shifts[c] = squared.squareRoot() * (1 + Lloyd.slack)
            }
            // The first pass changes every label (from none), so this never stops before an update.
            if changed == 0 {
                strictlyConverged = true
                break
            }
            if shift <= threshold { break }
        }
        if !strictlyConverged { assign(centroids, shifts: shifts, full: false, sums: .none) }
        // On a strict convergence the labels are those of the centroids before the last update, which
        // are the same; either way the inertia is measured against the centroids returned, as
        // scikit-learn's `_inertia`. Sizes count the labels: a relocation moves a row's weight, not its label.
        let inertia = exactInertia(centroids)
        var sizes = [Int](repeating: 0, count: k)
        for row in 0..<rows { sizes[Int(labels[row])] += 1 }
        return KMeansResult(
            k: k,
            centroids: centroids,
            assignments: Array(labels),
            inertia: inertia,
            iterations: iterations,
            sizes: sizes
        )
    }

    /// Each row's squared distance to its own centroid, into `distances`, for the relocation of empty
    /// clusters.
    func measureDistances(_ centroids: [Float]) {
        let d = columns
        let me = self
        centroids.withUnsafeBufferPointer { centroidBuffer in
            let centroidBuffer = UnsafeSendable(centroidBuffer)
            me.chunks.run { _, range in
                let x = me.values.baseAddress!
                let c = centroidBuffer.buffer.baseAddress!
                for row in range {
                    me.distances[row] = KMeans.squaredDistance(x + row * d, c + Int(me.labels[row]) * d, count: d)
                }
            }
        }
    }

    /// Σ ‖x − centroid(label)‖² over the rows, per chunk in `Double`, added in chunk order.
    func exactInertia(_ centroids: [Float]) -> Double {
        let d = columns
        let me = self
        centroids.withUnsafeBufferPointer { centroidBuffer in
            let centroidBuffer = UnsafeSendable(centroidBuffer)
            me.chunks.run { chunk, range in
                let x = me.values.baseAddress!
                let c = centroidBuffer.buffer.baseAddress!
                var inertia = 0.0
                for row in range {
                    inertia += Double(KMeans.squaredDistance(x + row * d, c + Int(me.labels[row]) * d, count: d))
                }
                me.partialInertia[chunk] = inertia
            }
        }
        return inertia()
    }

    /// scikit-learn's `_relocate_empty_clusters`: each empty cluster takes the row farthest from its own
    /// centroid (the next farthest for the next), which leaves its old cluster's sums.
    func relocateEmptyClusters(sums: inout [Double], counts: inout [Int]) {
        let empty = (0..<k).filter { counts[$0] == 0 }
        guard !empty.isEmpty else { return }
        let farthest = farthestRows(empty.count)
        let d = columns
        for (cluster, row) in zip(empty, farthest) {
            let old = Int(labels[row])
            guard counts[old] > 1 else { continue }
            for j in 0..<d {
                let value = Double(values[row * d + j])
                sums[old * d + j] -= value
                sums[cluster * d + j] = value
            }
            counts[old] -= 1
            counts[cluster] = 1
        }
    }

    /// The `count` rows with the largest squared distance to their centroid, farthest first, the lower
    /// row first on a tie.
    func farthestRows(_ count: Int) -> [Int] {
        var kept: [(distance: Float, row: Int)] = []
        for row in 0..<rows {
            let distance = distances[row]
            if kept.count == count, let last = kept.last, !(distance > last.distance) { continue }
            var position = kept.count
            while position > 0 && distance > kept[position - 1].distance { position -= 1 }
            kept.insert((distance, row), at: position)
            if kept.count > count { kept.removeLast() }
        }
        return kept.map(\.row)
    }
}

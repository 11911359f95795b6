/// Quantiles by selection (Hoare's quickselect), in expected linear time rather than a sort's n log n: the
/// scaler takes three per column of a million users.
enum Quantiles {
    /// The `q` quantile of `values` with numpy's default linear interpolation: at h = (n − 1) · q, the
    /// value x[⌊h⌋] + (h − ⌊h⌋) · (x[⌊h⌋ + 1] − x[⌊h⌋]) of the sorted values.
    ///
    /// It reorders `values`, selecting only within its first `limit` elements, which must hold the
    /// sorted positions ⌊h⌋ (a caller that already selected a larger quantile passes that one's upper
    /// index, so the three quantiles of a column cost little more than one). The interpolation's upper
    /// neighbour is the least of everything after ⌊h⌋.
    static func quantile(_ q: Double, of values: UnsafeMutableBufferPointer<Float>, selectingWithin limit: Int) -> Float
    {
        let n = values.count
        precondition(n > 0)
        let h = Double(n - 1) * q
        let lower = Int(h.rounded(.down))
        let fraction = Float(h - Double(lower))
        select(lower, in: values, upTo: max(lower + 1, min(limit, n)))
        let low = values[lower]
        guard fraction > 0, lower + 1 < n else { return low }
        var high = values[lower + 1]
        for index in (lower + 2)..<max(lower + 2, n) where values[index] < high { high = values[index] }
        return low + fraction * (high - low)
    }

    /// The index just past the sorted position a `q` quantile reads last: everything at it or after it
    /// is at least that quantile, once it has been selected.
    static func upperIndex(_ q: Double, count: Int) -> Int {
        Int((Double(count - 1) * q).rounded(.down)) + 1
    }

    /// Reorders `values[0 ..< end]` so that `values[k]` is the value a sort would put there, with nothing
    /// greater before it and nothing less after it.
    static func select(_ k: Int, in values: UnsafeMutableBufferPointer<Float>, upTo end: Int) {
        var low = 0
        var high = end - 1
        while high > low {
            // Median of three as the pivot, then Hoare's partition.
            let middle = low + (high - low) / 2
            if values[middle] < values[low] { values.swapAt(middle, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[middle] { values.swapAt(high, middle) }
            let pivot = values[middle]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return
            }
        }
    }
}

import Foundation

/// Puts every feature on one comparable scale, robust to the heavy tails of behavioural counts: each value
/// becomes (log1p(x) − median) / scale, clipped to ±`clip`.
///
/// Counts of events are skewed (most users do little, a few do a great deal), so the log compresses the
/// tail first, and the median and interquartile range, unlike the mean and standard deviation, are not
/// dragged by the few heaviest users. Clipping keeps any one feature of any one user from dominating the
/// PCA and the k-means distances that follow.
///
/// **The log.** With `appliesLog1p`, x becomes sign(x) · log1p(|x|), which is log1p(x) for the counts and
/// durations the features are made of and stays odd and monotone for a negative input (a difference, a
/// trend), rather than failing below −1.
///
/// **The scale** of a column is the first of these that is not zero:
/// 1. its interquartile range, q75 − q25 (quantiles by linear interpolation, numpy's default);
/// 2. 1.349 × its standard deviation (ddof 0), the IQR of a normal distribution with that deviation, for
///    a column where more than half the users share one value (typically 0: an event most never send);
/// 3. 1, for a constant column, which then becomes all zeros.
///
/// The median absolute deviation is no use as a fallback: with linearly interpolated quartiles, an IQR
/// of 0 means the sorted values from the first quartile's position to the third's are all equal, which
/// is more than half of them, so the MAD is 0 as well.
public struct RobustScaler: Codable, Sendable, Hashable {
    /// Each column's median, after the log when `appliesLog1p`.
    public var medians: [Float]
    /// Each column's scale (see the type's documentation); never zero.
    public var scales: [Float]
    /// Scaled values are clipped to [−clip, clip].
    public var clip: Float
    /// Whether values pass through sign(x) · log1p(|x|) before centring.
    public var appliesLog1p: Bool

    /// A scaler from its parts: one median and one positive scale per column, and a positive clip.
    public init(medians: [Float], scales: [Float], clip: Float = 5, appliesLog1p: Bool = true) {
        precondition(medians.count == scales.count, "one median and one scale per column")
        precondition(scales.allSatisfy { $0 > 0 && $0.isFinite }, "scales are positive and finite")
        precondition(clip > 0, "the clip is positive")
        self.medians = medians
        self.scales = scales
        self.clip = clip
        self.appliesLog1p = appliesLog1p
    }

    /// Learns each column's median and scale from `matrix`, whose values must all be finite (a NaN or an
    /// infinity is a bug in whatever built the features). An empty matrix gives medians 0 and scales 1.
    public static func fit(_ matrix: FeatureMatrix, clip: Float = 5, appliesLog1p: Bool = true) -> RobustScaler {
        fit(matrix, clip: clip, appliesLog1p: appliesLog1p, threads: landscapeDefaultThreads)
    }

    /// ``fit(_:clip:appliesLog1p:)`` on up to `threads` threads (one column at a time each).
    public static func fit(
        _ matrix: FeatureMatrix,
        clip: Float = 5,
        appliesLog1p: Bool = true,
        threads: Int
    )
        -> RobustScaler
    {
        precondition(clip > 0, "the clip is positive")
        let n = matrix.rows
        let d = matrix.columns
        var medians = [Float](repeating: 0, count: d)
        var scales = [Float](repeating: 1, count: d)
        guard n > 0 else {
            return RobustScaler(medians: medians, scales: scales, clip: clip, appliesLog1p: appliesLog1p)
        }
        // Columns are taken in groups of 16 (a 64-byte cache line of each row), one pass over the matrix per
        // group to copy them out contiguously, rather than one strided pass per column.
        let group = 16
        medians.withUnsafeMutableBufferPointer { medianBuffer in
            scales.withUnsafeMutableBufferPointer { scaleBuffer in
                matrix.values.withUnsafeBufferPointer { values in
                    let shared = UnsafeSendable((values, medianBuffer, scaleBuffer))
                    ParallelChunks(count: d, rowsPerChunk: group, threads: threads).run { _, columns in
                        let (values, medianBuffer, scaleBuffer) = shared.buffer
                        let x = values.baseAddress!
                        let width = columns.count
                        let work = UnsafeMutableBufferPointer<Float>.allocate(capacity: n * width)
                        defer { work.deallocate() }
                        for row in 0..<n {
                            let source = x + row * d + columns.lowerBound
                            for offset in 0..<width {
                                let value = source[offset]
                                precondition(value.isFinite, "feature values are finite")
                                work[offset * n + row] = appliesLog1p ? signedLog1p(value) : value
                            }
                        }
                        for offset in 0..<width {
                            let column = UnsafeMutableBufferPointer(rebasing: work[(offset * n)..<((offset + 1) * n)])
                            let (median, scale) = medianAndScale(column)
                            medianBuffer[columns.lowerBound + offset] = median
                            scaleBuffer[columns.lowerBound + offset] = scale
                        }
                    }
                }
            }
        }
        return RobustScaler(medians: medians, scales: scales, clip: clip, appliesLog1p: appliesLog1p)
    }

    /// Scales every row of `matrix` in place; it must have one column per median.
    public func transform(_ matrix: inout FeatureMatrix) {
        precondition(
            matrix.columns == medians.count,
            "the matrix has \(matrix.columns) columns, the scaler \(medians.count)"
        )
        let d = matrix.columns
        let chunks = ParallelChunks(count: matrix.rows, rowsPerChunk: 4_096, threads: landscapeDefaultThreads)
        let clip = clip
        let appliesLog1p = appliesLog1p
        medians.withUnsafeBufferPointer { medians in
            scales.withUnsafeBufferPointer { scales in
                matrix.values.withUnsafeMutableBufferPointer { values in
                    let shared = UnsafeSendable((values, medians, scales))
                    chunks.run { _, rows in
                        let (values, medians, scales) = shared.buffer
                        let x = values.baseAddress!
                        for row in rows {
                            for column in 0..<d {
                                x[row * d + column] = Self.scaled(
                                    x[row * d + column],
                                    median: medians[column],
                                    scale: scales[column],
                                    clip: clip,
                                    appliesLog1p: appliesLog1p
                                )
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scales one row in place (for users new since training): the same values as its line of
    /// ``transform(_:)``.
    public func transform(row: inout [Float]) {
        precondition(row.count == medians.count, "the row has \(row.count) values, the scaler \(medians.count) columns")
        for column in row.indices {
            row[column] = Self.scaled(
                row[column],
                median: medians[column],
                scale: scales[column],
                clip: clip,
                appliesLog1p: appliesLog1p
            )
        }
    }

    @inline(__always)
    static func scaled(_ value: Float, median: Float, scale: Float, clip: Float, appliesLog1p: Bool) -> Float {
        let logged = appliesLog1p ? signedLog1p(value) : value
        let standardized = (logged - median) / scale
        // `min`/`max` pass a NaN through unchanged; a NaN feature is the builder's bug, not clipped away.
        return standardized > clip ? clip : (standardized < -clip ? -clip : standardized)
    }

    /// sign(x) · log1p(|x|).
    @inline(__always)
    static func signedLog1p(_ x: Float) -> Float {
        x < 0 ? -Foundation.log1p(-x) : Foundation.log1p(x)
    }

    /// The median and the scale (the type's rule) of `values`, which it reorders.
    static func medianAndScale(_ values: UnsafeMutableBufferPointer<Float>) -> (median: Float, scale: Float) {
        let q75 = Quantiles.quantile(0.75, of: values, selectingWithin: values.count)
        let median = Quantiles.quantile(
            0.5,
            of: values,
            selectingWithin: Quantiles.upperIndex(0.75, count: values.count)
        )
        let q25 = Quantiles.quantile(0.25, of: values, selectingWithin: Quantiles.upperIndex(0.5, count: values.count))
        if q75 - q25 > 0 { return (median, q75 - q25) }
        var sum = 0.0
        for value in values { sum += Double(value) }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for value in values { squares += (Double(value) - mean) * (Double(value) - mean) }
        let deviation = Float((squares / Double(values.count)).squareRoot() * 1.349)
        if deviation > 0 && deviation.isFinite { return (median, deviation) }
        return (median, 1)
    }
}

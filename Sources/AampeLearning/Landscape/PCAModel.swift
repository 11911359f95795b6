import AampeCore
import Foundation

/// A principal component analysis learned from a feature matrix: the directions along which users differ
/// most, and how much of the total variance each explains.
///
/// `fit` follows scikit-learn's `PCA(svd_solver="randomized")` (version 1.5 and later), so that a model
/// trained here and one trained in a notebook agree: the same centring, the same randomized SVD of Halko,
/// Martinsson and Tropp, the same `explained_variance_` (ddof 1) and `explained_variance_ratio_`, and the
/// same sign rule (`svd_flip` with `u_based_decision=False`).
public struct PCAModel: Codable, Sendable, Hashable {
    /// Each input column's mean over the rows fitted on; `project` subtracts it first.
    public var mean: [Float]
    /// The principal axes, largest variance first: `componentCount` rows of `mean.count` values, row-major.
    /// Rows have unit length and are mutually orthogonal. In each row, the entry of largest magnitude is
    /// positive (scikit-learn's `svd_flip(u_based_decision=False)`), so the signs are deterministic.
    public var components: [Float]
    /// The number of components, k.
    public var componentCount: Int
    /// The variance of the data along each component, with n − 1 in the denominator, as scikit-learn's
    /// `explained_variance_`. Zero for every component when fitted on fewer than two rows.
    public var explainedVariance: [Double]
    /// Each component's share of the total variance (the sum of the columns' variances, ddof 1), as
    /// scikit-learn's `explained_variance_ratio_`. Zero when the total variance is zero.
    public var explainedVarianceRatio: [Double]

    /// The number of input columns.
    public var inputColumns: Int { mean.count }

    /// A model from its parts; `components` must hold `componentCount * mean.count` values.
    public init(
        mean: [Float],
        components: [Float],
        componentCount: Int,
        explainedVariance: [Double],
        explainedVarianceRatio: [Double]
    ) {
        precondition(components.count == componentCount * mean.count, "components must be k × columns")
        precondition(explainedVariance.count == componentCount && explainedVarianceRatio.count == componentCount)
        self.mean = mean
        self.components = components
        self.componentCount = componentCount
        self.explainedVariance = explainedVariance
        self.explainedVarianceRatio = explainedVarianceRatio
    }

    /// Fits `components` principal components to `matrix` (at least one row; 1 ≤ `components` ≤ its
    /// column count and ≤ `Limits.maximumLandscapeComponents`).
    ///
    /// The algorithm is the randomized SVD of the centred matrix M (Halko, Martinsson and Tropp, "Finding
    /// structure with randomness", SIAM Review 53(2), 2011, algorithms 4.4 and 5.1), as scikit-learn's
    /// `randomized_svd` runs it: a Gaussian test matrix Ω with l = k + `oversampling` columns (at most the
    /// column count), `powerIterations` subspace iterations Z ← Mᵀ(M Z) each re-orthonormalized, then
    /// Q = orth(M Z), B = QᵀM, and the exact SVD of the small B. `powerIterations` defaults as
    /// scikit-learn's "auto": 7 if k < 0.1 · min(rows, columns), else 4. The result is deterministic for a
    /// seed, whatever `threads` is.
    ///
    /// The landscape's matrices are tall and narrow (a million users, a few dozen features), so the work is
    /// done on the columns' Gram matrix G = MᵀM, which costs one pass over the data instead of the
    /// 2 · `powerIterations` + 2 passes of multiplying M by an n × l block: Mᵀ(M Z) is G Z, and with
    /// C = ZᵀG Z = W Λ Wᵀ the orthonormal basis Q = M Z W Λ^(−1/2) gives B = Λ^(−1/2) Wᵀ Zᵀ G without
    /// forming Q. In exact arithmetic this is the same B as scikit-learn's, so the same components and
    /// variances (up to the random test matrix); in floating point, G is accumulated in `Double`. Where the
    /// data has fewer than k independent directions, the missing components are completed to an
    /// orthonormal set with zero variance.
    public static func fit(
        _ matrix: FeatureMatrix,
        components k: Int,
        oversampling: Int = 10,
        powerIterations: Int? = nil,
        seed: UInt64,
        threads: Int? = nil
    ) -> PCAModel {
        let n = matrix.rows
        let d = matrix.columns
        precondition(n >= 1, "PCA needs at least one row")
        precondition(k >= 1 && k <= d, "PCA needs 1 ≤ components ≤ columns")
        precondition(k <= Limits.maximumLandscapeComponents, "more components than Limits allows")
        precondition(oversampling >= 0, "oversampling is not negative")
        precondition((powerIterations ?? 0) >= 0, "power iterations are not negative")
        let threads = threads ?? landscapeDefaultThreads
        let mean = columnMeans(matrix, threads: threads)
        let gram = centredGram(matrix, mean: mean, threads: threads)
        let iterations = powerIterations ?? (Double(k) < 0.1 * Double(min(n, d)) ? 7 : 4)
        let l = min(k + oversampling, d)

        // Z: the Gaussian test matrix, d × l, then the power iterations, each followed by re-orthonormalizing
        // (scikit-learn uses an LU factorization there; any basis of the same span gives the same result).
        var rng = SplitMix64(seed: seed)
        var z = (0..<(d * l)).map { _ in gaussian(&rng) }
        DenseLinearAlgebra.orthonormalizeColumns(&z, rows: d, columns: l)
        for _ in 0..<iterations {
            z = multiply(gram, z, rows: d, inner: d, columns: l)
            DenseLinearAlgebra.orthonormalizeColumns(&z, rows: d, columns: l)
        }
        // G Z (d × l) and C = Zᵀ G Z = (M Z)ᵀ(M Z) (l × l).
        let gz = multiply(gram, z, rows: d, inner: d, columns: l)
        let c = multiply(transpose(z, rows: d, columns: l), gz, rows: l, inner: d, columns: l)
        let (lambda, w) = DenseLinearAlgebra.symmetricEigen(c, n: l)
        // Bᵀ = G Z W Λ^(−1/2), d × r, over the r directions of M Z that are not (numerically) zero.
        let r = lambda.prefix { $0 > 1e-12 * max(lambda[0], .leastNormalMagnitude) }.count
        var components = [Float](repeating: 0, count: k * d)
        var variance = [Double](repeating: 0, count: k)
        var found = 0
        if r > 0 {
            var bt = [Double](repeating: 0, count: d * r)
            for i in 0..<d {
                for j in 0..<r {
                    var sum = 0.0
                    for m in 0..<l { sum += gz[i * l + m] * w[m * l + j] }
                    bt[i * r + j] = sum / lambda[j].squareRoot()
                }
            }
            // The right singular vectors of B are the left singular vectors of Bᵀ.
            let (sigma, v) = DenseLinearAlgebra.leftSingularVectors(bt, rows: d, columns: r)
            found = min(k, sigma.prefix { $0 > 0 }.count)
            for j in 0..<found {
                variance[j] = n > 1 ? sigma[j] * sigma[j] / Double(n - 1) : 0
            }
            var basis = [Double](repeating: 0, count: d * k)
            for i in 0..<d { for j in 0..<found { basis[i * k + j] = v[i * r + j] } }
            // Complete to k orthonormal columns where the data has fewer directions; those explain nothing.
            if found < k {
                DenseLinearAlgebra.orthonormalizeColumns(&basis, rows: d, columns: k)
            }
            for j in 0..<k { for i in 0..<d { components[j * d + i] = Float(basis[i * k + j]) } }
        } else {
            var basis = [Double](repeating: 0, count: d * k)
            DenseLinearAlgebra.orthonormalizeColumns(&basis, rows: d, columns: k)
            for j in 0..<k { for i in 0..<d { components[j * d + i] = Float(basis[i * k + j]) } }
        }
        flipSigns(&components, rows: k, columns: d)
        var trace = 0.0
        for i in 0..<d { trace += gram[i * d + i] }
        let totalVariance = n > 1 ? trace / Double(n - 1) : 0
        return PCAModel(
            mean: mean.map { Float($0) },
            components: components,
            componentCount: k,
            explainedVariance: variance,
            explainedVarianceRatio: variance.map { totalVariance > 0 ? $0 / totalVariance : 0 }
        )
    }

    /// scikit-learn's `svd_flip(u_based_decision=False)`: each row's entry of largest magnitude (the first
    /// such, on a tie) is made positive.
    static func flipSigns(_ rows: inout [Float], rows count: Int, columns: Int) {
        for row in 0..<count {
            var largest = 0
            for column in 1..<max(1, columns)
            where abs(rows[row * columns + column]) > abs(rows[row * columns + largest]) {
                largest = column
            }
            if rows[row * columns + largest] < 0 {
                for column in 0..<columns { rows[row * columns + column] = -rows[row * columns + column] }
            }
        }
    }

    /// A standard normal draw (Box–Muller), from the top 53 bits of two outputs.
    static func gaussian(_ rng: inout SplitMix64) -> Double {
        let u1 = (Double(rng.next() >> 11) + 1) * 0x1p-53
        let u2 = Double(rng.next() >> 11) * 0x1p-53
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The `rows` × `columns` product of `a` (`rows` × `inner`) and `b` (`inner` × `columns`).
    static func multiply(_ a: [Double], _ b: [Double], rows: Int, inner: Int, columns: Int) -> [Double] {
        var c = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for m in 0..<inner {
                let x = a[i * inner + m]
                if x == 0 { continue }
                for j in 0..<columns { c[i * columns + j] += x * b[m * columns + j] }
            }
        }
        return c
    }

    static func transpose(_ a: [Double], rows: Int, columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = a[i * columns + j] } }
        return t
    }
}

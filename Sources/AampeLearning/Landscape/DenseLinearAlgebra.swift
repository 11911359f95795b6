/// The small dense linear algebra the PCA needs: Gram–Schmidt orthonormalization, a symmetric
/// eigen-decomposition and a singular value decomposition, all by Jacobi rotations, in `Double`.
///
/// These are written here rather than called from LAPACK because the CI machines and the servers aamped
/// runs on have no LAPACK to link against, and the package takes no system dependency for it. They only
/// ever see matrices of a few dozen rows and columns (the feature count and the PCA's k + oversampling),
/// where Jacobi is fast, simple and accurate to the last digits. Matrices are row-major `[Double]`.
enum DenseLinearAlgebra {
    /// Makes the `columns` columns of the `rows` × `columns` matrix `a` orthonormal, in order, by modified
    /// Gram–Schmidt run twice ("twice is enough": Giraud, Langou and Rozložník 2005), which keeps them
    /// orthogonal to working precision. A column that is (numerically) in the span of the ones before it is
    /// replaced by the first standard basis vector that is not, so the result always has full rank; this
    /// needs `columns <= rows`.
    static func orthonormalizeColumns(_ a: inout [Double], rows: Int, columns: Int) {
        precondition(columns <= rows && a.count == rows * columns)
        var column = [Double](repeating: 0, count: rows)
        var nextBasis = 0
        for j in 0..<columns {
            for i in 0..<rows { column[i] = a[i * columns + j] }
            let originalNorm = norm(column)
            var kept = orthogonalize(&column, against: a, rows: rows, columns: columns, upTo: j)
            // Relative to the column's own size: a column that loses all but rounding noise was dependent.
            if !(kept > 1e-10 * originalNorm) || originalNorm == 0 {
                kept = 0
                while kept == 0 {
                    precondition(nextBasis < rows, "more orthonormal columns than rows")
                    for i in 0..<rows { column[i] = i == nextBasis ? 1 : 0 }
                    nextBasis += 1
                    let candidate = orthogonalize(&column, against: a, rows: rows, columns: columns, upTo: j)
                    if candidate > 1e-6 { kept = candidate }
                }
            }
            for i in 0..<rows { a[i * columns + j] = column[i] / kept }
        }
    }

    /// Removes from `column` its components along the first `upTo` columns of `a` (assumed orthonormal),
    /// twice, and returns the norm left.
    private static func orthogonalize(
        _ column: inout [Double],
        against a: [Double],
        rows: Int,
        columns: Int,
        upTo: Int
    ) -> Double {
        for _ in 0..<2 {
            for k in 0..<upTo {
                var dot = 0.0
                for i in 0..<rows { dot += a[i * columns + k] * column[i] }
                for i in 0..<rows { column[i] -= dot * a[i * columns + k] }
            }
        }
        return norm(column)
    }

    static func norm(_ v: [Double]) -> Double {
        var sum = 0.0
        for x in v { sum += x * x }
        return sum.squareRoot()
    }

    /// The eigenvalues and eigenvectors of the symmetric `n` × `n` matrix `a`, by cyclic Jacobi rotations
    /// (Golub and Van Loan, "Matrix Computations", 4th ed., §8.5). Values come largest first; vector `j` is
    /// column `j` of the `n` × `n` result.
    static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n)
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        var total = 0.0
        for x in a { total += x * x }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-30 * total || off == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    // A ← Jᵀ A J with J the rotation in the (p, q) plane.
                    for k in 0..<n {
                        let akp = a[k * n + p]
                        let akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k]
                        let aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p]
                        let vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        var values = [Double](repeating: 0, count: n)
        var vectors = [Double](repeating: 0, count: n * n)
        for (j, source) in order.enumerated() {
            values[j] = a[source * n + source]
            for i in 0..<n { vectors[i * n + j] = v[i * n + source] }
        }
        return (values, vectors)
    }

    /// The singular values and left singular vectors of the `rows` × `columns` matrix `a` (`rows >=
    /// columns`), by one-sided Jacobi rotations (Hestenes 1958; Demmel and Veselić 1992), which orthogonalize
    /// the columns of `a` without ever forming `aᵀa`, so small singular values keep their accuracy. Values
    /// come largest first; vector `j` is column `j` of the `rows` × `columns` result, and is zero where its
    /// value is zero.
    static func leftSingularVectors(
        _ matrix: [Double],
        rows: Int,
        columns: Int
    ) -> (
        values: [Double], vectors: [Double]
    ) {
        precondition(matrix.count == rows * columns && rows >= columns)
        // Work on the transpose so that each column is contiguous.
        var t = [Double](repeating: 0, count: rows * columns)
        for i in 0..<rows { for j in 0..<columns { t[j * rows + i] = matrix[i * columns + j] } }
        for _ in 0..<100 {
            var rotated = false
            for p in 0..<columns {
                for q in (p + 1)..<max(p + 1, columns) {
                    var alpha = 0.0
                    var beta = 0.0
                    var gamma = 0.0
                    for i in 0..<rows {
                        let x = t[p * rows + i]
                        let y = t[q * rows + i]
                        alpha += x * x
                        beta += y * y
                        gamma += x * y
                    }
                    if gamma == 0 || abs(gamma) <= 1e-15 * (alpha * beta).squareRoot() { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let tangent = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + tangent * tangent).squareRoot()
                    let s = c * tangent
                    for i in 0..<rows {
                        let x = t[p * rows + i]
                        let y = t[q * rows + i]
                        t[p * rows + i] = c * x - s * y
                        t[q * rows + i] = s * x + c * y
                    }
                }
            }
            if !rotated { break }
        }
        var norms = [Double](repeating: 0, count: columns)
        for j in 0..<columns {
            var sum = 0.0
            for i in 0..<rows { sum += t[j * rows + i] * t[j * rows + i] }
            norms[j] = sum.squareRoot()
        }
        let order = (0..<columns).sorted { norms[$0] > norms[$1] || (norms[$0] == norms[$1] && $0 < $1) }
        var values = [Double](repeating: 0, count: columns)
        var vectors = [Double](repeating: 0, count: rows * columns)
        for (j, source) in order.enumerated() {
            values[j] = norms[source]
            guard norms[source] > 0 else { continue }
            for i in 0..<rows { vectors[i * columns + j] = t[source * rows + i] / norms[source] }
        }
        return (values, vectors)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An L2-regularized (ridge) logistic regression, fitted by Newton's method (iteratively reweighted
/// least squares) with a dense Hessian: meant for a few hundred weights at most.
///
/// It minimises the penalized negative log-likelihood
///
///     L(β) = −Σᵢ [yᵢ log μᵢ + (1 − yᵢ) log(1 − μᵢ)] + ½ Σⱼ λⱼ βⱼ²,   μᵢ = σ(xᵢ · β),
///
/// with targets yᵢ in [0, 1] (a fractional target is a quasi-binomial response, so a reward that is a
/// share fits as well as a 0/1 one). Each step solves (XᵀWX + Λ) Δ = Xᵀ(y − μ) − Λβ, W = diag(μ(1 − μ)),
/// by Cholesky, and halves the step until L decreases. L is strictly convex when every λⱼ > 0, so the
/// minimum is unique and finite even when the data separate perfectly (where the unpenalized fit runs off
/// to infinity).
public struct LogisticRegression: Sendable, Hashable {
    /// The fitted weights, one per design column.
    public let weights: [Double]
    /// Newton steps taken.
    public let iterations: Int

    /// Newton steps before the fit gives up: a convex problem with a ridge converges in a few dozen.
    public static let maximumIterations = 100

    /// Fits weights to `design` (`rows` × `penalties.count`, row-major) and `targets` (one per row, in
    /// [0, 1]); `penalties[j]` is λⱼ > 0. Throws when the steps do not settle within
    /// ``maximumIterations``.
    public static func fit(
        design: [Double],
        targets: [Double],
        penalties: [Double]
    ) throws(LearningError)
        -> LogisticRegression
    {
        let columns = penalties.count
        let rows = targets.count
        precondition(columns > 0 && design.count == rows * columns, "the design must be rows × penalties.count")
        precondition(penalties.allSatisfy { $0 > 0 }, "every weight needs a positive penalty")
        precondition(targets.allSatisfy { (0...1).contains($0) }, "targets must lie in [0, 1]")
        // The policy designs are mostly zeros (one-hot actions, interactions of the other actions), so
        // each row's Hessian update only visits its non-zero columns.
        let nonZero = (0..<rows).map { row in (0..<columns).filter { design[row * columns + $0] != 0 } }
        var beta = [Double](repeating: 0, count: columns)
        var loss = objective(design: design, targets: targets, penalties: penalties, beta: beta)
        for iteration in 1...maximumIterations {
            var gradient = (0..<columns).map { -penalties[$0] * beta[$0] }
            var hessian = [Double](repeating: 0, count: columns * columns)
            for j in 0..<columns { hessian[j * columns + j] = penalties[j] }
            for row in 0..<rows {
                let x = design[(row * columns)..<((row + 1) * columns)]
                let mu = sigmoid(dot(x, beta))
                let residual = targets[row] - mu
                let curvature = mu * (1 - mu)
                let base = row * columns
                for j in nonZero[row] {
                    let xj = design[base + j]
                    gradient[j] += residual * xj
                    let scaled = curvature * xj
                    // Only the lower triangle (k ≤ j); Cholesky reads nothing else.
                    for k in nonZero[row] {
                        if k > j { break }
                        hessian[j * columns + k] += scaled * design[base + k]
                    }
                }
            }
            let step = try solveCholesky(hessian, gradient, size: columns)
            var scale = 1.0
            var candidate = beta
            var candidateLoss = loss
            // Halving guards the first steps from far away, where a full Newton step can overshoot.
            for _ in 0..<40 {
                candidate = zip(beta, step).map { $0 + scale * $1 }
                candidateLoss = objective(design: design, targets: targets, penalties: penalties, beta: candidate)
                if candidateLoss <= loss { break }
                scale /= 2
            }
            let change = zip(beta, candidate).map { abs($0 - $1) }.max() ?? 0
            beta = candidate
            let decrease = loss - candidateLoss
            loss = candidateLoss
            if change < 1e-9 || decrease < 1e-12 * max(1, abs(loss)) {
                return LogisticRegression(weights: beta, iterations: iteration)
            }
        }
        throw LearningError.cannotFit(
            model: "ridge logistic regression",
            reason: "Newton's method did not settle within \(maximumIterations) steps"
        )
    }

    /// The predicted probability for one design row.
    public func probability(_ row: some Collection<Double>) -> Double {
        Self.sigmoid(Self.dot(row, weights))
    }

    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    static func dot(_ x: some Collection<Double>, _ beta: [Double]) -> Double {
        var sum = 0.0
        for (xj, bj) in zip(x, beta) { sum += xj * bj }
        return sum
    }

    /// The penalized negative log-likelihood, computed from the linear predictor so that it stays finite
    /// where μ rounds to 0 or 1: −[y z − log(1 + eᶻ)].
    static func objective(design: [Double], targets: [Double], penalties: [Double], beta: [Double]) -> Double {
        let columns = beta.count
        var loss = 0.0
        for row in targets.indices {
            let z = dot(design[(row * columns)..<((row + 1) * columns)], beta)
            let softplus = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
            loss += softplus - targets[row] * z
        }
        for j in 0..<columns { loss += 0.5 * penalties[j] * beta[j] * beta[j] }
        return loss
    }

    /// Solves A x = b for a symmetric positive definite A given by its lower triangle (row-major).
    static func solveCholesky(_ a: [Double], _ b: [Double], size n: Int) throws(LearningError) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0, sum.isFinite else {
                        throw LearningError.cannotFit(
                            model: "ridge logistic regression",
                            reason: "the Hessian is not positive definite (a non-finite feature?)"
                        )
                    }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }
}

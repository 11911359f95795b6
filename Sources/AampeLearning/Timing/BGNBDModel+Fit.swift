import Dispatch
import Foundation

extension BGNBDModel {
    /// The maximum-likelihood model for users' histories: `x[i]`, `tx[i]` and `T[i]` are one user's (or,
    /// with `weights`, `weights[i]` users' who share them, so that a caller can pass unique triples).
    ///
    /// The optimizer is BFGS on the logarithms of (r, α, a, b), with the analytic gradient (through
    /// digamma) and a backtracking line search. Why: each evaluation is a pass over every triple, and BFGS
    /// with an exact gradient converges in a few dozen passes where Nelder–Mead needs hundreds; the
    /// logarithms keep the parameters positive without constraints. Two things make a pass cheap: the
    /// terms that depend on `x` alone (the gamma and digamma functions) are computed once per distinct
    /// `x`, so a pass costs two logarithms and an exponential per triple; and times are rescaled so that
    /// the largest `T` is 10, as the `lifetimes` package does, which keeps α near 1 for the search (α is
    /// scaled back at the end).
    ///
    /// Throws ``LearningError/invalidTimingRow(model:index:problem:)`` for a triple that is not a history
    /// (`x` not a whole number ≥ 0, `tx` outside `[0, T]`, a weight below 0, anything not finite) and
    /// ``LearningError/cannotFit(model:reason:)`` when there is nothing to fit (no users, or no repeat
    /// transaction at all, where the likelihood has no maximum) or the search fails.
    public static func fit(x: [Double], tx: [Double], T: [Double], weights: [Double]? = nil) throws -> BGNBDModel {
        precondition(x.count == tx.count && x.count == T.count, "x, tx and T must have one entry per user")
        precondition(weights == nil || weights!.count == x.count, "weights must have one entry per triple")
        let data = try BGNBDData(x: x, tx: tx, T: T, weights: weights)
        let objective = BGNBDObjective(data: data)
        let start = [0.0, 0.0, 0.0, 0.0]  // r = α = a = b = 1 in scaled time, as `lifetimes` starts.
        guard let optimum = BFGS.minimize(start: start, function: { objective.valueAndGradient($0) }) else {
            throw LearningError.cannotFit(model: "BG/NBD", reason: "the likelihood search did not converge")
        }
        let parameters = optimum.map { exp($0) }
        guard parameters.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw LearningError.cannotFit(model: "BG/NBD", reason: "a parameter left the positive numbers")
        }
        return BGNBDModel(r: parameters[0], alpha: parameters[1] * data.timeScale, a: parameters[2], b: parameters[3])
    }
}

/// The fit's input, checked, grouped by distinct `x`, with times divided by `timeScale`.
struct BGNBDData {
    /// Distinct values of `x`, and per distinct value the total weight of the triples that have it.
    var distinctX: [Double] = []
    var weightOfX: [Double] = []
    /// Per triple: the index of its `x` in `distinctX`, its scaled `tx` and `T`, and its weight.
    var slot: [Int32] = []
    var tx: [Double] = []
    var T: [Double] = []
    var weight: [Double] = []
    /// Days per unit of scaled time.
    var timeScale = 1.0
    var totalWeight = 0.0

    init(x: [Double], tx: [Double], T: [Double], weights: [Double]?) throws {
        let model = "BG/NBD"
        var slotOfX: [Double: Int32] = [:]
        var largestT = 0.0
        var hasRepeat = false
        slot.reserveCapacity(x.count)
        self.tx.reserveCapacity(x.count)
        self.T.reserveCapacity(x.count)
        weight.reserveCapacity(x.count)
        for i in x.indices {
            let (xi, txi, Ti, wi) = (x[i], tx[i], T[i], weights?[i] ?? 1)
            guard xi.isFinite, txi.isFinite, Ti.isFinite, wi.isFinite else {
                throw LearningError.invalidTimingRow(model: model, index: i, problem: "a value is not finite")
            }
            guard xi >= 0, xi == xi.rounded() else {
                throw LearningError.invalidTimingRow(model: model, index: i, problem: "x is not a whole number >= 0")
            }
            guard txi >= 0, txi <= Ti else {
                throw LearningError.invalidTimingRow(model: model, index: i, problem: "tx is not within [0, T]")
            }
            guard wi >= 0 else {
                throw LearningError.invalidTimingRow(model: model, index: i, problem: "the weight is negative")
            }
            guard wi > 0 else { continue }
            let index: Int32
            if let known = slotOfX[xi] {
                index = known
            } else {
                index = Int32(distinctX.count)
                slotOfX[xi] = index
                distinctX.append(xi)
                weightOfX.append(0)
            }
            weightOfX[Int(index)] += wi
            slot.append(index)
            self.tx.append(txi)
            self.T.append(Ti)
            weight.append(wi)
            totalWeight += wi
            largestT = max(largestT, Ti)
            hasRepeat = hasRepeat || xi > 0
        }
        guard totalWeight > 0 else { throw LearningError.cannotFit(model: model, reason: "there are no users") }
        guard hasRepeat else {
            throw LearningError.cannotFit(model: model, reason: "no user has a repeat transaction")
        }
        timeScale = largestT > 0 ? largestT / 10 : 1
        for i in self.T.indices {
            self.T[i] /= timeScale
            self.tx[i] /= timeScale
        }
    }
}

/// The negative mean log-likelihood of `BGNBDData` and its gradient, over the log-parameters.
struct BGNBDObjective {
    let data: BGNBDData

    /// Triples per parallel chunk; below two chunks the pass runs on the calling thread.
    static let chunkSize = 32_768

    /// f(θ) = −Σ w·LL / Σ w, θ = (ln r, ln α, ln a, ln b), with ∂f/∂θ. The per-user derivatives, with
    /// A = −(r + x) ln(α + T) (alive at T), D = ln a − ln(b + x − 1) − (r + x) ln(α + tₓ) (dropped out
    /// after the last transaction), and their shares wA = e^A / (e^A + e^D), wD = 1 − wA:
    ///
    ///     ∂/∂r = ψ(r + x) − ψ(r) + ln α − wA ln(α + T) − wD ln(α + tₓ)
    ///     ∂/∂α = r/α − (r + x) (wA / (α + T) + wD / (α + tₓ))
    ///     ∂/∂a = ψ(a + b) − ψ(a + b + x) + wD / a
    ///     ∂/∂b = ψ(a + b) + ψ(b + x) − ψ(b) − ψ(a + b + x) − wD / (b + x − 1)
    func valueAndGradient(_ theta: [Double]) -> (Double, [Double]) {
        let (r, alpha, a, b) = (exp(theta[0]), exp(theta[1]), exp(theta[2]), exp(theta[3]))
        guard [r, alpha, a, b].allSatisfy({ $0.isFinite && $0 > 0 }) else { return (.infinity, [0, 0, 0, 0]) }
        let lg = SpecialFunctions.logGamma
        let psi = SpecialFunctions.digamma
        let logAlpha = log(alpha)
        let (psiR, psiAB, psiB) = (psi(r), psi(a + b), psi(b))
        let constant = -lg(r) + r * logAlpha + lg(a + b) - lg(b)
        // Terms of x alone, weighted by how many users have that x.
        var value = 0.0
        var gradient = [0.0, 0.0, 0.0, 0.0]
        let distinct = data.distinctX.count
        var deadConstant = [Double](repeating: 0, count: distinct)
        for s in 0..<distinct {
            let x = data.distinctX[s]
            let w = data.weightOfX[s]
            value += w * (constant + lg(r + x) + lg(b + x) - lg(a + b + x))
            let psiABX = psi(a + b + x)
            gradient[0] += w * (psi(r + x) - psiR + logAlpha)
            gradient[1] += w * r / alpha
            gradient[2] += w * (psiAB - psiABX)
            gradient[3] += w * (psiAB + psi(b + x) - psiB - psiABX)
            deadConstant[s] = x > 0 ? log(a) - log(b + x - 1) : -.infinity
        }
        // Terms of each triple.
        let count = data.weight.count
        let chunks = max(1, (count + Self.chunkSize - 1) / Self.chunkSize)
        let data = self.data
        let deadConstants = deadConstant
        let work: @Sendable (Int) -> [Double] = { chunk in
            var sum = [0.0, 0.0, 0.0, 0.0, 0.0]
            let end = min(count, (chunk + 1) * Self.chunkSize)
            for i in (chunk * Self.chunkSize)..<end {
                let s = Int(data.slot[i])
                let x = data.distinctX[s]
                let w = data.weight[i]
                let rx = r + x
                let logT = log(alpha + data.T[i])
                let alive = -rx * logT
                if x > 0 {
                    let logTx = log(alpha + data.tx[i])
                    let dead = deadConstants[s] - rx * logTx
                    let e = exp(-abs(alive - dead))
                    let aliveShare = alive >= dead ? 1 / (1 + e) : e / (1 + e)
                    let deadShare = 1 - aliveShare
                    sum[0] += w * (max(alive, dead) + log1p(e))
                    sum[1] -= w * (aliveShare * logT + deadShare * logTx)
                    sum[2] -= w * rx * (aliveShare / (alpha + data.T[i]) + deadShare / (alpha + data.tx[i]))
                    sum[3] += w * deadShare
                    sum[4] -= w * deadShare / (b + x - 1)
                } else {
                    sum[0] += w * alive
                    sum[1] -= w * logT
                    sum[2] -= w * rx / (alpha + data.T[i])
                }
            }
            return sum
        }
        let partial: [[Double]]
        if chunks == 1 {
            partial = [work(0)]
        } else {
            let results = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: chunks)
            results.initialize(repeating: [])
            defer { results.deinitialize().deallocate() }
            let address = UInt(bitPattern: results.baseAddress)
            // Each chunk writes only its own slot, and the slots are read after concurrentPerform returns.
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                UnsafeMutablePointer<[Double]>(bitPattern: address)![chunk] = work(chunk)
            }
            partial = Array(results)
        }
        for sum in partial {
            value += sum[0]
            gradient[0] += sum[1]
            gradient[1] += sum[2]
            gradient[2] += sum[3] / a
            gradient[3] += sum[4]
        }
        // Chain rule to the log-parameters, and the sign and scale of the objective.
        let scale = -1 / data.totalWeight
        let parameters = [r, alpha, a, b]
        return (value * scale, (0..<4).map { gradient[$0] * parameters[$0] * scale })
    }
}

/// A small dense BFGS minimizer (Nocedal and Wright, "Numerical Optimization", algorithm 6.1) with an
/// Armijo backtracking line search, for the handful of parameters of the timing models.
enum BFGS {
    /// The minimizing point, or `nil` if the function is not finite at `start` or the search stalls far
    /// from a stationary point. Stops when the largest gradient component is below `gradientTolerance`
    /// or a step no longer changes the value.
    static func minimize(
        start: [Double],
        gradientTolerance: Double = 1e-9,
        maximumIterations: Int = 500,
        function: ([Double]) -> (Double, [Double])
    ) -> [Double]? {
        let n = start.count
        var point = start
        var (value, gradient) = function(point)
        guard value.isFinite else { return nil }
        var inverseHessian = identity(n)
        for _ in 0..<maximumIterations {
            if gradient.map(abs).max()! < gradientTolerance { return point }
            var direction = (0..<n).map { i in -(0..<n).reduce(0) { $0 + inverseHessian[i][$1] * gradient[$1] } }
            var slope = zip(direction, gradient).reduce(0) { $0 + $1.0 * $1.1 }
            if slope >= 0 {
                // Not a descent direction: restart from steepest descent.
                inverseHessian = identity(n)
                direction = gradient.map { -$0 }
                slope = -gradient.reduce(0) { $0 + $1 * $1 }
            }
            // Cap a step at 5 in log-parameter space (a factor of e^5), so one bad step cannot overflow.
            let length = direction.map(abs).max()!
            var step = length > 5 ? 5 / length : 1
            var candidate = point
            var candidateValue = Double.infinity
            var candidateGradient = gradient
            var accepted = false
            for _ in 0..<60 {
                candidate = (0..<n).map { point[$0] + step * direction[$0] }
                (candidateValue, candidateGradient) = function(candidate)
                if candidateValue.isFinite, candidateValue <= value + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.5
            }
            guard accepted else {
                return gradient.map(abs).max()! < 1e-5 ? point : nil
            }
            let s = (0..<n).map { candidate[$0] - point[$0] }
            let y = (0..<n).map { candidateGradient[$0] - gradient[$0] }
            let improvement = value - candidateValue
            point = candidate
            gradient = candidateGradient
            value = candidateValue
            let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
            if sy > 1e-12 {
                // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
                let rho = 1 / sy
                let hy = (0..<n).map { i in (0..<n).reduce(0) { $0 + inverseHessian[i][$1] * y[$1] } }
                let yhy = zip(y, hy).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<n {
                    for j in 0..<n {
                        inverseHessian[i][j] +=
                            (1 + yhy * rho) * rho * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j])
                    }
                }
            }
            if improvement <= 1e-15 * max(1, abs(value)) {
                return gradient.map(abs).max()! < 1e-5 ? point : nil
            }
        }
        return gradient.map(abs).max()! < 1e-5 ? point : nil
    }

    private static func identity(_ n: Int) -> [[Double]] {
        (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    }
}

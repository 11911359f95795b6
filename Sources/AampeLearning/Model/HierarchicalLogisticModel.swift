import Foundation

/// The fitted model: the global parameters with their Laplace posterior, the individual effects with
/// theirs, and the learned effect standard deviations.
public struct FittedModel: Sendable {
    public let parameters: ModelParameters
    /// The global parameters' posterior mode.
    public var global: [Double]
    /// Their posterior covariance, the inverse of the penalized negative log-likelihood's Hessian at the
    /// mode (row-major, `count × count`).
    public var globalCovariance: [Double]
    /// Per user: the individual baseline effect b_u and its posterior variance.
    public var userBaseline: [Float]
    public var userBaselineVariance: [Float]
    /// Per user × label: the individual label effect α_ℓu and its posterior variance.
    public var userLabel: [Float]
    public var userLabelVariance: [Float]
    /// The learned standard deviation of each component.
    public var effectSD: [ModelParameters.Component: Double]
    /// The weighted log-likelihood at the mode, and the penalized objective.
    public var logLikelihood: Double
    public var objective: Double
    /// Newton rounds run in all.
    public var newtonRounds: Int
}

/// A hierarchical logistic regression fitted by penalized maximum likelihood, with the effect variances
/// set by empirical Bayes and a Laplace posterior (DESIGN §2.6, ``ModelParameters`` gives the formula).
///
/// **Fitting.** Each empirical-Bayes round alternates Newton steps on two blocks until the objective
/// settles: all global parameters at once (a dense Newton step: there are a few hundred), then each
/// user's individual effects (one small dense step per user, holding the global ones fixed). Then each
/// learned standard deviation is re-estimated from the modes and posterior variances of its component's
/// effects (empirical Bayes under the Laplace approximation; the fit's comments give the update).
/// Individual effects enter only where the user has rows for them.
///
/// **The posterior** is the Gaussian at the mode with the inverse Hessian as covariance, kept per block:
/// the global block in full, each user's block as its diagonal. Cross-covariance between a user's effects
/// and the global ones is left out, which understates uncertainty a little for users with many rows.
public enum HierarchicalLogisticModel {
    /// Fits the model to `set` with `settings`. Deterministic: the same set gives the same model, bit for
    /// bit, on any thread count (chunks reduce in order).
    public static func fit(_ set: ModelTrainingSet, settings: ModelSettings, threads: Int = 2) -> FittedModel {
        let layout = ModelParameters(
            dimension: set.dimension,
            labelCount: set.labels.count,
            windowCount: set.windowCount,
            groupCount: set.groupCount,
            campaignCount: set.campaigns.count
        )
        var sd: [ModelParameters.Component: Double] = [:]
        for component in ModelParameters.Component.allCases { sd[component] = settings.initialEffectSD }
        var state = FitState(set: set, layout: layout)
        var rounds = 0
        for _ in 0..<max(1, settings.varianceRounds) {
            let precision = globalPrecision(layout: layout, settings: settings, sd: sd)
            let userPrecision = (
                baseline: 1 / (sd[.individualBaseline]! * sd[.individualBaseline]!),
                label: 1 / (sd[.individualLabel]! * sd[.individualLabel]!)
            )
            var previous = -Double.infinity
            for _ in 0..<max(1, settings.newtonRounds) {
                rounds += 1
                state.globalNewtonStep(precision: precision, threads: threads)
                state.userNewtonSteps(precision: userPrecision)
                let objective = state.objective(precision: precision, userPrecision: userPrecision)
                if abs(objective - previous) < 1e-6 * max(1, abs(objective)) { break }
                previous = objective
            }
            state.computePosterior(precision: precision, userPrecision: userPrecision, threads: threads, isFull: false)
            // Re-estimate each learned standard deviation by the fixed point τ² = Σ mode² / γ, where
            // γ = Σ (1 − variance / τ²) counts the effects the data determines (MacKay's update). It has
            // the EM update's fixed point, τ² = mean(mode² + variance), but reaches it in a few rounds
            // where EM, with many effects the data barely touches, would crawl.
            var sums: [ModelParameters.Component: (squares: Double, determined: Double)] = [:]
            func add(_ component: ModelParameters.Component, mode: Double, variance: Double) {
                let prior = sd[component]! * sd[component]!
                sums[component, default: (0, 0)].squares += mode * mode
                sums[component, default: (0, 0)].determined += max(0, 1 - variance / prior)
            }
            for index in 0..<layout.count {
                guard let component = layout.component(of: index) else { continue }
                add(component, mode: state.global[index], variance: state.covariance[index * layout.count + index])
            }
            for user in 0..<set.userCount where state.userRows(user).count > 0 {
                add(
                    .individualBaseline,
                    mode: Double(state.userBaseline[user]),
                    variance: Double(state.userBaselineVariance[user])
                )
                for label in state.labelsSeen(by: user) {
                    let index = user * layout.labelCount + label
                    add(
                        .individualLabel,
                        mode: Double(state.userLabel[index]),
                        variance: Double(state.userLabelVariance[index])
                    )
                }
            }
            for (component, sum) in sums {
                let variance = sum.determined > 1e-9 ? sum.squares / sum.determined : 0
                sd[component] = min(settings.maximumEffectSD, max(settings.minimumEffectSD, variance.squareRoot()))
            }
        }
        // The final posterior under the final standard deviations.
        let precision = globalPrecision(layout: layout, settings: settings, sd: sd)
        let userPrecision = (
            baseline: 1 / (sd[.individualBaseline]! * sd[.individualBaseline]!),
            label: 1 / (sd[.individualLabel]! * sd[.individualLabel]!)
        )
        state.globalNewtonStep(precision: precision, threads: threads)
        state.userNewtonSteps(precision: userPrecision)
        state.computePosterior(precision: precision, userPrecision: userPrecision, threads: threads)
        return FittedModel(
            parameters: layout,
            global: state.global,
            globalCovariance: state.covariance,
            userBaseline: state.userBaseline,
            userBaselineVariance: state.userBaselineVariance,
            userLabel: state.userLabel,
            userLabelVariance: state.userLabelVariance,
            effectSD: sd,
            logLikelihood: state.logLikelihood(),
            objective: state.objective(precision: precision, userPrecision: userPrecision),
            newtonRounds: rounds
        )
    }

    /// The prior precision (1 / sd²) of every global parameter.
    static func globalPrecision(
        layout: ModelParameters,
        settings: ModelSettings,
        sd: [ModelParameters.Component: Double]
    ) -> [Double] {
        var precision = [Double](
            repeating: 1 / (settings.populationPriorSD * settings.populationPriorSD),
            count: layout.count
        )
        precision[layout.intercept] = 1 / (settings.interceptPriorSD * settings.interceptPriorSD)
        for index in 0..<layout.count {
            if let component = layout.component(of: index) {
                let value = sd[component]!
                precision[index] = 1 / (value * value)
            }
        }
        return precision
    }
}

@inline(__always) func logistic(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// The mutable state of one fit.
private struct FitState {
    /// The most chunks the rows are summed in (see `globalGradientAndHessian`).
    static let maximumChunks = 8

    let set: ModelTrainingSet
    let layout: ModelParameters
    var global: [Double]
    var covariance: [Double]
    var userBaseline: [Float]
    var userBaselineVariance: [Float]
    var userLabel: [Float]
    var userLabelVariance: [Float]
    /// Per user: the first row and one past the last.
    let userRowStart: [Int]

    init(set: ModelTrainingSet, layout: ModelParameters) {
        self.set = set
        self.layout = layout
        global = [Double](repeating: 0, count: layout.count)
        // Start the intercept at the overall goal rate, so the first Newton step is a small one.
        var positives = 0.0
        var total = 0.0
        for row in 0..<set.rowCount {
            total += Double(set.rowWeight[row])
            if set.rowOutcome[row] { positives += Double(set.rowWeight[row]) }
        }
        if total > 0 {
            let rate = min(max((positives + 0.5) / (total + 1), 1e-6), 1 - 1e-6)
            global[layout.intercept] = log(rate / (1 - rate))
        }
        covariance = [Double](repeating: 0, count: layout.count * layout.count)
        userBaseline = [Float](repeating: 0, count: set.userCount)
        userBaselineVariance = [Float](repeating: 0, count: set.userCount)
        userLabel = [Float](repeating: 0, count: set.userCount * layout.labelCount)
        userLabelVariance = [Float](repeating: 0, count: set.userCount * layout.labelCount)
        var starts = [Int](repeating: 0, count: set.userCount + 1)
        for user in set.rowUser { starts[Int(user) + 1] += 1 }
        for user in 0..<set.userCount { starts[user + 1] += starts[user] }
        userRowStart = starts
    }

    func userRows(_ user: Int) -> Range<Int> { userRowStart[user]..<userRowStart[user + 1] }

    func labelsSeen(by user: Int) -> [Int] {
        var seen = Set<Int>()
        for row in userRows(user) {
            for position in Int(set.rowLabelStart[row])..<Int(set.rowLabelStart[row + 1]) {
                seen.insert(Int(set.rowLabels[position]))
            }
        }
        return seen.sorted()
    }

    /// The global features of `row`, as (parameter index, value) pairs, into `features`.
    func globalFeatures(of row: Int, into features: inout [(Int, Double)]) {
        features.removeAll(keepingCapacity: true)
        let user = Int(set.rowUser[row])
        let group = Int(set.userGroups[user])
        let k = set.dimension
        features.append((layout.intercept, 1))
        for j in 0..<k { features.append((layout.gamma(j), Double(set.userVectors[user * k + j]))) }
        features.append((layout.groupBaseline(group), 1))
        if layout.campaignCount > 0 { features.append((layout.campaign(Int(set.rowCampaign[row])), 1)) }
        guard set.rowIsMessage[row] else { return }
        features.append((layout.message, 1))
        features.append((layout.groupMessage(group), 1))
        for position in Int(set.rowLabelStart[row])..<Int(set.rowLabelStart[row + 1]) {
            let label = Int(set.rowLabels[position])
            features.append((layout.label(label), 1))
            features.append((layout.groupLabel(group, label), 1))
            for j in 0..<k {
                features.append((layout.interaction(label, j), Double(set.userVectors[user * k + j])))
            }
        }
        let window = Int(set.rowWindow[row])
        if window >= 0 {
            features.append((layout.window(window), 1))
            features.append((layout.groupWindow(group, window), 1))
            features.append(
                (layout.availability, Double(set.userWindowLogAvailability[user * set.windowCount + window]))
            )
        }
    }

    /// The individual part of `row`'s logit.
    func userOffset(of row: Int) -> Double {
        let user = Int(set.rowUser[row])
        var offset = Double(userBaseline[user])
        if set.rowIsMessage[row] {
            for position in Int(set.rowLabelStart[row])..<Int(set.rowLabelStart[row + 1]) {
                offset += Double(userLabel[user * layout.labelCount + Int(set.rowLabels[position])])
            }
        }
        return offset
    }

    func globalLogit(of row: Int, features: inout [(Int, Double)]) -> Double {
        globalFeatures(of: row, into: &features)
        var sum = 0.0
        for (index, value) in features { sum += global[index] * value }
        return sum
    }

    func logLikelihood() -> Double {
        var features: [(Int, Double)] = []
        var total = 0.0
        for row in 0..<set.rowCount {
            let eta = globalLogit(of: row, features: &features) + userOffset(of: row)
            let p = min(max(logistic(eta), 1e-15), 1 - 1e-15)
            total += Double(set.rowWeight[row]) * (set.rowOutcome[row] ? log(p) : log(1 - p))
        }
        return total
    }

    func objective(precision: [Double], userPrecision: (baseline: Double, label: Double)) -> Double {
        var penalty = 0.0
        for index in 0..<layout.count { penalty += precision[index] * global[index] * global[index] }
        for value in userBaseline { penalty += userPrecision.baseline * Double(value) * Double(value) }
        for value in userLabel { penalty += userPrecision.label * Double(value) * Double(value) }
        return logLikelihood() - penalty / 2
    }

    /// The penalized gradient and Hessian of the global block, summed over rows in chunks.
    func globalGradientAndHessian(precision: [Double], threads: Int) -> (gradient: [Double], hessian: [Double]) {
        let n = layout.count
        // Each chunk keeps a whole n × n partial Hessian until the reduction (18 MB at 1,500 parameters),
        // so the rows go in at most `Self.maximumChunks` chunks however many there are; the chunking
        // depends on the row count only, so the sum is the same on any thread count.
        let rowsPerChunk = max(16_384, (set.rowCount + Self.maximumChunks - 1) / Self.maximumChunks)
        let chunks = ParallelChunks(count: set.rowCount, rowsPerChunk: rowsPerChunk, threads: threads)
        let partials = UnsafeMutableBufferPointer<(gradient: [Double], hessian: [Double])>.allocate(
            capacity: chunks.chunkCount
        )
        partials.initialize(repeating: ([], []))
        defer {
            partials.deinitialize()
            partials.deallocate()
        }
        let state = self
        nonisolated(unsafe) let output = partials
        chunks.run { chunk, rows in
            var gradient = [Double](repeating: 0, count: n)
            var hessian = [Double](repeating: 0, count: n * n)
            var features: [(Int, Double)] = []
            for row in rows {
                let eta = state.globalLogit(of: row, features: &features) + state.userOffset(of: row)
                let p = logistic(eta)
                let weight = Double(state.set.rowWeight[row])
                let residual = weight * ((state.set.rowOutcome[row] ? 1 : 0) - p)
                let curvature = weight * p * (1 - p)
                for (a, (i, xi)) in features.enumerated() {
                    gradient[i] += residual * xi
                    let scaled = curvature * xi
                    for b in a..<features.count {
                        let (j, xj) = features[b]
                        // Upper triangle in (min, max) order; a pair may repeat an index (a label's
                        // interaction with itself never does, but keep it general).
                        let low = min(i, j)
                        let high = max(i, j)
                        hessian[low * n + high] += scaled * xj * (i == j && a != b ? 2 : 1)
                    }
                }
            }
            output[chunk] = (gradient, hessian)
        }
        var gradient = [Double](repeating: 0, count: n)
        var hessian = [Double](repeating: 0, count: n * n)
        for partial in partials {
            for i in 0..<n { gradient[i] += partial.gradient[i] }
            for i in 0..<(n * n) { hessian[i] += partial.hessian[i] }
        }
        for i in 0..<n {
            gradient[i] -= precision[i] * global[i]
            hessian[i * n + i] += precision[i]
            for j in (i + 1)..<max(i + 1, n) { hessian[j * n + i] = hessian[i * n + j] }
        }
        return (gradient, hessian)
    }

    /// One Newton step on the global block, halved until the objective does not fall.
    mutating func globalNewtonStep(precision: [Double], threads: Int) {
        let n = layout.count
        let (gradient, hessian) = globalGradientAndHessian(precision: precision, threads: threads)
        guard let factor = Cholesky(hessian, n: n, order: layout.factorOrder) else { return }
        let step = factor.solve(gradient)
        let globalPenalty = { (values: [Double]) -> Double in
            var total = 0.0
            for i in 0..<n { total += precision[i] * values[i] * values[i] }
            return total / 2
        }
        let before = logLikelihood() - globalPenalty(global)
        let start = global
        var scale = 1.0
        for _ in 0..<8 {
            for i in 0..<n { global[i] = start[i] + scale * step[i] }
            if logLikelihood() - globalPenalty(global) >= before - 1e-9 * abs(before) { return }
            scale /= 2
        }
        global = start
    }

    /// One damped Newton step per user on their individual effects, the global ones fixed.
    mutating func userNewtonSteps(precision: (baseline: Double, label: Double)) {
        let labelCount = layout.labelCount
        let set = self.set
        var features: [(Int, Double)] = []
        for user in 0..<set.userCount {
            let rows = userRows(user)
            guard !rows.isEmpty else { continue }
            let seen = labelsSeen(by: user)
            let m = 1 + seen.count
            var position: [Int: Int] = [:]
            for (index, label) in seen.enumerated() { position[label] = index + 1 }
            var current = [Double](repeating: 0, count: m)
            current[0] = Double(userBaseline[user])
            for (index, label) in seen.enumerated() {
                current[index + 1] = Double(userLabel[user * labelCount + label])
            }
            let fixed = rows.map { globalLogit(of: $0, features: &features) }
            func evaluate(_ values: [Double]) -> (objective: Double, gradient: [Double], hessian: [Double]) {
                var objective = 0.0
                var gradient = [Double](repeating: 0, count: m)
                var hessian = [Double](repeating: 0, count: m * m)
                var active: [Int] = []
                for (offset, row) in rows.enumerated() {
                    active.removeAll(keepingCapacity: true)
                    active.append(0)
                    if set.rowIsMessage[row] {
                        for p in Int(set.rowLabelStart[row])..<Int(set.rowLabelStart[row + 1]) {
                            active.append(position[Int(set.rowLabels[p])]!)
                        }
                    }
                    var eta = fixed[offset]
                    for index in active { eta += values[index] }
                    let p = logistic(eta)
                    let clamped = min(max(p, 1e-15), 1 - 1e-15)
                    let weight = Double(set.rowWeight[row])
                    let y = set.rowOutcome[row]
                    objective += weight * (y ? log(clamped) : log(1 - clamped))
                    let residual = weight * ((y ? 1 : 0) - p)
                    let curvature = weight * p * (1 - p)
                    for a in active {
                        gradient[a] += residual
                        for b in active { hessian[a * m + b] += curvature }
                    }
                }
                for index in 0..<m {
                    let lambda = index == 0 ? precision.baseline : precision.label
                    objective -= lambda * values[index] * values[index] / 2
                    gradient[index] -= lambda * values[index]
                    hessian[index * m + index] += lambda
                }
                return (objective, gradient, hessian)
            }
            let (before, gradient, hessian) = evaluate(current)
            guard let factor = Cholesky(hessian, n: m) else { continue }
            let step = factor.solve(gradient)
            var scale = 1.0
            var next = current
            var accepted = false
            for _ in 0..<8 {
                for i in 0..<m { next[i] = current[i] + scale * step[i] }
                if evaluate(next).objective >= before - 1e-12 * abs(before) {
                    accepted = true
                    break
                }
                scale /= 2
            }
            guard accepted else { continue }
            userBaseline[user] = Float(next[0])
            for (index, label) in seen.enumerated() { userLabel[user * labelCount + label] = Float(next[index + 1]) }
        }
    }

    /// The Laplace posterior at the current mode: the global covariance (in full when `isFull`, else
    /// only its diagonal, all the variance updates read), each user's variances.
    mutating func computePosterior(
        precision: [Double],
        userPrecision: (baseline: Double, label: Double),
        threads: Int,
        isFull: Bool = true
    ) {
        let n = layout.count
        let (_, hessian) = globalGradientAndHessian(precision: precision, threads: threads)
        if let factor = Cholesky(hessian, n: n, order: layout.factorOrder) {
            if isFull {
                covariance = factor.inverse()
            } else {
                covariance = [Double](repeating: 0, count: n * n)
                for (i, variance) in factor.inverseDiagonal().enumerated() { covariance[i * n + i] = variance }
            }
        } else {
            // A Hessian that is not positive definite cannot happen with positive prior precisions; keep
            // the prior's variances rather than fail.
            covariance = [Double](repeating: 0, count: n * n)
            for i in 0..<n { covariance[i * n + i] = 1 / precision[i] }
        }
        let labelCount = layout.labelCount
        var features: [(Int, Double)] = []
        for user in 0..<set.userCount {
            let rows = userRows(user)
            // Users without rows keep the prior.
            var baselineCurvature = userPrecision.baseline
            var labelCurvature = [Double](repeating: userPrecision.label, count: labelCount)
            for row in rows {
                let p = logistic(globalLogit(of: row, features: &features) + userOffset(of: row))
                let curvature = Double(set.rowWeight[row]) * p * (1 - p)
                baselineCurvature += curvature
                if set.rowIsMessage[row] {
                    for position in Int(set.rowLabelStart[row])..<Int(set.rowLabelStart[row + 1]) {
                        labelCurvature[Int(set.rowLabels[position])] += curvature
                    }
                }
            }
            userBaselineVariance[user] = Float(1 / baselineCurvature)
            for label in 0..<labelCount {
                userLabelVariance[user * labelCount + label] = Float(1 / labelCurvature[label])
            }
        }
    }
}

/// A Cholesky factor L (lower, row-major) of a symmetric positive-definite matrix, for Newton steps and
/// the Laplace covariance, factored in a given order and stored by its envelope (skyline): row i of L is
/// zero left of `first[i]`, the first nonzero of row i of the matrix, and Cholesky fills nothing in
/// outside that envelope.
///
/// Hand-written because of that structure: the global Hessian is an arrowhead (a row belongs to one
/// cluster, so cluster blocks touch each other only through the population effects). Ordered with the
/// cluster blocks first and the population effects last, the envelope is the blocks plus the last rows,
/// and factoring costs clusters × block³ + population² × all rather than all³: on the 2,000-user loop
/// (1,500 parameters, 36 clusters) a dense factor and inverse took 58 s of a 59 s training, this a few.
struct Cholesky {
    let n: Int
    /// `order[p]` is the original index of position p.
    let order: [Int]
    var lower: [Double]
    /// Per position: the first column of its row's envelope.
    let first: [Int]

    /// Factors `matrix` (symmetric, row-major, original indexing) in `order` (identity when `nil`);
    /// `nil` when it is not positive definite.
    init?(_ matrix: [Double], n: Int, order: [Int]? = nil) {
        self.n = n
        let order = order ?? Array(0..<n)
        precondition(order.count == n, "an order of every index")
        self.order = order
        var l = [Double](repeating: 0, count: n * n)
        var first = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let row = order[i] * n
            var column = 0
            while column < i && matrix[row + order[column]] == 0 { column += 1 }
            first[i] = column
            for j in column...i { l[i * n + j] = matrix[row + order[j]] }
        }
        let factored: Bool = l.withUnsafeMutableBufferPointer { l in
            for i in 0..<n {
                let rowStart = first[i]
                for j in rowStart...i {
                    var sum = l[i * n + j]
                    var k = max(rowStart, first[j])
                    while k < j {
                        sum -= l[i * n + k] * l[j * n + k]
                        k += 1
                    }
                    if i == j {
                        guard sum > 0, sum.isFinite else { return false }
                        l[i * n + i] = sum.squareRoot()
                    } else {
                        l[i * n + j] = sum / l[j * n + j]
                    }
                }
            }
            return true
        }
        guard factored else { return nil }
        lower = l
        self.first = first
    }

    /// x with A x = b, both in original indexing.
    func solve(_ b: [Double]) -> [Double] {
        var y = order.map { b[$0] }
        lower.withUnsafeBufferPointer { l in
            for i in 0..<n {
                var sum = y[i]
                for k in first[i]..<i { sum -= l[i * n + k] * y[k] }
                y[i] = sum / l[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                y[i] /= l[i * n + i]
                let x = y[i]
                for k in first[i]..<i { y[k] -= l[i * n + k] * x }
            }
        }
        var x = [Double](repeating: 0, count: n)
        for (position, index) in order.enumerated() { x[index] = y[position] }
        return x
    }

    /// The diagonal of A⁻¹, in original indexing: (A⁻¹)ᵢᵢ = ‖L⁻¹ eᵢ‖², one forward substitution each
    /// that starts at i, where L⁻¹ eᵢ starts.
    func inverseDiagonal() -> [Double] {
        var diagonal = [Double](repeating: 0, count: n)
        var y = [Double](repeating: 0, count: n)
        lower.withUnsafeBufferPointer { l in
            for i in 0..<n {
                var total = 0.0
                y[i] = 1 / l[i * n + i]
                total += y[i] * y[i]
                for k in (i + 1)..<max(i + 1, n) {
                    var sum = 0.0
                    var j = max(first[k], i)
                    while j < k {
                        sum -= l[k * n + j] * y[j]
                        j += 1
                    }
                    y[k] = sum / l[k * n + k]
                    total += y[k] * y[k]
                }
                diagonal[order[i]] = total
            }
        }
        return diagonal
    }

    /// A⁻¹, row-major, in original indexing.
    func inverse() -> [Double] {
        var result = [Double](repeating: 0, count: n * n)
        var unit = [Double](repeating: 0, count: n)
        for column in 0..<n {
            unit[column] = 1
            let x = solve(unit)
            unit[column] = 0
            for row in 0..<n { result[row * n + column] = x[row] }
        }
        return result
    }
}

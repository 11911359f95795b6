import Foundation

/// How likely each user is to be active in each time window, as empirical-Bayes shrinkage of the user's
/// own window counts toward their cluster's profile (a Dirichlet-multinomial model).
///
/// The model. A user of cluster c draws their window shares θ from Dirichlet(s_c · p_c), then spreads
/// their N sessions over the windows as a multinomial with θ. The posterior mean share of window w for a
/// user with counts n (total N) is
///
///     (n_w + s_c · p_cw) / (N + s_c)
///
/// so a user with a few sessions gets about their cluster's profile and one with thousands about their own
/// frequencies; s_c is the number of sessions at which the two weigh the same.
///
/// Fitting. p_c is the members' pooled shares, Σ_users n_w / Σ_users N, with a floor of 1e-6 (then
/// renormalized) so that no window is exactly impossible. s_c maximizes the Dirichlet-multinomial marginal
/// likelihood of the members' counts given p_c,
///
///     Σ_users [ln Γ(s) − ln Γ(N + s) + Σ_w (ln Γ(n_w + s p_w) − ln Γ(s p_w))]
///
/// by golden-section search over ln s in [ln 0.01, ln 10⁶]. One strength per cluster, since clusters
/// differ in how alike their members are; a cluster with fewer than
/// ``minimumUsersForOwnStrength`` members with two or more sessions (only they say anything about s) gets
/// the strength fitted on all clusters together, and if no cluster has any, ``fallbackStrength``.
///
/// Counts are usually whole session counts, and the likelihood is then computed from histograms: for
/// whole n, ln Γ(n + a) − ln Γ(a) = Σ_{k<n} ln(a + k), so each evaluation costs one logarithm per distinct
/// count per window and cluster, not per user. Fractional counts (decayed ones) are allowed and go through
/// `lgamma` one by one. Fitting 10⁶ users × 35 windows is one pass over the counts plus a few milliseconds.
public struct WindowPropensityModel: Codable, Sendable, Hashable {
    /// Windows per user: the layout's `windowsPerWeek`, 35 by default.
    public var windowCount: Int
    /// Per cluster, the pooled share of each window, `windowCount` positive numbers summing to 1.
    public var clusterProfiles: [[Double]]
    /// Per cluster, the prior strength s: how many sessions the profile counts as.
    public var priorStrengths: [Double]

    /// A cluster needs this many members with at least two sessions to get its own prior strength.
    public static let minimumUsersForOwnStrength = 50
    /// The prior strength when no user anywhere has two sessions, where the data cannot tell.
    public static let fallbackStrength = 10.0
    /// The smallest share a profile gives a window, before renormalizing.
    public static let profileFloor = 1e-6

    /// A model from its parts; each profile must have `windowCount` entries and each strength be positive.
    public init(windowCount: Int, clusterProfiles: [[Double]], priorStrengths: [Double]) {
        precondition(clusterProfiles.count == priorStrengths.count, "one strength per cluster profile")
        precondition(clusterProfiles.allSatisfy { $0.count == windowCount }, "a profile has windowCount shares")
        precondition(priorStrengths.allSatisfy { $0 > 0 && $0.isFinite }, "prior strengths must be positive")
        self.windowCount = windowCount
        self.clusterProfiles = clusterProfiles
        self.priorStrengths = priorStrengths
    }

    /// The posterior window shares of a user of `cluster` with `counts` (one per window, each ≥ 0); they
    /// sum to 1.
    public func posterior(counts: ArraySlice<Float>, cluster: Int) -> [Double] {
        precondition(counts.count == windowCount, "posterior: \(counts.count) counts for \(windowCount) windows")
        precondition(clusterProfiles.indices.contains(cluster), "posterior: cluster \(cluster) out of range")
        let profile = clusterProfiles[cluster]
        let strength = priorStrengths[cluster]
        var total = 0.0
        for count in counts { total += Double(count) }
        let denominator = total + strength
        var shares = [Double](repeating: 0, count: windowCount)
        for (w, count) in zip(0..<windowCount, counts) {
            shares[w] = (Double(count) + strength * profile[w]) / denominator
        }
        return shares
    }

    /// Fits the profiles and strengths. `counts` holds users × `windowCount` values, row-major (user i's
    /// counts at `i * windowCount ..< (i + 1) * windowCount`), each finite and ≥ 0; `clusters[i]` is user
    /// i's cluster, below `clusterCount`. A cluster with no sessions gets the uniform profile.
    public static func fit(
        counts: [Float],
        windowCount: Int,
        clusters: [UInt32],
        clusterCount: Int
    )
        -> WindowPropensityModel
    {
        precondition(windowCount > 0 && clusterCount > 0, "fit: no windows or no clusters")
        precondition(counts.count == clusters.count * windowCount, "fit: counts is not users × windowCount")
        let statistics = ClusterCounts.collect(
            counts: counts,
            windowCount: windowCount,
            clusters: clusters,
            clusterCount: clusterCount
        )
        let profiles = statistics.map { $0.profile() }
        let logLikelihoods = zip(statistics, profiles).map { statistic, profile in
            { (strength: Double) in statistic.logLikelihood(strength: strength, profile: profile) }
        }
        let informative = statistics.map(\.informativeUsers)
        let shared: Double
        if informative.reduce(0, +) > 0 {
            shared = maximizeOverLogStrength { s in logLikelihoods.reduce(0) { $0 + $1(s) } }
        } else {
            shared = fallbackStrength
        }
        let strengths = (0..<clusterCount).map { c in
            informative[c] >= minimumUsersForOwnStrength ? maximizeOverLogStrength(logLikelihoods[c]) : shared
        }
        return WindowPropensityModel(windowCount: windowCount, clusterProfiles: profiles, priorStrengths: strengths)
    }

    /// Golden-section search for the s in [0.01, 10⁶] that maximizes `f`, over ln s, to 1e-6 in ln s.
    static func maximizeOverLogStrength(_ f: (Double) -> Double) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var low = log(0.01)
        var high = log(1e6)
        var left = high - ratio * (high - low)
        var right = low + ratio * (high - low)
        var leftValue = f(exp(left))
        var rightValue = f(exp(right))
        while high - low > 1e-6 {
            if leftValue < rightValue {
                low = left
                left = right
                leftValue = rightValue
                right = low + ratio * (high - low)
                rightValue = f(exp(right))
            } else {
                high = right
                right = left
                rightValue = leftValue
                left = high - ratio * (high - low)
                leftValue = f(exp(left))
            }
        }
        return exp((low + high) / 2)
    }
}

/// One cluster's sufficient statistics for the Dirichlet-multinomial likelihood.
private struct ClusterCounts {
    /// Whole counts below this go into histograms; others are kept one by one.
    static let histogramBins = 64
    /// Whole session totals below this go into the totals' histogram.
    static let totalBins = 1_024

    let windowCount: Int
    /// Per window, the sum of its counts over the members.
    var windowSums: [Double]
    /// `histogram[w * histogramBins + n]`: members whose count in window w is the whole number n ≥ 1.
    var histogram: [Int32]
    /// Per window, one past the largest bin in use.
    var histogramEnd: [Int]
    /// Counts that are not whole or not below `histogramBins`: (window, count).
    var otherCounts: [(Int, Double)] = []
    /// `totals[N]`: members whose whole session total is N ≥ 1; others are in `otherTotals`.
    var totals: [Int32]
    var totalsEnd = 0
    var otherTotals: [Double] = []
    /// Members with at least two sessions: only they carry information about the strength.
    var informativeUsers = 0

    /// Every cluster's statistics in one pass over the counts. The pass writes flat arrays indexed by
    /// cluster through raw pointers: at 10⁶ users × 35 windows it is the whole cost of the fit.
    static func collect(counts: [Float], windowCount: Int, clusters: [UInt32], clusterCount: Int) -> [ClusterCounts] {
        let bins = histogramBins
        var sums = [Double](repeating: 0, count: clusterCount * windowCount)
        var histograms = [Int32](repeating: 0, count: clusterCount * windowCount * bins)
        var totalHistograms = [Int32](repeating: 0, count: clusterCount * totalBins)
        var informative = [Int](repeating: 0, count: clusterCount)
        var others: [(cluster: Int, window: Int, count: Double)] = []
        var otherTotals: [(cluster: Int, total: Double)] = []
        counts.withUnsafeBufferPointer { values in
            sums.withUnsafeMutableBufferPointer { sums in
                histograms.withUnsafeMutableBufferPointer { histograms in
                    for (user, clusterNumber) in clusters.enumerated() {
                        let cluster = Int(clusterNumber)
                        precondition(cluster < clusterCount, "fit: cluster \(cluster) out of range")
                        let row = user * windowCount
                        let cell = cluster * windowCount
                        var total: Float = 0
                        for w in 0..<windowCount {
                            let count = values[row + w]
                            guard count != 0 else { continue }
                            precondition(count > 0 && count.isFinite, "fit: a count is negative or not finite")
                            total += count
                            sums[cell + w] += Double(count)
                            let whole = Int(count)
                            if Float(whole) == count, whole < bins {
                                histograms[(cell + w) * bins + whole] += 1
                            } else {
                                others.append((cluster, w, Double(count)))
                            }
                        }
                        guard total > 0 else { continue }
                        if total >= 2 { informative[cluster] += 1 }
                        let whole = Int(total)
                        if Float(whole) == total, whole < totalBins {
                            totalHistograms[cluster * totalBins + whole] += 1
                        } else {
                            otherTotals.append((cluster, Double(total)))
                        }
                    }
                }
            }
        }
        return (0..<clusterCount).map { c in
            var statistics = ClusterCounts(windowCount: windowCount)
            statistics.windowSums = Array(sums[(c * windowCount)..<((c + 1) * windowCount)])
            statistics.histogram = Array(histograms[(c * windowCount * bins)..<((c + 1) * windowCount * bins)])
            for w in 0..<windowCount {
                let last = (1..<bins).last { statistics.histogram[w * bins + $0] > 0 }
                statistics.histogramEnd[w] = last.map { $0 + 1 } ?? 0
            }
            statistics.totals = Array(totalHistograms[(c * totalBins)..<((c + 1) * totalBins)])
            statistics.totalsEnd = ((1..<totalBins).last { statistics.totals[$0] > 0 }).map { $0 + 1 } ?? 0
            statistics.otherCounts = others.filter { $0.cluster == c }.map { ($0.window, $0.count) }
            statistics.otherTotals = otherTotals.filter { $0.cluster == c }.map(\.total)
            statistics.informativeUsers = informative[c]
            return statistics
        }
    }

    private init(windowCount: Int) {
        self.windowCount = windowCount
        windowSums = []
        histogram = []
        histogramEnd = [Int](repeating: 0, count: windowCount)
        totals = []
    }
    func profile() -> [Double] {
        let sum = windowSums.reduce(0, +)
        guard sum > 0 else { return [Double](repeating: 1 / Double(windowCount), count: windowCount) }
        let floored = windowSums.map { max($0 / sum, WindowPropensityModel.profileFloor) }
        let norm = floored.reduce(0, +)
        return floored.map { $0 / norm }
    }

    /// Σ_users [ln Γ(s) − ln Γ(N + s) + Σ_w (ln Γ(n_w + s p_w) − ln Γ(s p_w))].
    func logLikelihood(strength s: Double, profile: [Double]) -> Double {
        var result = 0.0
        for w in 0..<windowCount where histogramEnd[w] > 0 {
            let prior = s * profile[w]
            var rising = 0.0  // ln Γ(n + prior) − ln Γ(prior) = Σ_{k<n} ln(prior + k)
            let base = w * Self.histogramBins
            for n in 1..<histogramEnd[w] {
                rising += log(prior + Double(n - 1))
                result += Double(histogram[base + n]) * rising
            }
        }
        for (w, count) in otherCounts {
            let prior = s * profile[w]
            result += lgamma(count + prior) - lgamma(prior)
        }
        var rising = 0.0
        for n in 1..<max(1, totalsEnd) {
            rising += log(s + Double(n - 1))
            result -= Double(totals[n]) * rising
        }
        for total in otherTotals {
            result -= lgamma(total + s) - lgamma(s)
        }
        return result
    }
}

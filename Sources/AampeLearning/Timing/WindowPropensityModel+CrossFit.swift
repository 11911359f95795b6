import Foundation

extension WindowPropensityModel {
    /// How the prior strengths are chosen.
    public enum StrengthFit: String, Codable, Sendable, Hashable, CaseIterable {
        /// The strength that best predicts each user's sessions on the other half of their days
        /// (two-fold cross-fitting; the default).
        case crossFitted = "cross-fitted"
        /// The Dirichlet-multinomial marginal likelihood of the members' counts (``fit(counts:windowCount:clusters:clusterCount:)``).
        case marginalLikelihood = "marginal-likelihood"
    }

    /// Fits the profiles from all sessions and each cluster's strength by two-fold cross-fitting: the
    /// sessions are split by day (`evenDayCounts` and `oddDayCounts`, users × `windowCount` each), and
    /// the strength s_c maximizes
    ///
    ///     Σ_users Σ_w [ b_w ln((a_w + s p_w) / (A + s)) + a_w ln((b_w + s p_w) / (B + s)) ]
    ///
    /// where a and b are a user's counts on even and odd days (totals A and B) and p the cluster's
    /// profile: how well the posterior from one half of a user's days predicts the other half. This
    /// is the question the propensity answers (where will this user's next sessions be), and it stays
    /// honest when the Dirichlet-multinomial is wrong about the data: a user's sessions on one day
    /// tend to fall in different windows, which makes the marginal likelihood read users as more alike
    /// than they are: twice the true strength in `WindowPropensityCrossFitTests`, and the search's upper
    /// bound for one cluster of the simulated world (README, "User landscape and timing"). Splitting by
    /// day keeps a day's sessions together.
    ///
    /// The terms depend only on (window, a_w, b_w) and (A, B), so they are counted into histograms
    /// once, and each evaluation of the score is one logarithm per distinct term. A cluster with fewer
    /// than ``minimumUsersForOwnStrength`` users with sessions in both halves gets the strength fitted
    /// on all clusters together, and ``fallbackStrength`` when no user anywhere has.
    public static func crossFit(
        evenDayCounts: [Float],
        oddDayCounts: [Float],
        windowCount: Int,
        clusters: [UInt32],
        clusterCount: Int
    ) -> WindowPropensityModel {
        precondition(evenDayCounts.count == oddDayCounts.count, "crossFit: the halves differ in size")
        precondition(evenDayCounts.count == clusters.count * windowCount, "crossFit: counts is not users × windows")
        var total = evenDayCounts
        for index in total.indices { total[index] += oddDayCounts[index] }
        // The profiles (and the marginal-likelihood strengths, unused) from all sessions.
        let pooled = fit(counts: total, windowCount: windowCount, clusters: clusters, clusterCount: clusterCount)
        let profiles = pooled.clusterProfiles

        struct CellKey: Hashable {
            var window: Int32
            var held: Float
            var given: Float
        }
        struct TotalsKey: Hashable {
            var held: Float
            var given: Float
        }
        // Per cluster: (window, held-out count, given count) → users, and (held-out total, given
        // total) → users, over both folds.
        var cells = [[CellKey: Double]](repeating: [:], count: clusterCount)
        var totals = [[TotalsKey: Double]](repeating: [:], count: clusterCount)
        var informative = [Int](repeating: 0, count: clusterCount)
        for (user, clusterNumber) in clusters.enumerated() {
            let cluster = Int(clusterNumber)
            let row = user * windowCount
            var evenTotal: Float = 0
            var oddTotal: Float = 0
            for w in 0..<windowCount {
                evenTotal += evenDayCounts[row + w]
                oddTotal += oddDayCounts[row + w]
            }
            // A user with sessions in one half only scores the same for every strength.
            guard evenTotal > 0, oddTotal > 0 else { continue }
            informative[cluster] += 1
            for w in 0..<windowCount {
                let even = evenDayCounts[row + w]
                let odd = oddDayCounts[row + w]
                if odd > 0 { cells[cluster][CellKey(window: Int32(w), held: odd, given: even), default: 0] += 1 }
                if even > 0 { cells[cluster][CellKey(window: Int32(w), held: even, given: odd), default: 0] += 1 }
            }
            totals[cluster][TotalsKey(held: oddTotal, given: evenTotal), default: 0] += 1
            totals[cluster][TotalsKey(held: evenTotal, given: oddTotal), default: 0] += 1
        }
        let flatCells = cells.map { Array($0) }
        let flatTotals = totals.map { Array($0) }
        func score(_ cluster: Int, _ strength: Double) -> Double {
            let profile = profiles[cluster]
            var sum = 0.0
            for (key, users) in flatCells[cluster] {
                sum += users * Double(key.held) * log(Double(key.given) + strength * profile[Int(key.window)])
            }
            for (key, users) in flatTotals[cluster] {
                sum -= users * Double(key.held) * log(Double(key.given) + strength)
            }
            return sum
        }
        let shared: Double
        if informative.reduce(0, +) > 0 {
            shared = maximizeOverLogStrength { s in (0..<clusterCount).reduce(0) { $0 + score($1, s) } }
        } else {
            shared = fallbackStrength
        }
        let strengths = (0..<clusterCount).map { cluster in
            informative[cluster] >= minimumUsersForOwnStrength
                ? maximizeOverLogStrength { score(cluster, $0) } : shared
        }
        return WindowPropensityModel(windowCount: windowCount, clusterProfiles: profiles, priorStrengths: strengths)
    }
}

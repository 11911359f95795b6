import Foundation

/// How likely a user is to respond to a message: a Beta posterior whose prior comes from the user's
/// cluster and whose evidence is the user's recent sends and responses, each send weighted by its age.
///
/// A send `age` days old counts as 2^(−age / halfLifeDays) of a send (and of a response, if it got one),
/// so a month-old response with the default half-life weighs half a fresh one. A send dated after `now`
/// counts fully. With decayed sends n and responses k, the posterior is Beta(α + k, β + n − k).
public struct ResponsivenessModel: Codable, Sendable, Hashable {
    /// A Beta distribution of response probabilities.
    public struct BetaPrior: Codable, Sendable, Hashable {
        /// Pseudo-responses: the first shape.
        public var alpha: Double
        /// Pseudo-non-responses: the second shape.
        public var beta: Double

        /// A Beta distribution from its two positive shapes.
        public init(alpha: Double, beta: Double) {
            precondition(alpha > 0 && beta > 0 && alpha.isFinite && beta.isFinite, "Beta shapes must be positive")
            self.alpha = alpha
            self.beta = beta
        }

        /// The mean response probability, α / (α + β).
        public var mean: Double { alpha / (alpha + beta) }
        /// How many sends the distribution is worth, α + β.
        public var strength: Double { alpha + beta }
    }

    /// One message sent to a user, and whether the user responded to it.
    public struct Send: Sendable, Hashable {
        /// When the message went out, in seconds since the epoch.
        public var atSeconds: Int64
        /// Whether the user responded (opened, clicked, converted: the campaign's goal).
        public var responded: Bool

        /// A send at `atSeconds` and whether it got a response.
        public init(atSeconds: Int64, responded: Bool) {
            self.atSeconds = atSeconds
            self.responded = responded
        }
    }

    /// Days after which a send's weight halves; default 30.
    public var halfLifeDays: Double
    /// Per cluster, the prior of its members' response probability.
    public var clusterPriors: [BetaPrior]

    /// The prior without data: mean 0.05 with the weight of 20 sends, Beta(1, 19). Push and email
    /// engagement rates are typically a few percent, and 20 sends lets a user's own first responses move
    /// their estimate visibly (one response in five sends gives 2/25 = 0.08) without letting one response
    /// make them a star.
    public static let defaultPrior = BetaPrior(alpha: 1, beta: 19)

    /// A cluster gets its own prior only with at least this many members with a decayed send count of 1 or
    /// more, and with decayed responses and non-responses of at least ``minimumOutcomesForOwnPrior`` each;
    /// below that, the spread between users is mostly noise, and the cluster gets ``defaultPrior``.
    public static let minimumUsersForOwnPrior = 30
    /// See ``minimumUsersForOwnPrior``.
    public static let minimumOutcomesForOwnPrior = 5.0
    /// A fitted prior's strength is kept within [2, 1,000] sends: at least a weak opinion, and never so
    /// strong that a user's own history cannot move it.
    public static let strengthRange: ClosedRange<Double> = 2...1_000

    /// A model from its parts.
    public init(halfLifeDays: Double = 30, clusterPriors: [BetaPrior]) {
        precondition(halfLifeDays > 0 && halfLifeDays.isFinite, "the half-life must be positive")
        self.halfLifeDays = halfLifeDays
        self.clusterPriors = clusterPriors
    }

    /// The decayed number of sends and of responses in `sends`, as of `nowSeconds`.
    public static func decayedCounts(
        _ sends: [Send],
        nowSeconds: Int64,
        halfLifeDays: Double
    ) -> (
        sends: Double, responses: Double
    ) {
        var total = 0.0
        var responses = 0.0
        for send in sends {
            let ageDays = max(0, Double(nowSeconds - send.atSeconds) / 86_400)
            let weight = exp2(-ageDays / halfLifeDays)
            total += weight
            if send.responded { responses += weight }
        }
        return (total, responses)
    }

    /// The posterior Beta of a user of `cluster` with `sends`, as of `nowSeconds`.
    public func posterior(_ sends: [Send], cluster: Int, nowSeconds: Int64) -> BetaPrior {
        precondition(clusterPriors.indices.contains(cluster), "posterior: cluster \(cluster) out of range")
        let prior = clusterPriors[cluster]
        let (total, responses) = Self.decayedCounts(sends, nowSeconds: nowSeconds, halfLifeDays: halfLifeDays)
        return BetaPrior(alpha: prior.alpha + responses, beta: prior.beta + total - responses)
    }

    /// Fits one prior per cluster from the members' decayed sends and responses by the beta-binomial method
    /// of moments, weighted by sends:
    ///
    /// - the mean m = Σ k / Σ n over the cluster's users (k responses of n sends, both decayed);
    /// - the spread: for a beta-binomial with intra-class correlation ρ = 1 / (α + β + 1), the statistic
    ///   S = Σ n (k/n − m)² has expectation m(1 − m) (U − 1 + ρ (Σ n − Σ n² / Σ n − (U − 1))) over U users
    ///   (from Var(k/n) = m(1 − m)(1/n + ρ(1 − 1/n)); the −1 and Σ n²/Σ n terms account for m being
    ///   estimated), so ρ̂ = (S / (m(1 − m)) − (U − 1)) / (Σ n − Σ n² / Σ n − (U − 1)), and the strength
    ///   α + β = 1/ρ̂ − 1, kept within ``strengthRange`` (ρ̂ ≤ 0, no spread beyond chance, gives its top).
    ///
    /// Only users with a decayed send count of at least 1 enter; decayed counts are not whole, so the
    /// moments are an approximation that is exact when every send is fresh. A cluster below the thresholds
    /// of ``minimumUsersForOwnPrior`` gets ``defaultPrior``.
    public static func fit(
        sends: [[Send]],
        clusters: [UInt32],
        clusterCount: Int,
        nowSeconds: Int64,
        halfLifeDays: Double = 30
    ) -> ResponsivenessModel {
        precondition(sends.count == clusters.count, "fit: one cluster per user")
        precondition(clusterCount > 0, "fit: no clusters")
        precondition(halfLifeDays > 0 && halfLifeDays.isFinite, "fit: the half-life must be positive")
        var users = [[(n: Double, k: Double)]](repeating: [], count: clusterCount)
        for (userSends, cluster) in zip(sends, clusters) {
            precondition(Int(cluster) < clusterCount, "fit: cluster \(cluster) out of range")
            let (n, k) = decayedCounts(userSends, nowSeconds: nowSeconds, halfLifeDays: halfLifeDays)
            if n >= 1 { users[Int(cluster)].append((n, k)) }
        }
        let priors = users.map { members -> BetaPrior in
            let totalSends = members.reduce(0) { $0 + $1.n }
            let totalResponses = members.reduce(0) { $0 + $1.k }
            guard members.count >= minimumUsersForOwnPrior,
                totalResponses >= minimumOutcomesForOwnPrior,
                totalSends - totalResponses >= minimumOutcomesForOwnPrior
            else { return defaultPrior }
            let mean = totalResponses / totalSends
            let spread = members.reduce(0) { $0 + $1.n * ($1.k / $1.n - mean) * ($1.k / $1.n - mean) }
            let squares = members.reduce(0) { $0 + $1.n * $1.n }
            let denominator = totalSends - squares / totalSends - Double(members.count - 1)
            // With every member at one send, the spread between users says nothing about ρ.
            guard denominator > 1e-9 else { return defaultPrior }
            let rho = (spread / (mean * (1 - mean)) - Double(members.count - 1)) / denominator
            let strength =
                rho > 0
                ? min(max(1 / rho - 1, strengthRange.lowerBound), strengthRange.upperBound)
                : strengthRange.upperBound
            return BetaPrior(alpha: mean * strength, beta: (1 - mean) * strength)
        }
        return ResponsivenessModel(halfLifeDays: halfLifeDays, clusterPriors: priors)
    }
}

import AampeCore
import Foundation

/// Trained timing: per user, the window propensity, the activity and responsiveness estimates and the
/// cadence they imply, with the population models behind them.
public struct TrainedTiming: Sendable {
    /// The settings trained with.
    public var settings: TimingSettings
    /// The end of every look-back, seconds since the epoch.
    public var referenceSeconds: Int64
    /// Users (rows).
    public var userCount: Int
    /// Windows per week.
    public var windowCount: Int
    /// users × windows: the shrunk share of the user's sessions in each window (sums to 1 per user).
    public var propensity: [Float]
    /// users × windows: the raw session counts.
    public var windowCounts: [Float]
    /// Per user: the group whose profile the user was shrunk toward (the landscape cluster, or
    /// ``clusterCount`` for users the landscape does not know).
    public var groups: [UInt32]
    /// Landscape clusters; groups run from 0 to this, inclusive.
    public var clusterCount: Int
    /// Per user: repeat active days (BG/NBD's x), NaN for a user never active.
    public var frequency: [Float]
    /// Per user: days from the first to the last active day (t_x), NaN for a user never active.
    public var recencyDays: [Float]
    /// Per user: days from the first active day to the reference time (T), NaN for a user never active.
    public var ageDays: [Float]
    /// Per user: P(alive), NaN for a user never active.
    public var probabilityAlive: [Float]
    /// Per user: P(seen again within the horizon), NaN for a user never active.
    public var probabilityActive: [Float]
    /// Per user: the responsiveness posterior's α.
    public var responsivenessAlpha: [Float]
    /// Per user: the responsiveness posterior's β.
    public var responsivenessBeta: [Float]
    /// Per user: messages per week.
    public var cadencePerWeek: [UInt8]
    /// The window prior: cluster profiles and prior strengths.
    public var windowModel: WindowPropensityModel
    /// The activity model, or `nil` when no user had repeat activity or the fit failed.
    public var activityModel: BGNBDModel?
    /// Why the activity model could not be fitted, when it could not.
    public var activityFitError: String?
    /// The responsiveness priors.
    public var responsivenessModel: ResponsivenessModel
    /// The mean responsiveness over users, against which cadence compares a user.
    public var populationResponsiveness: Double
    /// Users never active in the history.
    public var usersWithoutActivity: Int
    /// Sends read from the message log.
    public var sendsRead: Int
    /// Wall-clock seconds per phase.
    public var phaseSeconds: [String: Double]
}

/// Fits the window prior, the activity model and the responsiveness priors, and estimates every user.
public enum TimingTrainer {
    /// The training phases, for progress.
    public enum Phase: String, Sendable {
        case windows, activity, responsiveness
    }

    /// Trains on `aggregates`. `clusters` gives each user's landscape cluster (`nil` entries or users
    /// past its end are users the landscape does not know); `sends` are the message log's sends by
    /// user index, oldest first.
    public static func train(
        _ aggregates: TimingAggregates,
        clusters: [UInt32?],
        clusterCount: Int,
        sends: [Int: [ResponsivenessModel.Send]],
        progress: ((Phase) -> Void)? = nil
    ) throws -> TrainedTiming {
        let settings = aggregates.settings
        let users = aggregates.userCount
        let windows = aggregates.layout.windowsPerWeek
        let unknownGroup = UInt32(clusterCount)
        let groups: [UInt32] = (0..<users).map { user in
            user < clusters.count ? clusters[user] ?? unknownGroup : unknownGroup
        }
        var times = PhaseTimes()
        func timed<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
            progress?(phase)
            return try times.measure(phase.rawValue, body)
        }

        let (windowModel, propensity) = timed(.windows) { () -> (WindowPropensityModel, [Float]) in
            let model: WindowPropensityModel
            switch settings.strengthFit {
            case .crossFitted:
                model = WindowPropensityModel.crossFit(
                    evenDayCounts: aggregates.evenDayWindowCounts,
                    oddDayCounts: aggregates.oddDayWindowCounts,
                    windowCount: windows,
                    clusters: groups,
                    clusterCount: clusterCount + 1
                )
            case .marginalLikelihood:
                model = WindowPropensityModel.fit(
                    counts: aggregates.windowCounts,
                    windowCount: windows,
                    clusters: groups,
                    clusterCount: clusterCount + 1
                )
            }
            var propensity = [Float](repeating: 0, count: users * windows)
            for user in 0..<users {
                let shares = model.posterior(counts: aggregates.windowCounts(of: user), cluster: Int(groups[user]))
                for window in 0..<windows { propensity[user * windows + window] = Float(shares[window]) }
            }
            return (model, propensity)
        }

        var frequency = [Float](repeating: .nan, count: users)
        var recency = [Float](repeating: .nan, count: users)
        var age = [Float](repeating: .nan, count: users)
        var alive = [Float](repeating: .nan, count: users)
        var active = [Float](repeating: .nan, count: users)
        var withoutActivity = 0
        var activityFitError: String?
        let activityModel = try timed(.activity) { () -> BGNBDModel? in
            // Users sharing (x, tx, T) are one weighted row: in days, a few thousand distinct triples
            // stand for millions of users.
            var index: [SIMD3<Int32>: Int] = [:]
            var triples: [SIMD3<Int32>] = []
            var weights: [Double] = []
            for user in 0..<users {
                guard let summary = aggregates.activity(of: user) else {
                    withoutActivity += 1
                    continue
                }
                frequency[user] = Float(summary.x)
                recency[user] = Float(summary.tx)
                age[user] = Float(summary.T)
                let key = SIMD3(Int32(summary.x), Int32(summary.tx), Int32(summary.T))
                if let at = index[key] {
                    weights[at] += 1
                } else {
                    index[key] = triples.count
                    triples.append(key)
                    weights.append(1)
                }
            }
            // BG/NBD learns from repeat activity; without any, its likelihood has no maximum.
            guard triples.contains(where: { $0.x > 0 }) else { return nil }
            let model: BGNBDModel
            do {
                model = try BGNBDModel.fit(
                    x: triples.map { Double($0.x) },
                    tx: triples.map { Double($0.y) },
                    T: triples.map { Double($0.z) },
                    weights: weights
                )
            } catch let error as LearningError {
                // A fit that does not converge (typically a few days of history, where the likelihood keeps
                // rising toward no heterogeneity and no drop-out) says why, and the activity estimate falls
                // back to that limit: every user active at their own observed rate. Leaving it out would
                // give every user the minimum cadence, which is 0, and silence the app.
                activityFitError = "\(error)"
                let horizon = Double(settings.horizonDays)
                for user in 0..<users where !frequency[user].isNaN {
                    alive[user] = 1
                    active[user] = Float(
                        Self.poissonProbabilityActive(
                            within: horizon,
                            x: Double(frequency[user]),
                            T: Double(age[user])
                        )
                    )
                }
                return nil
            }
            let horizon = Double(settings.horizonDays)
            for user in 0..<users where !frequency[user].isNaN {
                let x = Double(frequency[user])
                let tx = Double(recency[user])
                let T = Double(age[user])
                alive[user] = Float(model.probabilityAlive(x: x, tx: tx, T: T))
                active[user] = Float(model.probabilityActive(within: horizon, x: x, tx: tx, T: T))
            }
            return model
        }

        let sendsRead = sends.values.reduce(0) { $0 + $1.count }
        let (responsivenessModel, alpha, beta, populationMean) = timed(.responsiveness) {
            () -> (ResponsivenessModel, [Float], [Float], Double) in
            let byUser = (0..<users).map { sends[$0] ?? [] }
            let model = ResponsivenessModel.fit(
                sends: byUser,
                clusters: groups,
                clusterCount: clusterCount + 1,
                nowSeconds: aggregates.referenceSeconds,
                halfLifeDays: settings.responsivenessHalfLifeDays
            )
            var alpha = [Float](repeating: 0, count: users)
            var beta = [Float](repeating: 0, count: users)
            var total = 0.0
            for user in 0..<users {
                let posterior = model.posterior(
                    byUser[user],
                    cluster: Int(groups[user]),
                    nowSeconds: aggregates.referenceSeconds
                )
                alpha[user] = Float(posterior.alpha)
                beta[user] = Float(posterior.beta)
                total += posterior.mean
            }
            return (model, alpha, beta, users > 0 ? total / Double(users) : 0)
        }

        let cadence: [UInt8] = (0..<users).map { user in
            // A user never seen has no activity estimate; the rule treats it as 0, which gives them the
            // minimum until they show up.
            let probability = active[user].isNaN ? 0 : Double(active[user])
            let responsiveness = Double(alpha[user]) / Double(alpha[user] + beta[user])
            let perWeek = settings.cadence.messagesPerWeek(
                probabilityActive: probability,
                responsiveness: responsiveness,
                populationResponsiveness: populationMean
            )
            return UInt8(clamping: perWeek)
        }

        return TrainedTiming(
            settings: settings,
            referenceSeconds: aggregates.referenceSeconds,
            userCount: users,
            windowCount: windows,
            propensity: propensity,
            windowCounts: aggregates.windowCounts,
            groups: groups,
            clusterCount: clusterCount,
            frequency: frequency,
            recencyDays: recency,
            ageDays: age,
            probabilityAlive: alive,
            probabilityActive: active,
            responsivenessAlpha: alpha,
            responsivenessBeta: beta,
            cadencePerWeek: cadence,
            windowModel: windowModel,
            activityModel: activityModel,
            activityFitError: activityFitError,
            responsivenessModel: responsivenessModel,
            populationResponsiveness: populationMean,
            usersWithoutActivity: withoutActivity,
            sendsRead: sendsRead,
            phaseSeconds: times.seconds
        )
    }
}

extension TimingTrainer {
    /// P(at least one active day within `horizon` days) for a user with `x` repeat active days over the `T`
    /// days since their first: BG/NBD's limit with no heterogeneity and no drop-out, a Poisson process at
    /// the user's own daily rate, counting the first active day, (x + 1) / (T + 1).
    public static func poissonProbabilityActive(within horizon: Double, x: Double, T: Double) -> Double {
        let rate = (x + 1) / (T + 1)
        return 1 - exp(-rate * horizon)
    }
}

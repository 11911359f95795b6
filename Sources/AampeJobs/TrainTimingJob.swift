public import AampeCore
import AampeEvents
public import AampeLearning
import AampeSegments
import AampeStore
import Foundation

/// `aampectl train timing`: each user's window propensity, activity and responsiveness estimates and
/// cadence, published as a new generation with the live generation's other models carried over.
///
/// Users are shrunk toward their landscape cluster, from the live generation's landscape; users new
/// since that landscape, or all users when there is none, are shrunk toward one more group of their
/// own, and the report says which generation's landscape was used.
public enum TrainTimingJob {
    /// What a run did.
    public struct Report: Codable, Sendable {
        /// The generation published.
        public var publication: GenerationPublisher.Outcome
        /// The settings trained with.
        public var settings: TimingSettings
        /// The end of every look-back, ISO-8601.
        public var referenceTime: String
        /// Users (rows).
        public var users: Int
        /// The generation whose landscape gave the clusters, or `nil`.
        public var landscapeGeneration: UInt64?
        /// Landscape clusters (0 without a landscape).
        public var clusters: Int
        /// Users the landscape did not know.
        public var usersWithoutCluster: Int
        /// Zones, activity, sessions and sends counted.
        public var counts: TimingFiles.Manifest.Counts
        /// The fitted BG/NBD parameters, or `nil` when no user had repeat activity or the fit failed.
        public var activityModel: BGNBDModel?
        /// Why BG/NBD could not be fitted, when it could not.
        public var activityFitError: String?
        /// Per group (clusters, then users without one): the fitted prior strength.
        public var priorStrengths: [Double]
        /// The mean responsiveness over users.
        public var populationResponsiveness: Double
        /// Users by messages per week: index n holds the users with n a week.
        public var cadenceHistogram: [Int]
        /// Mean P(seen again within the horizon) over users ever active.
        public var meanProbabilityActive: Double
        /// Wall-clock seconds per phase.
        public var phaseSeconds: [String: Double]

        enum CodingKeys: String, CodingKey {
            case publication, settings, users, clusters, counts
            case referenceTime = "reference_time"
            case landscapeGeneration = "landscape_generation"
            case usersWithoutCluster = "users_without_cluster"
            case activityModel = "activity_model"
            case activityFitError = "activity_fit_error"
            case priorStrengths = "prior_strengths"
            case populationResponsiveness = "population_responsiveness"
            case cadenceHistogram = "cadence_histogram"
            case meanProbabilityActive = "mean_probability_active"
            case phaseSeconds = "phase_seconds"
        }
    }

    /// Trains and publishes. `asOf` rebuilds a past state. `progress` gets a phase name, the units done
    /// and the units in all.
    public static func run(
        directory: DataDirectory,
        settings: TimingSettings,
        asOf: Timestamp? = nil,
        progress: (@Sendable (String, Int, Int) -> Void)? = nil
    ) throws -> Report {
        try settings.validate()
        return try BatchRun.run(.train, subject: TimingFiles.model, directory: directory, buildsGeneration: true) {
            context in
            var times = PhaseTimes()
            let (window, aggregates, landscape, sends) = try times.measure("reading") {
                let window = try TrainingWindow(
                    directory: directory,
                    store: context.store,
                    asOf: asOf,
                    defaultZone: settings.defaultTimeZone
                )
                let referenceSeconds = window.reference.secondsSinceEpoch
                var aggregates = try TimingAggregates(
                    settings: settings,
                    referenceSeconds: referenceSeconds,
                    userCount: window.snapshot.keys.userIDs.count,
                    eventTypes: window.snapshot.keys.eventTypes,
                    historyDays: Int((referenceSeconds - window.earliest.secondsSinceEpoch) / Timestamp.secondsPerDay)
                        + 1
                )
                try window.read(from: window.earliest, progress: progress) { aggregates.add($0, zones: window.zones) }
                let landscape = try landscapeClusters(directory: directory, userIDs: window.snapshot.keys.userIDs)
                var sends: [Int: [ResponsivenessModel.Send]] = [:]
                for send in try context.store.messageLog.sends(notAfter: window.reference) {
                    sends[send.userIndex, default: []].append(
                        ResponsivenessModel.Send(
                            atSeconds: send.sentAt.secondsSinceEpoch,
                            responded: send.respondedAt != nil
                        )
                    )
                }
                return (window, aggregates, landscape, sends)
            }
            let keys = window.snapshot.keys
            let zones = window.zones
            let (clusters, clusterCount, landscapeGeneration) = landscape
            let trained = try TimingTrainer.train(
                aggregates,
                clusters: clusters,
                clusterCount: clusterCount,
                sends: sends
            ) { phase in progress?(phase.rawValue, 0, 0) }
            let counts = TimingFiles.Manifest.Counts(
                usersWithoutTimeZone: zones.usersWithoutZone,
                usersWithUnknownTimeZone: zones.usersWithUnknownZone,
                unknownTimeZones: zones.unknownZoneNames.prefix(20).map(\.name),
                usersWithoutActivity: trained.usersWithoutActivity,
                hasSessionEvent: aggregates.hasSessionEvent,
                sessionsInWindows: aggregates.sessionsInWindows,
                sessionsOutsideWindows: aggregates.sessionsOutsideWindows,
                sendsRead: trained.sendsRead
            )
            let publication = try times.measure("writing") {
                try GenerationPublisher.publish(model: TimingFiles.model, in: directory) { builder in
                    try TimingFiles.write(
                        trained,
                        userIDs: keys.userIDs,
                        counts: counts,
                        landscapeGeneration: landscapeGeneration,
                        into: builder,
                        trainedAt: Timestamp.now().description
                    )
                }
            }
            let phases = trained.phaseSeconds.merging(times.seconds) { $1 }
            var histogram = [Int](repeating: 0, count: settings.cadence.maximumPerWeek + 1)
            for perWeek in trained.cadencePerWeek { histogram[min(Int(perWeek), histogram.count - 1)] += 1 }
            let active = trained.probabilityActive.filter { !$0.isNaN }
            let report = Report(
                publication: publication,
                settings: settings,
                referenceTime: window.reference.description,
                users: trained.userCount,
                landscapeGeneration: landscapeGeneration,
                clusters: clusterCount,
                usersWithoutCluster: trained.groups.filter { Int($0) == clusterCount }.count,
                counts: counts,
                activityModel: trained.activityModel,
                activityFitError: trained.activityFitError,
                priorStrengths: trained.windowModel.priorStrengths,
                populationResponsiveness: trained.populationResponsiveness,
                cadenceHistogram: histogram,
                meanProbabilityActive: active.isEmpty ? 0 : Double(active.reduce(0, +)) / Double(active.count),
                phaseSeconds: phases
            )
            let runCounters = RunCounters([
                "users": Int64(report.users),
                "users_without_time_zone": Int64(counts.usersWithoutTimeZone),
                "users_without_activity": Int64(counts.usersWithoutActivity),
                "sends_read": Int64(counts.sendsRead),
                "generation": Int64(publication.generation),
            ])
            return (report, runCounters)
        }
    }

    /// Each user's cluster from the live generation's landscape, matched by external id, with the
    /// cluster count and that generation's number; no landscape gives no clusters.
    private static func landscapeClusters(
        directory: DataDirectory,
        userIDs: [String]
    ) throws -> ([UInt32?], Int, UInt64?) {
        let generations = GenerationStore(dataDirectory: directory)
        guard let live = try generations.openCurrent(), live.contains(model: LandscapeFiles.model) else {
            return ([], 0, nil)
        }
        let landscape = try ServedLandscape(generation: live)
        let clusters: [UInt32?] = userIDs.indices.map { user in
            TrainingWindow.row(of: userIDs[user], at: user, in: landscape.userIDs).map { landscape.clusters[$0] }
        }
        return (clusters, landscape.manifest.clusterCount, live.number.rawValue)
    }
}

/// Reads a generation's timing for `aampectl timing show` and `export`.
public enum TimingLookup {
    /// The live generation's timing. No generation, or one without timing, throws with what to run.
    public static func current(directory: DataDirectory) throws -> ServedTiming {
        let generations = GenerationStore(dataDirectory: directory)
        guard let live = try generations.openCurrent(), live.contains(model: TimingFiles.model) else {
            throw JobError(.noData(detail: "the live generation has no timing; run `aampectl train timing` first"))
        }
        return try ServedTiming(generation: live)
    }

    /// The live generation's window layout, read from its timing manifest alone, or `nil` when it has no
    /// timing (or no generation is published): what names the windows of SCORE's answer.
    public static func currentLayout(directory: DataDirectory) throws -> TimeWindowLayout? {
        guard let live = try GenerationStore(dataDirectory: directory).openCurrent(),
            live.contains(model: TimingFiles.model)
        else { return nil }
        return try GenerationJSON.read(TimingFiles.Manifest.self, TimingFiles.manifest, of: live).settings.layout()
    }

    /// Every user's timing as CSV: `user_id,group,frequency,recency_days,age_days,probability_alive,
    /// probability_active,responsiveness,cadence_per_week`, then `p0…` (the shrunk shares), `n0…` (the
    /// raw counts) and `g0…` (the group's profile), one per window.
    public static func writeCSV(_ timing: ServedTiming, _ write: (String) throws -> Void) throws {
        let windows = timing.manifest.windowCount
        let profiles = timing.manifest.windowModel.clusterProfiles
        var output =
            "user_id,group,frequency,recency_days,age_days,probability_alive,probability_active,responsiveness,cadence_per_week,"
        output +=
            ["p", "n", "g"].map { prefix in (0..<windows).map { "\(prefix)\($0)" }.joined(separator: ",") }
            .joined(separator: ",") + "\n"
        for row in 0..<timing.userIDs.count {
            let id = timing.userIDs.key(at: row)
            let user = try timing.user(atRow: row)
            let responsiveness = user.responsivenessAlpha / (user.responsivenessAlpha + user.responsivenessBeta)
            var fields = [CSVText.field(id), "\(user.group)"]
            fields += [user.frequency, user.recencyDays, user.ageDays, user.probabilityAlive, user.probabilityActive]
                .map { $0.isNaN ? "" : String($0) }
            fields += [String(responsiveness), "\(user.cadencePerWeek)"]
            fields += user.propensity.map { String($0) }
            fields += user.counts.map { String(Int($0)) }
            fields += (user.group < profiles.count ? profiles[user.group] : []).map { String($0) }
            output += fields.joined(separator: ",") + "\n"
            if output.utf8.count > 1 << 16 {
                try write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
        try write(output)
    }
}

import AampeCore
import AampeEvents
import AampeSegments
import AampeTestSupport
import Testing

@testable import AampeLearning

/// The landscape's and timing's generation files: what is written is what a reader maps, and settings
/// from outside are checked at their limits.
@Suite("landscape and timing generation files and settings")
struct LandscapeTimingFilesTests {
    typealias Hand = LandscapeAggregatesTests

    /// Six users in two obvious groups: 0-2 open the app every day at 08:30 UTC for 20 days, 3-5 buy
    /// every third evening.
    static func rows() -> [(UInt32, UInt32, Int64, Double)] {
        var rows: [(UInt32, UInt32, Int64, Double)] = []
        for day in 1...20 {
            let morning = Int64(day) * Hand.day - 8 * Hand.hour - 1_800
            for user in UInt32(0)..<3 { rows.append((user, 0, morning, .nan)) }
            if day % 3 == 0 {
                let evening = Int64(day) * Hand.day - 20 * Hand.hour
                for user in UInt32(3)..<6 {
                    rows.append((user, 0, evening, .nan))
                    rows.append((user, 1, evening - 60, 40))
                }
            }
        }
        return rows
    }

    /// The landscape's and timing's aggregates of ``rows()`` under `settings`.
    static func aggregates(_ settings: LandscapeSettings) throws -> (LandscapeAggregates, TimingAggregates) {
        let events = Hand.events(rows())
        let zones = try Hand.utcZones(users: 6)
        var landscape = LandscapeAggregates(
            settings: settings,
            referenceSeconds: Hand.reference,
            userCount: 6,
            eventTypes: ["app_opened", "purchase"]
        )
        landscape.add(events, zones: zones)
        var timing = try TimingAggregates(
            settings: TimingSettings(),
            referenceSeconds: Hand.reference,
            userCount: 6,
            eventTypes: ["app_opened", "purchase"],
            historyDays: 30
        )
        timing.add(events, zones: zones)
        return (landscape, timing)
    }

    @Test("written, published and mapped: vectors, clusters, windows and estimates read back as trained")
    func roundTrip() throws {
        var settings = LandscapeSettings()
        settings.clusters = 2
        settings.dimensions = 3
        let (landscapeInput, timingAggregates) = try Self.aggregates(settings)
        let landscape = try LandscapeTrainer.train(landscapeInput)
        #expect(landscape.clustering.k == 2)
        let clusters = landscape.clustering.assignments
        #expect(Set(clusters[0..<3]).count == 1 && Set(clusters[3..<6]).count == 1 && clusters[0] != clusters[3])

        let timing = try TimingTrainer.train(
            timingAggregates,
            clusters: clusters.map { $0 },
            clusterCount: 2,
            sends: [0: [.init(atSeconds: Hand.reference - Hand.day, responded: true)]]
        )
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        let ids = (0..<6).map { "user-\($0)" }
        try LandscapeFiles.write(
            landscape,
            userIDs: ids,
            lastSeenSeconds: (0..<6).map { landscapeInput.lastSeenSeconds(of: $0) ?? 0 },
            into: builder,
            trainedAt: "test"
        )
        let counts = TimingFiles.Manifest.Counts(
            usersWithoutTimeZone: 6,
            usersWithUnknownTimeZone: 0,
            unknownTimeZones: [],
            usersWithoutActivity: 0,
            hasSessionEvent: true,
            sessionsInWindows: timingAggregates.sessionsInWindows,
            sessionsOutsideWindows: timingAggregates.sessionsOutsideWindows,
            sendsRead: 1
        )
        try TimingFiles.write(
            timing,
            userIDs: ids,
            counts: counts,
            landscapeGeneration: 1,
            into: builder,
            trainedAt: "test"
        )
        try builder.publish()
        let generation = try #require(try store.openCurrent())
        let servedLandscape = try ServedLandscape(generation: generation)
        #expect(servedLandscape.manifest.clusterCount == 2)
        #expect(servedLandscape.manifest.featureNames == landscapeInput.featureNames)
        for user in 0..<6 {
            #expect(servedLandscape.cluster(of: ids[user]) == Int(clusters[user]))
            let vector = try servedLandscape.vectors.vector(at: user)
            #expect(vector == Array(landscape.vectors.values[(user * 3)..<(user * 3 + 3)]))
            #expect(try servedLandscape.aggregates.vector(at: user) == landscape.aggregates.row(user))
        }
        #expect(servedLandscape.cluster(of: "stranger") == nil)

        let servedTiming = try ServedTiming(generation: generation)
        #expect(servedTiming.manifest.counts == counts)
        #expect(servedTiming.manifest.activityModel == timing.activityModel)
        for user in 0..<6 {
            let read = try #require(try servedTiming.user(ids[user]))
            #expect(read.propensity == Array(timing.propensity[(user * 35)..<(user * 35 + 35)]))
            #expect(read.counts == Array(timing.windowCounts[(user * 35)..<(user * 35 + 35)]))
            #expect(read.group == Int(clusters[user]))
            #expect(read.frequency == timing.frequency[user] && read.ageDays == timing.ageDays[user])
            #expect(read.probabilityActive == timing.probabilityActive[user])
            #expect(read.cadencePerWeek == Int(timing.cadencePerWeek[user]))
        }
        // The one response lifts user 0 above its cluster mates, who have no sends.
        let first = try #require(try servedTiming.user(ids[0]))
        let mate = try #require(try servedTiming.user(ids[1]))
        #expect(
            first.responsivenessAlpha / (first.responsivenessAlpha + first.responsivenessBeta)
                > mate.responsivenessAlpha / (mate.responsivenessAlpha + mate.responsivenessBeta)
        )
        // Morning users' propensity peaks in a 07:00 window, evening buyers' in a 19:00 one.
        let morning = try #require(try servedTiming.user(ids[0])).propensity
        let evening = try #require(try servedTiming.user(ids[4])).propensity
        #expect(morning.firstIndex(of: morning.max()!)! % 5 == 0)
        #expect(evening.firstIndex(of: evening.max()!)! % 5 == 4)
    }

    @Test("a revenue beyond Float's range stays a finite aggregate, and training goes on")
    func hugeRevenue() throws {
        var aggregates = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Hand.reference,
            userCount: 2,
            eventTypes: ["purchase"]
        )
        aggregates.add(
            Hand.events([(0, 0, Hand.hour, 1e39), (0, 0, 2 * Hand.hour, 1e39), (1, 0, Hand.hour, 10)]),
            zones: try Hand.utcZones(users: 2)
        )
        let names = aggregates.featureNames
        let matrix = aggregates.features()
        let revenue = matrix[0, names.firstIndex(of: "revenue_7d")!]
        #expect(revenue.isFinite && revenue == Float.greatestFiniteMagnitude)
        #expect(matrix[1, names.firstIndex(of: "revenue_7d")!] == 10)
        let trained = try LandscapeTrainer.train(aggregates)
        #expect(trained.vectors.values.allSatisfy { $0.isFinite })
    }

    @Test("a timing file whose per-user column is short of the users is refused at open, naming the file")
    func shortTimingColumn() throws {
        var settings = LandscapeSettings()
        settings.clusters = 2
        let (_, timingAggregates) = try Self.aggregates(settings)
        var timing = try TimingTrainer.train(timingAggregates, clusters: [], clusterCount: 0, sends: [:])
        timing.frequency.removeLast()
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        let counts = TimingFiles.Manifest.Counts(
            usersWithoutTimeZone: 0,
            usersWithUnknownTimeZone: 0,
            unknownTimeZones: [],
            usersWithoutActivity: 0,
            hasSessionEvent: true,
            sessionsInWindows: 0,
            sessionsOutsideWindows: 0,
            sendsRead: 0
        )
        try TimingFiles.write(
            timing,
            userIDs: (0..<6).map { "user-\($0)" },
            counts: counts,
            landscapeGeneration: nil,
            into: builder,
            trainedAt: "test"
        )
        try builder.publish()
        let generation = try #require(try store.openCurrent())
        let error = try #require(throws: SegmentError.self) { try ServedTiming(generation: generation) }
        #expect("\(error)".contains("timing/users.seg") && "\(error)".contains("5 rows for 6 users"))
    }

    @Test("a landscape.json whose scaler does not match its aggregates is refused at open, naming the file")
    func mismatchedScaler() throws {
        var settings = LandscapeSettings()
        settings.clusters = 2
        settings.dimensions = 3
        let (aggregates, _) = try Self.aggregates(settings)
        var trained = try LandscapeTrainer.train(aggregates)
        trained.scaler.medians.removeLast()
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.path + "/generations")
        let builder = try store.begin()
        try LandscapeFiles.write(
            trained,
            userIDs: (0..<6).map { "user-\($0)" },
            lastSeenSeconds: Array(repeating: 0, count: 6),
            into: builder,
            trainedAt: "test"
        )
        try builder.publish()
        let generation = try #require(try store.openCurrent())
        let error = try #require(throws: SegmentError.self) { try ServedLandscape(generation: generation) }
        #expect("\(error)".contains("landscape.json") && "\(error)".contains("scaler"))
    }

    @Test("a landscape of one user: one cluster, one row of PCA, and --choose-k falls back to k = 1")
    func singleUser() throws {
        var settings = LandscapeSettings()
        settings.chooseKRange = .init(lower: 2, upper: 5)
        var aggregates = LandscapeAggregates(
            settings: settings,
            referenceSeconds: Hand.reference,
            userCount: 1,
            eventTypes: ["app_opened"]
        )
        aggregates.add(Hand.events([(0, 0, Hand.hour, .nan)]), zones: try Hand.utcZones(users: 1))
        let trained = try LandscapeTrainer.train(aggregates)
        #expect(trained.clustering.k == 1 && trained.clustering.assignments == [0])
        #expect(trained.vectors.rows == 1)
    }

    @Test("look-back periods at 366 days and one past, and timing's routine days at 3,660 and one past")
    func settingsLimits() throws {
        var landscape = LandscapeSettings()
        landscape.periodsDays = [7, Limits.maximumLandscapePeriodDays]
        #expect(throws: Never.self) { try landscape.validate() }
        landscape.periodsDays = [7, Limits.maximumLandscapePeriodDays + 1]
        #expect(throws: LearningError.self) { try landscape.validate() }
        landscape.periodsDays = [30, 7]
        #expect(throws: LearningError.self) { try landscape.validate() }
        landscape = LandscapeSettings()
        landscape.chooseKRange = .init(lower: 2, upper: Limits.maximumLandscapeClusters)
        #expect(throws: Never.self) { try landscape.validate() }
        landscape.chooseKRange = .init(lower: 2, upper: Limits.maximumLandscapeClusters + 1)
        #expect(throws: LearningError.self) { try landscape.validate() }
        landscape = LandscapeSettings()
        landscape.dimensions = Limits.maximumLandscapeComponents
        #expect(throws: Never.self) { try landscape.validate() }
        landscape.dimensions = Limits.maximumLandscapeComponents + 1
        #expect(throws: LearningError.self) { try landscape.validate() }

        var timing = TimingSettings()
        timing.routineDays = Limits.maximumTimingHistoryDays
        #expect(throws: Never.self) { try timing.validate() }
        timing.routineDays = Limits.maximumTimingHistoryDays + 1
        #expect(throws: LearningError.self) { try timing.validate() }
        timing = TimingSettings()
        timing.windowsPerDay = 6
        // Six three-hour windows from 07:00 run past midnight: refused, naming the windows.
        let error = try #require(throws: LearningError.self) { try timing.validate() }
        #expect("\(error)".contains("windows"))
    }

    @Test("a history longer than the limit is cut to it: the bitmap never covers more than 3,660 days")
    func historyLimit() throws {
        let long = try TimingAggregates(
            settings: TimingSettings(),
            referenceSeconds: Hand.reference,
            userCount: 1,
            eventTypes: ["app_opened"],
            historyDays: Limits.maximumTimingHistoryDays + 1
        )
        #expect(long.historyDays == Limits.maximumTimingHistoryDays)
        let exact = try TimingAggregates(
            settings: TimingSettings(),
            referenceSeconds: Hand.reference,
            userCount: 1,
            eventTypes: ["app_opened"],
            historyDays: Limits.maximumTimingHistoryDays
        )
        #expect(exact.historyDays == Limits.maximumTimingHistoryDays)
    }
}

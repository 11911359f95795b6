import AampeCore
import AampeDaemon
import AampeJobs
import AampeLearning
import AampeTestSupport
import Foundation
import Testing

/// The `schedule:` section: every key read, defaults, and each bad value named by file, line and setting.
@Suite("daemon configuration: the schedule section")
struct ScheduleConfigurationTests {
    /// The configuration `yaml` gives, with `DROP` replaced by an existing folder; or the error's text.
    static func configuration(_ yaml: String) throws -> (DaemonConfiguration, file: String, drop: String) {
        let folder = try TemporaryFolder(prefix: "aampe-schedule")
        let drop = folder.child("drop")
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        let path = folder.child("aamped.yaml")
        try yaml.replacingOccurrences(of: "DROP", with: drop).write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = DaemonConfiguration(dataDirectory: DataDirectory(path: folder.path))
        try configuration.apply(file: path)
        return (configuration, path, drop)
    }

    /// The error `yaml` gives, as aamped prints it.
    static func error(_ yaml: String) throws -> String {
        let error = try #require(throws: DaemonError.self) { try configuration(yaml) }
        return error.description
    }

    @Test("every key is read; the defaults are 60 s polls, 60 s settling, on arrival, no daily time, assign's defaults")
    func keys() throws {
        let (defaults, _, drop) = try Self.configuration("schedule:\n  drop: DROP\n")
        let schedule = try #require(defaults.schedule)
        #expect(schedule.dropFolder == drop && schedule.pollSeconds == 60 && schedule.settleSeconds == 60)
        #expect(schedule.isOnArrival && schedule.daily == nil && schedule.assignment == AssignmentSettings())
        #expect(try Self.configuration("logLevel: info\n").0.schedule == nil)

        let (set, _, _) = try Self.configuration(
            """
            schedule:
              drop: DROP
              pollSeconds: 5
              settleSeconds: 2
              onArrival: false
              at: 02:30
              timeZone: Europe/Berlin
              assign:
                horizonHours: 12
                policy: thompson
                controlShare: 0.1
                seed: 7

            """
        )
        let full = try #require(set.schedule)
        #expect(full.pollSeconds == 5 && full.settleSeconds == 2 && !full.isOnArrival)
        #expect(full.daily == .init(hour: 2, minute: 30, timeZone: "Europe/Berlin"))
        #expect(full.assignment.horizonSeconds == 12 * 3_600 && full.assignment.policy == .thompson)
        #expect(full.assignment.controlShare == 0.1 && full.assignment.seed == 7)
    }

    @Test("a relative drop folder is taken from the config file's folder")
    func relativeDrop() throws {
        let (configuration, _, drop) = try Self.configuration("schedule:\n  drop: drop\n")
        #expect(configuration.schedule?.dropFolder == drop)
    }

    @Test(
        "bad settings name the file, the line and the setting",
        arguments: [
            ("schedule:\n  drop: DROP\n  pollMinutes: 5\n", "line 3, schedule setting 'pollMinutes': unknown setting"),
            (
                "schedule:\n  drop: /no/such/folder\n",
                "line 2, schedule setting 'drop': /no/such/folder is not a folder"
            ),
            (
                "schedule:\n  drop: DROP\n  at: \"25:00\"\n",
                "line 3, schedule setting 'at': '25:00' is not a time of day"
            ),
            ("schedule:\n  drop: DROP\n  at: \"2:30\"\n", "line 3, schedule setting 'at': '2:30' is not a time of day"),
            (
                "schedule:\n  drop: DROP\n  timeZone: Mars/Olympus\n",
                "line 3, schedule setting 'timeZone': 'Mars/Olympus'"
            ),
            ("schedule:\n  pollSeconds: 5\n", "line 1, schedule setting 'drop': required"),
            ("schedule:\n  drop: DROP\n  onArrival: false\n", "schedule setting 'onArrival': false with no 'at'"),
            (
                "schedule:\n  drop: DROP\n  onArrival: maybe\n",
                "line 3, schedule setting 'onArrival': expected true or false"
            ),
            ("schedule: nightly\n", "line 1, schedule setting 'schedule': expected a mapping"),
            (
                "schedule:\n  drop: DROP\n  assign:\n    horizon: 5\n",
                "line 4, schedule assign setting 'horizon': unknown setting"
            ),
            (
                "schedule:\n  drop: DROP\n  assign:\n    policy: greedy\n",
                "line 4, schedule assign setting 'policy': expected one of cluster-spread, thompson, random"
            ),
            (
                "schedule:\n  drop: DROP\n  assign:\n    controlShare: 0.6\n",
                "line 4, schedule assign setting 'controlShare'"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    served-list: 4\n",
                "line 4, schedule recommender setting 'served-list': unknown setting"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    similarity: pearson\n",
                "line 4, schedule recommender setting 'similarity': expected one of jaccard, cosine, lift, bm25, counts"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    similarity: cosine\n    halfLifeDays: -1\n",
                "line 5, schedule recommender setting 'halfLifeDays': expected 0 or more"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    minSupport: 0\n",
                "line 4, schedule recommender setting 'minSupport': expected at least 1"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    weights:\n      purchase: -5\n",
                "line 4, schedule recommender setting 'weights': expected named events with weights of 0 or more"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender:\n    weights: 5\n",
                "line 4, schedule recommender setting 'weights': expected a mapping of event names to weights"
            ),
            (
                "schedule:\n  drop: DROP\n  recommender: cosine\n",
                "line 3, schedule setting 'recommender': expected a mapping"
            ),
        ]
    )
    func errors(yaml: String, expected: String) throws {
        let text = try Self.error(yaml)
        #expect(text.contains("aamped.yaml: ") && text.contains(expected), "\(text)")
    }

    @Test("recommender: every key is read, as `aampectl train recommender`'s flags; the default is the command's")
    func recommender() throws {
        let (defaults, _, _) = try Self.configuration("schedule:\n  drop: DROP\n")
        #expect(defaults.schedule?.recommender == RecommenderSettings())
        let (set, _, _) = try Self.configuration(
            """
            schedule:
              drop: DROP
              recommender:
                similarity: bm25
                neighbours: 20
                minSupport: 2
                halfLifeDays: 14.5
                historyLength: 30
                trendingDays: 3
                maxItemsPerUser: 500
                repeatAfterDays: 28
                servedList: 24
                weights: { purchase: 8, add_to_cart: 0 }

            """
        )
        var expected = RecommenderSettings()
        expected.similarity = .bm25
        expected.neighbours = 20
        expected.minimumSupport = 2
        expected.halfLifeDays = 14.5
        expected.historyLength = 30
        expected.trendingDays = 3
        expected.maximumItemsPerUser = 500
        expected.repeatAfterDays = 28
        expected.servedListLength = 24
        expected.eventWeights["purchase"] = 8
        expected.eventWeights["add_to_cart"] = 0
        #expect(set.schedule?.recommender == expected)
    }

    @Test(
        "recommender: each bounded setting is accepted at its limit and refused one past it, naming it",
        arguments: [
            ("neighbours", Limits.maximumRecommenderNeighbours),
            ("historyLength", Limits.maximumRecommenderHistoryLength),
            ("trendingDays", Limits.maximumTrendingDays),
            ("repeatAfterDays", Limits.maximumRepeatAfterDays),
            ("servedList", Limits.maximumServedListLength),
        ]
    )
    func recommenderLimits(key: String, limit: Int) throws {
        let yaml = "schedule:\n  drop: DROP\n  recommender:\n    similarity: cosine\n    \(key): "
        #expect(try Self.configuration(yaml + "\(limit)\n").0.schedule != nil)
        let text = try Self.error(yaml + "\(limit + 1)\n")
        #expect(text.contains("line 5, schedule recommender setting '\(key)': expected "), "\(text)")
        #expect(text.contains("to \(limit)"), "\(text)")
    }

    @Test("pollSeconds and settleSeconds are checked at their limits")
    func limits() throws {
        for (key, lower, upper) in [
            ("pollSeconds", Limits.minimumPipelinePollSeconds, Limits.maximumPipelinePollSeconds),
            ("settleSeconds", Limits.minimumPipelineSettleSeconds, Limits.maximumPipelineSettleSeconds),
        ] {
            for good in [lower, upper] {
                let schedule = try #require(
                    try Self.configuration("schedule:\n  drop: DROP\n  \(key): \(good)\n").0.schedule
                )
                #expect((key == "pollSeconds" ? schedule.pollSeconds : schedule.settleSeconds) == good)
            }
            for bad in [lower - 1, upper + 1] {
                let text = try Self.error("schedule:\n  drop: DROP\n  \(key): \(bad)\n")
                #expect(
                    text.contains("line 3, schedule setting '\(key)': expected an integer from \(lower) to \(upper)")
                )
            }
        }
    }
}

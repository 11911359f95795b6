import AampeCore
import AampeDaemon
import AampeJobs
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
        ]
    )
    func errors(yaml: String, expected: String) throws {
        let text = try Self.error(yaml)
        #expect(text.contains("aamped.yaml: ") && text.contains(expected), "\(text)")
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

internal import AampeCore
public import AampeJobs
public import AampeLearning
internal import Foundation
internal import Yams

/// The `schedule:` section of aamped's configuration: run the nightly pipeline (``NightlyPipeline``)
/// unattended, when a dump arrives in a drop folder and/or at a fixed time each day.
///
/// ```yaml
/// schedule:
///   drop: /srv/aampe/drop       # required: the folder the daily dump lands in (see DropFolder)
///   pollSeconds: 60             # how often to look at the drop folder
///   settleSeconds: 60           # a file is complete once its size and mtime stay unchanged this long
///   onArrival: true             # run a pass once new files are complete (and none is still changing)
///   at: "02:30"                 # also run a pass every day at this time (HH:MM); default: no daily pass
///   timeZone: Europe/Berlin     # the zone of `at`; default UTC
///   assign:
///     horizonHours: 24          # 1 ... 168
///     policy: cluster-spread    # cluster-spread, thompson or random
///     controlShare: 0.05        # (0, 0.5]
///     seed: 1
///   recommender:                # the recommender step's settings; defaults as `aampectl train recommender`
///     similarity: cosine
///     servedList: 24            # and every other flag of the command, in camel case
///     weights: { purchase: 5 }
/// ```
public struct ScheduleConfiguration: Sendable, Equatable {
    /// A time of day in a zone, at which a pass runs daily.
    public struct DailyTime: Sendable, Equatable {
        public var hour: Int
        public var minute: Int
        /// An IANA zone identifier, such as `Europe/Berlin`.
        public var timeZone: String

        /// `hour:minute` in `timeZone`.
        public init(hour: Int, minute: Int, timeZone: String) {
            self.hour = hour
            self.minute = minute
            self.timeZone = timeZone
        }
    }

    /// The drop folder's path (relative paths are taken from the config file's folder).
    public var dropFolder: String
    /// Seconds between looks at the drop folder (and checks of the daily time). Default 60.
    public var pollSeconds = 60
    /// Seconds a dropped file's size and modification time must stay unchanged before it is imported.
    /// Default 60: a copy that stalls for a minute is rare, and a dump waits at most two minutes longer.
    public var settleSeconds = 60
    /// Whether complete new files start a pass. Default true.
    public var isOnArrival = true
    /// The daily pass's time; `nil` (the default): none.
    public var daily: DailyTime?
    /// The assignment step's settings: `aampectl assign`'s defaults unless `assign:` sets them.
    public var assignment = AssignmentSettings()
    /// The recommender step's settings: `aampectl train recommender`'s defaults unless `recommender:` sets
    /// them.
    public var recommender = RecommenderSettings()
    /// Where each pass writes its HTML report (`reports:`); `nil`: none.
    public var reportFolder: String?

    /// A schedule for `dropFolder` with every default.
    public init(dropFolder: String) {
        self.dropFolder = dropFolder
    }

    /// Reads the `schedule:` mapping `value` (under the key `key`) of the config file at `path`. Every
    /// error names the file, the line and the setting.
    static func parse(key: Node, value: Node, path: String) throws -> ScheduleConfiguration {
        func fail(_ line: Int?, _ field: String, _ reason: String) -> DaemonError {
            .configuration(path: path, reason: "line \(line ?? 0), schedule setting '\(field)': \(reason)")
        }
        guard let mapping = value.mapping else {
            throw fail(key.mark?.line, "schedule", "expected a mapping of schedule settings")
        }
        var drop: String?
        var configuration = ScheduleConfiguration(dropFolder: "")
        var at: (hour: Int, minute: Int)?
        var timeZone = "UTC"
        for (fieldKey, fieldValue) in mapping {
            let field = fieldKey.string ?? "?"
            let line = fieldKey.mark?.line
            func integer(_ range: ClosedRange<Int>) throws -> Int {
                guard let number = fieldValue.int, range.contains(number) else {
                    throw fail(line, field, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return number
            }
            func text() throws -> String {
                guard let text = fieldValue.scalar?.string, !text.isEmpty else {
                    throw fail(line, field, "expected text")
                }
                return text
            }
            switch field {
            case "drop":
                var folder = try text()
                if !folder.hasPrefix("/") {
                    folder = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(folder)
                }
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                    throw fail(line, field, "\(folder) is not a folder")
                }
                drop = folder
            case "pollSeconds":
                configuration.pollSeconds = try integer(
                    Limits.minimumPipelinePollSeconds...Limits.maximumPipelinePollSeconds
                )
            case "settleSeconds":
                configuration.settleSeconds = try integer(
                    Limits.minimumPipelineSettleSeconds...Limits.maximumPipelineSettleSeconds
                )
            case "onArrival":
                guard let flag = fieldValue.bool else { throw fail(line, field, "expected true or false") }
                configuration.isOnArrival = flag
            case "at":
                let time = try text()
                guard let parsed = Self.timeOfDay(time) else {
                    throw fail(line, field, "'\(time)' is not a time of day; expected HH:MM from 00:00 to 23:59")
                }
                at = parsed
            case "timeZone":
                timeZone = try text()
                guard TimeZone(identifier: timeZone) != nil else {
                    throw fail(line, field, "'\(timeZone)' is not an IANA time zone, such as Europe/Berlin or UTC")
                }
            case "assign":
                configuration.assignment = try assignment(fieldKey, fieldValue, path: path)
            case "recommender":
                configuration.recommender = try recommender(fieldKey, fieldValue, path: path)
            case "reports":
                var folder = try text()
                if !folder.hasPrefix("/") {
                    folder = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(folder)
                }
                configuration.reportFolder = folder
            default:
                throw fail(line, field, "unknown setting")
            }
        }
        guard let drop else { throw fail(key.mark?.line, "drop", "required: the folder the daily dump lands in") }
        configuration.dropFolder = drop
        configuration.daily = at.map { DailyTime(hour: $0.hour, minute: $0.minute, timeZone: timeZone) }
        guard configuration.isOnArrival || configuration.daily != nil else {
            throw fail(key.mark?.line, "onArrival", "false with no 'at': nothing would ever start a pass")
        }
        return configuration
    }

    /// `HH:MM`, 00:00 to 23:59; `nil` otherwise.
    static func timeOfDay(_ text: String) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return (hour, minute)
    }

    /// A sub-section's mapping (`assign:`, `recommender:`), and how its settings' errors read: each names
    /// the file, the line and the setting.
    private static func subsection(
        _ name: String,
        _ key: Node,
        _ value: Node,
        path: String
    ) throws -> (mapping: Node.Mapping, fail: (Int?, String, String) -> DaemonError) {
        guard let mapping = value.mapping else {
            throw DaemonError.configuration(
                path: path,
                reason:
                    "line \(key.mark?.line ?? 0), schedule setting '\(name)': expected a mapping of \(name) settings"
            )
        }
        return (
            mapping,
            { line, field, reason in
                .configuration(path: path, reason: "line \(line ?? 0), schedule \(name) setting '\(field)': \(reason)")
            }
        )
    }

    private static func assignment(_ key: Node, _ value: Node, path: String) throws -> AssignmentSettings {
        let (mapping, fail) = try subsection("assign", key, value, path: path)
        var settings = AssignmentSettings()
        for (fieldKey, fieldValue) in mapping {
            let field = fieldKey.string ?? "?"
            let line = fieldKey.mark?.line
            switch field {
            case "horizonHours":
                let range =
                    Limits.minimumAssignmentHorizonSeconds / 3_600...Limits.maximumAssignmentHorizonSeconds / 3_600
                guard let hours = fieldValue.int, range.contains(Int64(hours)) else {
                    throw fail(line, field, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                settings.horizonSeconds = Int64(hours) * 3_600
            case "policy":
                guard let name = fieldValue.string, let policy = AssignmentSettings.PolicyKind(rawValue: name) else {
                    throw fail(
                        line,
                        field,
                        "expected one of \(AssignmentSettings.PolicyKind.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                settings.policy = policy
            case "controlShare":
                guard let share = fieldValue.float, share > 0, share <= Limits.maximumControlGroupShare else {
                    throw fail(line, field, "expected a share above 0 and at most \(Limits.maximumControlGroupShare)")
                }
                settings.controlShare = share
            case "seed":
                guard let text = fieldValue.string, let seed = UInt64(text) else {
                    throw fail(line, field, "expected a non-negative integer")
                }
                settings.seed = seed
            default:
                throw fail(line, field, "unknown setting")
            }
        }
        return settings
    }

    /// The `recommender:` mapping: `aampectl train recommender`'s flags, in camel case (``RecommenderSettings/Setting``),
    /// checked by the same ``RecommenderSettings/validate()``.
    private static func recommender(_ key: Node, _ value: Node, path: String) throws -> RecommenderSettings {
        let (mapping, fail) = try subsection("recommender", key, value, path: path)
        var settings = RecommenderSettings()
        var lines: [RecommenderSettings.Setting: Int] = [:]
        for (fieldKey, fieldValue) in mapping {
            let field = fieldKey.string ?? "?"
            let line = fieldKey.mark?.line
            guard let setting = RecommenderSettings.Setting(rawValue: field) else {
                throw fail(line, field, "unknown setting")
            }
            lines[setting] = line
            func integer() throws -> Int {
                guard let number = fieldValue.int else { throw fail(line, field, "expected an integer") }
                return number
            }
            switch setting {
            case .similarity:
                guard let name = fieldValue.string, let similarity = RecommenderSettings.Similarity(rawValue: name)
                else {
                    throw fail(
                        line,
                        field,
                        "expected one of \(RecommenderSettings.Similarity.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                settings.similarity = similarity
            case .neighbours: settings.neighbours = try integer()
            case .minSupport: settings.minimumSupport = try integer()
            case .halfLifeDays:
                guard let days = fieldValue.float else { throw fail(line, field, "expected a number of days") }
                settings.halfLifeDays = days
            case .historyLength: settings.historyLength = try integer()
            case .trendingDays: settings.trendingDays = try integer()
            case .maxItemsPerUser: settings.maximumItemsPerUser = try integer()
            case .repeatAfterDays: settings.repeatAfterDays = try integer()
            case .servedList:
                let length = try integer()
                settings.servedListLength = length != 0 ? length : nil
            case .weights:
                guard let weights = fieldValue.mapping else {
                    throw fail(line, field, "expected a mapping of event names to weights, such as { purchase: 5 }")
                }
                for (event, weight) in weights {
                    guard let name = event.string, !name.isEmpty, let number = weight.float else {
                        throw fail(event.mark?.line ?? line, field, "expected an event name and a number")
                    }
                    settings.eventWeights[name] = Float(number)
                }
            }
        }
        do {
            try settings.validate()
        } catch {
            throw fail(lines[error.setting] ?? key.mark?.line, error.setting.rawValue, "expected \(error.expected)")
        }
        return settings
    }
}

public import AampeCore
public import AampeJobs
internal import Foundation

/// When the nightly pipeline runs: a pure state machine fed the drop folder's listing and plain `now:`
/// values (the system's time, and the daemon's clock, which may be simulated), so that its rules are tested without waiting for real time (``PipelineScheduler`` feeds it
/// in the daemon).
///
/// **Complete files.** A listed file is complete once its size and modification time have been seen
/// unchanged for ``ScheduleConfiguration/settleSeconds``; the time is measured from the first look
/// that saw the current size and time, so a file already there when the daemon starts waits one
/// settle period too.
///
/// **Arrival** (``ScheduleConfiguration/isOnArrival``). A pass runs when some complete file is new
/// (no earlier pass was handed this path with this size and time) and no file is still changing, so
/// that a dump of several files is imported in one pass, not one per file. A file is handed to one
/// arrival pass only: a pass that could not move it (the import never ran) does not start another pass
/// on every look; the daily pass, a restart or a new copy of the file tries it again.
///
/// **Daily** (``ScheduleConfiguration/daily``). A pass runs at the first look at or after each day's
/// time in its zone, with every complete file (new or not); a daemon that starts after today's time
/// runs first tomorrow. On a day when clocks skip the time, the pass runs at the first minute after
/// the gap; on one when they repeat it, once, at the first.
///
/// At most ``Limits/maximumDropFilesPerPass`` files go to one pass, in path order; the rest wait for
/// the next.
public struct PipelineSchedule: Sendable {
    /// What to do after a look.
    public enum Action: Sendable, Equatable {
        /// Nothing yet.
        case wait
        /// Run a pass over `files`; `trigger` is `arrival` or `daily`.
        case run(trigger: String, files: [DropFolder.File])
    }

    let settleMicros: Int64
    let isOnArrival: Bool
    let daily: ScheduleConfiguration.DailyTime?
    /// Per path, the file as last seen and since when it has looked so.
    private var seen: [String: (file: DropFolder.File, since: Timestamp)] = [:]
    /// Files (path, size and time) already handed to a pass.
    private var handed: Set<DropFolder.File> = []
    /// The next daily pass's instant, if there is a daily time.
    public private(set) var nextDaily: Timestamp?

    /// A schedule for `configuration` starting at `now` on the daemon's clock.
    public init(configuration: ScheduleConfiguration, now: Timestamp) {
        settleMicros = Int64(configuration.settleSeconds) * Timestamp.microsecondsPerSecond
        isOnArrival = configuration.isOnArrival
        daily = configuration.daily
        nextDaily = daily.map { Self.next($0, after: now) }
    }

    /// Takes in one look at the drop folder (`listing`, taken at `now`) and says whether to run a pass.
    ///
    /// Files settle by `now`, the system's time, since they are written in real time; the daily time
    /// comes by `daemonNow`, the daemon's clock, which a simulated loop moves by days at once (`nil`: the
    /// same as `now`).
    public mutating func look(at listing: [DropFolder.File], now: Timestamp, daemonNow: Timestamp? = nil) -> Action {
        let daemonNow = daemonNow ?? now
        var current: [String: (file: DropFolder.File, since: Timestamp)] = [:]
        for file in listing {
            if let previous = seen[file.path], previous.file == file {
                current[file.path] = previous
            } else {
                current[file.path] = (file, now)
            }
        }
        seen = current
        // A file moved away (or changed) is no longer one a pass was handed.
        handed = handed.filter { seen[$0.path]?.file == $0 }
        let complete = listing.filter { now.rawValue - (seen[$0.path]?.since.rawValue ?? now.rawValue) >= settleMicros }
        if let due = nextDaily, let daily, daemonNow >= due {
            nextDaily = Self.next(daily, after: daemonNow)
            return hand(complete, trigger: "daily")
        }
        guard isOnArrival, complete.count == listing.count else { return .wait }
        let new = complete.filter { !handed.contains($0) }
        return new.isEmpty ? .wait : hand(new, trigger: "arrival")
    }

    /// Says that the pass `look(at:now:daemonNow:)` asked for could not run at all (another pass held the
    /// lock), so its files are new again and a daily pass is due again at the next look (`daemonNow` is
    /// the daemon's clock).
    public mutating func passDidNotRun(_ action: Action, daemonNow now: Timestamp) {
        guard case .run(let trigger, let files) = action else { return }
        handed.subtract(files)
        if trigger == "daily" { nextDaily = now }
    }

    private mutating func hand(_ files: [DropFolder.File], trigger: String) -> Action {
        let chosen = Array(files.sorted { $0.path < $1.path }.prefix(Limits.maximumDropFilesPerPass))
        handed.formUnion(chosen)
        return .run(trigger: trigger, files: chosen)
    }

    /// The first instant after `instant` whose local time in the daily time's zone is the daily time.
    static func next(_ time: ScheduleConfiguration.DailyTime, after instant: Timestamp) -> Timestamp {
        var calendar = Calendar(identifier: .gregorian)
        // The zone was checked when the configuration was read.
        calendar.timeZone = TimeZone(identifier: time.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let after = Date(timeIntervalSince1970: Double(instant.rawValue) / 1e6)
        let date =
            calendar.nextDate(
                after: after,
                matching: DateComponents(hour: time.hour, minute: time.minute, second: 0),
                matchingPolicy: .nextTime,
                repeatedTimePolicy: .first,
                direction: .forward
            ) ?? after.addingTimeInterval(86_400)
        return Timestamp(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded()))
    }
}

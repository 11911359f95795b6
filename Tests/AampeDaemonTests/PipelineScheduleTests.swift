import AampeCore
import AampeDaemon
import AampeJobs
import Foundation
import Testing

/// When the pipeline runs, fed plain listings and `now:` values: no real time passes.
@Suite("pipeline schedule: complete files, arrival, the daily time")
struct PipelineScheduleTests {
    static let start = Timestamp(iso8601: "2026-12-03T10:00:00Z")!

    static func at(_ seconds: Int64) -> Timestamp { start.adding(microseconds: seconds * 1_000_000) }

    static func file(_ name: String, size: Int64 = 10, modified: Int64 = 1) -> DropFolder.File {
        DropFolder.File(
            path: "/drop/" + name,
            relativePath: name,
            kind: .events,
            sizeBytes: size,
            modifiedMicros: modified
        )
    }

    static func configuration(
        settle: Int = 60,
        onArrival: Bool = true,
        at daily: (Int, Int, String)? = nil
    )
        -> ScheduleConfiguration
    {
        var configuration = ScheduleConfiguration(dropFolder: "/drop")
        configuration.settleSeconds = settle
        configuration.isOnArrival = onArrival
        configuration.daily = daily.map { .init(hour: $0.0, minute: $0.1, timeZone: $0.2) }
        return configuration
    }

    @Test("a file runs a pass once it has looked the same for the settle period, not a second earlier, and once only")
    func settle() {
        var schedule = PipelineSchedule(configuration: Self.configuration(settle: 60), now: Self.start)
        let file = Self.file("a.csv")
        #expect(schedule.look(at: [file], now: Self.at(0)) == .wait)
        #expect(schedule.look(at: [file], now: Self.at(59)) == .wait)
        #expect(schedule.look(at: [file], now: Self.at(60)) == .run(trigger: "arrival", files: [file]))
        // Handed once: a pass that could not move it does not start another at every look.
        #expect(schedule.look(at: [file], now: Self.at(120)) == .wait)
        // Moved away, then a new copy of the same name: a new file.
        #expect(schedule.look(at: [], now: Self.at(180)) == .wait)
        let again = Self.file("a.csv", size: 20, modified: 2)
        #expect(schedule.look(at: [again], now: Self.at(240)) == .wait)
        #expect(schedule.look(at: [again], now: Self.at(300)) == .run(trigger: "arrival", files: [again]))
    }

    @Test("a file that grows between looks starts its settle period again")
    func growing() {
        var schedule = PipelineSchedule(configuration: Self.configuration(settle: 60), now: Self.start)
        #expect(schedule.look(at: [Self.file("a.csv", size: 1)], now: Self.at(0)) == .wait)
        #expect(schedule.look(at: [Self.file("a.csv", size: 2)], now: Self.at(50)) == .wait)
        #expect(schedule.look(at: [Self.file("a.csv", size: 2)], now: Self.at(100)) == .wait)
        #expect(
            schedule.look(at: [Self.file("a.csv", size: 2)], now: Self.at(110))
                == .run(trigger: "arrival", files: [Self.file("a.csv", size: 2)])
        )
    }

    @Test("a dump of several files runs one pass, when the last of them is complete")
    func severalFiles() {
        var schedule = PipelineSchedule(configuration: Self.configuration(settle: 60), now: Self.start)
        let a = Self.file("a.csv")
        let b = Self.file("b.csv")
        #expect(schedule.look(at: [a], now: Self.at(0)) == .wait)
        #expect(schedule.look(at: [a, b], now: Self.at(30)) == .wait)
        // a is complete, b is not: wait for b.
        #expect(schedule.look(at: [a, b], now: Self.at(60)) == .wait)
        #expect(schedule.look(at: [a, b], now: Self.at(90)) == .run(trigger: "arrival", files: [a, b]))
    }

    @Test("without onArrival, complete files wait for the daily time; a daemon started after it runs tomorrow")
    func daily() {
        var schedule = PipelineSchedule(
            configuration: Self.configuration(settle: 60, onArrival: false, at: (2, 30, "UTC")),
            now: Self.start
        )
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-12-04T02:30:00Z"))
        let file = Self.file("a.csv")
        #expect(schedule.look(at: [file], now: Self.at(0)) == .wait)
        #expect(schedule.look(at: [file], now: Self.at(3_600)) == .wait)
        let due = Timestamp(iso8601: "2026-12-04T02:30:00Z")!
        #expect(schedule.look(at: [file], now: due.adding(microseconds: -1)) == .wait)
        #expect(schedule.look(at: [file], now: due) == .run(trigger: "daily", files: [file]))
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-12-05T02:30:00Z"))
        // The daily pass retries a file an earlier pass was handed; one still changing waits.
        let changing = Self.file("b.csv")
        let next = Timestamp(iso8601: "2026-12-05T02:30:00Z")!
        #expect(schedule.look(at: [file, changing], now: next) == .run(trigger: "daily", files: [file]))
    }

    @Test(
        "files settle by the system's time while a simulated daemon clock stands still; the daily time comes by the daemon's"
    )
    func simulatedClock() {
        let simulated = Timestamp(iso8601: "2026-10-30T02:29:00Z")!
        var schedule = PipelineSchedule(
            configuration: Self.configuration(settle: 60, onArrival: true, at: (2, 30, "UTC")),
            now: simulated
        )
        let file = Self.file("a.csv")
        #expect(schedule.look(at: [file], now: Self.at(0), daemonNow: simulated) == .wait)
        #expect(
            schedule.look(at: [file], now: Self.at(60), daemonNow: simulated)
                == .run(trigger: "arrival", files: [file])
        )
        // Days behind the system's time, the daemon's clock reaches 02:30.
        let due = simulated.adding(microseconds: 60_000_000)
        #expect(schedule.look(at: [file], now: Self.at(61), daemonNow: due) == .run(trigger: "daily", files: [file]))
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-10-31T02:30:00Z"))
    }

    @Test(
        "the daily time is local: 02:30 in Berlin is 01:30 UTC in winter, 00:30 in summer; a skipped 02:30 runs at 03:00"
    )
    func zones() {
        var schedule = PipelineSchedule(
            configuration: Self.configuration(at: (2, 30, "Europe/Berlin")),
            now: Timestamp(iso8601: "2026-12-03T10:00:00Z")!
        )
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-12-04T01:30:00Z"))
        schedule = PipelineSchedule(
            configuration: Self.configuration(at: (2, 30, "Europe/Berlin")),
            now: Timestamp(iso8601: "2026-07-01T10:00:00Z")!
        )
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-07-02T00:30:00Z"))
        // 2026-03-29: Berlin's clocks go from 02:00 to 03:00 (01:00 UTC).
        schedule = PipelineSchedule(
            configuration: Self.configuration(at: (2, 30, "Europe/Berlin")),
            now: Timestamp(iso8601: "2026-03-28T12:00:00Z")!
        )
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-03-29T01:00:00Z"))
    }

    @Test("a pass that could not run (another held the lock) is asked for again at the next look")
    func didNotRun() {
        var schedule = PipelineSchedule(
            configuration: Self.configuration(settle: 1, at: (2, 30, "UTC")),
            now: Self.start
        )
        let file = Self.file("a.csv")
        #expect(schedule.look(at: [file], now: Self.at(0)) == .wait)
        let arrival = schedule.look(at: [file], now: Self.at(1))
        #expect(arrival == .run(trigger: "arrival", files: [file]))
        schedule.passDidNotRun(arrival, daemonNow: Self.at(1))
        #expect(schedule.look(at: [file], now: Self.at(2)) == .run(trigger: "arrival", files: [file]))
        #expect(schedule.look(at: [file], now: Self.at(3)) == .wait)

        let due = Timestamp(iso8601: "2026-12-04T02:30:00Z")!
        let daily = schedule.look(at: [file], now: due)
        #expect(daily == .run(trigger: "daily", files: [file]))
        schedule.passDidNotRun(daily, daemonNow: due)
        let later = due.adding(microseconds: 1_000_000)
        #expect(schedule.look(at: [file], now: later) == .run(trigger: "daily", files: [file]))
        #expect(schedule.nextDaily == Timestamp(iso8601: "2026-12-05T02:30:00Z"))
    }

    @Test("one pass takes maximumDropFilesPerPass files, the first in path order; the rest go to the next")
    func fileLimit() {
        var schedule = PipelineSchedule(configuration: Self.configuration(settle: 1), now: Self.start)
        let files = (0...Limits.maximumDropFilesPerPass).map { Self.file(String(format: "%05d.csv", $0)) }
        #expect(schedule.look(at: files, now: Self.at(0)) == .wait)
        #expect(
            schedule.look(at: files, now: Self.at(1))
                == .run(trigger: "arrival", files: Array(files.prefix(Limits.maximumDropFilesPerPass)))
        )
        #expect(schedule.look(at: files, now: Self.at(2)) == .run(trigger: "arrival", files: [files.last!]))
        #expect(schedule.look(at: files, now: Self.at(3)) == .wait)
    }
}

internal import AampeCore
internal import AampeJobs
internal import Foundation
internal import Logging
internal import ServiceLifecycle
internal import Synchronization

/// Runs the nightly pipeline inside aamped: every `pollSeconds` it lists the drop folder, asks the
/// ``PipelineSchedule`` whether a pass is due, and runs it (``NightlyPipeline``) on a thread of its own,
/// since training and importing block for minutes and must not hold the daemon's executors.
///
/// After a pass, whether it failed or not, the daemon rescans the outbox and reloads the generation
/// (`afterPass`), so the generations the pass published and the messages it assigned are served at
/// once rather than at the next poll. A pass that cannot run at all (another pass holds the lock, the
/// report cannot be written) is logged and tried again at the next look, as is a drop folder that
/// cannot be listed; nothing a pass does stops the daemon. On shutdown a running pass finishes its current step and skips the rest.
final class PipelineScheduler: Service, Sendable {
    let configuration: ScheduleConfiguration
    let directory: DataDirectory
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    let afterPass: @Sendable () -> Void
    private let isStopping = Atomic<Bool>(false)

    init(
        configuration: ScheduleConfiguration,
        directory: DataDirectory,
        clock: @escaping @Sendable () -> Timestamp,
        logger: Logger,
        afterPass: @escaping @Sendable () -> Void
    ) {
        self.configuration = configuration
        self.directory = directory
        self.clock = clock
        self.logger = logger
        self.afterPass = afterPass
    }

    func run() async throws {
        let drop = DropFolder(path: configuration.dropFolder)
        var schedule = PipelineSchedule(configuration: configuration, now: clock())
        let arrival = configuration.isOnArrival ? ", a pass when new files are complete" : ""
        let daily = schedule.nextDaily.map { ", next daily pass at \($0)" } ?? ""
        logger.info("pipeline: watching \(drop.path) every \(configuration.pollSeconds) s\(arrival)\(daily)")
        await withGracefulShutdownHandler {
            while !isStopping.load(ordering: .relaxed) {
                let listing: [DropFolder.File]
                do {
                    listing = try drop.list()
                } catch {
                    logger.error("pipeline: \(error)")
                    listing = []
                }
                let action = schedule.look(at: listing, now: .now(), daemonNow: clock())
                if case .run(let trigger, let files) = action,
                    await !pass(drop: drop, files: files, trigger: trigger)
                {
                    schedule.passDidNotRun(action, daemonNow: clock())
                }
                // Sleeping is cut short by shutdown, so stopping never waits out a poll interval.
                try? await cancelWhenGracefulShutdown {
                    try await Task.sleep(for: .seconds(self.configuration.pollSeconds))
                }
            }
        } onGracefulShutdown: {
            self.isStopping.store(true, ordering: .relaxed)
        }
    }

    /// Runs a pass; returns whether it ran (whatever its outcome).
    private func pass(drop: DropFolder, files: [DropFolder.File], trigger: String) async -> Bool {
        logger.info("pipeline: \(trigger) pass starting with \(files.count) dropped files")
        var settings = PipelineSettings()
        settings.assignment = configuration.assignment
        settings.recommender = configuration.recommender
        settings.reportFolder = configuration.reportFolder
        let outcome = await Self.onThread { [self, settings] in
            try NightlyPipeline.run(
                directory: self.directory,
                drop: drop,
                files: files,
                trigger: trigger,
                settings: settings,
                now: self.clock,
                shouldStop: { self.isStopping.load(ordering: .relaxed) }
            )
        }
        switch outcome {
        case .success(let report):
            for step in report.steps {
                let line = "pipeline step \(step.name): \(step.status.rawValue)"
                if let error = step.error {
                    logger.error("\(line): \(error)")
                } else {
                    logger.info("\(line)\(step.summary.map { ", \($0)" } ?? "")")
                }
            }
            logger.notice("pipeline: \(trigger) pass \(report.status.rawValue)")
            afterPass()
            return true
        case .failure(let error):
            logger.error("pipeline: \(trigger) pass did not run, will try again: \(error)")
            return false
        }
    }

    /// Runs `work` on a new thread with a main thread's stack (training recurses and keeps large
    /// frames), and returns its outcome.
    private static func onThread<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T
    ) async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: Result { try work() }) }
            thread.name = "aamped-pipeline"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

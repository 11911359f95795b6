public import AampeCore
import AampeEvents
public import AampeIngest
public import AampeLearning
import AampeReports
import AampeStore
import Foundation

/// What the nightly pipeline runs with: each job's settings, as `aampectl`'s defaults give them unless
/// the daemon's `schedule:` section (or `aampectl pipeline run`'s flags) says otherwise.
public struct PipelineSettings: Sendable {
    public var landscape = LandscapeSettings()
    public var timing = TimingSettings()
    public var recommender = RecommenderSettings()
    public var model = ModelSettings()
    /// The assignment's horizon, policy, control share and seed; its `campaign` is left `nil` (every one).
    public var assignment = AssignmentSettings()
    /// How events are read; `now` is set when the import step runs.
    public var eventImport = EventImportOptions()
    /// Where the report step writes `report all` as an HTML page, `report-YYYY-MM-DD.html` (the pass's
    /// day, UTC); `nil`: no report.
    public var reportFolder: String?

    /// `aampectl`'s defaults for every job.
    public init() {}
}

/// One pass's inputs, handed to every step.
public struct PipelinePass: Sendable {
    public var directory: DataDirectory
    /// The drop folder the files came from; `nil` when the pass imports nothing.
    public var drop: DropFolder?
    /// The dropped files this pass imports, in path order.
    public var files: [DropFolder.File]
    /// The pass's start on its clock: the assignment's as-of time.
    public var asOf: Timestamp
    public var settings: PipelineSettings
    /// The pass's name, its start time in microseconds: the folder under `processed/` and `failed/`.
    public var name: String { asOf.iso8601Microseconds.replacingOccurrences(of: ":", with: "-") }
}

/// A named step of the pipeline: a batch job (which records itself as a run) and a one-line summary of
/// what it did.
public struct PipelineStep: Sendable {
    /// The name `aampectl status` shows, such as `recommender`.
    public var name: String
    /// Runs the step; a throw fails it, and with it the rest of the pass.
    public var body: @Sendable (PipelinePass) throws -> String

    /// A step called `name` that runs `body`.
    public init(_ name: String, body: @escaping @Sendable (PipelinePass) throws -> String) {
        self.name = name
        self.body = body
    }
}

/// The nightly loop as one pass: import what was dropped, retrain every model, assign (DESIGN §2).
///
/// **Steps**, in order (``standardSteps``): `import` (users, catalog, then events, through the importers
/// `aampectl import` uses, then the message-log sync, as `aampectl import events` does), `landscape`,
/// `timing`, `recommender`, `model` (each a training job that publishes a generation with the others
/// carried over, as `aampectl train` does; the model step passes, without a model, while the message log
/// has too few outcomes), and `assign` (``AssignJob`` as of the pass's start). Every job
/// records itself as a run in the run history.
///
/// **Failure.** The first step that throws fails the pass: the steps after it are skipped, so nothing
/// is assigned from a half-retrained world. A failed training job publishes nothing, so the generation
/// live before it keeps serving (with the models the steps before it published). The error is in the
/// step's run and in the pass's ``PipelineReport``, which `aampectl status` shows.
///
/// **Exclusion.** A pass holds `pipeline.lock`, so two passes (the daemon's and `aampectl pipeline run`)
/// never overlap: the second fails at once with ``JobError/Reason/pipelineRunning(lockPath:)`` and
/// writes no report. Each job takes the lock it always takes (the import lock, the job lock), so a
/// manual `aampectl train` or `import` never runs alongside the same kind of step: whichever comes
/// second fails at once as the data directory being busy, and a pipeline step that does fails the pass.
///
/// **Dropped files** are moved out of the drop folder once their import ran: to `processed/<pass>/`
/// when read to the end, to `failed/<pass>/` when not (and the import step then fails, naming them).
/// Re-importing a file adds nothing (the importers deduplicate), so moving it is about not reading it
/// every night, not about correctness.
public enum NightlyPipeline {
    /// The steps of a pass, in order. A new model's training step is one more line here (before
    /// `assign`, which reads every model).
    public static let standardSteps: [PipelineStep] = [
        PipelineStep("import", body: importDrop),
        PipelineStep("landscape") { pass in
            published(
                try TrainLandscapeJob.run(directory: pass.directory, settings: pass.settings.landscape).publication
            )
        },
        PipelineStep("timing") { pass in
            published(try TrainTimingJob.run(directory: pass.directory, settings: pass.settings.timing).publication)
        },
        PipelineStep("recommender") { pass in
            published(
                try TrainRecommenderJob.run(directory: pass.directory, settings: pass.settings.recommender).publication
            )
        },
        PipelineStep("model") { pass in
            do {
                return published(
                    try TrainModelJob.run(directory: pass.directory, settings: pass.settings.model).publication
                )
            } catch let error as JobError {
                // Until messages have been delivered and their outcomes joined there is nothing to learn
                // from; the assignment must still run (it is how outcomes come about), so this is not a
                // failure of the pass. The model run itself is recorded as failed, with this reason.
                guard case .noData(let detail) = error.reason else { throw error }
                return "no model yet: \(detail)"
            }
        },
        PipelineStep("assign", body: assign),
        PipelineStep("report", body: report),
    ]

    /// Runs one pass of `steps` on `directory`, importing `files` from `drop`, and returns its report
    /// (also written to `pipeline.json`). `now` is the pass's clock (its start is the assignment's as-of
    /// time); `shouldStop` is asked before each step, and once it says yes the rest are skipped. Throws
    /// only when the pass cannot run or be recorded (another pass holds the lock, the report cannot be
    /// written); a failing step is reported, not thrown.
    public static func run(
        directory: DataDirectory,
        drop: DropFolder?,
        files: [DropFolder.File],
        trigger: String,
        settings: PipelineSettings,
        steps: [PipelineStep] = standardSteps,
        now: () -> Timestamp = { .now() },
        shouldStop: () -> Bool = { false }
    ) throws -> PipelineReport {
        let lock = try JobLock(
            path: directory.pipelineLockPath,
            busy: .pipelineRunning(lockPath: directory.pipelineLockPath)
        )
        defer { withExtendedLifetime(lock) {} }
        let start = now()
        // The files past the limit stay in the drop folder for the next pass.
        let files = Array(files.sorted { $0.path < $1.path }.prefix(Limits.maximumDropFilesPerPass))
        let pass = PipelinePass(directory: directory, drop: drop, files: files, asOf: start, settings: settings)
        var report = PipelineReport(
            trigger: trigger,
            status: .running,
            startedAt: start.description,
            steps: steps.map { PipelineReport.Step(name: $0.name, status: .pending) }
        )
        try report.write(directory)
        let clock = ContinuousClock()
        for (index, step) in steps.enumerated() {
            if report.status == .failed {
                report.steps[index].status = .skipped
                report.steps[index].summary = "an earlier step failed"
                continue
            }
            if shouldStop() {
                report.steps[index].status = .skipped
                report.steps[index].summary = "the daemon was stopping"
                continue
            }
            report.steps[index].status = .running
            try report.write(directory)
            let started = clock.now
            do {
                report.steps[index].summary = try step.body(pass)
                report.steps[index].status = .succeeded
            } catch {
                report.steps[index].status = .failed
                report.steps[index].error = truncated("\(error)")
                report.status = .failed
            }
            report.steps[index].seconds = (clock.now - started).secondsValue
            try report.write(directory)
        }
        if report.status == .running {
            report.status = report.steps.contains { $0.status == .skipped } ? .stopped : .succeeded
        }
        report.finishedAt = now().description
        try report.write(directory)
        return report
    }

    // MARK: Steps

    /// Imports the pass's files (users, catalog, events, in that order, so that events meet the profiles
    /// that came with them), moves each out of the drop folder, and joins outcomes into the message log.
    static func importDrop(_ pass: PipelinePass) throws -> String {
        guard let drop = pass.drop, !pass.files.isEmpty else { return "no new files" }
        let store = try pass.directory.openStore()
        let events = EventStore(dataDirectory: pass.directory, store: store)
        var unreadable: [String] = []
        var parts: [String] = []
        var rejected: Int64 = 0
        for kind in [DropFolder.Kind.users, .catalog, .events] {
            let files = pass.files.filter { $0.kind == kind }
            guard !files.isEmpty else { continue }
            let summary: ImportSummary
            switch kind {
            case .events:
                var options = pass.settings.eventImport
                // Future timestamps are judged against the real time the file is read at.
                options.now = .now()
                summary = try EventImporter(events: events, options: options).run(paths: files.map(\.path))
            case .users, .catalog:
                summary = try AttributeImporter(
                    events: events,
                    subject: kind == .users ? .users : .catalog,
                    options: AttributeImportOptions()
                ).run(paths: files.map(\.path))
            }
            for file in files {
                let read = summary.files.first { $0.path == file.path }
                if let error = read.map({ $0.error }) ?? "not read by the importer" {
                    unreadable.append("\(file.relativePath): \(error)")
                    try drop.move(file, to: .failed, pass: pass.name)
                } else {
                    try drop.move(file, to: .processed, pass: pass.name)
                }
            }
            rejected += summary.totals.rejected
            let noun = kind == .events ? "events" : kind == .users ? "profiles" : "catalog items"
            parts.append("\(summary.totals.accepted) \(noun)")
        }
        // As `aampectl import events` does: new events may complete delivered messages' attribution
        // windows, and the training steps after this one learn from the outcomes.
        _ = try MessageLogSync.run(directory: pass.directory, store: store)
        if !unreadable.isEmpty { throw JobError(.unreadableDropFiles(unreadable)) }
        return "\(pass.files.count) files: \(parts.joined(separator: ", ")) accepted, \(rejected) rows rejected"
    }

    static func assign(_ pass: PipelinePass) throws -> String {
        let report = try AssignJob.run(directory: pass.directory, asOf: pass.asOf, settings: pass.settings.assignment)
        return "\(report.messages) messages" + (report.batch.map { " in outbox batch \($0)" } ?? "")
    }

    /// Writes `report all` over the ``Limits/reportPrePeriodDays`` days before the pass as an HTML page in
    /// the report folder, replacing the day's earlier page.
    static func report(_ pass: PipelinePass) throws -> String {
        guard let folder = pass.settings.reportFolder else { return "no report folder configured" }
        let store = try pass.directory.openStore()
        let from = Timestamp(
            secondsSinceEpoch: pass.asOf.secondsSinceEpoch - Int64(Limits.reportPrePeriodDays) * Timestamp.secondsPerDay
        )
        let request = ReportRun.Request(
            kinds: ReportKind.allCases,
            data: ReportData.Request(from: from, to: pass.asOf),
            generatedAt: .now()
        )
        let document: ReportDocument
        do {
            document = try ReportRun.document(request, directory: pass.directory, store: store).document
        } catch ReportError.noData(let detail) {
            return "no report yet: \(detail)"
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotWrite(path: folder, reason: error.localizedDescription)
        }
        let path = (folder as NSString).appendingPathComponent(
            "report-\(CivilDate(daysSinceEpoch: pass.asOf.utcDay)).html"
        )
        try ReportRun.write(try ReportRun.render(document, as: .html), to: path)
        return "wrote \(path)"
    }

    static func published(_ outcome: GenerationPublisher.Outcome) -> String {
        "published generation \(outcome.generation)"
    }

    /// `text` cut to ``Limits/maximumRunErrorTextBytes`` at a character boundary, as the run history keeps it.
    static func truncated(_ text: String) -> String {
        guard text.utf8.count > Limits.maximumRunErrorTextBytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            used += character.utf8.count
            if used + 3 > Limits.maximumRunErrorTextBytes { break }
            result.append(character)
        }
        return result + "…"
    }
}

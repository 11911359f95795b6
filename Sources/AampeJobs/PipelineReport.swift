public import AampeCore
import Foundation

/// What the last nightly pipeline pass did, step by step: `pipeline.json` in the data directory, which
/// `aampectl status` shows.
///
/// The pass writes it when it starts (every step `pending`), after each step, and when it ends, each
/// time by atomic replacement, so a reader sees a whole report and a pass killed midway shows as
/// `running` with the steps it finished. Each step's job is also a run in the run history, with its
/// counters; the report adds what the history cannot say: which steps belong to one pass, which were
/// skipped, and why the pass stopped.
public struct PipelineReport: Codable, Equatable, Sendable {
    /// How a step or the whole pass ended, or that it has not.
    public enum Status: String, Codable, Sendable {
        case pending, running, succeeded, failed
        /// Not run: an earlier step failed, or the daemon was stopping.
        case skipped
        /// Of a pass: the daemon stopped it between two steps.
        case stopped
    }

    /// One step of the pass.
    public struct Step: Codable, Equatable, Sendable {
        public var name: String
        public var status: Status
        /// One line on what the step did, such as `published generation 7`.
        public var summary: String?
        /// Why it failed, cut to ``Limits/maximumRunErrorTextBytes``.
        public var error: String?
        /// Wall-clock seconds the step took.
        public var seconds: Double?
    }

    /// What started the pass: `arrival` (new files in the drop folder), `daily` (the `at:` time) or
    /// `manual` (`aampectl pipeline run`).
    public var trigger: String
    public var status: Status
    /// ISO-8601, UTC, on the clock the pass ran on (the daemon's simulated clock when it has one).
    public var startedAt: String
    public var finishedAt: String?
    public var steps: [Step]

    enum CodingKeys: String, CodingKey {
        case trigger, status, steps
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    /// The step that failed, if one did.
    public var failedStep: Step? { steps.first { $0.status == .failed } }

    /// The report of the last pass on `directory`, or `nil` before the first. Throws when the file is
    /// there but cannot be read or is not a report.
    public static func read(_ directory: DataDirectory) throws -> PipelineReport? {
        let path = directory.pipelineReportPath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JobError(.pipelineReport(path: path, detail: "cannot be opened"))
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Limits.maximumPipelineReportBytes + 1) ?? Data()
        } catch {
            throw JobError(.pipelineReport(path: path, detail: "cannot be read: \(error)"))
        }
        guard data.count <= Limits.maximumPipelineReportBytes else {
            throw JobError(
                .pipelineReport(
                    path: path,
                    detail: "larger than \(Limits.maximumPipelineReportBytes) bytes; aamped writes a few KiB"
                )
            )
        }
        do {
            return try JSONDecoder().decode(PipelineReport.self, from: data)
        } catch {
            throw JobError(.pipelineReport(path: path, detail: "not a pipeline report: \(error)"))
        }
    }

    /// Replaces `pipeline.json` in `directory` with this report, atomically and durably.
    func write(_ directory: DataDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileIO.replaceAtomically(directory.pipelineReportPath, bytes: Array(try encoder.encode(self)))
    }
}

extension DataDirectory {
    /// `pipeline.json`: the last nightly pipeline pass's report (``PipelineReport``).
    public var pipelineReportPath: String { path + "/pipeline.json" }

    /// `pipeline.lock`: held by a running pipeline pass, so that two never overlap.
    public var pipelineLockPath: String { path + "/pipeline.lock" }
}

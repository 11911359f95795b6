import AampeCore
import AampeJobs
import ArgumentParser
import Foundation

/// `aampectl pipeline`: the nightly pipeline that aamped's `schedule:` runs, by hand.
struct PipelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run the nightly pipeline: import the drop folder, retrain every model, assign.",
        subcommands: [PipelineRunCommand.self]
    )

    /// The rows `status` and `pipeline run` show for a pass: its outcome, then one row per step.
    static func rows(_ report: PipelineReport) -> [(String, String)] {
        var rows = [
            (
                "last pipeline pass",
                "\(report.status.rawValue) (\(report.trigger), started \(report.startedAt)"
                    + (report.finishedAt.map { ", finished \($0)" } ?? "") + ")"
            )
        ]
        for step in report.steps {
            var value = step.status.rawValue
            if let detail = step.error ?? step.summary { value += ": " + detail }
            if let seconds = step.seconds { value += String(format: " (%.1f s)", seconds) }
            rows.append(("  step \(step.name)", value))
        }
        return rows
    }
}

/// `aampectl pipeline run`
struct PipelineRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one pass of the nightly pipeline now.",
        discussion: """
            Steps, in order: import (every file in --drop: users/ and catalog/ sub-folders, events at the \
            top; each moved to processed/ or failed/ after), landscape, timing, recommender, model, assign, report \
            (with --reports: `report all` over the last 28 days as report-YYYY-MM-DD.html). The first \
            step that fails stops the pass; the generation live before it keeps serving. The report is kept \
            in the data directory's pipeline.json and shown by `aampectl status`. Fails at once if another \
            pass (such as aamped's) is running. Exit status: 0 every step succeeded, 1 a step failed.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(
        help: ArgumentHelp("Import every file of this drop folder first. Default: import nothing.", valueName: "path")
    )
    var drop: String?

    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Assign as of this instant (ISO-8601). Default: now.", valueName: "time")
    )
    var asOf: String?

    @Option(help: ArgumentHelp("How far ahead to plan, in hours.", valueName: "hours"))
    var horizon = 24

    @Option(help: ArgumentHelp("cluster-spread, thompson or random (uniform, the baseline).", valueName: "policy"))
    var policy = AssignmentSettings.PolicyKind.clusterSpread.rawValue

    @Option(help: ArgumentHelp("Share of users in the global control group.", valueName: "share"))
    var controlShare = 0.05

    @Option(help: ArgumentHelp("Seed of the policy's draws.", valueName: "N"))
    var seed: UInt64 = 1

    @Option(
        name: .customLong("reports"),
        help: ArgumentHelp(
            "Write the pass's HTML report (report all, last 28 days) into this folder.",
            valueName: "folder"
        )
    )
    var reportFolder: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func settings() throws -> (Timestamp?, PipelineSettings) {
        var instant: Timestamp?
        if let asOf {
            guard let parsed = Timestamp(iso8601: asOf) else {
                throw ValidationError("--as-of '\(asOf)' is not an ISO-8601 instant such as 2026-10-20T00:00:00Z")
            }
            instant = parsed
        }
        var settings = PipelineSettings()
        settings.assignment.horizonSeconds = Int64(horizon) * 3_600
        guard let kind = AssignmentSettings.PolicyKind(rawValue: policy) else {
            throw ValidationError("--policy must be cluster-spread, thompson or random, not '\(policy)'")
        }
        settings.assignment.policy = kind
        settings.assignment.controlShare = controlShare
        settings.assignment.seed = seed
        settings.reportFolder = reportFolder
        do { try settings.assignment.validate() } catch { throw ValidationError("\(error)") }
        return (instant, settings)
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let (instant, settings) = try settings()
        let folder = drop.map(DropFolder.init(path:))
        let report = try NightlyPipeline.run(
            directory: dataDirectory.dataDirectory,
            drop: folder,
            files: try folder?.list() ?? [],
            trigger: "manual",
            settings: settings,
            now: { instant ?? .now() }
        )
        print(
            json
                ? try JSONText.pretty(report)
                : TextTable(header: ("pipeline", "outcome"), rows: PipelineCommand.rows(report)).rendered()
        )
        if report.status != .succeeded { throw ExitCode(1) }
    }
}

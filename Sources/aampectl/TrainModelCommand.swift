import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl train model`
struct TrainModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Learn each goal's personalization model from the message log, and publish the scores.",
        discussion: """
            One training row per delivered message, and one no-message row per control-group decision, \
            with its outcome: the goal events within the attribution window. The model is a hierarchical \
            logistic regression: population, cluster and individual effects of the labels and windows, \
            each shrunk toward the level above by an amount learned from the data, with a Laplace posterior. \
            Writes model/goal-<n>.seg (every user's scores) and model.json; the other models are carried over.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(
        help: ArgumentHelp("Half-life of a row's weight, from the newest row; 0 weighs all alike.", valueName: "days")
    )
    var rowHalfLifeDays = 14.0

    @Option(help: ArgumentHelp("Rows a goal needs before its model is trained.", valueName: "N"))
    var minimumRows = 100

    @Option(help: ArgumentHelp("Prior standard deviation of the population effects, in logits.", valueName: "sd"))
    var populationPriorSd = 1.0

    @OptionGroup var asOf: AsOfOption

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func settings() throws -> ModelSettings {
        var settings = ModelSettings()
        settings.rowAgeHalfLifeDays = rowHalfLifeDays
        settings.minimumRows = minimumRows
        settings.populationPriorSD = populationPriorSd
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
        return settings
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let report = try TrainModelJob.run(
            directory: dataDirectory.dataDirectory,
            settings: try settings(),
            asOf: try asOf.timestamp()
        )
        GenerationWarning.retirement(report.publication)
        print(json ? try JSONText.pretty(report) : Self.table(report))
    }

    static func table(_ report: TrainModelJob.Report) -> String {
        let grouped = { (value: Int) in ImportReport.grouped(Int64(value)) }
        var rows: [(String, String)] = [
            ("generation", GenerationWarning.summary(report.publication)),
            ("reference time", report.referenceTime),
            ("users", grouped(report.users)),
            (
                "clusters",
                report.landscapeGeneration.map { "\(report.clusters) from the landscape of generation \($0)" }
                    ?? "none (no landscape): one group"
            ),
        ]
        for goal in report.goals {
            let sd = { (name: ModelParameters.Component) in String(format: "%.3f", goal.effectSD[name.rawValue] ?? 0) }
            rows.append(
                (
                    "goal \(goal.goal)",
                    "\(grouped(goal.messageRows)) messages, \(grouped(goal.controlRows)) control rows, \(grouped(goal.goalRows)) with the goal; \(goal.labels.count) labels"
                )
            )
            rows.append(
                (
                    "  learned spread (logits)",
                    "cluster: labels \(sd(.clusterLabel)), windows \(sd(.clusterWindow)); individual: labels \(sd(.individualLabel)), baseline \(sd(.individualBaseline))"
                )
            )
            rows.append(("  opt-out risk per message", String(format: "%.4f", goal.optOutRate)))
            if let monitoring = goal.monitoring {
                rows.append(
                    (
                        "  newest day",
                        monitoring.isDegraded
                            ? "DEGRADED: " + monitoring.reasons.joined(separator: "; ") : "no sign of degradation"
                    )
                )
            }
        }
        for (goal, count) in report.goalsSkipped.sorted(by: { $0.key < $1.key }) {
            rows.append(("goal \(goal)", "skipped: \(grouped(count)) rows, fewer than the minimum"))
        }
        rows.append(
            (
                "time",
                report.phaseSeconds.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }
                    .joined(separator: ", ")
            )
        )
        return TextTable(header: ("model", "value"), rows: rows).rendered()
    }
}

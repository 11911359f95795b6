import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl model`: read the live generation's model.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Report how the live generation's model does.",
        subcommands: [ModelReportCommand.self]
    )
}

/// `aampectl model report`
struct ModelReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "The newest day's outcomes against the previous model and this one: AUC, calibration, log loss, drift.",
        discussion: """
            Training checks the day before its newest outcome: the previous model predicted those rows before \
            they existed (out of sample), this model trained on them (in sample). A previous model whose \
            calibration error or score drift crosses its threshold, or whose log loss exceeds what its own \
            probabilities expected by more than 3 standard errors, is flagged as degraded, and assignment \
            widens the new posterior so that the model explores again. Exit status 3 when a goal's model is \
            degraded.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("Only this goal.", valueName: "name"))
    var goal: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    struct Output: Codable {
        var generation: UInt64
        var trainedAt: String
        var goals: [Goal]

        struct Goal: Codable {
            var goal: String
            var posteriorWidening: Double
            var monitoring: ModelMonitoringReport?
        }
    }

    func run() async throws {
        let model = try ModelLookup.current(directory: dataDirectory.dataDirectory)
        let goals = model.manifest.goals.filter { goal == nil || $0.goal == goal }
        if let goal, goals.isEmpty {
            throw ValidationError(
                "the model has no goal '\(goal)'; it has \(model.manifest.goals.map(\.goal).joined(separator: ", "))"
            )
        }
        let output = Output(
            generation: model.generationNumber,
            trainedAt: model.manifest.trainedAt,
            goals: goals.map {
                Output.Goal(goal: $0.goal, posteriorWidening: $0.posteriorWidening, monitoring: $0.monitoring)
            }
        )
        print(json ? try JSONText.pretty(output) : Self.text(output))
        if goals.contains(where: { $0.monitoring?.isDegraded == true }) { throw ExitCode(3) }
    }

    static func text(_ output: Output) -> String {
        var lines = ["model of generation \(output.generation), trained \(output.trainedAt)"]
        let number = { (value: Double?) in value.map { String(format: "%.4f", $0) } ?? "–" }
        for goal in output.goals {
            lines.append("")
            guard let report = goal.monitoring else {
                lines.append("goal \(goal.goal): no rows on the newest day to check")
                continue
            }
            lines.append(
                "goal \(goal.goal): \(report.rows) rows since \(report.dayStart), \(report.goalRows) with the goal; "
                    + (report.isDegraded
                        ? "DEGRADED (\(report.reasons.joined(separator: "; "))); posterior widened × \(String(format: "%.2f", goal.posteriorWidening))"
                        : "not degraded")
            )
            var rows: [(String, String)] = []
            func metric(_ name: String, _ value: (ModelMonitoringReport.Metrics) -> Double?) {
                rows.append(
                    (name, "\(number(report.previous.flatMap(value)))  |  \(number(value(report.current)))")
                )
            }
            rows.append(("metric", "previous model (out of sample)  |  this model (in sample)"))
            metric("AUC") { $0.auc }
            metric("log loss") { $0.logLoss }
            metric("expected log loss") { $0.expectedLogLoss }
            metric("Brier score") { $0.brier }
            metric("calibration error (ECE)") { $0.ece }
            rows.append(("log loss excess (standard errors)", number(report.logLossExcess)))
            rows.append(("label score drift (PSI)", number(report.scorePSI)))
            lines.append(TextTable(header: ("", ""), rows: rows).rendered())
            let reliability = report.previous?.reliability ?? report.current.reliability
            lines.append(
                "reliability (\(report.previous == nil ? "this model" : "previous model")): predicted → observed, rows"
            )
            for bin in reliability {
                lines.append(
                    String(
                        format: "  %.1f–%.1f  %.4f → %.4f  %d",
                        bin.lower,
                        bin.upper,
                        bin.meanPredicted,
                        bin.observedRate,
                        bin.count
                    )
                )
            }
        }
        return lines.joined(separator: "\n")
    }
}

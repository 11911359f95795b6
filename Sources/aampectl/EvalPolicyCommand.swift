import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl eval policy`: would a personalized policy beat the best single action, on a randomized log?
struct EvalPolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract:
            "Learn a personalized policy on part of a randomized log and value it on the rest against the best single action, uniform random and no message.",
        discussion: """
            --data FILE: CSV with a header: numeric user features (x_* columns, or --features a,b,c), action \
            (empty or none = no message), propensity (or --uniform: 1 / the number of actions the rows show) \
            and reward (in [0, 1]).

            Each repeat shuffles the rows (--seed), learns on the --split share and values on the rest. The \
            learner is a ridge logistic regression of reward on features, action indicators and action × \
            feature interactions (--l2, on standardized features); the learned policy sends each user the \
            action with the highest predicted reward. The best single action has the best IPW value on the \
            learning part. Values are IPW, SNIPW and doubly robust (the same model as q̂), each with a 95 % \
            normal interval, averaged over repeats (sd = spread across repeats). Personalization is \
            recommended only when the learned policy's DR interval lies above the best single action's DR \
            value.
            """
    )

    @Option(help: ArgumentHelp("The randomized log.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("Feature columns, comma-separated (default: every x_* column).", valueName: "names"))
    var features: String?

    @Flag(help: "Every action had the same probability: 1 / the number of actions (no message included).")
    var uniform = false

    @Option(help: ArgumentHelp("Share of rows to learn on.", valueName: "share"))
    var split: Double = 0.5

    @Option(help: ArgumentHelp("Seed of the shuffles.", valueName: "seed"))
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("How many splits to average over.", valueName: "r"))
    var repeats: Int = 5

    @Option(help: ArgumentHelp("Ridge strength of the learner.", valueName: "lambda"))
    var l2: Double = ActionRewardModel.defaultL2

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let settings = try PolicyLearningEvaluation.Settings(trainShare: split, seed: seed, repeats: repeats, l2: l2)
        let columns = features.map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let policyData = try PolicyData(contentsOf: data, featureColumns: columns, isUniform: uniform)
        let report = try PolicyLearningEvaluation.run(policyData, settings: settings)
        if json {
            print(try JSONText.pretty(report))
            return
        }
        print(
            "\(report.rows) rows, actions \(report.actions.joined(separator: ", ")); \(report.repeats) repeats of \(report.trainRows) rows to learn on and \(report.testRows) to value on"
        )
        print("best single action per repeat: \(report.bestSingleActionPerRepeat.joined(separator: ", "))\n")
        var rows = [["policy", "estimator", "value", "sd across repeats", "95% interval (mean)"]]
        for result in report.policies {
            let name =
                switch result.policy {
                case .learned: "learned (personalized)"
                case .bestSingleAction: "best single action (\(report.bestSingleAction))"
                case .uniformRandom: "uniform random"
                case .noMessage: "no message"
                }
            for summary in result.estimates {
                rows.append([
                    summary.estimator == result.estimates.first?.estimator ? name : "",
                    summary.estimator.label,
                    String(format: "%.4f", summary.value),
                    String(format: "%.4f", summary.standardDeviationAcrossRepeats),
                    String(format: "%.4f to %.4f", summary.lower, summary.upper),
                ])
            }
        }
        print(TextTable.columns(rows, rightAligned: { $0 > 1 }))
        print("\n" + report.recommendation)
    }
}

import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl eval ope`: what a target policy would have earned, from a log another policy wrote.
struct EvalOPECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ope",
        abstract: "Estimate a target policy's value from a logged bandit dataset (IPW, SNIPW, DM, DR).",
        discussion: """
            --log: CSV with a header and the columns action, reward and propensity (the logging policy's \
            probability of the logged action); other columns are ignored.

            --target-policy: CSV with a column pi_<action> for every action. One row per log row, matched \
            by row_id when both files have it and by order otherwise, or a single row for a context-free \
            policy. Each row sums to 1.

            --reward-model: CSV with a column q_<action> for every action, rows as the target policy's. \
            It enables DM and DR.

            With w = π(a|x)/p: IPW = mean(w r); SNIPW = Σ w r / Σ w; DM = mean(Σ_a π(a|x) q̂(x,a)); \
            DR = DM + mean(w (r − q̂(x,a))). Intervals are 95 %: the normal approximation with the sample \
            standard deviation of the per-row terms (for SNIPW, its linearization), and with --bootstrap N \
            the 2.5 and 97.5 percentiles of N seeded resamples.
            """
    )

    @Option(help: ArgumentHelp("The logged data.", valueName: "file"))
    var log: String

    @Option(help: ArgumentHelp("The target policy's action probabilities.", valueName: "file"))
    var targetPolicy: String

    @Option(help: ArgumentHelp("The reward model's predictions (for DM and DR).", valueName: "file"))
    var rewardModel: String?

    @Option(help: ArgumentHelp("Bootstrap resamples for percentile intervals.", valueName: "n"))
    var bootstrap: Int?

    @Option(help: ArgumentHelp("Seed of the bootstrap's resampling.", valueName: "seed"))
    var seed: UInt64 = 42

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let input = try OffPolicyFiles.read(log: log, targetPolicy: targetPolicy, rewardModel: rewardModel)
        let resampling = try bootstrap.map { try OffPolicyEvaluation.Bootstrap(resamples: $0, seed: seed) }
        let estimates = try input.evaluation.estimates(bootstrap: resampling)
        if json {
            print(
                try JSONText.pretty(
                    EvalOPEOutput(rows: input.evaluation.log.count, actions: input.actions, estimates: estimates)
                )
            )
            return
        }
        print("\(input.evaluation.log.count) logged rows, \(input.actions.count) actions")
        var header = ["estimator", "value", "95% interval"]
        if resampling != nil { header.append("bootstrap 95% interval") }
        var rows = [header]
        for estimate in estimates {
            var row = [estimate.estimator.label, Self.number(estimate.value), Self.interval(estimate.interval)]
            if resampling != nil { row.append(Self.interval(estimate.bootstrapInterval)) }
            rows.append(row)
        }
        print(TextTable.columns(rows, rightAligned: { $0 > 0 }))
    }

    static func number(_ value: Double) -> String { String(format: "%.6f", value) }

    static func interval(_ interval: OffPolicyEvaluation.Interval?) -> String {
        guard let interval else { return "n/a (one row)" }
        return "\(number(interval.lower)) to \(number(interval.upper))"
    }
}

/// `aampectl eval ope --json`.
struct EvalOPEOutput: Encodable {
    var rows: Int
    var actions: [String]
    var estimates: [OffPolicyEvaluation.Estimate]
}

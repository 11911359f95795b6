import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl assign`
struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Decide who gets which message in which window, and write the messages to the outbox.",
        discussion: """
            For each campaign of the applied content (or --campaign): finds candidates (every profile for a \
            scheduled campaign, the users whose trigger fired for a triggered one), applies eligibility \
            (audience, consent, date range, control group, caps, cadence, quiet hours, variants, windows), \
            lets the policy choose a variant and a window inside --horizon, renders the message with the \
            items slot, and writes one outbox batch plus a message-log row per decision. Re-running the \
            same period adds nothing.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Assign as of this instant (ISO-8601). Default: now.", valueName: "time")
    )
    var asOf: String?

    @Option(help: ArgumentHelp("How far ahead to plan, in hours.", valueName: "hours"))
    var horizon = 24

    @Option(help: ArgumentHelp("Only this campaign.", valueName: "name"))
    var campaign: String?

    @Option(
        help: ArgumentHelp(
            "cluster-spread, thompson, random (uniform, the baseline), model (the trained model of each campaign's goal) or external (--policy-command).",
            valueName: "policy"
        )
    )
    var policy = AssignmentSettings.PolicyKind.clusterSpread.rawValue

    @Option(
        help: ArgumentHelp(
            "Model policy: the posterior probability of a positive lift that earns preferential assignment.",
            valueName: "p"
        )
    )
    var preferentialConfidence = ModelPolicySettings().preferentialConfidence

    @Option(
        help: ArgumentHelp(
            "Model policy: skip a user whose best expected lift, net of the opt-out risk, is below this.",
            valueName: "probability"
        )
    )
    var minimumLift = ModelPolicySettings().minimumLift

    @Option(help: ArgumentHelp("Model policy: what an opt-out costs, in goals.", valueName: "goals"))
    var optOutCost = ModelPolicySettings().optOutCost

    @Option(
        help: ArgumentHelp(
            "The external policy's command, run with /bin/sh -c; README → \"External policies\".",
            valueName: "command"
        )
    )
    var policyCommand: String?

    @Option(
        help: ArgumentHelp(
            "Seconds the external policy may take per request. Default: \(Limits.defaultExternalPolicyTimeoutSeconds).",
            valueName: "seconds"
        )
    )
    var policyTimeout: Int64?

    @Option(help: ArgumentHelp("Share of users in the global control group.", valueName: "share"))
    var controlShare = 0.05

    @Option(help: ArgumentHelp("Control-group salt. Default: the data directory's id.", valueName: "text"))
    var controlSalt: String?

    @Option(help: ArgumentHelp("Zone of users whose profile has none.", valueName: "IANA name"))
    var defaultTimeZone = "UTC"

    @Option(help: ArgumentHelp("Seed of the policy's draws.", valueName: "N"))
    var seed: UInt64 = 1

    @Flag(help: "Decide and print the counts, writing nothing.")
    var dryRun = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func settings() throws -> (Timestamp, AssignmentSettings) {
        var instant = Timestamp.now()
        if let asOf {
            guard let parsed = Timestamp(iso8601: asOf) else {
                throw ValidationError("--as-of '\(asOf)' is not an ISO-8601 instant such as 2026-10-20T00:00:00Z")
            }
            instant = parsed
        }
        var settings = AssignmentSettings()
        settings.horizonSeconds = Int64(horizon) * 3_600
        settings.campaign = campaign
        guard let kind = AssignmentSettings.PolicyKind(rawValue: policy) else {
            throw ValidationError(
                "--policy must be one of \(AssignmentSettings.PolicyKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(policy)'"
            )
        }
        settings.policy = kind
        settings.policyCommand = policyCommand
        settings.policyTimeoutSeconds = policyTimeout
        if kind == .model {
            var model = ModelPolicySettings()
            model.preferentialConfidence = preferentialConfidence
            model.minimumLift = minimumLift
            model.optOutCost = optOutCost
            settings.modelPolicy = model
        }
        settings.controlShare = controlShare
        settings.controlSalt = controlSalt
        settings.defaultTimeZone = defaultTimeZone
        settings.seed = seed
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
        return (instant, settings)
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let (instant, settings) = try settings()
        let report = try AssignJob.run(
            directory: dataDirectory.dataDirectory,
            asOf: instant,
            settings: settings,
            isDryRun: dryRun
        )
        print(json ? try JSONText.pretty(report) : Self.table(report))
    }

    static func table(_ report: AssignJob.Report) -> String {
        let grouped = { (value: Int) in ImportReport.grouped(Int64(value)) }
        var lines: [String] = []
        lines.append(
            "assignment run \(report.runID) as of \(report.asOf), policy \(report.settings.policy.rawValue)"
                + (report.isDryRun ? " (dry run: nothing written)" : "")
        )
        if let batch = report.batch {
            lines.append("outbox batch \(batch): \(grouped(report.messages)) messages")
        } else if !report.isDryRun {
            lines.append("no messages; decisions logged")
        }
        if !report.recovered.finished.isEmpty || !report.recovered.discarded.isEmpty {
            lines.append(
                "recovered interrupted runs: finished \(report.recovered.finished), discarded \(report.recovered.discarded)"
            )
        }
        var rows = [["campaign", "kind", "candidates", "already decided", "messages", "preferential", "left out"]]
        for campaign in report.campaigns {
            rows.append([
                campaign.campaign, campaign.kind, grouped(campaign.candidates), grouped(campaign.alreadyDecided),
                grouped(campaign.messages), grouped(campaign.preferential),
                campaign.exclusions.map { "\($0.name) \(grouped($0.count))" }.joined(separator: ", "),
            ])
        }
        lines.append(TextTable.columns(rows) { (2...5).contains($0) })
        return lines.joined(separator: "\n")
    }
}

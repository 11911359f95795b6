import AampeContent
import AampeCore
import AampeLearning
import AampeStore
import Foundation

extension CampaignAssigner {
    /// Where `campaign`'s outcomes are exported for an external policy: `policy-outcomes/<campaign>.jsonl`
    /// in the data directory (a campaign name is a file name: letters, digits, `_` and `-`).
    static func externalPolicyOutcomesPath(_ directory: DataDirectory, campaign: String) -> String {
        directory.path + "/policy-outcomes/" + campaign + ".jsonl"
    }

    /// The `external` policy for `campaign`, after exporting the campaign's joined outcomes for it
    /// (``ExternalPolicyCodec`` documents the lines). The file is replaced atomically on every run, dry
    /// runs included, since the process reads it before it decides; it is an export, never read back.
    static func externalPolicy(
        campaign: Campaign,
        inputs: AssignmentInputs,
        store: Store,
        settings: AssignmentSettings,
        seed: UInt64
    ) throws -> ExternalPolicy {
        guard let command = settings.policyCommand else {
            preconditionFailure("AssignmentSettings.validate() requires a command for the external policy")
        }
        let path = externalPolicyOutcomesPath(inputs.directory, campaign: campaign.name)
        var text = ""
        for outcome in try store.messageLog.outcomes(campaign: campaign.name) {
            let exported = ExternalPolicyOutcome(
                userID: inputs.userIDs.indices.contains(outcome.userIndex) ? inputs.userIDs[outcome.userIndex] : nil,
                userIndex: outcome.userIndex,
                cluster: outcome.cluster ?? -1,
                labels: outcome.labels,
                window: outcome.windowIndex,
                goalCount: outcome.goalCount,
                propensity: outcome.propensity
            )
            text += ExternalPolicyCodec.outcomeLine(exported) + "\n"
        }
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
        } catch {
            throw JobError(.cannotWrite(path: path, detail: "\(error)"))
        }
        try FileIO.replaceAtomically(path, bytes: Array(text.utf8))
        let hello = ExternalPolicyHello(
            campaign: campaign.name,
            goal: campaign.goal,
            labelSets: inputs.content.labelSets.filter { !$0.isBuiltIn }.map { ($0.name, $0.labels) },
            windowCount: inputs.layout.windowsPerWeek,
            outcomesPath: path,
            seed: seed
        )
        return ExternalPolicy(
            hello: hello,
            userIDs: inputs.userIDs,
            timeoutSeconds: Double(settings.policyTimeoutSeconds ?? Limits.defaultExternalPolicyTimeoutSeconds),
            connect: { try ExternalPolicyProcess(command: command) }
        )
    }
}

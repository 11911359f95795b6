import AampeCore
public import AampeLearning

/// How `aampectl assign` decides: the horizon, the policy, the control group and the trigger windows.
public struct AssignmentSettings: Sendable, Codable, Hashable {
    /// The policy that picks each user's variant and window.
    public enum PolicyKind: String, Sendable, Codable, CaseIterable {
        /// ``ClusterSpreadPolicy``: every choice spread evenly within each landscape cluster.
        case clusterSpread = "cluster-spread"
        /// ``ThompsonSamplingPolicy``: Beta posteriors per cluster, label and window from the message log.
        case thompson
        /// ``UniformRandomPolicy``: each user's choice drawn uniformly; the baseline to beat.
        case random
        /// ``ModelPolicy``: the trained model of the campaign's goal (`aampectl train model`).
        case model
        /// ``ExternalPolicy``: the choice made by ``AssignmentSettings/policyCommand``, a process spoken
        /// to over JSON lines (README → "External policies").
        case external
    }

    /// How far ahead windows are offered: windows starting in `asOf ..< asOf + horizon`. Default 24 h.
    public var horizonSeconds: Int64 = 86_400
    /// Only this campaign; `nil` for every campaign.
    public var campaign: String?
    public var policy: PolicyKind = .clusterSpread
    /// The share of users in the global control group.
    public var controlShare: Double = ControlGroup.defaultShare
    /// The control group's salt; `nil` uses the data directory's id, so each installation draws its own
    /// group and keeps it.
    public var controlSalt: String?
    /// How long after its due time a fired event trigger is still sent: a batch run sees imported
    /// events a day late, and a cart reminder a day late is still worth one. Default 24 h.
    public var triggerLookbackSeconds: Int64 = 86_400
    /// How long a triggered message may go out after it is due (its send window). Default 3 h.
    public var triggerSendSeconds: Int64 = 3 * 3_600
    /// How far before `asOf` an inactivity trigger looks for the user's last event, beyond its duration.
    /// Default 30 days.
    public var inactivityLookbackSeconds: Int64 = 30 * 86_400
    /// The zone of users without one in their profile.
    public var defaultTimeZone = "UTC"
    /// Mixed into every policy's seed: the same data, settings and seed give the same decisions.
    public var seed: UInt64 = 1
    /// The model policy's thresholds; `nil` for the defaults (settings recorded before the model policy
    /// existed have none).
    public var modelPolicy: ModelPolicySettings?
    /// The `external` policy's command, run with `/bin/sh -c` in the working directory (the daemon's,
    /// for real-time triggers: give absolute paths). Required by `external`, refused by the others.
    public var policyCommand: String?
    /// How long the `external` policy may take per request, in seconds; `nil` for
    /// ``Limits/defaultExternalPolicyTimeoutSeconds``.
    public var policyTimeoutSeconds: Int64?

    public init() {}

    /// Throws when a setting is outside its limits.
    public func validate() throws {
        func check(_ name: String, _ value: Int64, _ allowed: ClosedRange<Int64>) throws {
            guard allowed.contains(value) else {
                throw JobError(
                    .invalidOption(
                        option: "--" + name,
                        detail: "\(value) s is outside \(allowed.lowerBound) ... \(allowed.upperBound) s"
                    )
                )
            }
        }
        try check(
            "horizon",
            horizonSeconds,
            Limits.minimumAssignmentHorizonSeconds...Limits.maximumAssignmentHorizonSeconds
        )
        try check("trigger-send", triggerSendSeconds, 60...Limits.maximumAssignmentHorizonSeconds)
        try check("trigger-lookback", triggerLookbackSeconds, 0...Limits.maximumAssignmentHorizonSeconds)
        try check("inactivity-lookback", inactivityLookbackSeconds, 0...Limits.maximumTriggerLookbackSeconds)
        if let modelPolicy {
            guard modelPolicy.preferentialConfidence > 0, modelPolicy.preferentialConfidence <= 1 else {
                throw JobError(
                    .invalidOption(
                        option: "--preferential-confidence",
                        detail: "\(modelPolicy.preferentialConfidence) is outside (0, 1]"
                    )
                )
            }
            guard modelPolicy.minimumLift.isFinite, abs(modelPolicy.minimumLift) <= 1 else {
                throw JobError(
                    .invalidOption(option: "--minimum-lift", detail: "\(modelPolicy.minimumLift) is outside [-1, 1]")
                )
            }
            guard modelPolicy.optOutCost.isFinite, modelPolicy.optOutCost >= 0 else {
                throw JobError(
                    .invalidOption(option: "--opt-out-cost", detail: "\(modelPolicy.optOutCost) must be 0 or more")
                )
            }
            guard (1...Limits.maximumModelPolicyDraws).contains(modelPolicy.draws) else {
                throw JobError(
                    .invalidOption(
                        option: "draws",
                        detail: "\(modelPolicy.draws) is outside 1 ... \(Limits.maximumModelPolicyDraws)"
                    )
                )
            }
        }
        guard controlShare > 0, controlShare <= Limits.maximumControlGroupShare else {
            throw JobError(
                .invalidOption(
                    option: "--control-share",
                    detail: "\(controlShare) is outside (0, \(Limits.maximumControlGroupShare)]"
                )
            )
        }
        if let policyTimeoutSeconds {
            try check("policy-timeout", policyTimeoutSeconds, 1...Limits.maximumExternalPolicyTimeoutSeconds)
        }
        let hasCommand = !(policyCommand ?? "").allSatisfy(\.isWhitespace)
        if policy == .external, !hasCommand {
            throw JobError(.invalidOption(option: "--policy-command", detail: "--policy external needs a command"))
        }
        if policy != .external, policyCommand != nil {
            throw JobError(.invalidOption(option: "--policy-command", detail: "is only for --policy external"))
        }
    }

    enum CodingKeys: String, CodingKey {
        case campaign, policy, seed
        case horizonSeconds = "horizon_seconds"
        case controlShare = "control_share"
        case controlSalt = "control_salt"
        case triggerLookbackSeconds = "trigger_lookback_seconds"
        case triggerSendSeconds = "trigger_send_seconds"
        case inactivityLookbackSeconds = "inactivity_lookback_seconds"
        case defaultTimeZone = "default_time_zone"
        case modelPolicy = "model_policy"
        case policyCommand = "policy_command"
        case policyTimeoutSeconds = "policy_timeout_seconds"
    }
}

/// Why a candidate got no message, in the order assignment checks (README → "Assignment"). A user is
/// counted under the first reason that applies.
public enum AssignmentExclusion: String, Sendable, Codable, CaseIterable {
    /// No profile, or outside the campaign's countries, languages or attribute conditions.
    case audience
    /// No consent or no address for any of the campaign's channels (or a consent the audience requires).
    case consent
    /// The user's local date is outside the campaign's date range.
    case dateRange = "date_range"
    /// In the global control group: logged as `control`, never messaged.
    case control
    /// The campaign's messages in the rolling 7 days reach its `frequency_per_7_days`.
    case campaignCap = "campaign_cap"
    /// The user's messages in the rolling day reach the global `per_user_per_day`.
    case dailyCap = "daily_cap"
    /// The user's messages in the rolling 7 days reach the global `per_user_per_week`.
    case weeklyCap = "weekly_cap"
    /// The user's messages in the rolling 7 days reach the cadence timing gives them.
    case cadence
    /// Every window of the horizon (or the triggered send) falls in the campaign's quiet hours: skipped.
    case quietHours = "quiet_hours"
    /// No variant of any formula can be rendered for the user (a missing field, no items): skipped.
    case noVariant = "no_variant"
    /// No send window opens in the horizon: skipped.
    case noWindow = "no_window"
    /// The chosen variant failed a channel limit when rendered (push payload, SMS parts): skipped.
    case rendering
    /// The policy chose not to send: skipped.
    case policy

    /// Whether the exclusion is a cap on how many messages a user gets (per campaign, day, week, or the
    /// user's cadence): what `report messages` counts as capped.
    public var isCap: Bool {
        switch self {
        case .campaignCap, .dailyCap, .weeklyCap, .cadence: true
        default: false
        }
    }

    /// Whether the decision is written to the message log (control and skips are; the rest only
    /// counted, since they are not decisions about what to send).
    public var isLogged: Bool {
        switch self {
        case .audience, .consent, .dateRange, .campaignCap, .dailyCap, .weeklyCap, .cadence: false
        case .control, .quietHours, .noVariant, .noWindow, .rendering, .policy: true
        }
    }
}

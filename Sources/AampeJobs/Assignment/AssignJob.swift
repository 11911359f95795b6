public import AampeContent
public import AampeCore
import AampeLearning
import AampeOutbox
import AampeSegments
import AampeStore
import Foundation

/// `aampectl assign`: for each active campaign, decide who gets which variant in which window, render the
/// messages into an outbox batch and log every decision (DESIGN §2.7).
///
/// Per campaign, in this order:
///
/// 1. **Candidates.** A scheduled campaign's are every user with a profile, for the occasion `day:<UTC
///    date of as-of>`. A triggered campaign's are the users whose trigger fired (``TriggerScan``), one
///    occasion per firing. A (campaign, user, occasion) already in the message log is counted as
///    `already_decided` and left alone: re-running a period adds nothing.
/// 2. **Eligibility**, first failing reason counted (``AssignmentExclusion``): audience, consent and an
///    address, date range (the user's local date), the control group, the campaign's rolling-7-day cap,
///    the global daily and weekly caps, cadence, then quiet hours, an available variant and a window.
///    Caps count messages whose send window starts in the period that ends at the horizon's end
///    (`[end − 1 day, end)`, `[end − 7 days, end)`), this run's earlier campaigns included.
/// 3. **Choice.** Every eligible user's choices (variants of the campaign's formulas open to them × the
///    windows of the horizon; a triggered send has its one window) go to the policy in one batch.
/// 4. **Rendering** of the chosen variant with the user's profile and the items slot, into an
///    ``OutboxRecord``.
///
/// Then the messages are written as one ``OutboxBatch`` and the decisions logged, so that a run killed at
/// any point and re-run gives the same outbox (see ``OutboxCommit``).
public enum AssignJob {
    /// What a run did, per campaign.
    public struct CampaignSummary: Codable, Sendable {
        public var campaign: String
        /// `scheduled`, `event trigger` or `inactivity trigger`.
        public var kind: String
        public var candidates: Int
        /// Candidates whose occasion was decided by an earlier run.
        public var alreadyDecided: Int
        /// Candidates per exclusion reason, in check order, zeros left out.
        public var exclusions: [Count]
        public var preferential: Int
        public var conditioned: Int
        /// Messages per channel.
        public var channels: [Count]

        public struct Count: Codable, Sendable, Hashable {
            public var name: String
            public var count: Int
        }

        public var messages: Int { preferential + conditioned }

        enum CodingKeys: String, CodingKey {
            case campaign, kind, candidates, exclusions, preferential, conditioned, channels
            case alreadyDecided = "already_decided"
        }
    }

    /// What a run did.
    public struct Report: Codable, Sendable {
        public var runID: Int64
        public var asOf: String
        public var settings: AssignmentSettings
        public var isDryRun: Bool
        /// The content version assigned from.
        public var contentVersion: Int64
        /// The generation whose landscape, timing and recommender were read, if any.
        public var generation: UInt64?
        /// The outbox batch written, or `nil` (no messages, or a dry run).
        public var batch: Int64?
        /// Batches of interrupted runs this run finished (renamed into place) or discarded.
        public var recovered: OutboxCommit.Recovery
        public var campaigns: [CampaignSummary]
        public var phaseSeconds: [String: Double]

        public var messages: Int { campaigns.reduce(0) { $0 + $1.messages } }

        enum CodingKeys: String, CodingKey {
            case settings, batch, recovered, campaigns
            case runID = "run_id"
            case asOf = "as_of"
            case isDryRun = "dry_run"
            case contentVersion = "content_version"
            case generation
            case phaseSeconds = "phase_seconds"
        }
    }

    /// Assigns as of `asOf`. `isDryRun` decides and counts but writes neither outbox nor log.
    public static func run(
        directory: DataDirectory,
        asOf: Timestamp,
        settings: AssignmentSettings,
        isDryRun: Bool = false
    ) throws -> Report {
        try settings.validate()
        return try BatchRun.run(
            .assign,
            subject: settings.campaign ?? "all campaigns",
            directory: directory,
            buildsGeneration: true
        ) { context in
            var times = PhaseTimes()
            let recovery = try times.measure("recovering") {
                try isDryRun
                    ? OutboxCommit.Recovery() : OutboxCommit.recover(directory: directory, store: context.store)
            }
            try times.measure("syncing the message log") {
                if !isDryRun { _ = try MessageLogSync.run(directory: directory, store: context.store) }
            }
            let inputs = try times.measure("reading") {
                try AssignmentInputs(directory: directory, store: context.store, asOf: asOf, settings: settings)
            }
            let campaigns = try selectedCampaigns(inputs.content, settings.campaign)
            let salt = try settings.controlSalt ?? context.store.meta().dataDirectoryID
            let controlGroup = try ControlGroup(salt: salt, share: settings.controlShare)
            let horizonEnd = Timestamp(secondsSinceEpoch: asOf.secondsSinceEpoch + settings.horizonSeconds)
            var planned = try times.measure("reading") {
                try PlannedMessages(
                    store: context.store,
                    from: Timestamp(secondsSinceEpoch: horizonEnd.secondsSinceEpoch - 7 * 86_400),
                    to: horizonEnd
                )
            }
            var batch = RunBatch(runID: context.runID)
            for campaign in campaigns {
                var assigner = try CampaignAssigner(
                    campaign: campaign,
                    inputs: inputs,
                    store: context.store,
                    asOf: asOf,
                    horizonEnd: horizonEnd,
                    settings: settings,
                    controlGroup: controlGroup
                )
                let outcome = try times.measure("assigning") { try assigner.assign(planned: &planned) }
                batch.add(outcome)
            }
            let written =
                isDryRun ? nil : try times.measure("writing") { try batch.commit(directory, context.store, asOf) }
            if !isDryRun {
                // The daemon's real-time triggers decide with these settings from now on (same control group,
                // same policy); the salt is written out, so a later default cannot change the group.
                var recorded = settings
                recorded.controlSalt = salt
                recorded.campaign = nil
                let json = String(decoding: try JSONEncoder().encode(recorded), as: UTF8.self)
                try context.store.messageLog.recordAssignmentSettings(runID: context.runID, json: json)
            }
            let report = Report(
                runID: context.runID,
                asOf: asOf.iso8601Microseconds,
                settings: settings,
                isDryRun: isDryRun,
                contentVersion: inputs.contentVersion,
                generation: inputs.generationNumber,
                batch: written,
                recovered: recovery,
                campaigns: batch.summaries,
                phaseSeconds: times.seconds
            )
            var counters = RunCounters()
            counters["messages"] = Int64(report.messages)
            counters["decisions_logged"] = Int64(isDryRun ? 0 : batch.decisions.count)
            // The run's reference time, which reports bin its counters by (simulated clocks differ from
            // the run's wall-clock start).
            counters[RunCounters.asOfSecondsName] = asOf.secondsSinceEpoch
            for summary in batch.summaries {
                counters["messages_" + summary.campaign] = Int64(summary.messages)
                // Caps and cadence are counted, not logged per user; `report messages` reads them here.
                let capped = summary.exclusions.filter { AssignmentExclusion(rawValue: $0.name)?.isCap ?? false }
                if !capped.isEmpty {
                    counters[RunCounters.cappedPrefix + summary.campaign] = Int64(capped.reduce(0) { $0 + $1.count })
                }
            }
            return (report, counters)
        }
    }

    /// The settings real-time firings are assigned with: the newest batch run's (its policy, control group
    /// share and salt, seed), so that a user held back as control by `aampectl assign` is held back in real
    /// time too; `defaults` before the first batch run. The horizon is the defaults'. `recorded` is what
    /// the store's `messageLog.latestAssignmentSettings()` read.
    public static func realtimeSettings(
        recorded: (runID: Int64, json: String)?,
        defaults: AssignmentSettings
    ) throws -> AssignmentSettings {
        guard let (runID, json) = recorded else { return defaults }
        var settings: AssignmentSettings
        do {
            settings = try JSONDecoder().decode(AssignmentSettings.self, from: Data(json.utf8))
        } catch {
            throw JobError(.invalidStoredSettings(runID: runID, reason: "\(error)"))
        }
        settings.horizonSeconds = defaults.horizonSeconds
        settings.campaign = nil
        return settings
    }

    /// The run-history subject of the daemon's real-time assignment runs.
    public static let realtimeSubject = "real-time triggers"

    /// A trigger the daemon saw fire in real time: the user, the campaign, the occasion (`event:<micros>`
    /// of the firing event, as a batch run would name it) and when the message is due.
    public struct Firing: Hashable, Sendable {
        public var userID: String
        public var campaign: String
        public var occasion: String
        public var due: Timestamp
        /// The firing event's variables for rendering (``ContentPreview/eventVariables(itemID:value:properties:)``).
        public var event: [String: ViewValue]

        public init(
            userID: String,
            campaign: String,
            occasion: String,
            due: Timestamp,
            event: [String: ViewValue] = [:]
        ) {
            self.userID = userID
            self.campaign = campaign
            self.occasion = occasion
            self.due = due
            self.event = event
        }
    }

    /// Assigns the messages of triggers that fired in real time, as of `asOf`: the same eligibility,
    /// policy and rendering as ``run(directory:asOf:settings:isDryRun:)``, for these users only, written
    /// as one outbox batch. It takes no job lock (the daemon runs it while batch jobs may run); the
    /// message log's unique (campaign, user, occasion) keeps a firing that a batch run already decided
    /// from being decided twice. A user the store does not know is left out (counted as `audience`).
    public static func run(
        directory: DataDirectory,
        firings: [Firing],
        asOf: Timestamp,
        settings: AssignmentSettings
    )
        throws -> Report
    {
        try settings.validate()
        return try BatchRun.run(.assign, subject: realtimeSubject, directory: directory, buildsGeneration: false) {
            context in
            var times = PhaseTimes()
            let inputs = try times.measure("reading") {
                try AssignmentInputs(
                    directory: directory,
                    store: context.store,
                    asOf: asOf,
                    settings: settings,
                    onlyUsers: Set(firings.map(\.userID))
                )
            }
            let salt = try settings.controlSalt ?? context.store.meta().dataDirectoryID
            let controlGroup = try ControlGroup(salt: salt, share: settings.controlShare)
            let horizonEnd = Timestamp(secondsSinceEpoch: asOf.secondsSinceEpoch + settings.horizonSeconds)
            var planned = try PlannedMessages(
                store: context.store,
                from: Timestamp(secondsSinceEpoch: horizonEnd.secondsSinceEpoch - 7 * 86_400),
                to: horizonEnd
            )
            var batch = RunBatch(runID: context.runID)
            for campaign in inputs.content.campaigns {
                let mine = firings.filter { $0.campaign == campaign.name }
                guard !mine.isEmpty else { continue }
                var assigner = try CampaignAssigner(
                    campaign: campaign,
                    inputs: inputs,
                    store: context.store,
                    asOf: asOf,
                    horizonEnd: horizonEnd,
                    settings: settings,
                    controlGroup: controlGroup
                )
                let candidates = mine.map { firing in
                    CampaignAssigner.Candidate(
                        user: inputs.userIndex(firing.userID) ?? -1,
                        occasion: firing.occasion,
                        fixedStart: max(firing.due, asOf),
                        event: firing.event
                    )
                }
                let outcome = try times.measure("assigning") {
                    try assigner.assign(planned: &planned, candidates: candidates)
                }
                batch.add(outcome)
            }
            let written = try times.measure("writing") { try batch.commit(directory, context.store, asOf) }
            let report = Report(
                runID: context.runID,
                asOf: asOf.iso8601Microseconds,
                settings: settings,
                isDryRun: false,
                contentVersion: inputs.contentVersion,
                generation: inputs.generationNumber,
                batch: written,
                recovered: OutboxCommit.Recovery(),
                campaigns: batch.summaries,
                phaseSeconds: times.seconds
            )
            return (report, RunCounters(["messages": Int64(report.messages)]))
        }
    }

    /// The campaigns to run: all, or the one named (an unknown name throws with the known ones).
    static func selectedCampaigns(_ content: Content, _ name: String?) throws -> [Campaign] {
        guard let name else { return content.campaigns }
        guard let campaign = content.campaigns.first(where: { $0.name == name }) else {
            throw JobError(
                .invalidOption(
                    option: "--campaign",
                    detail: "no campaign '\(name)'; the applied content has "
                        + (content.campaigns.isEmpty ? "none" : content.campaigns.map(\.name).joined(separator: ", "))
                )
            )
        }
        return [campaign]
    }
}

/// What a run collects from its campaigns: the messages (each decision numbered by its row in the
/// batch), the other decisions, and the summaries.
struct RunBatch {
    let runID: Int64
    var records: [OutboxRecord] = []
    var decisions: [LoggedDecision] = []
    var summaries: [AssignJob.CampaignSummary] = []

    mutating func add(_ outcome: CampaignAssigner.Outcome) {
        for (record, decision) in outcome.messages {
            var decision = decision
            decision.batch = runID
            decision.messageRow = records.count
            records.append(record)
            decisions.append(decision)
        }
        decisions += outcome.others
        summaries.append(outcome.summary)
    }

    /// Writes the batch and logs the decisions (``OutboxCommit``); the batch number, or `nil` without
    /// messages.
    func commit(_ directory: DataDirectory, _ store: Store, _ asOf: Timestamp) throws -> Int64? {
        try OutboxCommit.commit(
            records: records,
            decisions: decisions,
            batch: runID,
            directory: directory,
            store: store,
            createdAt: asOf
        )
    }
}

/// The messages already planned per user (from the log, and from this run's earlier campaigns): what
/// caps and cadence count.
struct PlannedMessages {
    /// Per user, each planned message's campaign and send-window start.
    private(set) var byUser: [Int: [(campaign: String, start: Timestamp)]] = [:]

    init(store: Store, from: Timestamp, to: Timestamp) throws {
        for message in try store.messageLog.messageStarts(from: from, to: to) {
            byUser[message.userIndex, default: []].append((message.campaign, message.start))
        }
    }

    mutating func add(user: Int, campaign: String, start: Timestamp) {
        byUser[user, default: []].append((campaign, start))
    }

    /// The user's messages starting in `from ..< to`, of `campaign` only when given.
    func count(user: Int, campaign: String? = nil, from: Timestamp, to: Timestamp) -> Int {
        guard let messages = byUser[user] else { return 0 }
        return messages.reduce(0) { total, message in
            total
                + (message.start >= from && message.start < to && (campaign == nil || message.campaign == campaign)
                    ? 1 : 0)
        }
    }
}

import AampeContent
import AampeCore
import AampeLearning
import AampeOutbox
import AampeStore
import Dispatch
import Foundation
import Synchronization

/// One campaign's part of an assignment run: candidates, eligibility, the policy's choice and rendering.
/// ``AssignJob`` documents the order of the steps.
struct CampaignAssigner {
    struct Outcome {
        /// The messages and their log rows (without batch and row, which the job sets).
        var messages: [(OutboxRecord, LoggedDecision)] = []
        /// Control-group members and skipped users.
        var others: [LoggedDecision] = []
        var summary: AssignJob.CampaignSummary
    }

    /// One of the campaign's variants, over all its formulas.
    struct CampaignVariant {
        var formula: Int
        var variant: Variant
        var labels: [String]
    }

    /// A user who passed the checks, waiting for the policy.
    /// Who may get the campaign's message, for which occasion; for an event trigger, when the message is
    /// due and the firing event's variables (its properties, `item_id` and `value`).
    struct Candidate: Sendable {
        var user: Int
        var occasion: String
        var fixedStart: Timestamp? = nil
        var event: [String: ViewValue] = [:]
    }

    struct Eligible {
        var user: Int
        var occasion: String
        var cluster: Int?
        var data: RenderData
        var windows: [Int: SendWindow]
        /// The campaign variants open to the user (consented channel, every block renderable).
        var variants: [Int]
        /// The user's view model for each open formula, by position in ``CampaignAssigner/formulas``:
        /// built once to find the open variants, and rendered from.
        var models: [Int: ViewModel]
    }

    let campaign: Campaign
    let inputs: AssignmentInputs
    let asOf: Timestamp
    let horizonEnd: Timestamp
    let settings: AssignmentSettings
    let controlGroup: ControlGroup
    let goal: String
    let formulas: [(formula: Formula, renderer: FormulaRenderer)]
    let variants: [CampaignVariant]
    /// The first campaign variant of each formula.
    let variantOffsets: [Int]
    let taken: Set<String>
    let quiet: QuietMinutes
    var policy: any AssignmentPolicy

    init(
        campaign: Campaign,
        inputs: AssignmentInputs,
        store: Store,
        asOf: Timestamp,
        horizonEnd: Timestamp,
        settings: AssignmentSettings,
        controlGroup: ControlGroup
    ) throws {
        self.campaign = campaign
        self.inputs = inputs
        self.asOf = asOf
        self.horizonEnd = horizonEnd
        self.settings = settings
        self.controlGroup = controlGroup
        goal = campaign.goal
        var formulas: [(Formula, FormulaRenderer)] = []
        var variants: [CampaignVariant] = []
        var offsets: [Int] = []
        for name in campaign.formulas {
            guard let formula = inputs.content.formula(named: name) else {
                throw JobError(
                    .noData(detail: "campaign \(campaign.name) names formula \(name), which the content lacks")
                )
            }
            offsets.append(variants.count)
            for variant in formula.variants {
                variants.append(
                    CampaignVariant(
                        formula: formulas.count,
                        variant: variant,
                        labels: variant.labels(in: formula).map { "\($0.labelSet)=\($0.label)" }
                    )
                )
            }
            formulas.append((formula, try FormulaRenderer(formula: formula)))
        }
        self.formulas = formulas
        self.variants = variants
        variantOffsets = offsets
        taken = try store.messageLog.occasionKeys(campaign: campaign.name)
        quiet = QuietMinutes(startMinute: campaign.quietHours.startMinute, endMinute: campaign.quietHours.endMinute)
        let seed = Self.seed(settings.seed, campaign.name, Self.dayOccasion(asOf))
        switch settings.policy {
        case .clusterSpread:
            policy = ClusterSpreadPolicy(seed: seed)
        case .random:
            policy = UniformRandomPolicy(seed: seed)
        case .thompson:
            let outcomes = try store.messageLog.outcomes(campaign: campaign.name).map {
                AssignmentOutcome(
                    cluster: $0.cluster ?? -1,
                    labels: $0.labels,
                    window: $0.windowIndex ?? -1,
                    didRespond: $0.goalCount > 0
                )
            }
            policy = ThompsonSamplingPolicy(outcomes: outcomes, seed: seed)
        case .external:
            policy = try Self.externalPolicy(
                campaign: campaign,
                inputs: inputs,
                store: store,
                settings: settings,
                seed: seed
            )
        case .model:
            policy = Self.modelPolicy(for: campaign, inputs: inputs, settings: settings, seed: seed)
        }
    }

    /// The model policy for `campaign`: over the model of its goal, or, without one, conditioned
    /// assignment for everyone (the policy then has no summaries).
    static func modelPolicy(
        for campaign: Campaign,
        inputs: AssignmentInputs,
        settings: AssignmentSettings,
        seed: UInt64
    ) -> ModelPolicy {
        let policySettings = settings.modelPolicy ?? ModelPolicySettings()
        guard let model = inputs.model, let goalIndex = model.goalIndex(campaign.goal) else {
            return ModelPolicy(labels: [], settings: policySettings, seed: seed) { _ in nil }
        }
        let goal = model.manifest.goals[goalIndex]
        let userIDs = inputs.userIDs
        return ModelPolicy(
            labels: goal.labels,
            signatures: goal.signatures,
            settings: policySettings,
            optOutRate: goal.optOutRate,
            posteriorWidening: goal.posteriorWidening,
            // A campaign new since training has no offset of its own: the population's baseline.
            baselineOffset: goal.campaignBaselines[campaign.name] ?? 0,
            seed: seed
        ) { candidate in
            guard candidate.user >= 0, candidate.user < userIDs.count else { return nil }
            return model.summary(
                goalIndex: goalIndex,
                userID: userIDs[candidate.user],
                cluster: candidate.cluster >= 0 ? candidate.cluster : nil
            ).summary
        }
    }

    /// The occasion of a scheduled campaign's run: its UTC day.
    static func dayOccasion(_ asOf: Timestamp) -> String { "day:" + CivilDate(daysSinceEpoch: asOf.utcDay).description }

    /// A policy seed from the run's seed, the campaign and the occasion (64-bit FNV-1a), so that a re-run
    /// of the same period draws the same.
    static func seed(_ base: UInt64, _ campaign: String, _ occasion: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ base
        for byte in campaign.utf8 + [0x1F] + occasion.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// Assigns the campaign's candidates (``candidates()``), or the `candidates` given (the daemon's
    /// real-time firings; a user index of -1 is a user the store does not know).
    mutating func assign(
        planned: inout PlannedMessages,
        candidates given: [Candidate]? = nil
    ) throws -> Outcome {
        var outcome = Outcome(
            summary: AssignJob.CampaignSummary(
                campaign: campaign.name,
                kind: kind,
                candidates: 0,
                alreadyDecided: 0,
                exclusions: [],
                preferential: 0,
                conditioned: 0,
                channels: []
            )
        )
        var exclusions: [AssignmentExclusion: Int] = [:]
        var eligible: [Eligible] = []
        var open: [Candidate] = []
        for candidate in try given ?? candidates() {
            outcome.summary.candidates += 1
            guard candidate.user >= 0 else {
                exclusions[.audience, default: 0] += 1
                continue
            }
            if taken.contains("\(candidate.user) \(candidate.occasion)") {
                outcome.summary.alreadyDecided += 1
                continue
            }
            open.append(candidate)
        }
        for (candidate, result) in zip(open, try checkAll(open, planned: planned)) {
            switch result {
            case .success(let checked):
                eligible.append(checked)
            case .failure(let failure):
                exclusions[failure.reason, default: 0] += 1
                if failure.reason.isLogged {
                    outcome.others.append(
                        logged(
                            user: candidate.user,
                            occasion: candidate.occasion,
                            cluster: failure.cluster,
                            mode: failure.reason == .control ? .control : .skipped,
                            reason: failure.reason,
                            detail: failure.detail,
                            items: failure.items
                        )
                    )
                }
            }
        }
        // Only a policy that decides on context reads the landscape vectors.
        let needsContext = settings.policy == .external
        let candidates = try eligible.map { eligible in
            AssignmentCandidate(
                user: eligible.user,
                cluster: eligible.cluster ?? -1,
                choices: choices(for: eligible),
                context: needsContext ? try inputs.landscapeVector(of: eligible.user) : nil
            )
        }
        let decisions = try policy.decide(candidates)
        let rendered = try renderAll(eligible, decisions: decisions)
        var channels: [String: Int] = [:]
        for ((eligible, decision), rendering) in zip(zip(eligible, decisions), rendered) {
            guard let choice = decision.choice, let window = eligible.windows[choice.window] else {
                exclusions[.policy, default: 0] += 1
                outcome.others.append(
                    logged(
                        user: eligible.user,
                        occasion: eligible.occasion,
                        cluster: eligible.cluster,
                        mode: .skipped,
                        reason: .policy,
                        detail: decision.expectedLift.map {
                            String(format: "expected lift %.5f is below the minimum, net of the opt-out risk", $0)
                        },
                        propensity: decision.propensity
                    )
                )
                outcome.others[outcome.others.count - 1].expectedLift = decision.expectedLift
                continue
            }
            let chosen = variants[choice.variant]
            let formula = formulas[chosen.formula].formula
            switch rendering {
            case nil:
                preconditionFailure("renderAll renders every chosen variant")
            case .failure(let reason):
                exclusions[.rendering, default: 0] += 1
                outcome.others.append(
                    logged(
                        user: eligible.user,
                        occasion: eligible.occasion,
                        cluster: eligible.cluster,
                        mode: .skipped,
                        reason: .rendering,
                        detail: reason.description
                    )
                )
            case .success(let message):
                let userID = inputs.userIDs[eligible.user]
                let channel = OutboxChannel(name: formula.channel.rawValue) ?? .push
                let address = address(of: eligible.user, on: formula.channel) ?? ""
                let items = eligible.data.items.compactMap { item -> String? in
                    if case .text(let id) = item["item_id"] { return id }
                    return nil
                }
                let mode: LoggedDecision.Mode = decision.mode == .preferential ? .preferential : .conditioned
                let record = OutboxRecord(
                    user: userID,
                    campaign: campaign.name,
                    formula: formula.name,
                    variant: chosen.variant.index,
                    labels: chosen.labels,
                    channel: channel,
                    address: address,
                    fields: message.fields.map { OutboxRecord.Field(name: $0.name, text: $0.text) },
                    items: items,
                    windowStart: window.start,
                    windowEnd: window.end,
                    propensity: decision.propensity,
                    mode: mode.rawValue,
                    weeklyWindow: max(0, window.index)
                )
                var logged = self.logged(
                    user: eligible.user,
                    occasion: eligible.occasion,
                    cluster: eligible.cluster,
                    mode: mode,
                    reason: nil,
                    detail: nil,
                    propensity: decision.propensity
                )
                logged.channel = channel.name
                logged.formula = formula.name
                logged.variant = chosen.variant.index
                logged.labels = chosen.labels
                logged.windowIndex = window.index >= 0 ? window.index : nil
                logged.windowStart = window.start
                logged.windowEnd = window.end
                logged.items = items
                logged.expectedLift = decision.expectedLift
                logged.labelPropensities = decision.labelPropensities
                outcome.messages.append((record, logged))
                planned.add(user: eligible.user, campaign: campaign.name, start: window.start)
                channels[channel.name, default: 0] += 1
                if mode == .preferential {
                    outcome.summary.preferential += 1
                } else {
                    outcome.summary.conditioned += 1
                }
            }
        }
        outcome.summary.exclusions = AssignmentExclusion.allCases.compactMap { reason in
            exclusions[reason].map { AssignJob.CampaignSummary.Count(name: reason.rawValue, count: $0) }
        }
        outcome.summary.channels = channels.sorted { $0.key < $1.key }.map {
            AssignJob.CampaignSummary.Count(name: $0.key, count: $0.value)
        }
        return outcome
    }

    var kind: String {
        switch campaign.trigger {
        case nil: "scheduled"
        case .event: "event trigger"
        case .inactivity: "inactivity trigger"
        }
    }

    /// The campaign's candidates, by user index: the user, the occasion, and for an event trigger the
    /// instant its message is due.
    func candidates() throws -> [Candidate] {
        switch campaign.trigger {
        case nil:
            let occasion = Self.dayOccasion(asOf)
            return inputs.profiles.keys.sorted().map { Candidate(user: $0, occasion: occasion) }
        case .event(let name, let delaySeconds, let cancellingEvents):
            guard let event = inputs.eventType(name) else { return [] }
            let cancelling = Set(cancellingEvents.compactMap { inputs.eventType($0) })
            let from = Timestamp(
                secondsSinceEpoch: asOf.secondsSinceEpoch - settings.triggerLookbackSeconds - delaySeconds
            )
            let events = try inputs.events(ofTypes: cancelling.union([event]), from: from, to: asOf)
            let trigger = TriggerDefinition.event(event: event, delaySeconds: delaySeconds, cancelling: cancelling)
            let fired = events.keys.sorted().compactMap { user -> (user: Int, firing: FiredTrigger)? in
                // One firing per user and run: the latest; a burst of carts is one reminder.
                TriggerScan.fired(
                    trigger,
                    events: events[user]!,
                    asOf: asOf,
                    lookbackSeconds: settings.triggerLookbackSeconds,
                    horizonSeconds: settings.horizonSeconds
                ).last.map { (user, $0) }
            }
            // The firing event's own variables (`{{cart.value}}`), read for the firing events only.
            let variables = try inputs.eventVariables(
                of: fired.map { AssignmentInputs.EventKey(user: $0.user, time: $0.firing.eventTime, type: event) }
            )
            return fired.map { user, firing in
                Candidate(
                    user: user,
                    occasion: firing.occasion,
                    fixedStart: max(firing.due, asOf),
                    event: variables[AssignmentInputs.EventKey(user: user, time: firing.eventTime, type: event)] ?? [:]
                )
            }
        case .inactivity(let name, let durationSeconds):
            guard let event = inputs.eventType(name) else { return [] }
            let from = Timestamp(
                secondsSinceEpoch: asOf.secondsSinceEpoch - durationSeconds - settings.inactivityLookbackSeconds
            )
            let events = try inputs.events(ofTypes: [event], from: from, to: asOf)
            let trigger = TriggerDefinition.inactivity(event: event, durationSeconds: durationSeconds)
            return events.keys.sorted().compactMap { user in
                TriggerScan.fired(
                    trigger,
                    events: events[user]!,
                    asOf: asOf,
                    lookbackSeconds: 0,
                    horizonSeconds: settings.horizonSeconds
                ).last.map { Candidate(user: user, occasion: $0.occasion) }
            }
        }
    }

    /// ``check(_:planned:)`` for every candidate, on every core: each check only
    /// reads (the inputs, the plan so far), and the recommendation slot and rendering that dominate it
    /// are independent per user. Results come back in the candidates' order.
    func checkAll(
        _ candidates: [Candidate],
        planned: PlannedMessages
    ) throws -> [Result<Eligible, Failure>] {
        // `check` reads only: the inputs (mapped files and values), the plan, the renderers. The policy,
        // the one member that is not Sendable, is not touched.
        nonisolated(unsafe) let assigner = self
        return try Self.concurrentMap(candidates) { candidate in
            try assigner.check(candidate, planned: planned)
        }
    }

    /// The chosen variant of each eligible user rendered, on every core (`nil` where the policy chose
    /// nothing). Rendering is most of a run's time after eligibility, and each render only reads the
    /// renderers and the user's own data.
    func renderAll(
        _ eligible: [Eligible],
        decisions: [AssignmentDecision]
    ) throws -> [Result<RenderedMessage, Unavailability>?] {
        nonisolated(unsafe) let assigner = self
        let pairs = Array(zip(eligible, decisions))
        return try Self.concurrentMap(pairs) { eligible, decision in
            guard let choice = decision.choice, eligible.windows[choice.window] != nil else { return nil }
            let chosen = assigner.variants[choice.variant]
            let renderer = assigner.formulas[chosen.formula].renderer
            return renderer.render(
                chosen.variant,
                for: eligible.models[chosen.formula] ?? renderer.viewModel(eligible.data),
                maximumSMSParts: assigner.campaign.maximumSMSParts
            )
        }
    }

    /// `transform` of every element, on every core, in the elements' order; the first error thrown is
    /// thrown once all workers stop. Each worker writes only its own indices of the result.
    static func concurrentMap<Element, Output>(
        _ elements: [Element],
        chunk: Int = 1_024,
        _ transform: (Element) throws -> Output
    ) throws -> [Output] {
        var results = [Output?](repeating: nil, count: elements.count)
        let firstError = Mutex<(any Error)?>(nil)
        nonisolated(unsafe) let elements = elements
        try withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let transform = transform
            results.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let buffer = buffer
                DispatchQueue.concurrentPerform(iterations: (elements.count + chunk - 1) / chunk) { part in
                    for index in part * chunk..<min(elements.count, (part + 1) * chunk) {
                        do {
                            buffer[index] = try transform(elements[index])
                        } catch {
                            firstError.withLock { $0 = $0 ?? error }
                        }
                    }
                }
            }
            if let error = firstError.withLock({ $0 }) { throw error }
        }
        return results.map { $0! }
    }

    struct Failure: Error {
        var reason: AssignmentExclusion
        var cluster: Int?
        var detail: String?
        /// A control member's counterfactual recommended items, by external id.
        var items: [String] = []
    }

    /// The checks of ``AssignJob`` step 2, in order, for one candidate.
    func check(_ candidate: Candidate, planned: PlannedMessages) throws -> Result<Eligible, Failure> {
        let (user, occasion, fixedStart) = (candidate.user, candidate.occasion, candidate.fixedStart)
        guard let profile = inputs.profiles[user] else { return .failure(Failure(reason: .audience)) }
        let attributes =
            campaign.audience.conditions.isEmpty ? [:] : ContentPreview.parsedAttributes(profile.attributesJSON)
        if campaign.audience.exclusion(profile: profile, attributes: attributes) != nil {
            return .failure(Failure(reason: .audience))
        }
        let consented = Set(profile.channels.filter { $0.hasConsent && !$0.address.isEmpty }.map(\.channel))
        let openFormulas = formulas.indices.filter { position in
            formulas[position].formula.channel.consentChannel.map { consented.contains($0) } ?? true
        }
        let required = campaign.audience.requiredConsent
        guard required.isEmpty || required.contains(where: consented.contains), !openFormulas.isEmpty else {
            return .failure(Failure(reason: .consent))
        }
        let zone = inputs.zones.zones[Int(inputs.zones.zoneOfUser[user])]
        if let range = campaign.dateRange {
            let instant = fixedStart ?? asOf
            let local = instant.secondsSinceEpoch + zone.utcOffsetSeconds(at: instant)
            let date = CivilDate(daysSinceEpoch: local.floorDivided(by: Timestamp.secondsPerDay))
            if !range.contains(date) { return .failure(Failure(reason: .dateRange)) }
        }
        let userID = inputs.userIDs[user]
        let cluster = inputs.cluster(of: userID)
        if controlGroup.isControl(userID: userID) {
            // The items a message would have named: `report attribution` sets purchases of them against
            // the messages' named items.
            let items =
                campaign.recommendations.map {
                    inputs.items(for: userID, slot: $0, nowSeconds: asOf.secondsSinceEpoch).map(\.externalID)
                } ?? []
            return .failure(Failure(reason: .control, cluster: cluster, items: items))
        }
        let weekStart = Timestamp(secondsSinceEpoch: horizonEnd.secondsSinceEpoch - 7 * 86_400)
        let dayStart = Timestamp(secondsSinceEpoch: horizonEnd.secondsSinceEpoch - 86_400)
        if let cap = campaign.maximumPerUserPer7Days,
            planned.count(user: user, campaign: campaign.name, from: weekStart, to: horizonEnd) >= cap
        {
            return .failure(Failure(reason: .campaignCap))
        }
        let week = planned.count(user: user, from: weekStart, to: horizonEnd)
        if let cap = inputs.content.caps.perUserPerDay, planned.count(user: user, from: dayStart, to: horizonEnd) >= cap
        {
            return .failure(Failure(reason: .dailyCap))
        }
        if let cap = inputs.content.caps.perUserPerWeek, week >= cap { return .failure(Failure(reason: .weeklyCap)) }
        if let cadence = try inputs.cadence(of: userID), week >= cadence { return .failure(Failure(reason: .cadence)) }

        let windows: [SendWindow]
        if let fixedStart {
            guard let window = triggeredWindow(start: fixedStart, zone: zone) else {
                return .failure(Failure(reason: .quietHours, cluster: cluster))
            }
            windows = [window]
        } else {
            windows = SendWindows.upcoming(
                layout: inputs.layout,
                zone: zone,
                from: asOf,
                horizonSeconds: settings.horizonSeconds,
                quiet: quiet
            )
            if windows.isEmpty {
                let unquiet = SendWindows.upcoming(
                    layout: inputs.layout,
                    zone: zone,
                    from: asOf,
                    horizonSeconds: settings.horizonSeconds
                )
                return .failure(Failure(reason: unquiet.isEmpty ? .noWindow : .quietHours, cluster: cluster))
            }
        }
        let items =
            campaign.recommendations.map {
                inputs.items(for: userID, slot: $0, nowSeconds: asOf.secondsSinceEpoch)
            } ?? []
        let data = ContentPreview.renderData(profile: profile, items: items, event: candidate.event)
        let (variants, models) = openVariants(formulas: openFormulas, data: data)
        guard !variants.isEmpty else { return .failure(Failure(reason: .noVariant, cluster: cluster)) }
        var byIndex: [Int: SendWindow] = [:]
        for window in windows where byIndex[window.index] == nil { byIndex[window.index] = window }
        return .success(
            Eligible(
                user: user,
                occasion: occasion,
                cluster: cluster,
                data: data,
                windows: byIndex,
                variants: variants,
                models: models
            )
        )
    }

    /// The campaign variants of the formulas at `positions` whose blocks all have an available alternate
    /// for the user's data, and the user's view model of each formula that has one.
    func openVariants(formulas positions: [Int], data: RenderData) -> (variants: [Int], models: [Int: ViewModel]) {
        var open: [Int] = []
        var models: [Int: ViewModel] = [:]
        for position in positions {
            let (formula, renderer) = formulas[position]
            let model = renderer.viewModel(data)
            guard renderer.unavailability(model) == nil else { continue }
            models[position] = model
            var combinations: [[Int]] = [[]]
            for available in renderer.availableAlternates(model) {
                combinations = combinations.flatMap { prefix in available.map { prefix + [$0] } }
            }
            open += combinations.map { variantOffsets[position] + Variant(choices: $0, of: formula).index }
        }
        return (open, models)
    }

    /// A triggered message's one window: from its due time (moved past the quiet hours when it falls in
    /// them) for ``AssignmentSettings/triggerSendSeconds``, cut where the next quiet hours begin; `nil`
    /// when nothing is left. Its weekly index is the layout window holding its start, or -1 outside them.
    func triggeredWindow(start: Timestamp, zone: ZoneOffsets) -> SendWindow? {
        var start = start
        var minute = zone.localTime(start).minuteOfDay
        if quiet.startMinute != quiet.endMinute, quiet.contains(minute) {
            let wait = (quiet.endMinute - minute + 1440) % 1440
            start = Timestamp(secondsSinceEpoch: (start.secondsSinceEpoch / 60 + Int64(wait)) * 60)
            minute = zone.localTime(start).minuteOfDay
        }
        var end = Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + settings.triggerSendSeconds)
        if quiet.startMinute != quiet.endMinute {
            let untilQuiet = (quiet.startMinute - minute + 1440) % 1440
            end = min(
                end,
                Timestamp(
                    secondsSinceEpoch: start.secondsSinceEpoch - start.secondsSinceEpoch % 60 + Int64(untilQuiet) * 60
                )
            )
        }
        guard end > start else { return nil }
        let index = inputs.layout.window(containing: zone.localTime(start))?.index ?? -1
        return SendWindow(index: index, start: start, end: end)
    }

    /// Every (variant, window) open to the user: their open variants crossed with their windows.
    func choices(for eligible: Eligible) -> [AssignmentChoice] {
        let windows = eligible.windows.keys.sorted()
        return eligible.variants.flatMap { variant in
            windows.map { AssignmentChoice(variant: variant, labels: variants[variant].labels, window: $0) }
        }
    }

    func address(of user: Int, on channel: MessageChannel) -> String? {
        guard let consent = channel.consentChannel else { return "" }
        return inputs.profiles[user]?.channels.first { $0.channel == consent }?.address
    }

    func logged(
        user: Int,
        occasion: String,
        cluster: Int?,
        mode: LoggedDecision.Mode,
        reason: AssignmentExclusion?,
        detail: String?,
        propensity: Double? = nil,
        items: [String] = []
    ) -> LoggedDecision {
        var skipReason: String?
        if let reason, reason != .control { skipReason = detail.map { "\(reason.rawValue): \($0)" } ?? reason.rawValue }
        return LoggedDecision(
            userIndex: user,
            campaign: campaign.name,
            goal: goal,
            occasion: occasion,
            mode: mode,
            skipReason: skipReason,
            cluster: cluster,
            windowStart: asOf,
            items: items,
            propensity: propensity,
            assignedAt: asOf
        )
    }
}

internal import AampeContent
internal import AampeCore
internal import AampeJobs
internal import AampeStore
internal import Foundation
internal import Logging
internal import ServiceLifecycle
internal import Synchronization

/// Event-triggered campaigns in real time: a TRACK event starts, restarts or cancels a user's timer, and
/// when a timer runs out the daemon assigns that user's message at once, through the same eligibility,
/// policy and rendering as `aampectl assign` (``AssignJob/run(directory:firings:asOf:settings:)``), and
/// serves it: a cart reminder is pullable moments after its 15 minutes, not at the next batch run.
///
/// **Rules**, those of ``TriggerScan`` for a batch run: an event of a campaign's trigger type at `t` is due
/// at `t + delay`; a later one of the same type before then replaces it; a cancelling event in
/// `(t, t + delay]` removes it. The occasion is `event:<t in micros>`, the name a batch run gives the same
/// firing, so the message log's unique (campaign, user, occasion) keeps the two from both sending it.
///
/// **Durability.** Timers are not written anywhere of their own: every TRACK event is in the real-time log
/// before TRACK answers, and at start the log is replayed through ``observe(userID:event:at:itemID:value:properties:)``, which
/// rebuilds every timer. A timer that already fired before a restart fires again and is refused as an
/// occasion already decided. So a restart loses no pending trigger and sends none twice.
///
/// **Settings** are the newest batch `aampectl assign` run's (its policy, control group share and salt,
/// seed), recorded in the store, so a user the batch runs hold back as control is held back here too.
///
/// **Time** is the outbox's clock (the system's, or the simulated one the loop moves), checked every
/// `tickMillis`. A firing whose assignment fails (the store busy, no content) is kept and retried on the
/// next tick, with the failure logged.
final class RealtimeTriggers: Service, Sendable {
    struct Trigger: Sendable {
        var campaign: String
        var event: String
        var delaySeconds: Int64
        var cancelling: Set<String>
    }

    struct Key: Hashable, Sendable {
        var campaign: String
        var user: String
    }

    struct Timer: Sendable, Hashable {
        var eventTime: Timestamp
        var due: Timestamp
        /// The firing event's variables, for rendering (`{{cart.value}}`).
        var event: [String: ViewValue] = [:]
    }

    struct State: Sendable {
        var triggers: [Trigger] = []
        var contentVersion: Int64?
        var timers: [Key: Timer] = [:]
        var lastFailure: String?
    }

    let directory: DataDirectory
    let clock: OutboxClock
    let outbox: OutboxService
    let logger: Logger
    let tickMillis: Int
    let settings: AssignmentSettings
    private let state = Mutex(State())
    /// The store the periodic content check reads, opened on first use and kept.
    private let store = Mutex<Store?>(nil)

    init(
        directory: DataDirectory,
        clock: OutboxClock,
        outbox: OutboxService,
        logger: Logger,
        tickMillis: Int = 100,
        settings: AssignmentSettings = AssignmentSettings()
    ) {
        self.directory = directory
        self.clock = clock
        self.outbox = outbox
        self.logger = logger
        self.tickMillis = tickMillis
        self.settings = settings
    }

    /// Reads the applied content's event triggers when its version changed. Without content, no trigger.
    func refreshContent(store: Store) throws {
        // The cheap version check every few seconds; the content is read back only when it changed.
        guard let version = try store.content.latestVersion() else { return }
        if state.withLock({ $0.contentVersion == version.id }) { return }
        guard let (newest, content) = try ContentVersioning.latest(in: store) else { return }
        let triggers = content.campaigns.compactMap { campaign -> Trigger? in
            guard case .event(let name, let delaySeconds, let cancelling) = campaign.trigger else { return nil }
            return Trigger(
                campaign: campaign.name,
                event: name,
                delaySeconds: delaySeconds,
                cancelling: Set(cancelling)
            )
        }
        state.withLock {
            $0.triggers = triggers
            $0.contentVersion = newest
        }
    }

    /// How many timers are running.
    var pendingCount: Int { state.withLock { $0.timers.count } }

    /// One TRACK event (or one replayed from the log): starts, restarts or cancels timers. A timer keeps the
    /// event's item, value and properties as its variables for rendering
    /// (``ContentPreview/eventVariables(itemID:value:properties:)``).
    func observe(
        userID: String,
        event: String,
        at time: Timestamp,
        itemID: String? = nil,
        value: Double? = nil,
        properties: [String: String] = [:]
    ) {
        state.withLock { state in
            for trigger in state.triggers {
                let key = Key(campaign: trigger.campaign, user: userID)
                if trigger.event == event {
                    let timer = Timer(
                        eventTime: time,
                        due: Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + trigger.delaySeconds),
                        event: ContentPreview.eventVariables(
                            itemID: itemID,
                            value: value,
                            properties: properties.mapValues { ViewValue.text($0) }
                        )
                    )
                    // Events may arrive out of order; the latest trigger event wins, as in a batch scan.
                    if let existing = state.timers[key], existing.eventTime >= time { continue }
                    state.timers[key] = timer
                } else if trigger.cancelling.contains(event), let timer = state.timers[key], time > timer.eventTime,
                    time <= timer.due
                {
                    state.timers[key] = nil
                }
            }
        }
    }

    /// Removes and returns the timers due at `now`.
    func takeDue(now: Timestamp) -> [AssignJob.Firing] {
        state.withLock { state in
            let due = state.timers.filter { $0.value.due <= now }
            for key in due.keys { state.timers[key] = nil }
            return due.map { key, timer in
                AssignJob.Firing(
                    userID: key.user,
                    campaign: key.campaign,
                    occasion: "event:\(timer.eventTime.rawValue)",
                    due: timer.due,
                    event: timer.event
                )
            }.sorted { ($0.campaign, $0.userID) < ($1.campaign, $1.userID) }
        }
    }

    /// Puts firings back after a failed assignment, unless a newer timer replaced them meanwhile.
    func restore(_ firings: [AssignJob.Firing]) {
        state.withLock { state in
            for firing in firings {
                let key = Key(campaign: firing.campaign, user: firing.userID)
                guard state.timers[key] == nil, let micros = Int64(firing.occasion.dropFirst("event:".count)) else {
                    continue
                }
                state.timers[key] = Timer(eventTime: Timestamp(rawValue: micros), due: firing.due, event: firing.event)
            }
        }
    }

    func openedStore() throws -> Store {
        try store.withLock { kept in
            if let kept { return kept }
            let opened = try directory.openStore()
            kept = opened
            return opened
        }
    }

    /// Assigns and serves what is due; returns how many messages became pullable.
    @discardableResult
    func fireDue() -> Int {
        let now = clock.now()
        let firings = takeDue(now: now)
        guard !firings.isEmpty else { return 0 }
        do {
            let settings = try AssignJob.realtimeSettings(
                recorded: try openedStore().messageLog.latestAssignmentSettings(),
                defaults: settings
            )
            let report = try AssignJob.run(directory: directory, firings: firings, asOf: now, settings: settings)
            if report.batch != nil { _ = try outbox.rescan() }
            state.withLock { $0.lastFailure = nil }
            logger.info(
                "real-time triggers: \(firings.count) fired, \(report.messages) messages in batch \(report.batch.map(String.init) ?? "none")"
            )
            return report.messages
        } catch {
            restore(firings)
            let text = "\(error)"
            let isNew = state.withLock { state in
                defer { state.lastFailure = text }
                return state.lastFailure != text
            }
            if isNew {
                logger.error("real-time triggers: assigning \(firings.count) firings failed, retrying: \(text)")
            }
            return 0
        }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var ticks = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(self.tickMillis))
                ticks += 1
                // New content (a new trigger, a changed delay) is picked up within a few seconds.
                if ticks % max(1, 5_000 / self.tickMillis) == 0 {
                    do {
                        try self.refreshContent(store: try self.openedStore())
                    } catch {
                        self.logger.error("real-time triggers: cannot read the content: \(error)")
                    }
                }
                self.fireDue()
            }
        }
    }
}

import AampeContent
public import AampeCore
import AampeEvents
import AampeOutbox
import AampeSegments
public import AampeStore
import Foundation

/// Brings the message log up to date with what happened after assignment: each message's delivery
/// status from the daemon's outbox journals, and each delivered message's outcome from the imported
/// events. Assignment runs it first; `aampectl import events` runs it after each import.
///
/// - **Status** is the journal's last settlement of the message: `delivered` (with the ACK's time as
///   `delivered_at_micros`), `failed` or `dead` (with the reason), `expired`; a message the journal has
///   not settled stays `assigned`. The journal is read, never written, so this is safe while the daemon
///   appends to it (a record cut short at the end is ignored until the next sync).
/// - **Outcome** of a message delivered at `d`, for its goal `G` with attribution window `w`: the events
///   of `G`'s types by the same user in `(d, d + w]`: how many (`goal_count`), their summed `value`
///   (`goal_value`) and the delay to the first (`goal_delay_seconds`; its time is `responded_at_micros`).
///   It is joined once `d + w` is at or before the newest imported event, so that a late import cannot
///   change it; until then it stays NULL.
public enum MessageLogSync {
    /// What a sync changed.
    public struct Report: Codable, Sendable, Hashable {
        /// Messages whose status changed.
        public var statusesChanged = 0
        /// Messages whose outcome was joined.
        public var outcomesJoined = 0
        /// Of those, messages with at least one goal event.
        public var outcomesWithGoal = 0

        enum CodingKeys: String, CodingKey {
            case statusesChanged = "statuses_changed"
            case outcomesJoined = "outcomes_joined"
            case outcomesWithGoal = "outcomes_with_goal"
        }
    }

    public static func run(directory: DataDirectory, store: Store) throws -> Report {
        var report = Report()
        report.statusesChanged = try foldStatuses(directory: directory, store: store)
        (report.outcomesJoined, report.outcomesWithGoal) = try joinOutcomes(directory: directory, store: store)
        return report
    }

    /// Folds every batch's journal (or only `only`'s) into the log's statuses; returns how many changed.
    /// The daemon folds a settled batch this way before it retires it.
    public static func foldStatuses(directory: DataDirectory, store: Store, only: Set<UInt32>? = nil) throws -> Int {
        var changed = 0
        for (batch, _) in try store.messageLog.batches() where only?.contains(UInt32(clamping: batch)) ?? true {
            let journalPath = OutboxCommit.folder(directory, batch: batch) + "/journal"
            guard FileSystem.exists(journalPath) else { continue }
            let decoded = try OutboxJournal.decode(try OutboxJournalFile.read(path: journalPath))
            var updates: [Int: DeliveryUpdate] = [:]
            for change in decoded.changes {
                let row = Int(change.message.row)
                var update = DeliveryUpdate(
                    batch: batch,
                    messageRow: row,
                    status: "assigned",
                    reason: nil,
                    deliveredAt: nil
                )
                switch change {
                case .delivered(_, _, let at):
                    update.status = "delivered"
                    update.deliveredAt = at
                case .failed(_, _, let reason, _):
                    update.status = "failed"
                    update.reason = reason
                case .dead(_, let reason, _):
                    update.status = "dead"
                    update.reason = reason
                case .expired:
                    update.status = "expired"
                case .requeued:
                    update.status = "assigned"
                case .leased, .retried, .leaseLapsed:
                    continue
                }
                updates[row] = update
            }
            changed += try store.messageLog.update(updates.keys.sorted().map { updates[$0]! })
        }
        return changed
    }

    /// Joins the outcomes whose attribution window the imported events cover.
    static func joinOutcomes(directory: DataDirectory, store: Store) throws -> (joined: Int, withGoal: Int) {
        let events = EventStore(dataDirectory: directory, store: store)
        let snapshot = try events.snapshot()
        guard let newest = snapshot.segments.map(\.maxTimestamp).max() else { return (0, 0) }
        let goals = try currentGoals(store: store)
        let pending = try store.messageLog.outcomesPending(deliveredNotAfter: newest).filter { message in
            let window = goals[message.goal]?.attributionWindowSeconds ?? Goal.defaultAttributionWindowSeconds
            return message.deliveredAt.secondsSinceEpoch + window <= newest.secondsSinceEpoch
        }
        guard let earliest = pending.map(\.deliveredAt).min() else { return (0, 0) }
        let types: [String: Set<UInt32>] = goals.mapValues { goal in
            Set(goal.events.compactMap { snapshot.keys.eventTypes.firstIndex(of: $0).map(UInt32.init) })
        }
        let allTypes = types.values.reduce(into: Set<UInt32>()) { $0.formUnion($1) }
        let users = Set(pending.map(\.userIndex))
        var byUser: [Int: [(time: Int64, type: UInt32, value: Double)]] = [:]
        var selected = snapshot
        selected.segments = snapshot.segments.filter { $0.maxTimestamp > earliest }
        try events.forEachSegment(of: selected) { batch, _, _ in
            for row in batch.timestampMicros.indices where allTypes.contains(batch.eventTypes[row]) {
                let user = Int(batch.users[row])
                guard users.contains(user) else { continue }
                let value = row < batch.values.count ? batch.values[row] : 0
                byUser[user, default: []].append(
                    (batch.timestampMicros[row], batch.eventTypes[row], value.isFinite ? value : 0)
                )
            }
        }
        var outcomes: [JoinedOutcome] = []
        var withGoal = 0
        for message in pending {
            let goalTypes = types[message.goal] ?? []
            let window = goals[message.goal]?.attributionWindowSeconds ?? Goal.defaultAttributionWindowSeconds
            let start = message.deliveredAt.rawValue
            let end = start + window * 1_000_000
            let hits = (byUser[message.userIndex] ?? []).filter {
                $0.time > start && $0.time <= end && goalTypes.contains($0.type)
            }
            let first = hits.map(\.time).min()
            outcomes.append(
                JoinedOutcome(
                    id: message.id,
                    count: hits.count,
                    value: hits.reduce(0) { $0 + $1.value },
                    firstDelaySeconds: first.map { ($0 - start) / 1_000_000 }
                )
            )
            if !hits.isEmpty { withGoal += 1 }
        }
        try store.messageLog.record(outcomes, joinedAt: newest)
        return (outcomes.count, withGoal)
    }

    /// The goals of the applied content, by name; none before any content is applied.
    static func currentGoals(store: Store) throws -> [String: Goal] {
        guard let content = try ContentVersioning.latest(in: store)?.content else { return [:] }
        return Dictionary(content.goals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

public import AampeCore
internal import Foundation
internal import GRDB

/// One assignment decision, as the message log records it (migration 0005): a message, a control-group
/// member held back, or a user skipped with the reason.
public struct LoggedDecision: Hashable, Sendable {
    /// What the decision was.
    public enum Mode: String, Hashable, Sendable, Codable, CaseIterable {
        /// A message, the policy's confident best bet.
        case preferential
        /// A message, an experiment.
        case conditioned
        /// No message: no available choice, or the policy judged none worth sending.
        case skipped
        /// No message: the user is in the global control group.
        case control
    }

    public var userIndex: Int
    public var campaign: String
    /// The campaign's goal when the decision was made.
    public var goal: String
    /// What the decision is for; a campaign decides once per user and occasion (the run's day for a
    /// scheduled campaign, the firing event for a triggered one).
    public var occasion: String
    public var mode: Mode
    /// Why a skipped user was skipped.
    public var skipReason: String?
    /// The user's landscape cluster, when the landscape knows them.
    public var cluster: Int?
    /// The message's channel; empty without a message.
    public var channel: String
    public var formula: String?
    public var variant: Int?
    /// The variant's `set=label` labels.
    public var labels: [String]
    /// The send window's index in the user's week.
    public var windowIndex: Int?
    /// The send window's start (a message), or the decision's time (no message): `sent_at_micros`.
    public var windowStart: Timestamp
    public var windowEnd: Timestamp?
    /// The recommended items the message names, by external id.
    public var items: [String]
    /// The probability the policy gave this outcome.
    public var propensity: Double?
    public var expectedLift: Double?
    /// Per label: the probability the policy's outcome carried it (migration 0007); empty when unknown.
    public var labelPropensities: [String: Double] = [:]
    /// The assignment run's reference time (`--as-of`).
    public var assignedAt: Timestamp
    /// The outbox batch and row of a message.
    public var batch: Int64?
    public var messageRow: Int?

    public init(
        userIndex: Int,
        campaign: String,
        goal: String,
        occasion: String,
        mode: Mode,
        skipReason: String? = nil,
        cluster: Int? = nil,
        channel: String = "",
        formula: String? = nil,
        variant: Int? = nil,
        labels: [String] = [],
        windowIndex: Int? = nil,
        windowStart: Timestamp,
        windowEnd: Timestamp? = nil,
        items: [String] = [],
        propensity: Double? = nil,
        expectedLift: Double? = nil,
        assignedAt: Timestamp,
        batch: Int64? = nil,
        messageRow: Int? = nil
    ) {
        self.userIndex = userIndex
        self.campaign = campaign
        self.goal = goal
        self.occasion = occasion
        self.mode = mode
        self.skipReason = skipReason
        self.cluster = cluster
        self.channel = channel
        self.formula = formula
        self.variant = variant
        self.labels = labels
        self.windowIndex = windowIndex
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.items = items
        self.propensity = propensity
        self.expectedLift = expectedLift
        self.assignedAt = assignedAt
        self.batch = batch
        self.messageRow = messageRow
    }

    /// Whether the decision sends a message.
    public var isMessage: Bool { mode == .preferential || mode == .conditioned }
}

/// A message's delivery state as the daemon's journal left it, for folding into the log.
public struct DeliveryUpdate: Hashable, Sendable {
    public var batch: Int64
    public var messageRow: Int
    /// `assigned` (not settled yet), `delivered`, `failed`, `dead` or `expired`.
    public var status: String
    public var reason: String?
    public var deliveredAt: Timestamp?

    public init(batch: Int64, messageRow: Int, status: String, reason: String?, deliveredAt: Timestamp?) {
        self.batch = batch
        self.messageRow = messageRow
        self.status = status
        self.reason = reason
        self.deliveredAt = deliveredAt
    }
}

/// A delivered message whose outcome is not joined yet.
public struct OutcomePending: Hashable, Sendable {
    public var id: Int64
    public var userIndex: Int
    public var goal: String
    public var deliveredAt: Timestamp

    public init(id: Int64, userIndex: Int, goal: String, deliveredAt: Timestamp) {
        self.id = id
        self.userIndex = userIndex
        self.goal = goal
        self.deliveredAt = deliveredAt
    }
}

/// The goal events credited to one delivered message.
public struct JoinedOutcome: Hashable, Sendable {
    public var id: Int64
    /// Goal events within the attribution window after delivery.
    public var count: Int
    /// Their summed value (the goal's value field), 0 without one.
    public var value: Double
    /// Seconds from delivery to the first of them, or `nil` for none.
    public var firstDelaySeconds: Int64?

    public init(id: Int64, count: Int, value: Double, firstDelaySeconds: Int64?) {
        self.id = id
        self.count = count
        self.value = value
        self.firstDelaySeconds = firstDelaySeconds
    }
}

/// A delivered message's outcome, or a control decision's (no message), as the model learns from it.
public struct TrainingOutcome: Hashable, Sendable {
    public var userIndex: Int
    public var campaign: String
    public var goal: String
    /// `false` for a control-group decision: the no-message row.
    public var isMessage: Bool
    public var cluster: Int?
    public var labels: [String]
    public var windowIndex: Int?
    /// Goal events within the attribution window after the reference time.
    public var goalCount: Int
    /// Seconds from the reference time to the first of them.
    public var firstDelaySeconds: Int64?
    /// The delivery of a message; the decision time of a control row.
    public var referenceTime: Timestamp

    public init(
        userIndex: Int,
        campaign: String,
        goal: String,
        isMessage: Bool,
        cluster: Int?,
        labels: [String],
        windowIndex: Int?,
        goalCount: Int,
        firstDelaySeconds: Int64?,
        referenceTime: Timestamp
    ) {
        self.userIndex = userIndex
        self.campaign = campaign
        self.goal = goal
        self.isMessage = isMessage
        self.cluster = cluster
        self.labels = labels
        self.windowIndex = windowIndex
        self.goalCount = goalCount
        self.firstDelaySeconds = firstDelaySeconds
        self.referenceTime = referenceTime
    }
}

/// A delivered message's outcome, as policies learn from it.
public struct LoggedOutcome: Hashable, Sendable {
    public var userIndex: Int
    public var campaign: String
    public var cluster: Int?
    public var labels: [String]
    public var windowIndex: Int?
    public var goalCount: Int
    /// The probability the assigning policy gave the send, where it logged one.
    public var propensity: Double?

    public init(
        userIndex: Int,
        campaign: String,
        cluster: Int?,
        labels: [String],
        windowIndex: Int?,
        goalCount: Int,
        propensity: Double? = nil
    ) {
        self.userIndex = userIndex
        self.campaign = campaign
        self.cluster = cluster
        self.labels = labels
        self.windowIndex = windowIndex
        self.goalCount = goalCount
        self.propensity = propensity
    }
}

extension MessageLogRepository {
    /// Appends `decisions` in one transaction, all or none. A decision whose (campaign, user, occasion)
    /// is already logged is a caller's bug and throws (the unique index refuses it), so no run can log a
    /// user's occasion twice.
    public func append(_ decisions: [LoggedDecision], runID: Int64) throws {
        try store.write("log assignment decisions") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO message_log (
                        run_id, user_index, campaign, channel, sent_at_micros, occasion, mode, skip_reason, goal,
                        cluster, formula, variant, labels, window_index, window_end_micros, items, propensity,
                        expected_lift, assigned_at_micros, batch, message_row, status, label_propensities
                    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for decision in decisions {
                let arguments: [(any DatabaseValueConvertible)?] = [
                    runID, decision.userIndex, decision.campaign, decision.channel, decision.windowStart.rawValue,
                    decision.occasion, decision.mode.rawValue, decision.skipReason, decision.goal,
                    decision.cluster, decision.formula, decision.variant, Self.jsonArray(decision.labels),
                    decision.windowIndex, decision.windowEnd?.rawValue, Self.jsonArray(decision.items),
                    decision.propensity, decision.expectedLift, decision.assignedAt.rawValue, decision.batch,
                    decision.messageRow, decision.isMessage ? "assigned" : nil,
                    Self.jsonObject(decision.labelPropensities),
                ]
                try statement.execute(arguments: StatementArguments(arguments))
            }
        }
    }

    /// The users of `campaign` with a decision for `occasion` already logged, by user index.
    public func users(campaign: String, occasion: String) throws -> Set<Int> {
        try store.read("read logged occasions") { db in
            Set(
                try Int.fetchAll(
                    db,
                    sql: "SELECT user_index FROM message_log WHERE campaign = ? AND occasion = ?",
                    arguments: [campaign, occasion]
                )
            )
        }
    }

    /// Every (user, occasion) logged for `campaign`, as `"<user index> <occasion>"` keys.
    public func occasionKeys(campaign: String) throws -> Set<String> {
        try store.read("read logged occasions") { db in
            var keys = Set<String>()
            for row in try Row.fetchAll(
                db,
                sql: "SELECT user_index, occasion FROM message_log WHERE campaign = ? AND occasion IS NOT NULL",
                arguments: [campaign]
            ) {
                let user: Int = row["user_index"]
                let occasion: String = row["occasion"]
                keys.insert("\(user) \(occasion)")
            }
            return keys
        }
    }

    /// The messages (not control, not skipped, not failed, dead or expired) whose send window starts in
    /// `from ..< to`: what frequency caps and cadence count.
    public func messageStarts(
        from: Timestamp,
        to: Timestamp
    ) throws -> [(userIndex: Int, campaign: String, start: Timestamp)] {
        try store.read("read recent messages") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_index, campaign, sent_at_micros FROM message_log
                    WHERE sent_at_micros >= ? AND sent_at_micros < ?
                      AND (mode IS NULL OR mode IN ('preferential', 'conditioned'))
                      AND (status IS NULL OR status IN ('assigned', 'delivered'))
                    """,
                arguments: [from.rawValue, to.rawValue]
            ).map { row in
                (row["user_index"], row["campaign"], Timestamp(rawValue: row["sent_at_micros"]))
            }
        }
    }

    /// The outbox batches the log names, each with its number of messages.
    public func batches() throws -> [(batch: Int64, messages: Int)] {
        try store.read("read outbox batches") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT batch, COUNT(*) AS n FROM message_log WHERE batch IS NOT NULL GROUP BY batch ORDER BY batch"
            ).map { ($0["batch"], $0["n"]) }
        }
    }

    /// Sets each message's delivery status, in one transaction. Only what changed is written.
    public func update(_ deliveries: [DeliveryUpdate]) throws -> Int {
        try store.write("fold delivery status into the message log") { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE message_log SET status = ?, status_reason = ?, delivered_at_micros = ?
                    WHERE batch = ? AND message_row = ?
                      AND (status IS NOT ? OR delivered_at_micros IS NOT ? OR status_reason IS NOT ?)
                    """
            )
            var changed = 0
            for update in deliveries {
                try statement.execute(arguments: [
                    update.status, update.reason, update.deliveredAt?.rawValue, update.batch, update.messageRow,
                    update.status, update.deliveredAt?.rawValue, update.reason,
                ])
                changed += db.changesCount
            }
            return changed
        }
    }

    /// Delivered messages, and control-group decisions, whose outcome is not joined yet and whose reference
    /// time is at or before `notAfter`. A message's reference time is its delivery; a control decision's
    /// is its decision time (`sent_at_micros`), so the no-message rows the model learns its baseline from
    /// are measured over the same attribution window.
    public func outcomesPending(deliveredNotAfter notAfter: Timestamp) throws -> [OutcomePending] {
        try store.read("read messages awaiting outcomes") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, user_index, goal,
                        CASE WHEN mode = 'control' THEN sent_at_micros ELSE delivered_at_micros END AS reference
                    FROM message_log
                    WHERE outcome_joined_at_micros IS NULL
                        AND ((status = 'delivered' AND delivered_at_micros <= ?)
                            OR (mode = 'control' AND sent_at_micros <= ?))
                    ORDER BY user_index, reference
                    """,
                arguments: [notAfter.rawValue, notAfter.rawValue]
            ).map { row in
                OutcomePending(
                    id: row["id"],
                    userIndex: row["user_index"],
                    goal: row["goal"] ?? "",
                    deliveredAt: Timestamp(rawValue: row["reference"])
                )
            }
        }
    }

    /// Failure reasons (lowercased substrings) that mean the recipient withdrew consent: an opt-out.
    public static let optOutReasonMarkers = ["unsubscrib", "opt-out", "opted out", "opt_out", "withdrew consent"]

    /// Per goal: delivered messages, and the distinct users with a later message failed for an opt-out
    /// (``optOutReasonMarkers``), up to `notAfter`.
    public func optOutCounts(notAfter: Timestamp) throws -> [String: (delivered: Int, optedOut: Int)] {
        let reasons = Self.optOutReasonMarkers.map { _ in "LOWER(status_reason) LIKE ?" }.joined(separator: " OR ")
        return try store.read("count opt-outs") { db in
            var counts: [String: (delivered: Int, optedOut: Int)] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT goal, SUM(status = 'delivered') AS delivered,
                        COUNT(DISTINCT CASE WHEN status = 'failed' AND (\(reasons)) THEN user_index END) AS opted_out
                    FROM message_log WHERE goal IS NOT NULL AND sent_at_micros <= ? GROUP BY goal
                    """,
                arguments: StatementArguments(Self.optOutReasonMarkers.map { "%\($0)%" } + [notAfter.rawValue])
            )
            for row in rows {
                counts[row["goal"]] = (row["delivered"] ?? 0, row["opted_out"] ?? 0)
            }
            return counts
        }
    }

    /// Every joined outcome, messages and control decisions, oldest first: the model's training rows.
    public func trainingOutcomes(notAfter: Timestamp) throws -> [TrainingOutcome] {
        try store.read("read training outcomes") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_index, campaign, goal, mode, cluster, labels, window_index, goal_count,
                        goal_delay_seconds,
                        CASE WHEN mode = 'control' THEN sent_at_micros ELSE delivered_at_micros END AS reference
                    FROM message_log
                    WHERE outcome_joined_at_micros IS NOT NULL
                        AND ((status = 'delivered' AND delivered_at_micros <= ?)
                            OR (mode = 'control' AND sent_at_micros <= ?))
                    ORDER BY reference, id
                    """,
                arguments: [notAfter.rawValue, notAfter.rawValue]
            ).map { row in
                let mode: String? = row["mode"]
                return TrainingOutcome(
                    userIndex: row["user_index"],
                    campaign: row["campaign"],
                    goal: row["goal"] ?? "",
                    isMessage: mode != "control",
                    cluster: row["cluster"],
                    labels: Self.stringArray(row["labels"]),
                    windowIndex: row["window_index"],
                    goalCount: row["goal_count"] ?? 0,
                    firstDelaySeconds: row["goal_delay_seconds"],
                    referenceTime: Timestamp(rawValue: row["reference"])
                )
            }
        }
    }

    /// Records joined outcomes, in one transaction; `responded_at_micros` is the first goal's time.
    public func record(_ outcomes: [JoinedOutcome], joinedAt: Timestamp) throws {
        try store.write("record message outcomes") { db in
            let statement = try db.makeStatement(
                sql: """
                    UPDATE message_log SET goal_count = ?, goal_value = ?, goal_delay_seconds = ?,
                        responded_at_micros = CASE WHEN ? IS NULL THEN NULL ELSE delivered_at_micros + ? * 1000000 END,
                        outcome_joined_at_micros = ?
                    WHERE id = ?
                    """
            )
            for outcome in outcomes {
                try statement.execute(arguments: [
                    outcome.count, outcome.value, outcome.firstDelaySeconds, outcome.firstDelaySeconds,
                    outcome.firstDelaySeconds, joinedAt.rawValue, outcome.id,
                ])
            }
        }
    }

    /// The joined outcomes of `campaign`'s delivered messages: what a learning policy reads.
    public func outcomes(campaign: String) throws -> [LoggedOutcome] {
        try store.read("read message outcomes") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_index, campaign, cluster, labels, window_index, goal_count, propensity
                    FROM message_log
                    WHERE campaign = ? AND status = 'delivered' AND outcome_joined_at_micros IS NOT NULL
                    ORDER BY id
                    """,
                arguments: [campaign]
            ).map { row in
                LoggedOutcome(
                    userIndex: row["user_index"],
                    campaign: row["campaign"],
                    cluster: row["cluster"],
                    labels: Self.stringArray(row["labels"]),
                    windowIndex: row["window_index"],
                    goalCount: row["goal_count"] ?? 0,
                    propensity: row["propensity"]
                )
            }
        }
    }

    /// Decisions per mode and status, for summaries: `(mode, status, count)`.
    public func decisionCounts(runID: Int64? = nil) throws -> [(mode: String, status: String?, count: Int)] {
        try store.read("count decisions") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(mode, 'sent') AS mode, status, COUNT(*) AS n FROM message_log
                    WHERE ? IS NULL OR run_id = ? GROUP BY 1, 2 ORDER BY 1, 2
                    """,
                arguments: [runID, runID]
            ).map { ($0["mode"], $0["status"], $0["n"]) }
        }
    }

    /// `strings` as a JSON array, by hand: JSONEncoder cost about 10 µs a row, two rows a decision,
    /// which at a million decisions was seconds of an assignment run (tools/bench-assign).
    static func jsonArray(_ strings: [String]) -> String { JSONText.array(strings) }

    /// `values` as a JSON object with sorted keys (`{"tone=plain":0.5}`), or `nil` when empty.
    static func jsonObject(_ values: [String: Double]) -> String? {
        guard !values.isEmpty else { return nil }
        let members = values.keys.sorted().map { key in
            let value = values[key]!
            return JSONText.quoted(key) + ":" + (value.isFinite ? "\(value)" : "null")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func stringArray(_ json: String?) -> [String] {
        guard let json else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}

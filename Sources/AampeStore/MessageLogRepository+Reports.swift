public import AampeCore
internal import GRDB

/// One message-log row as the reports read it: every decision (message, control, skip) with its delivery
/// and joined outcome. Labels and items stay the JSON arrays the log stores, so a reader that groups by
/// them decodes each distinct array once instead of every row.
public struct ReportLogRow: Sendable {
    public var userIndex: Int
    public var campaign: String
    public var goal: String
    /// `preferential`, `conditioned`, `skipped`, `control`; `sent` for rows written before decisions
    /// were logged (migration 0005), which read as delivered sends.
    public var mode: String
    public var skipReason: String?
    public var cluster: Int?
    public var channel: String
    public var formula: String?
    /// `["set=label", …]` as stored; `nil` for none.
    public var labelsJSON: String?
    public var windowIndex: Int?
    /// The send window's start (a message) or the decision time (no message).
    public var sentAt: Timestamp
    /// The assignment run's reference time; the send window's start for rows without one.
    public var assignedAt: Timestamp
    /// `assigned`, `delivered`, `failed`, `dead`, `expired`; `nil` without a message.
    public var status: String?
    public var deliveredAt: Timestamp?
    /// The recommended items the message names, by external id, as stored; `nil` for none.
    public var itemsJSON: String?
    public var propensity: Double?
    /// Whether the outcome is joined: goal count and value below are known.
    public var hasOutcome: Bool
    public var goalCount: Int
    public var goalValue: Double
    /// The policy's probability of each label, as stored (`{"tone=plain":0.5}`); `nil` when unknown.
    public var labelPropensitiesJSON: String?
}

extension MessageLogRepository {
    /// Calls `body` with every logged decision whose `sent_at_micros` is before `before`, of `campaign`
    /// (all campaigns when `nil`), in id order. Rows stream from one read transaction, so a report over
    /// millions of decisions holds none of them twice. The scan is in rowid order (`NOT INDEXED`): through
    /// the `sent_at_micros` index SQLite sorted every row by id first, a temporary B-tree of the whole log.
    public func forEachReportRow(
        campaign: String?,
        before: Timestamp,
        _ body: (ReportLogRow) throws -> Void
    ) throws {
        try store.read("read the message log for a report") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT user_index, campaign, COALESCE(goal, ''), COALESCE(mode, 'sent'), skip_reason, cluster,
                        channel, formula, labels, window_index, sent_at_micros,
                        COALESCE(assigned_at_micros, sent_at_micros),
                        CASE WHEN mode IS NULL THEN 'delivered' ELSE status END,
                        CASE WHEN mode IS NULL THEN sent_at_micros ELSE delivered_at_micros END,
                        items, propensity, outcome_joined_at_micros IS NOT NULL OR responded_at_micros IS NOT NULL,
                        COALESCE(goal_count, responded_at_micros IS NOT NULL), COALESCE(goal_value, 0),
                        label_propensities
                    FROM message_log NOT INDEXED
                    WHERE sent_at_micros < ? AND (? IS NULL OR campaign = ?)
                    """,
                arguments: [before.rawValue, campaign, campaign]
            )
            while let row = try rows.next() {
                let delivered: Int64? = row[13]
                try body(
                    ReportLogRow(
                        userIndex: row[0],
                        campaign: row[1],
                        goal: row[2],
                        mode: row[3],
                        skipReason: row[4],
                        cluster: row[5],
                        channel: row[6],
                        formula: row[7],
                        labelsJSON: row[8],
                        windowIndex: row[9],
                        sentAt: Timestamp(rawValue: row[10]),
                        assignedAt: Timestamp(rawValue: row[11]),
                        status: row[12],
                        deliveredAt: delivered.map(Timestamp.init(rawValue:)),
                        itemsJSON: row[14],
                        propensity: row[15],
                        hasOutcome: row[16],
                        goalCount: row[17],
                        goalValue: row[18],
                        labelPropensitiesJSON: row[19]
                    )
                )
            }
        }
    }

    /// The first logged decision's `sent_at_micros` (of `campaign`, or of all), or `nil` for none: one
    /// lookup in the `sent_at_micros` index.
    public func firstDecisionTime(campaign: String?) throws -> Timestamp? {
        try store.read("read the first decision's time") { db in
            let micros = try Int64.fetchOne(
                db,
                sql: "SELECT MIN(sent_at_micros) FROM message_log WHERE ? IS NULL OR campaign = ?",
                arguments: [campaign, campaign]
            )
            return micros.map(Timestamp.init(rawValue:))
        }
    }
}

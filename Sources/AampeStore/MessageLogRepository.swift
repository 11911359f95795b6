public import AampeCore
internal import GRDB

/// One message in the message log, as the responsiveness estimate reads it.
public struct LoggedSend: Hashable, Sendable {
    /// The user's dense index.
    public var userIndex: Int
    /// When it was sent.
    public var sentAt: Timestamp
    /// When the user first responded (a goal or click within the attribution window), or `nil`.
    public var respondedAt: Timestamp?

    /// A send.
    public init(userIndex: Int, sentAt: Timestamp, respondedAt: Timestamp?) {
        self.userIndex = userIndex
        self.sentAt = sentAt
        self.respondedAt = respondedAt
    }
}

/// The message log (table `message_log`, migrations 0004 and 0005): one row per assignment decision.
///
/// Assignment writes a row for every message, control-group member and skipped user
/// (``LoggedDecision``); the daemon's ACKs are folded in as each message's `status` and
/// `delivered_at_micros`; the goal events after a delivery are joined in as its outcome. README → "The
/// message log" documents every column. Timing reads the delivered sends and their first response
/// (``sends(notAfter:)``); policies read outcomes (``outcomes(campaign:)``).
public struct MessageLogRepository: Sendable {
    let store: Store

    /// Records sends. Each user must be in the user dictionary.
    public func append(_ sends: [LoggedSend], campaign: String, channel: String, runID: Int64?) throws {
        try store.write("append to the message log") { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO message_log (run_id, user_index, campaign, channel, sent_at_micros, responded_at_micros)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            )
            for send in sends {
                try statement.execute(arguments: [
                    runID, send.userIndex, campaign, channel, send.sentAt.rawValue, send.respondedAt?.rawValue,
                ])
            }
        }
    }

    /// Every delivered send (and every row from before migration 0005, which logged sends only) at or
    /// before `notAfter`, by user then time; a send's time is its delivery when known. A response after `notAfter` is not yet
    /// known at that time, so it reads as none: what lets a past state be rebuilt.
    public func sends(notAfter: Timestamp) throws -> [LoggedSend] {
        try store.read("read the message log") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_index, COALESCE(delivered_at_micros, sent_at_micros) AS sent_at_micros,
                        responded_at_micros
                    FROM message_log
                    WHERE COALESCE(delivered_at_micros, sent_at_micros) <= ?
                      AND (mode IS NULL OR status = 'delivered')
                    ORDER BY user_index, 2
                    """,
                arguments: [notAfter.rawValue]
            ).map { row in
                let responded: Int64? = row["responded_at_micros"]
                return LoggedSend(
                    userIndex: row["user_index"],
                    sentAt: Timestamp(rawValue: row["sent_at_micros"]),
                    respondedAt: responded.flatMap { $0 <= notAfter.rawValue ? Timestamp(rawValue: $0) : nil }
                )
            }
        }
    }
}

extension Store {
    /// The message log.
    public var messageLog: MessageLogRepository { MessageLogRepository(store: self) }
}

extension MessageLogRepository {
    /// Records the settings of batch assignment run `runID` (JSON) as the newest (migration 0006).
    public func recordAssignmentSettings(runID: Int64, json: String) throws {
        try store.write("record the assignment settings") { db in
            try db.execute(
                sql: """
                    INSERT INTO assignment_settings (id, run_id, settings_json) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, settings_json = excluded.settings_json
                    """,
                arguments: [runID, json]
            )
        }
    }

    /// The newest batch assignment run's settings (JSON) and its run, or nil before the first.
    public func latestAssignmentSettings() throws -> (runID: Int64, json: String)? {
        try store.read("read the assignment settings") { db in
            try Row.fetchOne(db, sql: "SELECT run_id, settings_json FROM assignment_settings WHERE id = 1").map {
                (runID: $0["run_id"], json: $0["settings_json"])
            }
        }
    }
}

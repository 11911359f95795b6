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

/// The message log (table `message_log`, migration 0004): one row per message sent.
///
/// Columns: `user_index`, `campaign`, `channel`, `sent_at_micros`, and `responded_at_micros` (the
/// first goal or click after the send within the attribution window; NULL for none). Assignment writes
/// the rows and attribution fills the response; timing reads them.
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

    /// Every send at or before `notAfter`, by user then time. A response after `notAfter` is not yet
    /// known at that time, so it reads as none: what lets a past state be rebuilt.
    public func sends(notAfter: Timestamp) throws -> [LoggedSend] {
        try store.read("read the message log") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_index, sent_at_micros, responded_at_micros FROM message_log
                    WHERE sent_at_micros <= ? ORDER BY user_index, sent_at_micros
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

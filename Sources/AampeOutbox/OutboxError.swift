public import AampeCore

/// An error from the outbox: a request or setting outside its limits, a message list that describes no
/// valid outbox, or a journal that cannot be read back.
///
/// The description names fields, limits and byte offsets, never a consumer's reason text, so it is safe
/// to log.
public enum OutboxError: Error, Hashable, Sendable {
    /// A setting or request value is outside its allowed range (`maximumAttempts`, `leaseSeconds`,
    /// `maximum`, a consumer name or a reason's length).
    case outOfRange(field: String, value: Int, allowed: ClosedRange<Int>)
    /// A message's send window does not end after it starts.
    case invalidWindow(message: Int, windowStart: Timestamp, windowEnd: Timestamp)
    /// More messages than a `UInt32` index can name.
    case tooManyMessages(count: Int)
    /// The journal's file header is missing, damaged or of an unknown version.
    case invalidJournalHeader(String)
    /// The journal was written for an outbox with a different number of messages.
    case journalMessageCountMismatch(journal: Int, outbox: Int)
    /// A record before the end of the journal is damaged: its checksum, kind or fields are wrong.
    case corruptRecord(offset: Int, String)
    /// A record is intact but describes a change its message could not make from the state the records
    /// before it left (a lease of a delivered message, an ACK with the wrong token).
    case inconsistentRecord(offset: Int, message: Int, String)
    /// An outbox batch file is not what ``OutboxBatch`` wrote: another kind of segment, columns of
    /// different lengths, an unknown channel, a damaged string list.
    case invalidBatch(path: String, String)
    /// A file call failed.
    case file(FileIOError)
}

extension OutboxError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .outOfRange(let field, let value, let allowed):
            "\(field) is \(value); it must be \(allowed.lowerBound) ... \(allowed.upperBound)"
        case .invalidWindow(let message, let start, let end):
            "message \(message): send window \(start.iso8601Microseconds) ..< \(end.iso8601Microseconds) is empty"
        case .tooManyMessages(let count):
            "\(count) messages; an outbox holds at most \(UInt32.max)"
        case .invalidJournalHeader(let detail):
            "outbox journal header: \(detail)"
        case .journalMessageCountMismatch(let journal, let outbox):
            "the outbox journal is for \(journal) messages, but the outbox has \(outbox)"
        case .corruptRecord(let offset, let detail):
            "outbox journal: corrupt record at byte offset \(offset): \(detail)"
        case .inconsistentRecord(let offset, let message, let detail):
            "outbox journal: record at byte offset \(offset) for message \(message) is inconsistent: \(detail)"
        case .invalidBatch(let path, let detail):
            "\(path): \(detail)"
        case .file(let error):
            error.description
        }
    }
}

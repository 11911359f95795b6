/// What an import did with one input file.
public struct ImportFileSummary: Hashable, Sendable, Codable {
    /// The input file's path as given.
    public var path: String
    /// The format it was read as, and why.
    public var format: String
    /// Why that format was chosen (``FormatDetection/reason``).
    public var detection: String
    /// Records read (blank lines and a header row are not records).
    public var rowsRead: Int64 = 0
    /// Rows that became events, profiles or catalog items.
    public var accepted: Int64 = 0
    /// Rows dropped as duplicates of an accepted row.
    public var duplicates: Int64 = 0
    /// Rows rejected, in all and by reason.
    public var rejected: Int64 = 0
    /// Rejected rows by ``RejectReason`` raw value.
    public var rejectedByReason: [String: Int64] = [:]
    /// Segment `identify` calls applied to profiles during an events import.
    public var profileUpdates: Int64 = 0
    /// UTC days the accepted events fall on.
    public var days: Int = 0
    /// Why the file could not be read, or was read only in part; `nil` when it was read to the end.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case path, format, detection, accepted, duplicates, rejected, days, error
        case rowsRead = "rows_read"
        case rejectedByReason = "rejected_by_reason"
        case profileUpdates = "profile_updates"
    }

    /// An empty summary of the file at `path`.
    public init(path: String, format: String, detection: String) {
        self.path = path
        self.format = format
        self.detection = detection
    }

    mutating func reject(_ reason: RejectReason) {
        rejected += 1
        rejectedByReason[reason.rawValue, default: 0] += 1
    }
}

/// Totals over every file of an import run.
public struct ImportTotals: Hashable, Sendable, Codable {
    /// Input files tried, unreadable ones included.
    public var files: Int = 0
    /// Files that could not be read, or were read only in part.
    public var filesWithErrors: Int = 0
    /// Records read.
    public var rowsRead: Int64 = 0
    /// Rows that became events, profiles or catalog items.
    public var accepted: Int64 = 0
    /// Rows dropped as duplicates of an accepted row.
    public var duplicates: Int64 = 0
    /// Rows rejected.
    public var rejected: Int64 = 0
    /// Rejected rows by ``RejectReason`` raw value.
    public var rejectedByReason: [String: Int64] = [:]
    /// Segment `identify` calls applied to profiles.
    public var profileUpdates: Int64 = 0
    /// New entries in the user, item and event-type dictionaries.
    public var newUsers: Int64 = 0
    /// See ``newUsers``.
    public var newItems: Int64 = 0
    /// See ``newUsers``.
    public var newEventTypes: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case files, accepted, duplicates, rejected
        case filesWithErrors = "files_with_errors"
        case rowsRead = "rows_read"
        case rejectedByReason = "rejected_by_reason"
        case profileUpdates = "profile_updates"
        case newUsers = "new_users"
        case newItems = "new_items"
        case newEventTypes = "new_event_types"
    }

    /// All zero.
    public init() {}

    mutating func add(_ file: ImportFileSummary) {
        files += 1
        if file.error != nil { filesWithErrors += 1 }
        rowsRead += file.rowsRead
        accepted += file.accepted
        duplicates += file.duplicates
        rejected += file.rejected
        profileUpdates += file.profileUpdates
        for (reason, count) in file.rejectedByReason { rejectedByReason[reason, default: 0] += count }
    }

    /// Rejected rows as a share of rows read; 0 when nothing was read.
    public var rejectRate: Double { rowsRead == 0 ? 0 : Double(rejected) / Double(rowsRead) }
}

/// The outcome of one `aampectl import` run.
public struct ImportSummary: Hashable, Sendable, Codable {
    /// What was imported: `events`, `users` or `catalog`.
    public var subject: String
    /// The run's id in the `runs` table.
    public var runID: Int64
    /// One summary per input file, in the order read.
    public var files: [ImportFileSummary] = []
    /// The sums over ``files``.
    public var totals = ImportTotals()
    /// Where rejected rows went, or `nil` when there were none.
    public var quarantinePath: String?
    /// Segment files a killed earlier import left unlisted, removed before this run started.
    public var removedLeftovers: Int = 0
    /// Wall-clock seconds the run took.
    public var elapsedSeconds: Double = 0

    enum CodingKeys: String, CodingKey {
        case subject, files, totals
        case runID = "run_id"
        case quarantinePath = "quarantine_path"
        case removedLeftovers = "removed_leftovers"
        case elapsedSeconds = "elapsed_seconds"
    }

    /// An empty summary of run `runID`.
    public init(subject: String, runID: Int64) {
        self.subject = subject
        self.runID = runID
    }

    /// Whether nothing at all could be read: every path failed, or no file held a single record.
    public var isNothingReadable: Bool {
        totals.rowsRead == 0 && (files.isEmpty || files.allSatisfy { $0.error != nil })
    }
}

/// How far an import has come, for a progress bar.
public struct ImportProgress: Sendable {
    /// Bytes of input files read so far, and in all.
    public var bytesRead: Int64
    /// See ``bytesRead``; the sum of the readable inputs' sizes, measured at the start.
    public var totalBytes: Int64
    /// Records read so far.
    public var rowsRead: Int64
    /// The file being read.
    public var currentFile: String
}

public import AampeCore
internal import Foundation
internal import GRDB
internal import GRDBSQLite

/// The text columns of the message log that repeat from row to row, which report rows carry as codes.
public enum ReportTextColumn: Int, CaseIterable, Sendable {
    case campaign, goal, mode, channel, formula, skipReason, status, labels
}

/// The distinct texts of each ``ReportTextColumn`` met so far: a row's code `c` in column `k` is
/// `strings[k][c]`, and -1 is NULL. Codes are given in first-seen order.
///
/// Why codes: building a Swift `String` for each of ten text columns of every row, and hashing it again
/// to group by it, was most of the time reading a 4-million-row log (perf: UTF-8 validation, allocation and
/// hashing). A column's text is compared as bytes with the values it had in recent rows first, so a
/// value that repeats costs one `memcmp` and no allocation.
public struct ReportLogTexts: Sendable {
    public private(set) var strings: [[String]] = Array(repeating: [], count: ReportTextColumn.allCases.count)
    private var codes: [[String: Int32]] = Array(repeating: [:], count: ReportTextColumn.allCases.count)
    /// Per column, the codes of the most recently met values.
    private var recentCodes = [RecentValues<Int32>](repeating: RecentValues(), count: ReportTextColumn.allCases.count)
    /// For the two text columns whose values are mostly distinct (items, label propensities): the recent
    /// values' strings, without a dictionary that would hold millions of them.
    private var recentTexts = [RecentValues<String>](repeating: RecentValues(), count: 2)

    init() {}

    public subscript(column: ReportTextColumn, code: Int32) -> String? {
        code < 0 ? nil : strings[column.rawValue][Int(code)]
    }

    /// `bytes` as a string, reusing the string of a recent row with the same bytes.
    mutating func text(slot: Int, _ bytes: UnsafeRawBufferPointer) -> String {
        recentTexts[slot].value(for: bytes) { String(decoding: $0, as: UTF8.self) }
    }

    /// The code of `bytes` in `column`, given in first-seen order.
    mutating func code(_ column: ReportTextColumn, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        let k = column.rawValue
        return recentCodes[k].value(for: bytes) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            if let known = codes[k][text] { return known }
            let code = Int32(strings[k].count)
            strings[k].append(text)
            codes[k][text] = code
            return code
        }
    }
}

/// The values of the last few distinct byte strings met, newest first: a value that repeats from row to
/// row is found by one `memcmp`, and moves up a place each time it is met.
private struct RecentValues<Value: Sendable>: Sendable {
    private var entries: [(bytes: [UInt8], value: Value)] = []
    private static var capacity: Int { 8 }

    mutating func value(for bytes: UnsafeRawBufferPointer, make: (UnsafeRawBufferPointer) -> Value) -> Value {
        for (position, entry) in entries.enumerated() where entry.bytes.count == bytes.count {
            let isEqual = entry.bytes.withUnsafeBytes { stored in
                bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            guard isEqual else { continue }
            if position > 0 { entries.swapAt(position, position - 1) }
            return entry.value
        }
        let value = make(bytes)
        if entries.count == Self.capacity { entries.removeLast() }
        entries.insert((Array(bytes), value), at: 0)
        return value
    }
}

/// One message-log row as the reports read it: every decision (message, control, skip) with its delivery
/// and joined outcome. Text columns are codes into ``ReportLogTexts``.
public struct ReportLogRow: Sendable {
    public var userIndex: Int
    public var campaign: Int32
    public var goal: Int32
    /// `preferential`, `conditioned`, `skipped`, `control`; `sent` for rows written before decisions
    /// were logged (migration 0005), which read as delivered sends.
    public var mode: Int32
    public var skipReason: Int32
    public var cluster: Int?
    public var channel: Int32
    public var formula: Int32
    /// `["set=label", …]` as stored.
    public var labels: Int32
    public var windowIndex: Int?
    /// The send window's start (a message) or the decision time (no message).
    public var sentAt: Timestamp
    /// `assigned`, `delivered`, `failed`, `dead`, `expired`; NULL (-1) without a message.
    public var status: Int32
    public var deliveredAt: Timestamp?
    /// The recommended items the message names, by external id, as stored (a JSON array); `nil` for none.
    public var itemsJSON: String?
    /// Whether the outcome is joined: goal count and value below are known.
    public var hasOutcome: Bool
    public var goalCount: Int
    public var goalValue: Double
    /// The policy's probability of each label, as stored (`{"tone=plain":0.5}`); `nil` when unknown.
    public var labelPropensitiesJSON: String?
}

/// Reads the current row of the report query straight from SQLite's columns: GRDB's
/// `withUnsafeData` wraps every column in a `Data` (an allocation and a release, a fifth of the read in
/// perf on a 4-million-row log), and `Row`'s `String` decoding allocates and validates.
private struct ReportRowReader {
    let statement: SQLiteStatement
    var texts = ReportLogTexts()

    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(statement, index) == SQLITE_NULL }
    func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }
    func optionalInteger(_ index: Int32) -> Int64? { isNull(index) ? nil : integer(index) }

    func bytes(_ index: Int32) -> UnsafeRawBufferPointer? {
        guard !isNull(index) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, index))
        guard let pointer = sqlite3_column_text(statement, index), count > 0 else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: count)
    }

    mutating func code(_ index: Int32, _ column: ReportTextColumn) -> Int32 {
        guard let bytes = bytes(index) else { return -1 }
        return texts.code(column, bytes)
    }

    mutating func text(_ index: Int32, slot: Int) -> String? {
        guard let bytes = bytes(index) else { return nil }
        return texts.text(slot: slot, bytes)
    }

    mutating func row() -> ReportLogRow {
        ReportLogRow(
            userIndex: Int(integer(0)),
            campaign: code(1, .campaign),
            goal: code(2, .goal),
            mode: code(3, .mode),
            skipReason: code(4, .skipReason),
            cluster: optionalInteger(5).map { Int($0) },
            channel: code(6, .channel),
            formula: code(7, .formula),
            labels: code(8, .labels),
            windowIndex: optionalInteger(9).map { Int($0) },
            sentAt: Timestamp(rawValue: integer(10)),
            status: code(11, .status),
            deliveredAt: optionalInteger(12).map(Timestamp.init(rawValue:)),
            itemsJSON: text(13, slot: 0),
            hasOutcome: integer(14) != 0,
            goalCount: Int(integer(15)),
            goalValue: sqlite3_column_double(statement, 16),
            labelPropensitiesJSON: text(17, slot: 1)
        )
    }
}

extension MessageLogRepository {
    /// Calls `body` with every logged decision whose `sent_at_micros` is before `before`, of `campaign`
    /// (all campaigns when `nil`), in id order, and the texts its codes index. Rows stream from one read
    /// transaction, so a report over millions of decisions holds none of them twice. The scan is in rowid
    /// order (`NOT INDEXED`): through the `sent_at_micros` index SQLite sorted every row by id first, a
    /// temporary B-tree of the whole log.
    public func forEachReportRow(
        campaign: String?,
        before: Timestamp,
        _ body: (ReportLogRow, ReportLogTexts) throws -> Void
    ) throws {
        try store.read("read the message log for a report") { db in
            let statement = try db.makeStatement(
                sql: """
                    SELECT user_index, campaign, COALESCE(goal, ''), COALESCE(mode, 'sent'), skip_reason, cluster,
                        channel, formula, labels, window_index, sent_at_micros,
                        CASE WHEN mode IS NULL THEN 'delivered' ELSE status END,
                        CASE WHEN mode IS NULL THEN sent_at_micros ELSE delivered_at_micros END,
                        items, outcome_joined_at_micros IS NOT NULL OR responded_at_micros IS NOT NULL,
                        COALESCE(goal_count, responded_at_micros IS NOT NULL), COALESCE(goal_value, 0),
                        label_propensities
                    FROM message_log NOT INDEXED
                    WHERE sent_at_micros < ? AND (? IS NULL OR campaign = ?)
                    """
            )
            let rows = try Row.fetchCursor(statement, arguments: [before.rawValue, campaign, campaign])
            var reader = ReportRowReader(statement: statement.sqliteStatement)
            while try rows.next() != nil {
                try body(reader.row(), reader.texts)
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

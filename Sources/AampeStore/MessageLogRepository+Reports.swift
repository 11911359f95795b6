public import AampeCore
internal import Foundation
internal import GRDB

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
    /// Per column, the most recently met values' bytes and codes, newest first.
    private var recent: [[(bytes: [UInt8], code: Int32)]] = Array(
        repeating: [],
        count: ReportTextColumn.allCases.count
    )
    /// For the two text columns whose values are mostly distinct (items, label propensities): the recent
    /// values and their strings, without a dictionary that would hold millions of them.
    private var recentTexts: [[(bytes: [UInt8], text: String)]] = [[], []]
    private static let recentCount = 8

    init() {}

    /// `bytes` as a string, reusing the string of a recent row with the same bytes.
    mutating func text(slot: Int, _ bytes: UnsafeRawBufferPointer) -> String {
        for (position, entry) in recentTexts[slot].enumerated() where entry.bytes.count == bytes.count {
            let isEqual = entry.bytes.withUnsafeBytes { stored in
                bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            guard isEqual else { continue }
            if position > 0 { recentTexts[slot].swapAt(position, position - 1) }
            return entry.text
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if recentTexts[slot].count == Self.recentCount { recentTexts[slot].removeLast() }
        recentTexts[slot].insert((Array(bytes), text), at: 0)
        return text
    }

    public subscript(column: ReportTextColumn, code: Int32) -> String? {
        code < 0 ? nil : strings[column.rawValue][Int(code)]
    }

    mutating func code(_ column: ReportTextColumn, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        let k = column.rawValue
        for (position, entry) in recent[k].enumerated() where entry.bytes.count == bytes.count {
            let isEqual = entry.bytes.withUnsafeBytes { stored in
                bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            guard isEqual else { continue }
            if position > 0 { recent[k].swapAt(position, position - 1) }
            return entry.code
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let code: Int32
        if let known = codes[k][text] {
            code = known
        } else {
            code = Int32(strings[k].count)
            strings[k].append(text)
            codes[k][text] = code
        }
        if recent[k].count == Self.recentCount { recent[k].removeLast() }
        recent[k].insert((Array(bytes), code), at: 0)
        return code
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
    /// The assignment run's reference time; the send window's start for rows without one.
    public var assignedAt: Timestamp
    /// `assigned`, `delivered`, `failed`, `dead`, `expired`; NULL (-1) without a message.
    public var status: Int32
    public var deliveredAt: Timestamp?
    /// The recommended items the message names, by external id, as stored (a JSON array); `nil` for none.
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
            var texts = ReportLogTexts()
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
            func code(_ row: Row, _ index: Int, _ column: ReportTextColumn) throws -> Int32 {
                try row.withUnsafeData(atIndex: index) { data in
                    guard let data else { return -1 }
                    return data.withUnsafeBytes { texts.code(column, $0) }
                }
            }
            func text(_ row: Row, _ index: Int, slot: Int) throws -> String? {
                try row.withUnsafeData(atIndex: index) { data in
                    data.map { data in data.withUnsafeBytes { texts.text(slot: slot, $0) } }
                }
            }
            while let row = try rows.next() {
                let delivered: Int64? = row[13]
                let parsed = ReportLogRow(
                    userIndex: row[0],
                    campaign: try code(row, 1, .campaign),
                    goal: try code(row, 2, .goal),
                    mode: try code(row, 3, .mode),
                    skipReason: try code(row, 4, .skipReason),
                    cluster: row[5],
                    channel: try code(row, 6, .channel),
                    formula: try code(row, 7, .formula),
                    labels: try code(row, 8, .labels),
                    windowIndex: row[9],
                    sentAt: Timestamp(rawValue: row[10]),
                    assignedAt: Timestamp(rawValue: row[11]),
                    status: try code(row, 12, .status),
                    deliveredAt: delivered.map(Timestamp.init(rawValue:)),
                    itemsJSON: try text(row, 14, slot: 0),
                    propensity: row[15],
                    hasOutcome: row[16],
                    goalCount: row[17],
                    goalValue: row[18],
                    labelPropensitiesJSON: try text(row, 19, slot: 1)
                )
                try body(parsed, texts)
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

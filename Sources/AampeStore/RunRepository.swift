public import AampeCore
internal import Foundation
internal import GRDB

/// What kind of batch work a run was.
public enum RunKind: String, Sendable, Codable, CaseIterable {
    case `import`, train, evaluate, audience, assign, report
}

/// How a run ended, or that it has not.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// Started and not finished. A run left in this state by a killed process stays so; its
    /// `startedAt` tells how long ago that was.
    case running
    case succeeded
    case failed
}

/// Named counts a run reports: rows read, accepted, duplicates, rejected per reason, and so on.
///
/// Names keep their insertion order, which is the order reports print them in.
public struct RunCounters: Hashable, Sendable {
    /// The counters, in the order they were first set.
    public private(set) var entries: [(name: String, value: Int64)] = []

    /// No counters.
    public init() {}

    /// Counters from name and value pairs. A repeated name keeps its last value.
    public init(_ pairs: KeyValuePairs<String, Int64>) {
        for (name, value) in pairs { self[name] = value }
    }

    /// A counter's value, or `nil` when it was never set.
    public subscript(name: String) -> Int64? {
        get { entries.first { $0.name == name }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((name, newValue))
            }
        }
    }

    /// Equal when the same counters were set to the same values in the same order.
    public static func == (lhs: RunCounters, rhs: RunCounters) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the counters in order, agreeing with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.name)
            hasher.combine(entry.value)
        }
    }

    /// Throws unless the counters fit ``Limits/maximumRunCounters`` and
    /// ``Limits/maximumRunCounterNameBytes``.
    func validate() throws {
        if entries.count > Limits.maximumRunCounters {
            throw StoreError.invalidRunCounters(
                reason: "\(entries.count) counters; the limit is \(Limits.maximumRunCounters)"
            )
        }
        for entry in entries {
            if entry.name.isEmpty || entry.name.utf8.count > Limits.maximumRunCounterNameBytes {
                throw StoreError.invalidRunCounters(
                    reason: "a counter name is \(entry.name.utf8.count) bytes; names take 1 to "
                        + "\(Limits.maximumRunCounterNameBytes)"
                )
            }
        }
    }

    /// One counter as stored: the column holds a JSON array of these, which keeps the order.
    private struct StoredCounter: Codable {
        var name: String
        var value: Int64
    }

    /// The JSON stored in `runs.counters`: `[{"name":"read","value":10},...]`.
    var json: String {
        let stored = entries.map { StoredCounter(name: $0.name, value: $0.value) }
        // Encoding strings and integers cannot fail.
        return String(decoding: try! JSONEncoder().encode(stored), as: UTF8.self)
    }

    /// Parses what ``json`` wrote.
    init(json: String, runID: Int64) throws {
        guard let stored = try? JSONDecoder().decode([StoredCounter].self, from: Data(json.utf8)) else {
            throw StoreError.notAnAampeDatabase(path: "runs", reason: "run \(runID) has unreadable counters")
        }
        self.init()
        for counter in stored { self[counter.name] = counter.value }
    }
}

/// One run of batch work, as recorded in the `runs` table.
public struct Run: Hashable, Sendable {
    /// The run's id, increasing with start order.
    public var id: Int64
    /// What kind of work it was.
    public var kind: RunKind
    /// What it worked on, such as `events` for `import events` or `recommender` for `train recommender`.
    public var subject: String
    /// Where it stands.
    public var status: RunStatus
    /// When it started.
    public var startedAt: Timestamp
    /// When it finished, if it has.
    public var finishedAt: Timestamp?
    /// What it counted.
    public var counters: RunCounters
    /// Why it failed, cut to ``Limits/maximumRunErrorTextBytes``.
    public var error: String?
}

/// Reads and writes the history of runs.
public struct RunRepository: Sendable {
    let store: Store

    /// Records the start of a run and returns its id.
    public func begin(_ kind: RunKind, subject: String) throws -> Int64 {
        let now = store.clock()
        return try store.write("record run start") { db in
            try db.execute(
                sql: "INSERT INTO runs (kind, subject, status, started_at) VALUES (?, ?, 'running', ?)",
                arguments: [kind.rawValue, subject, now.rawValue]
            )
            return db.lastInsertedRowID
        }
    }

    /// Records that run `id` finished well, with its counters.
    public func succeed(_ id: Int64, counters: RunCounters = RunCounters()) throws {
        try finish(id, status: .succeeded, counters: counters, error: nil)
    }

    /// Records that run `id` failed, with its counters so far and the error's description. The text is
    /// cut to ``Limits/maximumRunErrorTextBytes``.
    public func fail(_ id: Int64, error: String, counters: RunCounters = RunCounters()) throws {
        try finish(id, status: .failed, counters: counters, error: Self.truncated(error))
    }

    private func finish(_ id: Int64, status: RunStatus, counters: RunCounters, error: String?) throws {
        try counters.validate()
        let now = store.clock()
        try store.write("record run end") { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, finished_at = ?, counters = ?, error = ?
                    WHERE id = ? AND status = 'running'
                    """,
                arguments: [status.rawValue, now.rawValue, counters.json, error, id]
            )
            if db.changesCount == 0 {
                let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [id]) ?? false
                throw exists ? StoreError.runAlreadyFinished(id: id) : StoreError.runNotFound(id: id)
            }
        }
    }

    /// The run with id `id`.
    public func run(_ id: Int64) throws -> Run {
        try store.read("read run") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                throw StoreError.runNotFound(id: id)
            }
            return try Self.run(from: row)
        }
    }

    /// The newest `limit` runs, newest first, optionally of one kind only.
    public func recent(limit: Int, kind: RunKind? = nil) throws -> [Run] {
        precondition(limit >= 0, "negative limit")
        return try store.read("read runs") { db in
            let rows: [Row]
            if let kind {
                rows = try Row.fetchAll(
                    db,
                    sql: "SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT ?",
                    arguments: [kind.rawValue, limit]
                )
            } else {
                rows = try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit])
            }
            return try rows.map(Self.run(from:))
        }
    }

    /// How many runs are in each status.
    public func countsByStatus() throws -> [RunStatus: Int] {
        try store.read("count runs") { db in
            var counts: [RunStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM runs GROUP BY status") {
                if let status = RunStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    private static func run(from row: Row) throws -> Run {
        let id: Int64 = row["id"]
        guard let kind = RunKind(rawValue: row["kind"]), let status = RunStatus(rawValue: row["status"]) else {
            throw StoreError.notAnAampeDatabase(path: "runs", reason: "run \(id) has an unknown kind or status")
        }
        let finishedAt: Int64? = row["finished_at"]
        return Run(
            id: id,
            kind: kind,
            subject: row["subject"],
            status: status,
            startedAt: Timestamp(rawValue: row["started_at"]),
            finishedAt: finishedAt.map(Timestamp.init(rawValue:)),
            counters: try RunCounters(json: row["counters"], runID: id),
            error: row["error"]
        )
    }

    /// `text` cut at a character boundary to fit the limit, with `…` marking a cut.
    static func truncated(_ text: String) -> String {
        let limit = Limits.maximumRunErrorTextBytes
        guard text.utf8.count > limit else { return text }
        let marker = "…"
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size + marker.utf8.count > limit { break }
            result.append(character)
            used += size
        }
        return result + marker
    }
}

extension Store {
    /// The history of import, training, assignment and report runs.
    public var runs: RunRepository { RunRepository(store: self) }
}

extension RunCounters {
    /// An assignment run's counter of candidates held back by caps and cadence, per campaign:
    /// `capped_<campaign>`. Written by assignment, read by `report messages`.
    public static let cappedPrefix = "capped_"
}

extension RunCounters {
    /// An assignment run's reference time (`--as-of`), in seconds since the epoch.
    public static let asOfSecondsName = "as_of_seconds"
}

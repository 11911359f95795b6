import AampeCore
import AampeEvents
import AampeIngest
import AampeStore
import AampeTestSupport
import Foundation
import Testing

/// The instant every test treats as "now": 2026-11-22T00:00:00Z. With the default one-day tolerance,
/// timestamps after 2026-11-23T00:00:00Z are in the future.
let fixtureNow = Timestamp(secondsSinceEpoch: 1_795_305_600)

/// 2026-11-01T12:00:00Z, the first event of most fixtures.
let t0 = Timestamp(secondsSinceEpoch: 1_793_534_400)

/// `t0` plus `seconds`.
func t0Plus(seconds: Double) -> Timestamp {
    t0.adding(microseconds: Int64((seconds * 1_000_000).rounded()))
}

/// The committed fixture files, under `Tests/AampeIngestTests/Fixtures/`.
enum Fixture {
    /// The absolute path of `relativePath` (such as `csv/clean.csv`) in the test bundle.
    static func path(_ relativePath: String) throws -> String {
        let root = try #require(
            Bundle.module.url(forResource: "Fixtures", withExtension: nil),
            "the Fixtures folder is not in the test bundle"
        )
        let path = root.appendingPathComponent(relativePath).path
        try #require(FileManager.default.fileExists(atPath: path), "no fixture \(relativePath)")
        return path
    }

    /// A copy of fixture `relativePath` in `folder`, with `extra` appended, for rows too large to commit.
    static func copy(_ relativePath: String, to folder: TemporaryFolder, appending extra: [UInt8]) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try path(relativePath))))
        bytes.append(contentsOf: extra)
        let target = folder.child((relativePath as NSString).lastPathComponent)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// One line of a quarantine file.
struct QuarantineEntry: Hashable, CustomStringConvertible {
    var file: String
    var line: Int64
    var reason: String
    var raw: String

    var description: String { "\((file as NSString).lastPathComponent):\(line) \(reason)" }
}

/// A line number and the reason a row there is rejected, as a test expects them.
struct ExpectedReject: Hashable, CustomStringConvertible {
    var line: Int64
    var reason: RejectReason

    init(_ line: Int64, _ reason: RejectReason) {
        self.line = line
        self.reason = reason
    }

    var description: String { "\(line) \(reason.rawValue)" }
}

/// A fresh, initialized data directory to import into.
final class ImportHarness {
    let folder: TemporaryFolder
    let directory: DataDirectory
    let store: Store

    init() throws {
        folder = try TemporaryFolder(prefix: "aampe-ingest")
        directory = DataDirectory(path: folder.child("data"))
        store = try directory.initialize().store
    }

    var events: EventStore { EventStore(dataDirectory: directory, store: store) }

    /// Options with `now` pinned to ``fixtureNow``.
    static func options(format: EventFormat = .auto) -> EventImportOptions {
        var options = EventImportOptions()
        options.format = format
        options.now = fixtureNow
        return options
    }

    /// Imports `paths` as events.
    func importEvents(_ paths: [String], options: EventImportOptions = ImportHarness.options()) throws -> ImportSummary
    {
        try EventImporter(events: events, options: options).run(paths: paths)
    }

    /// Imports `paths` as events in `format`, with any other options changed by `configure`.
    func importEvents(
        _ paths: [String],
        format: EventFormat,
        configure: (inout EventImportOptions) -> Void = { _ in }
    ) throws -> ImportSummary {
        var options = Self.options(format: format)
        configure(&options)
        return try importEvents(paths, options: options)
    }

    /// Imports `paths` as profiles or catalog items.
    func importAttributes(
        _ paths: [String],
        subject: AttributeImporter.Subject,
        options: AttributeImportOptions = AttributeImportOptions()
    ) throws -> ImportSummary {
        try AttributeImporter(events: events, subject: subject, options: options).run(paths: paths)
    }

    /// Every stored event, in manifest order (day, commit, row).
    func storedEvents() throws -> [StoredEvent] {
        var result: [StoredEvent] = []
        try events.forEachEvent { result.append($0) }
        return result
    }

    /// The entries of the run's quarantine file, in file order; empty when the run wrote none.
    func quarantine(of summary: ImportSummary) throws -> [QuarantineEntry] {
        let path = directory.quarantinePath + "/\(summary.runID).jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return QuarantineEntry(
                file: try #require(object["file"] as? String),
                line: try #require((object["line"] as? NSNumber)?.int64Value),
                reason: try #require(object["reason"] as? String),
                raw: object["raw"] as? String ?? ""
            )
        }
    }
}

/// The keys and values of a stored event's properties JSON, or an empty dictionary.
func properties(_ event: StoredEvent) throws -> [String: Any] {
    if event.propertiesJSON.isEmpty { return [:] }
    return try #require(try JSONSerialization.jsonObject(with: Data(event.propertiesJSON.utf8)) as? [String: Any])
}

/// A padding row longer than the 1 MiB record limit, ending in a line break.
func oversizedRow(isJSON: Bool) -> [UInt8] {
    let padding = String(repeating: "x", count: Limits.maximumImportRecordBytes + 16)
    let row =
        isJSON
        ? "{\"user_id\":\"u9\",\"event\":\"view\",\"timestamp\":\"2026-11-01T12:00:00Z\",\"pad\":\"\(padding)\"}\n"
        : "u9,\(padding)\n"
    return Array(row.utf8)
}

/// Thrown from an exit test's child process when what it imported differs from what was expected.
struct ChildProcessMismatch: Error, CustomStringConvertible {
    var description: String
}

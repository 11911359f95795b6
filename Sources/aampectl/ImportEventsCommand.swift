import AampeCore
import AampeEvents
import AampeIngest
import AampeJobs
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl import events PATH...`
struct ImportEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Import app events: clean, deduplicate, and store them as event segments by day.",
        discussion: """
            Reads .csv, .tsv, .jsonl/.ndjson and .json arrays, each also as .zst, from files or folders \
            (recursively, in name order). Formats: csv and json (canonical names user_id, event, timestamp, \
            item_id, value, event_id), segment, mixpanel, amplitude, personalize. Rejected rows go to \
            quarantine/<run-id>.jsonl with their file, line and reason. Importing the same data twice adds \
            nothing.

            MovieLens u.data (1997-98): --format csv --delimiter tab --columns user_id,item_id,value,timestamp --default-event rating --oldest-accepted 1990-01-01
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var output: ImportOutputOptions

    @Option(help: ArgumentHelp("auto, csv, json, segment, mixpanel, amplitude or personalize.", valueName: "format"))
    var format: String = "auto"

    @Option(
        help: ArgumentHelp(
            "Column names of a delimited file without a header row, comma-separated.",
            valueName: "names"
        )
    )
    var columns: String?

    @Option(
        name: .customLong("map"),
        help: ArgumentHelp(
            "Where a canonical field comes from: canonical=column (or a dotted JSON path). Repeatable.",
            valueName: "canonical=source"
        )
    )
    var mappings: [String] = []

    @Option(help: ArgumentHelp("Event name for layouts without an event column.", valueName: "name"))
    var defaultEvent = "interaction"

    @Option(
        help: ArgumentHelp("Events with the same key this many days apart or closer are duplicates.", valueName: "days")
    )
    var dedupeHorizonDays: Int64 = 7

    @Option(help: ArgumentHelp("Seconds past now a timestamp may lie before it is rejected.", valueName: "seconds"))
    var futureToleranceSeconds: Int64 = 86_400

    @Option(
        help: ArgumentHelp(
            "The oldest event time accepted (a date such as 1990-01-01, an ISO-8601 time, or Unix time); older rows are rejected as timestamp_too_old. Historic data sets need an earlier one.",
            valueName: "time"
        )
    )
    var oldestAccepted = "2000-01-01"

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        guard EventFormat(rawValue: format) != nil else {
            throw ValidationError(
                "--format must be one of \(EventFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        _ = try mapping()
        guard (0...3650).contains(dedupeHorizonDays) else {
            throw ValidationError("--dedupe-horizon-days must be 0 to 3650")
        }
        guard futureToleranceSeconds >= 0 else {
            throw ValidationError("--future-tolerance-seconds must not be negative")
        }
        _ = try oldestAcceptedTime()
        let name = defaultEvent.utf8.count
        guard name > 0, name <= Limits.maximumEventNameBytes else {
            throw ValidationError("--default-event must be 1 to \(Limits.maximumEventNameBytes) bytes")
        }
    }

    /// `--oldest-accepted` as a time, from 1970-01-01 (``Limits/earliestSettableEventTimestampMicros``) to now.
    func oldestAcceptedTime() throws -> Timestamp {
        let earliest = Timestamp(rawValue: Limits.earliestSettableEventTimestampMicros)
        guard let time = Array(oldestAccepted.utf8).withUnsafeBytes({ TimestampParsing.parse($0) }) else {
            throw ValidationError(
                "--oldest-accepted \(oldestAccepted): expected a date (1990-01-01), an ISO-8601 time or Unix time"
            )
        }
        guard time >= earliest, time <= .now() else {
            throw ValidationError("--oldest-accepted \(oldestAccepted) must be from \(earliest) to now")
        }
        return time
    }

    func mapping() throws -> [CanonicalField: String] {
        var result: [CanonicalField: String] = [:]
        for entry in mappings {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, let field = CanonicalField(rawValue: parts[0]) else {
                throw ValidationError(
                    "--map \(entry): expected canonical=source with canonical one of "
                        + CanonicalField.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            result[field] = parts[1]
        }
        return result
    }

    func run() async throws {
        let directory = dataDirectory.dataDirectory
        let store = try directory.openStore()
        var options = EventImportOptions()
        options.format = EventFormat(rawValue: format) ?? .auto
        options.delimiter = try output.delimiterByte()
        options.columns = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        options.mapping = try mapping()
        options.encoding = output.textEncoding
        options.defaultEventName = defaultEvent
        options.dedupeHorizonDays = dedupeHorizonDays
        options.futureToleranceSeconds = futureToleranceSeconds
        options.oldestAccepted = try oldestAcceptedTime()
        let bar = output.noProgress ? nil : ProgressBar.onTerminal()
        var progress: (@Sendable (ImportProgress) -> Void)?
        if let bar { progress = { bar.update($0) } }
        let importer = EventImporter(
            events: EventStore(dataDirectory: directory, store: store),
            options: options,
            progress: progress
        )
        let summary = try importer.run(paths: paths)
        bar?.finish()
        // The new events may complete the attribution windows of delivered messages: join their outcomes
        // into the message log now, so the next training and assignment learn from them.
        let sync = try MessageLogSync.run(directory: directory, store: store)
        if sync.outcomesJoined > 0 || sync.statusesChanged > 0 {
            FileHandle.standardError.write(
                Data(
                    "message log: \(ImportReport.grouped(Int64(sync.statusesChanged))) delivery statuses folded in, \(ImportReport.grouped(Int64(sync.outcomesJoined))) outcomes joined (\(ImportReport.grouped(Int64(sync.outcomesWithGoal))) with the goal)\n"
                        .utf8
                )
            )
        }
        if let tooOld = summary.totals.rejectedByReason[RejectReason.timestampTooOld.rawValue], tooOld > 0 {
            // Say which setting accepts them: a historic data set is rejected whole otherwise.
            FileHandle.standardError.write(
                Data(
                    "aampectl: \(ImportReport.grouped(tooOld)) rows are older than --oldest-accepted \(options.oldestAccepted) (timestamp_too_old); give an earlier --oldest-accepted, such as 1990-01-01, to accept them\n"
                        .utf8
                )
            )
        }
        try output.finish(summary)
    }
}

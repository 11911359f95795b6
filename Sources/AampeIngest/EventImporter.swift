import AampeCore
public import AampeEvents
import AampeSegments
import AampeStore
import Dispatch
import Foundation
import Synchronization

/// `aampectl import events`: reads input files in any supported layout, cleans and deduplicates their
/// rows, and commits each file's events as segment files under `events/<day>/`.
///
/// Per file, the pipeline is: frame records (CSV scanner, JSON lines, JSON array) → check UTF-8 → map
/// the layout's fields → clean (``RejectReason``) → intern ids → dedupe (``FingerprintSet``) → append to
/// the day's ``EventBatch``. Full batches are written as segment parts on a second thread while reading
/// goes on. At the end of the file, the parts are listed in the manifest together with the file's new
/// dictionary entries in one transaction: a file's events become visible all at once, and a killed
/// import leaves nothing visible of the file it was reading.
///
/// Make an importer for one ``run(paths:)`` and call it from one thread; the importer itself is not
/// `Sendable`. The run holds the data directory's import lock (a second import fails at once with
/// ``ImportError/importInProgress(lockPath:)``), first removes segment files a killed import left
/// unlisted, and records itself in the run history. The caller's thread interns, dedupes and commits;
/// delimited text is parsed on a thread of its own, and at most two segment writes run at a time on a
/// dispatch queue. `progress` is called on the caller's thread. Readers (training, the daemon,
/// `aampectl events`) may run meanwhile: they see every committed file whole and nothing of the one
/// being read.
public final class EventImporter {
    let events: EventStore
    let options: EventImportOptions
    let progress: (@Sendable (ImportProgress) -> Void)?

    private let users = ByteInterner(seed: 0x75_7365_7273)
    private let items = ByteInterner(seed: 0x6974_656d_73)
    private let eventTypes = ByteInterner(seed: 0x65_7665_6e74)
    private var committedUsers = 0
    private var committedItems = 0
    private var committedEventTypes = 0
    private var fingerprints: FingerprintSet!
    private var storedSegments: [Int64: [EventSegmentRecord]] = [:]

    private var batches: [Int64: EventBatch] = [:]
    private var partCounts: [Int64: Int] = [:]
    private var flusher: SegmentFlusher!
    private var quarantine: Quarantine!
    private var profileUpserts: [ProfileUpsert] = []

    private let arena = ByteArena()
    private var fingerprintScratch: [UInt8] = []
    private var summary = ImportFileSummary(path: "", format: "", detection: "")
    private var runID: Int64 = 0
    private var fileSequence = 0
    private var defaultEventIndex: UInt32?
    private let cleaner: EventCleaner

    // Progress.
    private var totalBytes: Int64 = 0
    private var bytesBeforeFile: Int64 = 0
    private var rowsBeforeFile: Int64 = 0
    private var lastProgressRows: Int64 = 0

    /// An importer for the data directory behind `events`.
    public init(events: EventStore, options: EventImportOptions, progress: (@Sendable (ImportProgress) -> Void)? = nil)
    {
        self.events = events
        self.options = options
        self.progress = progress
        cleaner = EventCleaner(options: options)
    }

    /// Imports `paths` (files or folders) and returns what happened to every file.
    ///
    /// Throws only for problems with the data directory itself (the lock, SQLite, writing segments); a
    /// file that cannot be read is reported in its summary and the others are still imported.
    public func run(paths: [String]) throws -> ImportSummary {
        let started = Date()
        let lock = try ImportLock(dataDirectory: events.dataDirectory)
        defer { withExtendedLifetime(lock) {} }
        let removed = try events.removeUnlisted()
        try loadDictionaries()
        runID = try events.store.runs.begin(.import, subject: "events")
        var result = ImportSummary(subject: "events", runID: runID)
        result.removedLeftovers = removed
        quarantine = Quarantine(path: events.dataDirectory.quarantinePath + "/\(runID).jsonl")
        flusher = SegmentFlusher()
        let startUsers = users.count
        let startItems = items.count
        let startTypes = eventTypes.count
        do {
            let inputs = InputPaths.expand(paths)
            totalBytes = inputs.reduce(0) { $0 + ($1.error == nil ? InputPaths.size($1.path) : 0) }
            for input in inputs {
                var file: ImportFileSummary
                if let error = input.error {
                    file = ImportFileSummary(path: input.path, format: "-", detection: "-")
                    file.error = error
                } else {
                    file = try importFile(input.path)
                }
                result.files.append(file)
                result.totals.add(file)
                bytesBeforeFile += InputPaths.size(input.path)
            }
            try quarantine.flush(sync: true)
        } catch {
            flusher.abandon()
            do {
                try events.store.runs.fail(runID, error: "\(error)", counters: Self.counters(result.totals))
            } catch let recordError {
                throw ImportError.unrecordedFailure(error: "\(error)", recordError: "\(recordError)")
            }
            throw error
        }
        result.totals.newUsers = Int64(users.count - startUsers)
        result.totals.newItems = Int64(items.count - startItems)
        result.totals.newEventTypes = Int64(eventTypes.count - startTypes)
        result.quarantinePath = quarantine.count > 0 ? quarantine.path : nil
        result.elapsedSeconds = Date().timeIntervalSince(started)
        try events.store.runs.succeed(runID, counters: Self.counters(result.totals))
        return result
    }

    static func counters(_ totals: ImportTotals) -> RunCounters {
        var counters = RunCounters()
        counters["files"] = Int64(totals.files)
        counters["files_with_errors"] = Int64(totals.filesWithErrors)
        counters["rows_read"] = totals.rowsRead
        counters["accepted"] = totals.accepted
        counters["duplicates"] = totals.duplicates
        counters["rejected"] = totals.rejected
        for (reason, count) in totals.rejectedByReason.sorted(by: { $0.key < $1.key }) {
            counters["rejected." + reason] = count
        }
        if totals.profileUpdates > 0 { counters["profile_updates"] = totals.profileUpdates }
        counters["new_users"] = totals.newUsers
        counters["new_items"] = totals.newItems
        counters["new_event_types"] = totals.newEventTypes
        return counters
    }

    private func loadDictionaries() throws {
        let keys = try events.store.ingestion.keyDictionaries()
        for key in keys.userIDs { users.insertNew(key) }
        for key in keys.itemIDs { items.insertNew(key) }
        for key in keys.eventTypes { eventTypes.insertNew(key) }
        committedUsers = users.count
        committedItems = items.count
        committedEventTypes = eventTypes.count
        for segment in try events.store.ingestion.eventSegments() {
            storedSegments[segment.utcDay, default: []].append(segment)
        }
        let stored = storedSegments
        let events = self.events
        fingerprints = FingerprintSet(horizonDays: options.dedupeHorizonDays) { day in
            guard let segments = stored[day] else { return [] }
            return try events.fingerprints(day: day, segments: segments)
        }
    }

    // MARK: One file

    private func importFile(_ path: String) throws -> ImportFileSummary {
        fileSequence += 1
        rowsBeforeFile += summary.rowsRead
        let reader: InputReader
        do {
            reader = try InputReader(path: path)
        } catch {
            var failed = ImportFileSummary(path: path, format: "-", detection: "-")
            failed.error = error.description
            return failed
        }
        do {
            try reader.fill()
        } catch {
            var failed = ImportFileSummary(path: path, format: "-", detection: "-")
            failed.error = error.description
            return failed
        }
        let detection: FormatDetection
        do {
            detection = try FormatDetector.detect(
                path: path,
                firstBytes: UnsafeRawBufferPointer(rebasing: reader.available.prefix(64 * 1024)),
                requested: options.format,
                delimiter: options.delimiter,
                hasExplicitColumns: options.columns != nil
            )
        } catch {
            var failed = ImportFileSummary(path: path, format: "-", detection: "-")
            failed.error = error.description
            return failed
        }
        summary = ImportFileSummary(path: path, format: detection.format.rawValue, detection: detection.reason)
        defaultEventIndex = nil
        var readError: ImportError?
        do {
            switch detection.framing {
            case .delimited: try readDelimited(reader, detection: detection)
            case .jsonLines: try readJSONLines(reader, format: detection.format)
            case .jsonArray: try readJSONArray(reader, format: detection.format)
            }
        } catch {
            // The rows read before the damage are good; they are committed, and the file is marked.
            readError = error
        }
        summary.error = readError?.description
        try commitFile(path: path, format: detection.format, fileBytes: reader.fileBytes)
        reportProgress(reader, force: true)
        return summary
    }

    private func commitFile(path: String, format: EventFormat, fileBytes: Int64) throws {
        for day in batches.keys.sorted() { flushBatch(day: day) }
        batches.removeAll(keepingCapacity: true)
        let segments = try flusher.drain()
        // The file's segments are on disk and fsynced, not yet listed: a crash here must leave them
        // invisible, and the next import must delete them.
        Failpoint.reach("import.segments-written")
        summary.days = Set(segments.map(\.utcDay)).count
        var commit = IngestionCommit()
        commit.firstNewUserIndex = committedUsers
        commit.newUserIDs = ArraySlice((committedUsers..<users.count).map { users.string(at: $0) })
        commit.firstNewItemIndex = committedItems
        commit.newItemIDs = ArraySlice((committedItems..<items.count).map { items.string(at: $0) })
        commit.firstNewEventTypeIndex = committedEventTypes
        commit.newEventTypes = ArraySlice((committedEventTypes..<eventTypes.count).map { eventTypes.string(at: $0) })
        commit.source = EventSourceRecord(
            runID: runID,
            path: path,
            format: format.rawValue,
            fileBytes: fileBytes,
            rowsRead: summary.rowsRead,
            accepted: summary.accepted,
            duplicates: summary.duplicates,
            rejected: summary.rejected,
            segments: segments.sorted { ($0.utcDay, $0.path) < ($1.utcDay, $1.path) }
        )
        commit.profiles = profileUpserts
        // Rejects first: once the events are visible, the explanation of what was left out must be too.
        try quarantine.flush(sync: true)
        try events.store.ingestion.commit(commit)
        // The file is committed and later files are not: a crash here must keep exactly this file.
        Failpoint.reach("import.file-committed")
        profileUpserts.removeAll()
        committedUsers = users.count
        committedItems = items.count
        committedEventTypes = eventTypes.count
    }

    private func flushBatch(day: Int64) {
        guard let batch = batches[day], batch.count > 0 else { return }
        let part = partCounts[day, default: 0]
        partCounts[day] = part + 1
        let relative = EventStore.dayFolder(day) + "/r\(runID)-f\(fileSequence)-p\(part).seg"
        let folder = events.dataDirectory.eventsPath + "/" + EventStore.dayFolder(day)
        flusher.submit(batch, folder: folder, path: events.absolutePath(relative), relativePath: relative)
        var fresh = EventBatch(day: day)
        fresh.reserve(min(batch.count * 2, Limits.importRowsPerSegmentPart))
        batches[day] = fresh
    }

    private func reportProgress(_ reader: InputReader, force: Bool = false) {
        guard let progress else { return }
        if !force && summary.rowsRead - lastProgressRows < 65_536 { return }
        lastProgressRows = summary.rowsRead
        progress(
            ImportProgress(
                bytesRead: bytesBeforeFile + reader.fileBytesRead,
                totalBytes: totalBytes,
                rowsRead: rowsBeforeFile + summary.rowsRead,
                currentFile: summary.path
            )
        )
    }

    // MARK: Rejects

    private func reject(_ reason: RejectReason, line: Int64, raw: UnsafeRawBufferPointer, detail: String? = nil) {
        summary.reject(reason)
        quarantine.write(file: summary.path, line: line, reason: reason, detail: detail, raw: raw)
    }

    // MARK: Cleaning, interning, dedupe

    typealias Fields = EventFields

    /// Cleans, dedupes and stores one event.
    @inline(__always)
    private func accept(_ fields: Fields, line: Int64, raw: UnsafeRawBufferPointer) {
        switch cleaner.clean(fields, scratch: &fingerprintScratch) {
        case .failure(let rejected):
            reject(rejected.reason, line: line, raw: raw, detail: rejected.detail)
        case .success(let cleaned):
            store(
                cleaned,
                user: fields.user!,
                event: fields.event,
                item: fields.item,
                properties: fields.properties,
                line: line,
                raw: raw
            )
        }
    }

    /// Interns, dedupes and appends a cleaned event: the part of an import that needs the dictionaries
    /// and the dedupe index, and so runs on one thread.
    @inline(__always)
    private func store(
        _ cleaned: EventCleaner.Cleaned,
        user: UnsafeRawBufferPointer,
        event: UnsafeRawBufferPointer?,
        item itemBytes: UnsafeRawBufferPointer?,
        properties: UnsafeRawBufferPointer?,
        line: Int64,
        raw: UnsafeRawBufferPointer
    ) {
        // The event type: the record's, or the default for layouts without one.
        guard let eventType = event.map(internEventType) ?? (defaultEventIndex ?? defaultEventType()) else {
            return reject(
                .tooManyEventTypes,
                line: line,
                raw: raw,
                detail: "the data directory already has \(Limits.maximumEventTypes) event names"
            )
        }
        var item = EventColumn.noItem
        if let itemBytes, !itemBytes.isEmpty { item = UInt32(items.insert(itemBytes).index) }
        let day = Timestamp(rawValue: cleaned.timestamp).utcDay
        let fingerprint = FingerprintSet.fingerprint(high: cleaned.hashHigh, low: cleaned.hashLow, day: day)
        do {
            try fingerprints.prepare(day: day)
        } catch {
            // A stored segment that cannot be read is a data-directory problem, not this row's: report it
            // as the file's error and keep the row (it cannot be checked against that day).
            summary.error = "dedupe: \(error)"
        }
        if fingerprints.containsWithinHorizon(fingerprint) {
            summary.duplicates += 1
            return
        }
        fingerprints.insert(fingerprint)
        let userIndex = UInt32(users.insert(user).index)
        let isFull = batches[day, default: EventBatch(day: day)].append(
            timestamp: cleaned.timestamp,
            user: userIndex,
            eventType: eventType,
            item: item,
            value: cleaned.value,
            fingerprint: fingerprint,
            line: line,
            properties: properties
        )
        summary.accepted += 1
        if isFull { flushBatch(day: day) }
    }

    private func internEventType(_ name: UnsafeRawBufferPointer) -> UInt32? {
        if let index = eventTypes.find(name) { return UInt32(index) }
        guard eventTypes.count < Limits.maximumEventTypes else { return nil }
        return UInt32(eventTypes.insert(name).index)
    }

    private func defaultEventType() -> UInt32? {
        let index = cleaner.defaultEventName.withUnsafeBytes { internEventType($0) }
        defaultEventIndex = index
        return index
    }

    // MARK: Delimited text

    private func readDelimited(_ reader: InputReader, detection: FormatDetection) throws(ImportError) {
        let records = DelimitedRecords(reader: reader, delimiter: detection.delimiter ?? UInt8(ascii: ","))
        var header: [String]
        if let columns = options.columns {
            header = columns
        } else {
            switch try records.next() {
            case .record(let bytes, _, _):
                header = (0..<records.scanner.fields.count).map { index in
                    TextDecoding.string(records.field(index, in: bytes), encoding: options.encoding)
                }
                if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0].removeFirst() }
            case .malformed(_, _, let reason):
                throw .unrecognizedFormat(path: summary.path, reason: "the header row is malformed: \(reason)")
            case .tooLong:
                throw .unrecognizedFormat(
                    path: summary.path,
                    reason: "the header row is longer than \(Limits.maximumImportRecordBytes) bytes"
                )
            case nil:
                header = []
            }
        }
        let layout = try TabularLayout(
            header: header,
            format: detection.format,
            mapping: options.mapping,
            path: summary.path
        )
        // Framing, decoding and cleaning run on a parser thread; interning, dedupe and storing here.
        let parser = DelimitedParser(
            records: records,
            layout: layout,
            cleaner: cleaner,
            isLatin1: options.encoding == .latin1
        )
        let queue = ParsedBatchQueue()
        let thread = Thread { parser.run(into: queue) }
        thread.stackSize = 1 << 20
        thread.start()
        while let batch = queue.take() {
            summary.rowsRead += batch.rowsRead
            batch.bytes.withUnsafeBytes { bytes in
                for row in batch.rows {
                    if row.reject >= 0 {
                        let rejected = batch.rejects[Int(row.reject)]
                        let raw = batch.view(bytes, rejected.rawStart, rejected.rawCount)!
                        reject(rejected.reason, line: row.line, raw: raw, detail: rejected.detail)
                        continue
                    }
                    let user = batch.view(bytes, row.userStart, row.userCount)!
                    store(
                        row.cleaned,
                        user: user,
                        event: batch.view(bytes, row.eventStart, row.eventCount),
                        item: batch.view(bytes, row.itemStart, row.itemCount),
                        properties: batch.view(bytes, row.propertiesStart, row.propertiesCount),
                        line: row.line,
                        raw: batch.view(bytes, row.rawStart, row.rawCount)!
                    )
                }
            }
            if let progress {
                progress(
                    ImportProgress(
                        bytesRead: bytesBeforeFile + batch.fileBytesRead,
                        totalBytes: totalBytes,
                        rowsRead: rowsBeforeFile + summary.rowsRead,
                        currentFile: summary.path
                    )
                )
            }
        }
        if let error = queue.error { throw error }
    }

    // MARK: JSON

    private func readJSONLines(_ reader: InputReader, format: EventFormat) throws(ImportError) {
        var layout = JSONLayout.of(format)
        layout.apply(options.mapping)
        var scanner = JSONScanner()
        let lines = JSONLines(reader: reader)
        while let next = try lines.next() {
            summary.rowsRead += 1
            switch next {
            case .tooLong(let record, let line):
                reject(
                    .lineTooLong,
                    line: line,
                    raw: record,
                    detail: "the line is longer than \(Limits.maximumImportRecordBytes) bytes"
                )
            case .line(let record, let line):
                acceptJSON(record, scanner: &scanner, layout: layout, format: format, line: line)
                reportProgress(reader)
            }
        }
    }

    private func readJSONArray(_ reader: InputReader, format: EventFormat) throws(ImportError) {
        var layout = JSONLayout.of(format)
        layout.apply(options.mapping)
        var scanner = JSONScanner()
        var line: Int64 = 1
        var isClosed = false
        func skipWhitespace() throws(ImportError) {
            while true {
                let bytes = reader.available
                if bytes.isEmpty {
                    if try !reader.fill() { return }
                    continue
                }
                var index = 0
                while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) {
                    if bytes[index] == 0x0A { line += 1 }
                    index += 1
                }
                reader.consume(index)
                if index < bytes.count { return }
            }
        }
        try skipWhitespace()
        if reader.available.first == 0xEF { reader.consume(min(3, reader.available.count)) }  // a UTF-8 byte-order mark
        guard reader.available.first == UInt8(ascii: "[") else {
            throw .unrecognizedFormat(path: summary.path, reason: "a JSON array file must start with '['")
        }
        reader.consume(1)
        while !isClosed {
            try skipWhitespace()
            var bytes = reader.available
            if bytes.first == UInt8(ascii: "]") {
                isClosed = true
                reader.consume(1)
                break
            }
            if bytes.isEmpty { break }
            // Parse one element; read more while it is incomplete.
            var length = 0
            while true {
                do {
                    length = try scanner.parsePrefix(bytes)
                    break
                } catch {
                    if error.reason == "incomplete" && !reader.isEndOfInput
                        && bytes.count <= Limits.maximumImportRecordBytes
                    {
                        try reader.fill()
                        bytes = reader.available
                        continue
                    }
                    summary.rowsRead += 1
                    let shown = UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 1024)])
                    reject(
                        error.reason == "incomplete" && bytes.count > Limits.maximumImportRecordBytes
                            ? .lineTooLong : .malformedJSON,
                        line: line,
                        raw: shown,
                        detail: "\(error.reason) at byte \(error.offset) of the element"
                    )
                    // The array cannot be resynchronized reliably after a syntax error.
                    throw .unrecognizedFormat(
                        path: summary.path,
                        reason: "the JSON array is malformed at line \(line); elements before it were imported"
                    )
                }
            }
            let element = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
            summary.rowsRead += 1
            let elementLine = line
            line += Int64(element.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
            if !UTF8Validation.isValid(element) {
                reject(.invalidUTF8, line: elementLine, raw: element)
            } else {
                acceptParsedJSON(element, scanner: scanner, layout: layout, format: format, line: elementLine)
            }
            reader.consume(length)
            reportProgress(reader)
            try skipWhitespace()
            if reader.available.first == UInt8(ascii: ",") { reader.consume(1) }
        }
        if !isClosed {
            throw .unrecognizedFormat(path: summary.path, reason: "the JSON array is not closed with ']'")
        }
    }

    private func acceptJSON(
        _ record: UnsafeRawBufferPointer,
        scanner: inout JSONScanner,
        layout: JSONLayout,
        format: EventFormat,
        line: Int64
    ) {
        guard UTF8Validation.isValid(record) else { return reject(.invalidUTF8, line: line, raw: record) }
        do {
            try scanner.parse(record)
        } catch {
            return reject(
                .malformedJSON,
                line: line,
                raw: record,
                detail: (error.reason == "incomplete" ? "the line ends inside a value" : error.reason)
                    + " at byte \(error.offset)"
            )
        }
        acceptParsedJSON(record, scanner: scanner, layout: layout, format: format, line: line)
    }

    private func acceptParsedJSON(
        _ record: UnsafeRawBufferPointer,
        scanner: JSONScanner,
        layout: JSONLayout,
        format: EventFormat,
        line: Int64
    ) {
        guard scanner.topKind == .object else {
            return reject(.malformedJSON, line: line, raw: record, detail: "the record is not a JSON object")
        }
        arena.reset()
        var fields = Fields()
        if format == .segment {
            let type = scanner.member("type").map { scanner.text($0, arena: arena) }
            let typeName = type.map { String(decoding: $0, as: UTF8.self) } ?? "track"
            switch typeName {
            case "track": break
            case "page", "screen":
                fields.event = type
            case "identify":
                return acceptIdentify(record, scanner: scanner, layout: layout, line: line)
            default:
                return reject(
                    .unsupportedCall,
                    line: line,
                    raw: record,
                    detail: "Segment \(typeName) calls carry no event"
                )
            }
        }
        fields.user = firstText(scanner, layout.user)
        if fields.event == nil {
            fields.event = firstText(scanner, layout.event) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        }
        fields.timestamp = firstText(scanner, layout.timestamp)
        fields.item = firstText(scanner, layout.item)
        if let value = firstMember(scanner, layout.value) {
            switch scanner.members[value].kind {
            case .number, .string: fields.value = scanner.text(value, arena: arena)
            case .null: break
            default: fields.isValueNotANumber = true
            }
        }
        fields.key = firstText(scanner, layout.key)
        if let properties = firstMember(scanner, layout.properties), scanner.members[properties].kind == .object {
            fields.properties = scanner.rawValue(properties)
        }
        accept(fields, line: line, raw: record)
    }

    /// Segment `identify`: the traits update the user's profile, committed with the file.
    private func acceptIdentify(_ record: UnsafeRawBufferPointer, scanner: JSONScanner, layout: JSONLayout, line: Int64)
    {
        guard let user = firstText(scanner, layout.user), !user.isEmpty else {
            return reject(.missingUserID, line: line, raw: record)
        }
        guard user.count <= Limits.maximumExternalIDBytes else { return reject(.idTooLong, line: line, raw: record) }
        var attributes: [String: String] = [:]
        if let traits = scanner.member("traits"), scanner.members[traits].kind == .object {
            attributes = ProfileFields.flatten(scanner, parent: traits)
        }
        switch ProfileFields.upsert(from: attributes, idKey: nil) {
        case .failure(let failure):
            reject(failure.reason, line: line, raw: record, detail: failure.detail)
        case .success(var upsert):
            upsert.userIndex = UserIndex(users.insert(user).index)
            profileUpserts.append(upsert)
            summary.profileUpdates += 1
        }
    }

    private func firstMember(_ scanner: JSONScanner, _ paths: [[String]]) -> Int? {
        for path in paths {
            var parent = -1
            var found: Int?
            for (depth, key) in path.enumerated() {
                var key = key
                guard let member = key.withUTF8({ scanner.member(UnsafeRawBufferPointer($0), parent: parent) }) else {
                    found = nil
                    break
                }
                if depth < path.count - 1 && scanner.members[member].kind != .object {
                    found = nil
                    break
                }
                parent = member
                found = member
            }
            if let found, scanner.members[found].kind != .null { return found }
        }
        return nil
    }

    /// The first path's value that is present, not null and not empty, as text.
    private func firstText(_ scanner: JSONScanner, _ paths: [[String]]) -> UnsafeRawBufferPointer? {
        for path in paths {
            guard let member = firstMember(scanner, [path]) else { continue }
            switch scanner.members[member].kind {
            case .string, .number:
                let text = scanner.text(member, arena: arena)
                if !text.isEmpty { return text }
            case .true, .false:
                return scanner.rawValue(member)
            default: continue
            }
        }
        return nil
    }
}

/// Writes full event batches as segment parts on other threads, so that compression overlaps parsing.
/// At most two batches are in flight at a time, which bounds the memory they hold. Two may be written at
/// once: at the end of a file every day's last batch is flushed together, and a serial writer would
/// leave a core idle for that tail (tools/bench-import).
final class SegmentFlusher: @unchecked Sendable {
    // @unchecked: `written` and `failure` are only touched under `lock`; the queue, group and semaphore
    // are thread-safe, and the configuration is immutable.
    private let queue = DispatchQueue(label: "aampe.import.flush", attributes: .concurrent)
    private let group = DispatchGroup()
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var written: [EventSegmentRecord] = []
    private var failure: (any Error)?
    private let configuration: SegmentWriterConfiguration = {
        var configuration = SegmentWriterConfiguration()
        // Event columns compress about as well at level 1 as at 3, and twice as fast; the import is
        // bound by this step on a 2-core machine.
        configuration.compressionLevel = 1
        return configuration
    }()

    func submit(_ batch: EventBatch, folder: String, path: String, relativePath: String) {
        slots.wait()
        let configuration = self.configuration
        queue.async(group: group) { [self] in
            defer { slots.signal() }
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let record = try batch.write(to: path, relativePath: relativePath, configuration: configuration)
                lock.withLock { written.append(record) }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits for every submitted batch and returns the segments written since the last drain.
    func drain() throws -> [EventSegmentRecord] {
        group.wait()
        return try lock.withLock {
            if let failure { throw failure }
            defer { written.removeAll() }
            return written
        }
    }

    /// Waits for outstanding writes after a failure; their files stay unlisted and are removed by the
    /// next import.
    func abandon() {
        group.wait()
    }
}

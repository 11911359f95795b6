import AampeCore
import Foundation

/// Rows of delimited text that a ``DelimitedParser`` has framed, decoded and cleaned, handed to the
/// importer's storing thread. The bytes of each row's ids, event name and properties are copied into
/// ``bytes``, so the parser may move on in its input window.
final class ParsedBatch: @unchecked Sendable {
    // @unchecked: a batch belongs to the parser thread until it is put on the queue, then to the
    // storing thread; the queue's lock orders the two.

    /// One row: either cleaned (`reject` is nil) or rejected. Byte ranges index ``bytes``; an event
    /// range with a negative start means "no event column".
    struct Row {
        var line: Int64
        var cleaned: EventCleaner.Cleaned
        var userStart: Int32
        var userCount: Int32
        var eventStart: Int32
        var eventCount: Int32
        var itemStart: Int32
        var itemCount: Int32
        var propertiesStart: Int32
        var propertiesCount: Int32
        /// The record as read, for the quarantine should the storing thread reject it.
        var rawStart: Int32
        var rawCount: Int32
        /// Index into ``rejects``, or -1.
        var reject: Int32
    }

    struct Reject {
        var reason: RejectReason
        var detail: String?
        /// The raw record's range in ``bytes``.
        var rawStart: Int32
        var rawCount: Int32
    }

    var bytes: [UInt8] = []
    var rows: [Row] = []
    var rejects: [Reject] = []
    /// Records read in this batch (blank lines are not records).
    var rowsRead: Int64 = 0
    /// File bytes the reader had read when the batch was handed over, for progress.
    var fileBytesRead: Int64 = 0

    static let rowsPerBatch = 8_192

    init() {
        bytes.reserveCapacity(Self.rowsPerBatch * 64)
        rows.reserveCapacity(Self.rowsPerBatch)
    }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer?) -> (start: Int32, count: Int32) {
        guard let source else { return (-1, 0) }
        let start = bytes.count
        bytes.append(contentsOf: source)
        return (Int32(start), Int32(source.count))
    }

    @inline(__always)
    func view(_ base: UnsafeRawBufferPointer, _ start: Int32, _ count: Int32) -> UnsafeRawBufferPointer? {
        start < 0 ? nil : UnsafeRawBufferPointer(rebasing: base[Int(start)..<Int(start + count)])
    }
}

/// A bounded queue of batches from the parser thread to the storing thread. Two batches in flight keep
/// both threads busy and bound the memory they hold.
final class ParsedBatchQueue: @unchecked Sendable {
    // @unchecked: every field is guarded by `condition`. `error` is also read without it, but only once
    // `take()` has returned nil: `close` wrote it under the lock before that, and nothing writes it again.
    private let condition = NSCondition()
    private var batches: [ParsedBatch] = []
    private var isClosed = false
    private(set) var error: ImportError?
    private let capacity = 2

    func put(_ batch: ParsedBatch) {
        condition.lock()
        while batches.count >= capacity { condition.wait() }
        batches.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// Marks the end of input, with the error that ended it early, if any.
    func close(error: ImportError?) {
        condition.lock()
        isClosed = true
        self.error = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or `nil` once the parser has closed the queue and every batch was taken.
    func take() -> ParsedBatch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !isClosed { condition.wait() }
        if batches.isEmpty { return nil }
        let batch = batches.removeFirst()
        condition.broadcast()
        return batch
    }
}

/// Frames, decodes and cleans the records of a delimited file on its own thread: the CSV scan, UTF-8
/// checks, Latin-1 conversion, field mapping, timestamp and value parsing, the properties object and the
/// dedupe hash. What needs shared state (dictionaries, dedupe index) stays on the importer's thread.
/// Splitting the work this way is what lets an import use a second core for CSV (tools/bench-import).
final class DelimitedParser: @unchecked Sendable {
    // @unchecked: the parser and its reader are used by the parser thread only, from `run` until it
    // closes the queue.
    private let records: DelimitedRecords
    private let layout: TabularLayout
    private let cleaner: EventCleaner
    private let isLatin1: Bool
    private let arena = ByteArena()
    private var scratch: [UInt8] = []
    /// Checks a `properties` column's JSON object.
    private var propertiesScanner = JSONScanner()

    init(records: DelimitedRecords, layout: TabularLayout, cleaner: EventCleaner, isLatin1: Bool) {
        self.records = records
        self.layout = layout
        self.cleaner = cleaner
        self.isLatin1 = isLatin1
    }

    func run(into queue: ParsedBatchQueue) {
        var batch = ParsedBatch()
        func handOver() {
            batch.fileBytesRead = records.reader.fileBytesRead
            queue.put(batch)
            batch = ParsedBatch()
        }
        do {
            while let next = try records.next() {
                if batch.rows.count >= ParsedBatch.rowsPerBatch { handOver() }
                batch.rowsRead += 1
                switch next {
                case .record(let bytes, let raw, let line):
                    if !isLatin1 && !UTF8Validation.isValid(raw) {
                        reject(.invalidUTF8, detail: nil, raw: raw, line: line, into: batch)
                        continue
                    }
                    let fieldCount = records.scanner.fields.count
                    guard fieldCount == layout.columnCount else {
                        reject(
                            .malformedCSV,
                            detail: "\(fieldCount) fields where the header has \(layout.columnCount)",
                            raw: raw,
                            line: line,
                            into: batch
                        )
                        continue
                    }
                    parse(bytes, raw: raw, line: line, into: batch)
                case .malformed(let raw, let line, let reason):
                    reject(.malformedCSV, detail: reason, raw: raw, line: line, into: batch)
                case .tooLong(let raw, let line):
                    reject(
                        .lineTooLong,
                        detail: "the record is longer than \(Limits.maximumImportRecordBytes) bytes",
                        raw: raw,
                        line: line,
                        into: batch
                    )
                }
            }
            handOver()
            queue.close(error: nil)
        } catch {
            handOver()
            queue.close(error: error)
        }
    }

    @inline(__always)
    private func parse(
        _ bytes: UnsafeRawBufferPointer,
        raw: UnsafeRawBufferPointer,
        line: Int64,
        into batch: ParsedBatch
    ) {
        arena.reset()
        let records = self.records
        let isLatin1 = self.isLatin1
        let arena = self.arena
        @inline(__always) func text(_ column: Int?) -> UnsafeRawBufferPointer? {
            guard let column else { return nil }
            let field = records.field(column, in: bytes)
            return isLatin1 ? arena.append { UTF8Validation.appendLatin1(field, to: &$0) } : field
        }
        var fields = EventFields()
        fields.user = text(layout.user)
        fields.event = layout.event == nil ? nil : text(layout.event)
        fields.timestamp = text(layout.timestamp)
        fields.item = text(layout.item)
        fields.value = text(layout.value)
        fields.key = text(layout.key)
        if !layout.extraColumns.isEmpty || layout.properties != nil {
            let layout = self.layout
            fields.properties = arena.append { output in
                layout.appendProperties(to: &output, scanner: &propertiesScanner) { column in text(column) }
            }
        }
        switch cleaner.clean(fields, scratch: &scratch) {
        case .failure(let rejected):
            reject(rejected.reason, detail: rejected.detail, raw: raw, line: line, into: batch)
        case .success(let cleaned):
            let user = batch.append(fields.user)
            let event = batch.append(fields.event)
            let item = batch.append(fields.item.flatMap { $0.isEmpty ? nil : $0 })
            let properties = batch.append(fields.properties.flatMap { $0.isEmpty ? nil : $0 })
            let record = batch.append(raw)
            batch.rows.append(
                ParsedBatch.Row(
                    line: line,
                    cleaned: cleaned,
                    userStart: user.start,
                    userCount: user.count,
                    eventStart: event.start,
                    eventCount: event.count,
                    itemStart: item.start,
                    itemCount: item.count,
                    propertiesStart: properties.start,
                    propertiesCount: properties.count,
                    rawStart: record.start,
                    rawCount: record.count,
                    reject: -1
                )
            )
        }
    }

    private func reject(
        _ reason: RejectReason,
        detail: String?,
        raw: UnsafeRawBufferPointer,
        line: Int64,
        into batch: ParsedBatch
    ) {
        let range = batch.append(raw)
        batch.rejects.append(
            ParsedBatch.Reject(reason: reason, detail: detail, rawStart: range.start, rawCount: range.count)
        )
        batch.rows.append(
            ParsedBatch.Row(
                line: line,
                cleaned: EventCleaner.Cleaned(timestamp: 0, value: 0, hashHigh: 0, hashLow: 0),
                userStart: -1,
                userCount: 0,
                eventStart: -1,
                eventCount: 0,
                itemStart: -1,
                itemCount: 0,
                propertiesStart: -1,
                propertiesCount: 0,
                rawStart: range.start,
                rawCount: range.count,
                reject: Int32(batch.rejects.count - 1)
            )
        )
    }
}

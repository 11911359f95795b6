import AampeCore

/// The records of a delimited file, one per ``next()``: the refill, resynchronization, line counting and
/// blank-line skipping every delimited reader needs (events, profiles, catalog, header rows).
///
/// Views a record hands out stay valid until the next call.
final class DelimitedRecords {
    enum Next {
        /// A record; its fields are in ``scanner`` against `bytes`.
        case record(bytes: UnsafeRawBufferPointer, raw: UnsafeRawBufferPointer, line: Int64)
        /// A record that breaks the quoting rules.
        case malformed(raw: UnsafeRawBufferPointer, line: Int64, reason: String)
        /// A record over ``Limits/maximumImportRecordBytes``.
        case tooLong(raw: UnsafeRawBufferPointer, line: Int64)
    }

    let reader: InputReader
    private(set) var scanner: CSVScanner
    /// The line the next record starts on.
    private(set) var line: Int64
    private var pendingBytes = 0
    private var pendingNewlines = 0
    private var isSkippingRestOfLine = false

    init(reader: InputReader, delimiter: UInt8, firstLine: Int64 = 1) {
        self.reader = reader
        self.scanner = CSVScanner(delimiter: delimiter, maximumRecordBytes: Limits.maximumImportRecordBytes)
        self.line = firstLine
    }

    /// The bytes of field `index` of the last record.
    @inline(__always)
    func field(_ index: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        scanner.field(index, in: bytes)
    }

    /// The next record, or `nil` at the end of the input.
    func next() throws(ImportError) -> Next? {
        reader.consume(pendingBytes)
        line += Int64(pendingNewlines)
        pendingBytes = 0
        pendingNewlines = 0
        while true {
            let bytes = reader.available
            if bytes.isEmpty {
                if try !reader.fill() { return nil }
                continue
            }
            if isSkippingRestOfLine {
                if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                    reader.consume(newline + 1)
                    line += 1
                    isSkippingRestOfLine = false
                } else {
                    reader.consume(bytes.count)
                }
                continue
            }
            let outcome = scanner.scan(bytes, isEndOfInput: reader.isEndOfInput)
            let length: Int
            let newlines: Int
            switch outcome {
            case .needMore:
                try reader.fill()
                continue
            case .record(let recordLength, let recordNewlines):
                // A blank line is not a record.
                if scanner.fields.count == 1 && scanner.field(0, in: bytes).isEmpty {
                    reader.consume(recordLength)
                    line += Int64(recordNewlines)
                    continue
                }
                (length, newlines) = (recordLength, recordNewlines)
            case .malformed(let recordLength, let recordNewlines, _), .tooLong(let recordLength, let recordNewlines):
                (length, newlines) = (recordLength, recordNewlines)
                // A too-long record without a line break in reach: drop the rest of its line too. (Its
                // line breaks so far may have been inside quotes, so `newlines` cannot tell.)
                if case .tooLong = outcome, bytes[length - 1] != UInt8(ascii: "\n") { isSkippingRestOfLine = true }
            }
            pendingBytes = length
            pendingNewlines = newlines
            let raw = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
            switch outcome {
            case .malformed(_, _, let reason): return .malformed(raw: raw, line: line, reason: reason)
            case .tooLong: return .tooLong(raw: raw, line: line)
            default: return .record(bytes: bytes, raw: raw, line: line)
            }
        }
    }
}

/// The lines of a JSON-lines file, one per ``next()``, without their line breaks; blank lines are
/// skipped and a line over ``Limits/maximumImportRecordBytes`` is reported once (its first megabyte)
/// and skipped to its end.
final class JSONLines {
    enum Next {
        case line(UnsafeRawBufferPointer, line: Int64)
        case tooLong(UnsafeRawBufferPointer, line: Int64)
    }

    let reader: InputReader
    private var line: Int64 = 0
    private var pendingBytes = 0
    private var isSkippingRestOfLine = false

    init(reader: InputReader) {
        self.reader = reader
    }

    func next() throws(ImportError) -> Next? {
        let limit = Limits.maximumImportRecordBytes
        reader.consume(pendingBytes)
        pendingBytes = 0
        while true {
            let bytes = reader.available
            if bytes.isEmpty {
                if try !reader.fill() { return nil }
                continue
            }
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? (reader.isEndOfInput ? bytes.count : nil)
            else {
                if bytes.count > limit {
                    // No line break within the window: report the line once and drop it as it streams by.
                    reader.consume(bytes.count)
                    if !isSkippingRestOfLine {
                        isSkippingRestOfLine = true
                        return .tooLong(UnsafeRawBufferPointer(rebasing: bytes[0..<limit]), line: line + 1)
                    }
                    continue
                }
                try reader.fill()
                continue
            }
            let record = UnsafeRawBufferPointer(rebasing: bytes[0..<newline])
            line += 1
            if isSkippingRestOfLine {
                reader.consume(min(newline + 1, bytes.count))
                isSkippingRestOfLine = false
                continue
            }
            if record.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) {
                reader.consume(min(newline + 1, bytes.count))
                continue
            }
            pendingBytes = min(newline + 1, bytes.count)
            return record.count > limit ? .tooLong(record, line: line) : .line(record, line: line)
        }
    }
}

import AampeCore
import Foundation

/// Reads profile and catalog files as records of named text attributes: a delimited file's rows under
/// its header, or a JSON file's objects (one per line, or one array) flattened to `a.b` names.
///
/// Profiles and catalogs are thousands to millions of rows, not billions, so this path trades the event
/// reader's zero-copy fields for `String`s that the typed-field checks can use directly.
struct AttributeRecordReader {
    enum Record {
        case attributes([String: String], header: [String])
        case reject(RejectReason, detail: String?)
    }

    let encoding: TextEncoding
    let delimiter: UInt8?

    /// Calls `body` with each record of `reader`, its line and its raw bytes. Returns the detection.
    func read(
        _ reader: InputReader,
        path: String,
        body: (Record, Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws -> FormatDetection {
        try reader.fill()
        let first = UnsafeRawBufferPointer(rebasing: reader.available.prefix(64 * 1024))
        var name = path.lowercased()
        if name.hasSuffix(".zst") { name.removeLast(4) }
        let firstByte = first.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        let isJSON =
            name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json")
            || (!name.hasSuffix(".csv") && !name.hasSuffix(".tsv")
                && (firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")))
        if isJSON {
            try readJSON(reader, path: path, isArray: firstByte == UInt8(ascii: "["), body: body)
            return FormatDetection(
                format: .json,
                framing: firstByte == UInt8(ascii: "[") ? .jsonArray : .jsonLines,
                delimiter: nil,
                reason: "JSON objects"
            )
        }
        let detection = try FormatDetector.detect(
            path: path,
            firstBytes: first,
            requested: .csv,
            delimiter: delimiter,
            hasExplicitColumns: false
        )
        try readDelimited(reader, path: path, delimiter: detection.delimiter ?? UInt8(ascii: ","), body: body)
        return detection
    }

    private func readDelimited(
        _ reader: InputReader,
        path: String,
        delimiter: UInt8,
        body: (Record, Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let records = DelimitedRecords(reader: reader, delimiter: delimiter)
        var header: [String]?
        while let next = try records.next() {
            switch next {
            case .record(let bytes, let raw, let line):
                if encoding == .utf8 && !UTF8Validation.isValid(raw) {
                    if header == nil {
                        throw ImportError.unrecognizedFormat(
                            path: path,
                            reason: "the header row is not UTF-8 (try --encoding latin1)"
                        )
                    }
                    try body(.reject(.invalidUTF8, detail: nil), line, raw)
                    continue
                }
                let values = (0..<records.scanner.fields.count).map {
                    TextDecoding.string(records.field($0, in: bytes), encoding: encoding)
                }
                guard let columns = header else {
                    var names = values.map { $0.trimmingCharacters(in: .whitespaces) }
                    if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0].removeFirst() }
                    header = names
                    continue
                }
                guard values.count == columns.count else {
                    try body(
                        .reject(.malformedCSV, detail: "\(values.count) fields where the header has \(columns.count)"),
                        line,
                        raw
                    )
                    continue
                }
                var attributes: [String: String] = [:]
                for (column, value) in zip(columns, values) { attributes[column] = value }
                try body(.attributes(attributes, header: columns), line, raw)
            case .malformed(let raw, let line, let reason):
                try body(.reject(.malformedCSV, detail: reason), line, raw)
            case .tooLong(let raw, let line):
                try body(.reject(.lineTooLong, detail: nil), line, UnsafeRawBufferPointer(rebasing: raw.prefix(1024)))
            }
        }
    }

    private func readJSON(
        _ reader: InputReader,
        path: String,
        isArray: Bool,
        body: (Record, Int64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var scanner = JSONScanner()
        if isArray {
            // Profile and catalog arrays are read whole (within the record limit per element, 4096
            // elements per megabyte); a JSON array has no lines to resynchronize on anyway.
            var all: [UInt8] = []
            while true {
                all.append(contentsOf: reader.available)
                reader.consume(reader.available.count)
                if try !reader.fill() { break }
            }
            try all.withUnsafeBytes { bytes in
                do {
                    try scanner.parse(bytes)
                } catch let error as JSONScanner.SyntaxError {
                    throw ImportError.unrecognizedFormat(
                        path: path,
                        reason: "not a valid JSON array: \(error.reason) at byte \(error.offset)"
                    )
                }
                guard scanner.topKind == .array else {
                    throw ImportError.unrecognizedFormat(path: path, reason: "not a JSON array")
                }
                // Re-parse element by element, so each gets its own members and line.
                var offset = 1
                var line: Int64 = 1
                var element = JSONScanner()
                while offset < bytes.count {
                    while offset < bytes.count, [0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ",")].contains(bytes[offset]) {
                        if bytes[offset] == 0x0A { line += 1 }
                        offset += 1
                    }
                    if offset >= bytes.count || bytes[offset] == UInt8(ascii: "]") { break }
                    let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                    let length = (try? element.parsePrefix(rest)) ?? rest.count
                    let raw = UnsafeRawBufferPointer(rebasing: rest[0..<length])
                    try body(record(element), line, raw)
                    line += Int64(raw.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
                    offset += length
                }
            }
            return
        }
        let lines = JSONLines(reader: reader)
        while let next = try lines.next() {
            switch next {
            case .tooLong(let raw, let line):
                try body(.reject(.lineTooLong, detail: nil), line, UnsafeRawBufferPointer(rebasing: raw.prefix(1024)))
            case .line(let raw, let line):
                guard UTF8Validation.isValid(raw) else {
                    try body(.reject(.invalidUTF8, detail: nil), line, raw)
                    continue
                }
                do {
                    try scanner.parse(raw)
                } catch {
                    try body(.reject(.malformedJSON, detail: "\(error.reason) at byte \(error.offset)"), line, raw)
                    continue
                }
                try body(record(scanner), line, raw)
            }
        }
    }

    private func record(_ scanner: JSONScanner) -> Record {
        guard scanner.topKind == .object else {
            return .reject(.malformedJSON, detail: "the record is not a JSON object")
        }
        // Segment `identify`: the id is `userId`, the attributes are the traits.
        var attributes = ProfileFields.flatten(scanner, parent: -1)
        if attributes["type"] == "identify" {
            var traits: [String: String] = [:]
            for (key, value) in attributes where key.hasPrefix("traits.") { traits[String(key.dropFirst(7))] = value }
            if let user = attributes["userId"] { traits["userId"] = user }
            attributes = traits
        }
        return .attributes(attributes, header: scanner.keys())
    }
}

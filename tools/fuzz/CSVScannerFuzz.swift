// A libFuzzer target for the delimited-text scanner (Sources/AampeIngest/CSVScanner.swift). Built and
// run by `tools/fuzz-parsers csv`, which compiles the scanner's file into this target: the scanner is
// internal to AampeIngest, and this way the fuzzer needs neither @testable nor AampeIngest's database.
//
// The first byte of an input chooses the settings, the rest is the text:
//
//   bits 0-1  the delimiter: comma, tab, semicolon, pipe
//   bit 2     the record limit: Limits.maximumImportRecordBytes, or (when set) 64 + 8 * (byte >> 3)
//             bytes, small enough for the fuzzer's inputs to cross it
//
// The text is scanned as `DelimitedRecords` scans a file, twice: with all of it in view, and with the
// view growing by random amounts each time the scanner asks for more, as `InputReader` refills. For
// every answer the target checks that:
//
// - it consumes at least one byte and no more than it was shown, and never asks for more at the end;
// - its line count is the number of line feeds in the bytes it consumed (reject reports cite lines);
// - a record's text (its terminator aside) is within the record limit, it has between 1 and
//   Limits.maximumImportFields fields, and each field lies inside the record, after the one before it,
//   and holds no delimiter or line feed unless it was quoted (unescaped into scratch, or in place);
// - a record's fields, written out again with RFC 4180 quoting, scan back to the same fields;
// - both scans give the same answers, so buffer boundaries never change what a file means. An answer
//   that stops inside its line (a runaway line, cut where the view ended) must be "too long"; both
//   scans then skip the rest of the line, as DelimitedRecords does, and compare it as if the whole line
//   had been in view: only a line longer than twice the limit may be called malformed in one scan and
//   too long in the other.

import AampeCore

private let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: ";"), UInt8(ascii: "|")]
private let lineFeed = UInt8(ascii: "\n")
private let quote = UInt8(ascii: "\"")
private let carriageReturn = UInt8(ascii: "\r")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let settings = data[0]
    let delimiter = delimiters[Int(settings & 3)]
    let limit = settings & 4 == 0 ? Limits.maximumImportRecordBytes : 64 + 8 * Int(settings >> 3)
    let text = UnsafeRawBufferPointer(start: data + 1, count: size - 1)

    let whole = scanAll(text, delimiter: delimiter, limit: limit, random: nil)
    var random = SplitMix(seed: fnv1a(text))
    let streamed = scanAll(text, delimiter: delimiter, limit: limit, random: &random)
    check(whole.count == streamed.count, "\(whole.count) answers in one view, \(streamed.count) streamed")
    for (one, other) in zip(whole, streamed) {
        check(one == other, "answers differ between one view and streaming: \(one) vs \(other)")
    }
    return 0
}

/// What the target compares between the two scans.
private struct Answer: Equatable, CustomStringConvertible {
    enum Kind { case record, malformed, tooLong }
    var kind: Kind
    var length: Int
    var newlines: Int
    var fields: [[UInt8]] = []
    /// Twice the record limit: a line longer than this is too long, whatever else is wrong with it,
    /// where the scanner cannot see its end (streaming); seen whole, it may be called malformed.
    var reach: Int

    static func == (one: Answer, other: Answer) -> Bool {
        one.length == other.length && one.newlines == other.newlines && one.fields == other.fields
            && (one.kind == other.kind || (one.kind != .record && other.kind != .record && one.length > one.reach))
    }

    var description: String { "\(kind)(length: \(length), newlines: \(newlines), fields: \(fields.count))" }
}

/// Scans `text` to its end. With `random`, the view starts small and grows by random amounts on
/// `.needMore`; without it, the view is the rest of the text.
private func scanAll(
    _ text: UnsafeRawBufferPointer,
    delimiter: UInt8,
    limit: Int,
    random: UnsafeMutablePointer<SplitMix>?
) -> [Answer] {
    var scanner = CSVScanner(delimiter: delimiter, maximumRecordBytes: limit)
    var answers: [Answer] = []
    var position = 0
    var view = 0
    func grow() {
        guard let random else {
            view = text.count - position
            return
        }
        // Mostly small steps; now and then past twice the limit, where a runaway line is cut.
        let step = random.pointee.next() % 4 == 0 ? UInt64(2 * limit + 64) : 16
        view = min(text.count - position, view + 1 + Int(random.pointee.next() % step))
    }
    grow()
    var steps = 0
    while position < text.count {
        steps += 1
        check(steps <= 4 * text.count + 16, "no progress after \(steps) scans")
        let bytes = UnsafeRawBufferPointer(rebasing: text[position..<(position + view)])
        let isEndOfInput = position + view == text.count
        let outcome = scanner.scan(bytes, isEndOfInput: isEndOfInput)
        var length: Int
        var newlines: Int
        switch outcome {
        case .needMore:
            check(!isEndOfInput, "needMore at the end of the input")
            grow()
            continue
        case .record(let recordLength, let recordNewlines), .malformed(let recordLength, let recordNewlines, _),
            .tooLong(let recordLength, let recordNewlines):
            (length, newlines) = (recordLength, recordNewlines)
        }
        check(length >= 1 && length <= bytes.count, "\(outcome) in a view of \(bytes.count) bytes")
        let consumed = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
        check(
            consumed.reduce(0) { $0 + ($1 == lineFeed ? 1 : 0) } == newlines,
            "\(outcome) counts \(newlines) line feeds in \(Array(consumed))"
        )
        var fields: [[UInt8]] = []
        if case .record = outcome {
            fields = checkRecord(scanner, bytes, length: length, limit: limit)
        }
        if consumed.last != lineFeed && !(isEndOfInput && length == bytes.count) {
            // A runaway line cut where the view ended: it must be too long, and DelimitedRecords skips
            // the rest of it; compare it as if it had been seen whole.
            if case .tooLong = outcome {} else { check(false, "\(outcome) ends inside a line") }
            if let lineEnd = text[(position + length)...].firstIndex(of: lineFeed) {
                length = lineEnd + 1 - position
                newlines += 1
            } else {
                length = text.count - position
            }
        }
        let kind: Answer.Kind
        switch outcome {
        case .record: kind = .record
        case .malformed: kind = .malformed
        default: kind = .tooLong
        }
        answers.append(Answer(kind: kind, length: length, newlines: newlines, fields: fields, reach: 2 * limit))
        position += length
        view = 0
        grow()
    }
    return answers
}

/// Checks the fields of the record the scanner just found and returns their bytes.
private func checkRecord(_ scanner: CSVScanner, _ bytes: UnsafeRawBufferPointer, length: Int, limit: Int) -> [[UInt8]] {
    let terminator = bytes[length - 1] == lineFeed ? (length >= 2 && bytes[length - 2] == carriageReturn ? 2 : 1) : 0
    check(length - terminator <= limit, "a record of \(length - terminator) bytes passed the limit of \(limit)")
    let fields = scanner.fields
    check(!fields.isEmpty && fields.count <= Limits.maximumImportFields, "a record of \(fields.count) fields")
    var previousEnd = 0
    var values: [[UInt8]] = []
    for (index, field) in fields.enumerated() {
        check(field.start <= field.end, "field \(index) ends before it starts")
        if field.isInScratch {
            check(field.end <= scanner.scratch.count, "field \(index) runs past the scratch buffer")
        } else {
            check(
                field.start >= previousEnd && field.end <= length,
                "field \(index) at \(field.start)..<\(field.end) outside the record or before field \(index - 1)"
            )
            previousEnd = field.end
            let isQuoted = field.start > 0 && bytes[field.start - 1] == quote
            if !isQuoted {
                let value = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
                check(
                    !value.contains(scanner.delimiter) && !value.contains(lineFeed),
                    "unquoted field \(index) holds a delimiter or line feed"
                )
            }
        }
        values.append(Array(scanner.field(index, in: bytes)))
    }

    // Written out again, the fields scan back the same.
    var written: [UInt8] = []
    for (index, value) in values.enumerated() {
        if index > 0 { written.append(scanner.delimiter) }
        // > RFC 4180 §2: Fields containing line breaks (CRLF), double quotes, and commas should be
        // > enclosed in double-quotes.
        if value.contains(where: { $0 == quote || $0 == lineFeed || $0 == carriageReturn || $0 == scanner.delimiter }) {
            written.append(quote)
            for byte in value {
                if byte == quote { written.append(quote) }
                written.append(byte)
            }
            written.append(quote)
        } else {
            written += value
        }
    }
    written.append(lineFeed)
    var again = CSVScanner(delimiter: scanner.delimiter, maximumRecordBytes: Limits.maximumImportRecordBytes)
    written.withUnsafeBytes { rewritten in
        guard case .record(let rewrittenLength, _) = again.scan(rewritten, isEndOfInput: true) else {
            return check(false, "fields \(values) written as \(written) do not scan as a record")
        }
        check(rewrittenLength == rewritten.count, "fields \(values) written as \(written) scan as a shorter record")
        check(
            again.fields.count == values.count,
            "fields \(values) written as \(written) scan as \(again.fields.count) fields"
        )
        for index in values.indices {
            check(
                again.field(index, in: rewritten).elementsEqual(values[index]),
                "field \(index) of \(values) changed when written again"
            )
        }
    }
    return values
}

// MARK: Support

/// Traps with `message`: libFuzzer reports the input as a crash.
private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("csv fuzz: \(message())") }
}

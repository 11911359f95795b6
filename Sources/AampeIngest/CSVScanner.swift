import AampeCore

/// Splits delimited text into records and fields, following RFC 4180.
///
/// > RFC 4180 §2: Fields containing line breaks (CRLF), double quotes, and commas should be enclosed in
/// > double-quotes. [...] If double-quotes are used to enclose fields, then a double-quote appearing
/// > inside a field must be escaped by preceding it with another double-quote.
///
/// Records end at LF or CRLF. The delimiter is a setting (comma, tab, semicolon, pipe). Beyond the RFC,
/// a quote inside an unquoted field is kept as a literal character, as most exporters that forget to
/// quote expect; text after a closing quote, and a quote that never closes, make the record malformed.
///
/// The scanner works in place on the input buffer: a field is a byte range of it, except a quoted field
/// with doubled quotes, whose unescaped bytes go to a scratch buffer owned by the scanner.
struct CSVScanner {
    /// What one call to ``scan(_:isEndOfInput:)`` found at the start of the bytes.
    enum Outcome {
        /// A complete record of `length` bytes (terminator included) spanning `newlines` line breaks.
        /// Its fields are in ``fields``.
        case record(length: Int, newlines: Int)
        /// A record that breaks the quoting rules; skip `length` bytes.
        case malformed(length: Int, newlines: Int, reason: String)
        /// A record longer than the limit; skip `length` bytes (to the next line break), and when they
        /// do not end with one (no line break within twice the limit), the rest of the line too.
        case tooLong(length: Int, newlines: Int)
        /// The bytes end inside a record and more input is coming.
        case needMore
    }

    /// One field: a byte range of the scanned bytes, or (for unescaped quoted fields) of ``scratch``.
    struct Field {
        var start: Int
        var end: Int
        var isInScratch: Bool
    }

    let delimiter: UInt8
    let maximumRecordBytes: Int
    private(set) var fields: [Field] = []
    /// Unescaped quoted fields of the current record.
    private(set) var scratch: [UInt8] = []

    init(delimiter: UInt8, maximumRecordBytes: Int) {
        self.delimiter = delimiter
        self.maximumRecordBytes = maximumRecordBytes
        fields.reserveCapacity(64)
        scratch.reserveCapacity(4096)
    }

    /// The bytes of field `index` of the last record, given the same bytes that were scanned.
    @inline(__always)
    func field(_ index: Int, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let field = fields[index]
        if field.isInScratch {
            return scratch.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[field.start..<field.end]) }
        }
        return UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
    }

    /// Scans one record at the start of `bytes`.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, isEndOfInput: Bool) -> Outcome {
        fields.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        let count = bytes.count
        let limit = Swift.min(count, maximumRecordBytes)
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        let delimiter = self.delimiter
        var offset = 0
        var newlines = 0
        var fieldStart: Int
        guard let base = bytes.baseAddress else { return isEndOfInput ? .record(length: 0, newlines: 0) : .needMore }

        while true {
            // At the start of a field.
            if offset < limit, base.load(fromByteOffset: offset, as: UInt8.self) == quote {
                // Quoted field: up to the closing quote, unescaping doubled quotes.
                offset += 1
                let contentStart = offset
                var hasEscapes = false
                var isClosed = false
                while offset < limit {
                    let byte = base.load(fromByteOffset: offset, as: UInt8.self)
                    if byte == quote {
                        if offset + 1 < count, base.load(fromByteOffset: offset + 1, as: UInt8.self) == quote {
                            hasEscapes = true
                            offset += 2
                            continue
                        }
                        if offset + 1 >= count && !isEndOfInput { return .needMore }
                        isClosed = true
                        break
                    }
                    if byte == newline { newlines += 1 }
                    offset += 1
                }
                guard isClosed else {
                    if offset >= maximumRecordBytes {
                        return skipLine(
                            bytes,
                            from: 0,
                            newlinesBefore: 0,
                            isEndOfInput: isEndOfInput,
                            reason: nil,
                            quoteRunaway: true
                        )
                    }
                    if !isEndOfInput { return .needMore }
                    return .malformed(
                        length: count,
                        newlines: newlines,
                        reason: "a quoted field is not closed before the end of the file"
                    )
                }
                if hasEscapes {
                    let scratchStart = scratch.count
                    var index = contentStart
                    while index < offset {
                        let byte = base.load(fromByteOffset: index, as: UInt8.self)
                        scratch.append(byte)
                        index += byte == quote ? 2 : 1
                    }
                    fields.append(Field(start: scratchStart, end: scratch.count, isInScratch: true))
                } else {
                    fields.append(Field(start: contentStart, end: offset, isInScratch: false))
                }
                offset += 1  // the closing quote
                // After a closing quote: a delimiter, a line end, or the end of input.
                if offset >= count {
                    if !isEndOfInput { return .needMore }
                    return .record(length: offset, newlines: newlines)
                }
                let next = base.load(fromByteOffset: offset, as: UInt8.self)
                if next == delimiter {
                    offset += 1
                    if fields.count >= Limits.maximumImportFields {
                        return skipLine(
                            bytes,
                            from: offset,
                            newlinesBefore: newlines,
                            isEndOfInput: isEndOfInput,
                            reason: "more than \(Limits.maximumImportFields) fields",
                            quoteRunaway: false
                        )
                    }
                    continue
                }
                if next == newline {
                    return .record(length: offset + 1, newlines: newlines + 1)
                }
                if next == carriageReturn, offset + 1 < count,
                    base.load(fromByteOffset: offset + 1, as: UInt8.self) == newline
                {
                    return .record(length: offset + 2, newlines: newlines + 1)
                }
                if next == carriageReturn, offset + 1 >= count, !isEndOfInput { return .needMore }
                return skipLine(
                    bytes,
                    from: offset,
                    newlinesBefore: newlines,
                    isEndOfInput: isEndOfInput,
                    reason: "text after the closing quote of field \(fields.count)",
                    quoteRunaway: false
                )
            }
            // Unquoted field: up to a delimiter or a line end.
            fieldStart = offset
            while offset < limit {
                let byte = base.load(fromByteOffset: offset, as: UInt8.self)
                if byte == delimiter || byte == newline { break }
                offset += 1
            }
            if offset >= limit {
                if limit < count || count >= maximumRecordBytes {
                    return skipLine(
                        bytes,
                        from: offset,
                        newlinesBefore: newlines,
                        isEndOfInput: isEndOfInput,
                        reason: nil,
                        quoteRunaway: false
                    )
                }
                if !isEndOfInput { return .needMore }
                // The last record of a file without a final line break.
                var end = offset
                if end > fieldStart, base.load(fromByteOffset: end - 1, as: UInt8.self) == carriageReturn { end -= 1 }
                fields.append(Field(start: fieldStart, end: end, isInScratch: false))
                return .record(length: offset, newlines: newlines)
            }
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte == delimiter {
                fields.append(Field(start: fieldStart, end: offset, isInScratch: false))
                offset += 1
                if fields.count >= Limits.maximumImportFields {
                    return skipLine(
                        bytes,
                        from: offset,
                        newlinesBefore: newlines,
                        isEndOfInput: isEndOfInput,
                        reason: "more than \(Limits.maximumImportFields) fields",
                        quoteRunaway: false
                    )
                }
                continue
            }
            // A line feed ends the record; a carriage return before it belongs to the terminator.
            var end = offset
            if end > fieldStart, base.load(fromByteOffset: end - 1, as: UInt8.self) == carriageReturn { end -= 1 }
            fields.append(Field(start: fieldStart, end: end, isInScratch: false))
            return .record(length: offset + 1, newlines: newlines + 1)
        }
    }

    /// Skips to the first line break at or after `from` (for a runaway quote, `from` is the record
    /// start: its line breaks were inside the quotes), reporting the record as too long or malformed.
    /// `newlinesBefore` counts the line breaks the record spans before `from`.
    private func skipLine(
        _ bytes: UnsafeRawBufferPointer,
        from: Int,
        newlinesBefore: Int,
        isEndOfInput: Bool,
        reason: String?,
        quoteRunaway: Bool
    ) -> Outcome {
        guard let newlineIndex = bytes[from...].firstIndex(of: UInt8(ascii: "\n")) else {
            if !isEndOfInput && bytes.count < maximumRecordBytes * 2 { return .needMore }
            // No line break within twice the limit: the line is too long, whatever else is wrong with
            // it, and the caller skips the rest of it (a malformed answer would let it scan the rest
            // of the line as new records). Only a record that runs to the end of the file is judged
            // on its quoting.
            if let reason, isEndOfInput && bytes.count < maximumRecordBytes * 2 {
                return .malformed(length: bytes.count, newlines: newlinesBefore, reason: reason)
            }
            return .tooLong(length: bytes.count, newlines: newlinesBefore)
        }
        let length = newlineIndex + 1
        if quoteRunaway {
            return .malformed(
                length: length,
                newlines: 1,
                reason: "a quoted field runs past \(maximumRecordBytes) bytes (a quote that never closes?)"
            )
        }
        if let reason { return .malformed(length: length, newlines: newlinesBefore + 1, reason: reason) }
        return .tooLong(length: length, newlines: newlinesBefore + 1)
    }
}

/// UTF-8 validation over raw bytes, with an ASCII fast path.
///
/// Every record is checked once, before any field is read, so that everything downstream (ids, names,
/// properties) may assume valid UTF-8 and the `invalid_utf8` reject names the record.
enum UTF8Validation {
    /// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
    /// U+10FFFF).
    @inline(__always)
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var offset = 0
        // Eight bytes at a time while they are all ASCII, which is nearly always.
        while offset + 8 <= count {
            if base.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            offset += 8
        }
        while offset < count {
            let byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte < 0x80 {
                offset += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch byte {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: return false
            }
            guard offset + length <= count else { return false }
            let second = base.load(fromByteOffset: offset + 1, as: UInt8.self)
            guard second >= lower && second <= upper else { return false }
            for index in 2..<length {
                let next = base.load(fromByteOffset: offset + index, as: UInt8.self)
                guard next & 0xC0 == 0x80 else { return false }
            }
            offset += length
        }
        return true
    }

    /// Appends `bytes`, read as ISO-8859-1 (Latin-1), to `output` as UTF-8. Every byte is a valid
    /// Latin-1 character, so this cannot fail.
    static func appendLatin1(_ bytes: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        for byte in bytes {
            if byte < 0x80 {
                output.append(byte)
            } else {
                output.append(0xC0 | byte >> 6)
                output.append(0x80 | byte & 0x3F)
            }
        }
    }
}

/// Field bytes as a `String` in the file's encoding, for headers, profiles and catalog rows.
enum TextDecoding {
    static func string(_ bytes: UnsafeRawBufferPointer, encoding: TextEncoding) -> String {
        guard encoding == .latin1 else { return String(decoding: bytes, as: UTF8.self) }
        var output: [UInt8] = []
        UTF8Validation.appendLatin1(bytes, to: &output)
        return String(decoding: output, as: UTF8.self)
    }
}

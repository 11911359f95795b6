internal import AampeCore

/// Reads the attribute objects the importers store with profiles and catalog items (RFC 8259 JSON) into
/// view values: a string is text, a number a number, `true`/`false` a bool, an array a list, an object an
/// object, and `null` an empty list, which normalization removes.
///
/// Written by hand because Foundation's `JSONDecoder` was the bottleneck: `perf` on `aampectl assign` for
/// 10^5 users put 12 % of the run's CPU in decoding these small objects (a profile's and each
/// recommended item's, per candidate), through the decoder's containers and a thrown error per type it
/// tried. This reader makes one pass over the bytes.
public enum AttributesJSON {
    /// The members of the JSON object `text`; anything else, or text that is not JSON, is `[:]`.
    static func object(_ text: String) -> [String: ViewValue] {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            reader.skipSpace()
            guard reader.peek == UInt8(ascii: "{"), case .object(let members)? = reader.value() else { return [:] }
            reader.skipSpace()
            return reader.position == bytes.count ? members : [:]
        }
    }

    /// The JSON value `text` holds, or nil when it is not one JSON value.
    public static func value(_ text: String) -> ViewValue? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            let value = reader.value()
            reader.skipSpace()
            return reader.position == bytes.count ? value : nil
        }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0
        var depth = 0

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] { return false }
            position += count
            return true
        }

        /// The value at the reading position, or nil when it is not valid JSON.
        mutating func value() -> ViewValue? {
            skipSpace()
            guard let byte = peek else { return nil }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < Limits.maximumAttributeNesting else { return nil }
                depth += 1
                defer { depth -= 1 }
                position += 1
                var members: [String: ViewValue] = [:]
                skipSpace()
                if peek == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    guard peek == UInt8(ascii: "\""), let name = string() else { return nil }
                    skipSpace()
                    guard peek == UInt8(ascii: ":") else { return nil }
                    position += 1
                    guard let member = value() else { return nil }
                    members[name] = member
                    skipSpace()
                    switch peek {
                    case UInt8(ascii: ","): position += 1
                    case UInt8(ascii: "}"):
                        position += 1
                        return .object(members)
                    default: return nil
                    }
                }
            case UInt8(ascii: "["):
                guard depth < Limits.maximumAttributeNesting else { return nil }
                depth += 1
                defer { depth -= 1 }
                position += 1
                var elements: [ViewValue] = []
                skipSpace()
                if peek == UInt8(ascii: "]") {
                    position += 1
                    return .list(elements)
                }
                while true {
                    guard let element = value() else { return nil }
                    elements.append(element)
                    skipSpace()
                    switch peek {
                    case UInt8(ascii: ","): position += 1
                    case UInt8(ascii: "]"):
                        position += 1
                        return .list(elements)
                    default: return nil
                    }
                }
            case UInt8(ascii: "\""):
                return string().map(ViewValue.text)
            case UInt8(ascii: "t"):
                return expect("true") ? .bool(true) : nil
            case UInt8(ascii: "f"):
                return expect("false") ? .bool(false) : nil
            case UInt8(ascii: "n"):
                return expect("null") ? .list([]) : nil
            default:
                return number().map(ViewValue.number)
            }
        }

        /// A number in JSON's grammar (no leading `+`, no leading zeros, no bare `.`), as a Double.
        mutating func number() -> Double? {
            let start = position
            func digits() -> Int {
                let first = position
                while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
                return position - first
            }
            if peek == UInt8(ascii: "-") { position += 1 }
            let integer = position
            guard digits() > 0 else { return nil }
            if bytes[integer] == UInt8(ascii: "0"), position - integer > 1 { return nil }
            if peek == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                position += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { return nil }
            }
            return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
        }

        /// The string at the reading position (at its opening quote), escapes resolved.
        mutating func string() -> String? {
            position += 1
            let start = position
            // The common case, no escape: one copy of the bytes.
            while let byte = peek, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { return nil }
                position += 1
            }
            guard let stop = peek else { return nil }
            var scalars = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if stop == UInt8(ascii: "\"") {
                position += 1
                return scalars
            }
            var run: [UInt8] = []
            while let byte = peek {
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    scalars += String(decoding: run, as: UTF8.self)
                    return scalars
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return nil }
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): run.append(escaped)
                    case UInt8(ascii: "b"): run.append(0x08)
                    case UInt8(ascii: "f"): run.append(0x0C)
                    case UInt8(ascii: "n"): run.append(0x0A)
                    case UInt8(ascii: "r"): run.append(0x0D)
                    case UInt8(ascii: "t"): run.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var unit = hex4() else { return nil }
                        var scalar: Unicode.Scalar?
                        if (0xD800..<0xDC00).contains(unit) {
                            // A high surrogate must be followed by an escaped low one.
                            guard expect("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                            scalar = Unicode.Scalar(unit)
                        } else {
                            scalar = Unicode.Scalar(unit)
                        }
                        guard let scalar else { return nil }
                        run.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    run.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard position + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }
    }
}

import Foundation

/// Which column of a delimited file holds each canonical field, and which columns are kept as
/// properties.
struct TabularLayout {
    let columnCount: Int
    let user: Int?
    let event: Int?
    let timestamp: Int?
    let item: Int?
    let value: Int?
    let key: Int?
    /// Columns kept as properties, each with its JSON key already written as `"name":`.
    let extraColumns: [(index: Int, key: [UInt8])]
    /// A `properties` column (what `aampectl events dump` writes): a JSON object there is the event's
    /// properties, merged with the other extra columns; anything else is kept as the text property
    /// `properties`, as any other column would be.
    let properties: Int?

    init(header: [String], format: EventFormat, mapping: [CanonicalField: String], path: String) throws(ImportError) {
        columnCount = header.count
        let normalized = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var used = Set<Int>()
        func column(_ field: CanonicalField) throws(ImportError) -> Int? {
            if let source = mapping[field] {
                guard let index = normalized.firstIndex(of: source.lowercased()) else {
                    throw .invalidOption(
                        name: "--map \(field.rawValue)=\(source)",
                        reason: "\(path) has no column \(source) (columns: \(header.joined(separator: ", ")))"
                    )
                }
                used.insert(index)
                return index
            }
            let names: [String]
            if format == .personalize {
                switch field {
                case .userID: names = ["user_id"]
                case .itemID: names = ["item_id"]
                case .timestamp: names = ["timestamp"]
                case .event: names = ["event_type"]
                case .value: names = ["event_value"]
                case .eventID: names = ["event_id"]
                case .properties: names = []
                }
            } else {
                names = field.headerAliases
            }
            for name in names {
                if let index = normalized.firstIndex(of: name), !used.contains(index) {
                    used.insert(index)
                    return index
                }
            }
            return nil
        }
        user = try column(.userID)
        timestamp = try column(.timestamp)
        event = try column(.event)
        item = try column(.itemID)
        value = try column(.value)
        key = try column(.eventID)
        guard user != nil else {
            throw .unrecognizedFormat(
                path: path,
                reason:
                    "no user id column (looked for \(format == .personalize ? "USER_ID" : CanonicalField.userID.headerAliases.joined(separator: ", "))); "
                    + "name it with --map user_id=COLUMN, or give --columns for a file without a header"
            )
        }
        guard timestamp != nil else {
            throw .unrecognizedFormat(
                path: path,
                reason:
                    "no timestamp column (looked for \(format == .personalize ? "TIMESTAMP" : CanonicalField.timestamp.headerAliases.joined(separator: ", "))); "
                    + "name it with --map timestamp=COLUMN"
            )
        }
        properties = format == .personalize ? nil : try column(.properties)
        extraColumns = header.indices.filter { !used.contains($0) }.map { index in
            var key: [UInt8] = []
            JSONText.appendString(header[index].trimmingCharacters(in: .whitespaces), to: &key)
            key.append(UInt8(ascii: ":"))
            return (index, key)
        }
    }

    /// Appends `{"column":"value",...}` for the non-empty extra columns, with the members of the
    /// `properties` column's JSON object first, or nothing when there are none. `scanner` checks that
    /// object.
    func appendProperties(
        to output: inout [UInt8],
        scanner: inout JSONScanner,
        _ text: (Int) -> UnsafeRawBufferPointer?
    ) {
        var isFirst = true
        if let properties, let value = text(properties), !value.isEmpty {
            if Self.isObject(value, scanner: &scanner), let inner = Self.members(of: value) {
                if !inner.isEmpty {
                    output.append(UInt8(ascii: "{"))
                    isFirst = false
                    output.append(contentsOf: inner)
                }
            } else {
                output.append(UInt8(ascii: "{"))
                isFirst = false
                JSONText.appendString("properties".utf8, to: &output)
                output.append(UInt8(ascii: ":"))
                JSONText.appendString(value, to: &output)
            }
        }
        for column in extraColumns {
            guard let value = text(column.index), !value.isEmpty else { continue }
            output.append(isFirst ? UInt8(ascii: "{") : UInt8(ascii: ","))
            isFirst = false
            output.append(contentsOf: column.key)
            JSONText.appendString(value, to: &output)
        }
        if !isFirst { output.append(UInt8(ascii: "}")) }
    }

    /// Whether `bytes` are exactly one JSON object.
    static func isObject(_ bytes: UnsafeRawBufferPointer, scanner: inout JSONScanner) -> Bool {
        do {
            try scanner.parse(bytes)
        } catch {
            return false
        }
        return scanner.topKind == .object
    }

    /// The text between a JSON object's braces, without surrounding white space.
    static func members(of object: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        guard let open = object.firstIndex(of: UInt8(ascii: "{")), let close = object.lastIndex(of: UInt8(ascii: "}")),
            open < close
        else { return nil }
        var start = open + 1
        var end = close
        while start < end, isSpace(object[start]) { start += 1 }
        while end > start, isSpace(object[end - 1]) { end -= 1 }
        return object[start..<end]
    }
}

/// Writes JSON string literals.
enum JSONText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `bytes` (valid UTF-8) as a quoted JSON string.
    static func appendString<Bytes: Sequence<UInt8>>(_ bytes: Bytes, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                output.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 15)],
                ])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    static func appendString(_ text: String, to output: inout [UInt8]) {
        appendString(text.utf8, to: &output)
    }

    /// A JSON object of string values, keys sorted.
    static func object(_ values: [String: String]) -> String {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            appendString(key, to: &output)
            output.append(UInt8(ascii: ":"))
            appendString(values[key]!, to: &output)
        }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }
}

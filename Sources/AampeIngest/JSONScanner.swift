import AampeCore

/// A validating JSON (RFC 8259) parser that records where object members are instead of building
/// values.
///
/// An import reads a handful of fields from each record and keeps the rest as the original text, so
/// materializing every record as a tree (what `JSONSerialization` and `JSONDecoder` do) would be wasted
/// work: tools/bench-import measures the difference. ``parse(_:)`` checks the whole record against the
/// grammar and lists the members of every object in it, each with its key's and value's byte ranges;
/// strings are decoded only when a field is read (``decodeString(_:into:)``).
struct JSONScanner {
    enum Kind: UInt8 {
        case string, number, object, array, `true`, `false`, null
    }

    /// One member of an object: `"key": value`. Ranges are byte offsets into the parsed bytes; a string
    /// value's range excludes its quotes.
    struct Member {
        /// The index of the member whose value is the enclosing object, or -1 for the top level.
        var parent: Int32
        var keyStart: Int32
        var keyEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
        var kind: Kind
        /// Whether the key or string value contains backslash escapes.
        var keyHasEscapes: Bool
        var valueHasEscapes: Bool
    }

    /// Why a record is not valid JSON.
    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    private(set) var members: [Member] = []
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    private var offset = 0
    private var depth = 0
    /// The kind and range of the top-level value of the last parse.
    private(set) var topKind: Kind = .null

    init() {
        members.reserveCapacity(64)
    }

    /// Parses `bytes` as exactly one JSON value with optional surrounding whitespace.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(SyntaxError) {
        members.removeAll(keepingCapacity: true)
        self.bytes = bytes
        offset = 0
        depth = 0
        skipWhitespace()
        topKind = try parseValue(parent: -1)
        skipWhitespace()
        if offset != bytes.count { throw SyntaxError(offset: offset, reason: "unexpected text after the value") }
    }

    /// Parses one value at the start of `bytes` and returns its length, for reading the elements of a
    /// top-level array one at a time. Throws `nil` reason `"incomplete"` when the bytes end first.
    mutating func parsePrefix(_ bytes: UnsafeRawBufferPointer) throws(SyntaxError) -> Int {
        members.removeAll(keepingCapacity: true)
        self.bytes = bytes
        offset = 0
        depth = 0
        topKind = try parseValue(parent: -1)
        return offset
    }

    /// The index of the member named `key` in the object that member `parent` holds (-1: top level).
    @inline(__always)
    func member(_ key: StaticString, parent: Int = -1) -> Int? {
        let keyBytes = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        return member(keyBytes, parent: parent)
    }

    func member(_ key: UnsafeRawBufferPointer, parent: Int = -1) -> Int? {
        let parent = Int32(parent)
        for index in members.indices {
            let member = members[index]
            guard member.parent == parent, Int(member.keyEnd - member.keyStart) == key.count || member.keyHasEscapes
            else { continue }
            if member.keyHasEscapes {
                var decoded: [UInt8] = []
                decodeEscapes(Int(member.keyStart), Int(member.keyEnd), into: &decoded)
                if decoded.elementsEqual(key) { return index }
            } else if memoryEquals(Int(member.keyStart), key) {
                return index
            }
        }
        return nil
    }

    /// The raw bytes of member `index`'s value (for strings, without the quotes and still escaped).
    @inline(__always)
    func rawValue(_ index: Int) -> UnsafeRawBufferPointer {
        let member = members[index]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(member.valueStart)..<Int(member.valueEnd)])
    }

    /// The value of member `index` as text: a string decoded, any other value as written. Appends to
    /// `arena` only when the string has escapes; returns a view of the input otherwise.
    @inline(__always)
    func text(_ index: Int, arena: ByteArena) -> UnsafeRawBufferPointer {
        let member = members[index]
        guard member.valueHasEscapes else { return rawValue(index) }
        return arena.append { output in decodeEscapes(Int(member.valueStart), Int(member.valueEnd), into: &output) }
    }

    /// The object keys of member `parent`'s object (or the top level), decoded.
    func keys(parent: Int = -1) -> [String] {
        members.indices.filter { members[$0].parent == Int32(parent) }.map { index in
            let member = members[index]
            var decoded: [UInt8] = []
            decodeEscapes(Int(member.keyStart), Int(member.keyEnd), into: &decoded)
            return String(decoding: decoded, as: UTF8.self)
        }
    }

    private func memoryEquals(_ start: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        for index in 0..<key.count where bytes[start + index] != key[index] { return false }
        return true
    }

    // MARK: Grammar

    @inline(__always)
    private mutating func skipWhitespace() {
        while offset < bytes.count {
            let byte = bytes[offset]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            offset += 1
        }
    }

    private mutating func parseValue(parent: Int32) throws(SyntaxError) -> Kind {
        guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            try parseObject(parent: parent)
            return .object
        case UInt8(ascii: "["):
            try parseArray(parent: parent)
            return .array
        case UInt8(ascii: "\""):
            _ = try parseString()
            return .string
        case UInt8(ascii: "t"):
            try literal("true")
            return .true
        case UInt8(ascii: "f"):
            try literal("false")
            return .false
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
            return .number
        default:
            throw SyntaxError(offset: offset, reason: "unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] {
            throw SyntaxError(offset: offset, reason: "unexpected character")
        }
        offset += count
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        if depth > Limits.maximumJSONDepth {
            throw SyntaxError(offset: offset, reason: "nested deeper than \(Limits.maximumJSONDepth) levels")
        }
    }

    private mutating func parseObject(parent: Int32) throws(SyntaxError) {
        try enter()
        offset += 1
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            guard bytes[offset] == UInt8(ascii: "\"") else {
                throw SyntaxError(offset: offset, reason: "expected a quoted key")
            }
            let keyStart = offset + 1
            let keyHasEscapes = try parseString()
            let keyEnd = offset - 1
            skipWhitespace()
            guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            guard bytes[offset] == UInt8(ascii: ":") else { throw SyntaxError(offset: offset, reason: "expected ':'") }
            offset += 1
            skipWhitespace()
            let index = members.count
            guard index < Limits.maximumImportFields else {
                throw SyntaxError(offset: offset, reason: "more than \(Limits.maximumImportFields) members")
            }
            members.append(
                Member(
                    parent: parent,
                    keyStart: Int32(keyStart),
                    keyEnd: Int32(keyEnd),
                    valueStart: Int32(offset),
                    valueEnd: 0,
                    kind: .null,
                    keyHasEscapes: keyHasEscapes,
                    valueHasEscapes: false
                )
            )
            let valueStart = offset
            guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            let isString = bytes[offset] == UInt8(ascii: "\"")
            var valueHasEscapes = false
            let kind: Kind
            if isString {
                valueHasEscapes = try parseString()
                kind = .string
                members[index].valueStart = Int32(valueStart + 1)
                members[index].valueEnd = Int32(offset - 1)
            } else {
                kind = try parseValue(parent: Int32(index))
                members[index].valueEnd = Int32(offset)
            }
            members[index].kind = kind
            members[index].valueHasEscapes = valueHasEscapes
            skipWhitespace()
            guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                depth -= 1
                return
            }
            throw SyntaxError(offset: offset, reason: "expected ',' or '}'")
        }
    }

    private mutating func parseArray(parent: Int32) throws(SyntaxError) {
        try enter()
        offset += 1
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            // Objects inside arrays list their members under no parent a field lookup would use.
            _ = try parseValue(parent: -2)
            skipWhitespace()
            guard offset < bytes.count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
                continue
            }
            if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                depth -= 1
                return
            }
            throw SyntaxError(offset: offset, reason: "expected ',' or ']'")
        }
    }

    /// Moves past a string (at its opening quote) and returns whether it has escapes.
    private mutating func parseString() throws(SyntaxError) -> Bool {
        offset += 1
        var hasEscapes = false
        let count = bytes.count
        while offset < count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return hasEscapes
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                guard offset + 1 < count else { throw SyntaxError(offset: offset, reason: "incomplete") }
                switch bytes[offset + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    offset += 2
                case UInt8(ascii: "u"):
                    guard offset + 6 <= count else { throw SyntaxError(offset: offset, reason: "incomplete") }
                    for index in 2..<6 where Self.hexValue(bytes[offset + index]) == nil {
                        throw SyntaxError(offset: offset, reason: "bad \\u escape")
                    }
                    offset += 6
                default:
                    throw SyntaxError(offset: offset, reason: "bad escape")
                }
                continue
            }
            if byte < 0x20 { throw SyntaxError(offset: offset, reason: "control character in a string") }
            offset += 1
        }
        throw SyntaxError(offset: offset, reason: "incomplete")
    }

    private mutating func parseNumber() throws(SyntaxError) {
        let start = offset
        let count = bytes.count
        // A digit must follow a sign, a decimal point or an exponent. When the bytes end there, the
        // number may go on in the next read: "incomplete", which the JSON-array reader answers by
        // reading more, as it does for a cut string or literal.
        func expectDigit() throws(SyntaxError) {
            guard offset < count else { throw SyntaxError(offset: offset, reason: "incomplete") }
            guard bytes[offset] &- 48 < 10 else { throw SyntaxError(offset: start, reason: "bad number") }
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        try expectDigit()
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < count, bytes[offset] &- 48 < 10 { offset += 1 }
        }
        if offset < count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            try expectDigit()
            while offset < count, bytes[offset] &- 48 < 10 { offset += 1 }
        }
        if offset < count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            try expectDigit()
            while offset < count, bytes[offset] &- 48 < 10 { offset += 1 }
        }
    }

    // MARK: Decoding

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Appends the UTF-8 of the string content in `start..<end` (validated already) to `output`. A lone
    /// surrogate escape becomes U+FFFD.
    func decodeEscapes(_ start: Int, _ end: Int, into output: inout [UInt8]) {
        var index = start
        while index < end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar), index + 6 <= end, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                output.append(contentsOf: String(Character(unicode)).utf8)
            default: output.append(escape)  // \" \\ \/
            }
        }
    }

    private func hex4(_ at: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in at..<(at + 4) { value = value << 4 | (Self.hexValue(bytes[index]) ?? 0) }
        return value
    }
}

/// A bump allocator for bytes that live as long as one record: decoded strings, built property objects.
///
/// Views it returns stay valid until ``reset()``: storage never moves, and when a chunk is full the next
/// one is allocated beside it.
final class ByteArena {
    private var chunks: [(pointer: UnsafeMutableRawPointer, capacity: Int)] = []
    private var current = 0
    private var used = 0
    private var spill: [UInt8] = []
    private var isSpillInUse = false
    private let chunkBytes: Int

    init(chunkBytes: Int = 1 << 20) {
        self.chunkBytes = chunkBytes
        chunks.append((.allocate(byteCount: chunkBytes, alignment: 8), chunkBytes))
    }

    deinit {
        for chunk in chunks { chunk.pointer.deallocate() }
    }

    /// Forgets everything appended; earlier views become invalid.
    func reset() {
        current = 0
        used = 0
    }

    /// Appends what `body` writes and returns a stable view of it.
    func append(_ body: (inout [UInt8]) -> Void) -> UnsafeRawBufferPointer {
        // A body may itself append (a Latin-1 field converted while properties are built): the inner
        // call gets its own buffer instead of the shared one the outer call is writing.
        if isSpillInUse {
            var nested: [UInt8] = []
            body(&nested)
            return nested.withUnsafeBytes { append($0) }
        }
        isSpillInUse = true
        defer { isSpillInUse = false }
        var buffer = spill
        spill = []
        buffer.removeAll(keepingCapacity: true)
        body(&buffer)
        let view = buffer.withUnsafeBytes { append($0) }
        spill = buffer
        return view
    }

    /// Copies `bytes` in and returns a stable view of the copy.
    func append(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let count = bytes.count
        if used + count > chunks[current].capacity {
            current += 1
            used = 0
            if current == chunks.count || chunks[current].capacity < count {
                let capacity = max(chunkBytes, count)
                if current == chunks.count {
                    chunks.append((.allocate(byteCount: capacity, alignment: 8), capacity))
                } else {
                    chunks[current].pointer.deallocate()
                    chunks[current] = (.allocate(byteCount: capacity, alignment: 8), capacity)
                }
            }
        }
        let start = chunks[current].pointer + used
        if let base = bytes.baseAddress, count > 0 { start.copyMemory(from: base, byteCount: count) }
        used += count
        return UnsafeRawBufferPointer(start: start, count: count)
    }
}

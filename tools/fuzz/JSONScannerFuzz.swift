// A libFuzzer target for the JSON scanner the importers use (Sources/AampeIngest/JSONScanner.swift).
// Built and run by `tools/fuzz-parsers json`, which compiles the scanner's file into this target: the
// scanner is internal to AampeIngest, and this way the fuzzer needs neither @testable nor AampeIngest's
// database.
//
// Each input is one record, as a JSON-lines importer hands a line to `parse` and the JSON-array
// importer hands the rest of its buffer to `parsePrefix`. The target checks that:
//
// - `parse` and `parsePrefix` fail with an offset inside the input, or succeed;
// - after `parse` succeeds, every member's key and value lie inside the input, in order, the key and a
//   string value between quotes, with the escape flags telling the truth; a member's parent is the
//   top level, an array, or an earlier member holding an object; there are at most
//   Limits.maximumImportFields members; every value (and the whole input) parses again on its own as
//   the same kind; decoded keys and strings are valid UTF-8 when the input is; and looking a key up by
//   its decoded bytes finds a member with that key under the same parent;
// - `parsePrefix` reads the value `parse` read, and a cut through that value (an object, array,
//   string or literal) says "incomplete": the array importer reads more input on exactly that reason,
//   so any other answer would reject a valid file whose element straddles a buffer boundary.

import AampeCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var scanner = JSONScanner()
    var prefixScanner = JSONScanner()
    let prefixLength: Int?
    do {
        prefixLength = try prefixScanner.parsePrefix(input)
    } catch {
        check(error.offset >= 0 && error.offset <= size, "parsePrefix failed at offset \(error.offset) of \(size)")
        prefixLength = nil
    }
    if let prefixLength {
        check(prefixLength >= 1 && prefixLength <= size, "parsePrefix read \(prefixLength) of \(size) bytes")
        checkCuts(input, length: prefixLength, kind: prefixScanner.topKind)
    }
    do {
        try scanner.parse(input)
    } catch {
        check(error.offset >= 0 && error.offset <= size, "parse failed at offset \(error.offset) of \(size)")
        return 0
    }
    checkMembers(scanner, input)
    if let prefixLength {
        // parse allows leading whitespace, parsePrefix does not; both read the same value.
        check(
            prefixScanner.topKind == scanner.topKind && prefixScanner.members.count == scanner.members.count,
            "parsePrefix and parse disagree"
        )
        let trailing = input[prefixLength...]
        check(trailing.allSatisfy(isWhitespace), "parsePrefix stopped before the end of the value")
    } else {
        check(input.first.map(isWhitespace) ?? false, "parse accepted what parsePrefix refused")
    }
    return 0
}

private func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

private func checkMembers(_ scanner: JSONScanner, _ input: UnsafeRawBufferPointer) {
    let members = scanner.members
    check(members.count <= Limits.maximumImportFields, "\(members.count) members")
    let isValidUTF8 = String(validating: input, as: UTF8.self) != nil
    var previousKeyStart: Int32 = -1
    for (index, member) in members.enumerated() {
        let (keyStart, keyEnd) = (Int(member.keyStart), Int(member.keyEnd))
        let (valueStart, valueEnd) = (Int(member.valueStart), Int(member.valueEnd))
        check(
            keyStart >= 1 && keyStart <= keyEnd && keyEnd < input.count,
            "member \(index)'s key is at \(keyStart)..<\(keyEnd)"
        )
        check(
            input[keyStart - 1] == UInt8(ascii: "\"") && input[keyEnd] == UInt8(ascii: "\""),
            "member \(index)'s key is not quoted"
        )
        check(member.keyStart > previousKeyStart, "member \(index) comes before the one listed ahead of it")
        previousKeyStart = member.keyStart
        check(
            valueStart > keyEnd && valueStart <= valueEnd && valueEnd <= input.count,
            "member \(index)'s value is at \(valueStart)..<\(valueEnd)"
        )
        check(
            member.keyHasEscapes == input[keyStart..<keyEnd].contains(UInt8(ascii: "\\")),
            "member \(index)'s key escape flag"
        )
        let parent = Int(member.parent)
        check(
            parent == -1 || parent == -2 || (parent >= 0 && parent < index && members[parent].kind == .object),
            "member \(index) has parent \(parent)"
        )

        // The value parses again on its own, as the same kind.
        let raw = scanner.rawValue(index)
        var again = JSONScanner()
        if member.kind == .string {
            check(
                input[valueStart - 1] == UInt8(ascii: "\"") && input[valueEnd] == UInt8(ascii: "\""),
                "member \(index)'s string is not quoted"
            )
            check(member.valueHasEscapes == raw.contains(UInt8(ascii: "\\")), "member \(index)'s value escape flag")
            let quoted = UnsafeRawBufferPointer(rebasing: input[(valueStart - 1)...valueEnd])
            check(
                (try? again.parse(quoted)) != nil && again.topKind == .string,
                "member \(index)'s string does not parse alone"
            )
            let arena = ByteArena(chunkBytes: 64)
            let text = scanner.text(index, arena: arena)
            if isValidUTF8 {
                check(
                    String(validating: text, as: UTF8.self) != nil,
                    "member \(index)'s string decodes to invalid UTF-8"
                )
            }
        } else {
            check(!member.valueHasEscapes, "member \(index) is a \(member.kind) with escapes")
            check(
                (try? again.parse(raw)) != nil && again.topKind == member.kind,
                "member \(index)'s \(member.kind) does not parse alone"
            )
        }

        // Looking the key up finds a member with that key in the same object.
        var key: [UInt8] = []
        scanner.decodeEscapes(keyStart, keyEnd, into: &key)
        if isValidUTF8 {
            check(String(validating: key, as: UTF8.self) != nil, "member \(index)'s key decodes to invalid UTF-8")
        }
        if parent != -2 {
            let found = key.withUnsafeBytes { scanner.member($0, parent: parent) }
            check(
                found != nil && found! <= index && members[found!].parent == member.parent,
                "member \(index)'s key is not found"
            )
            var foundKey: [UInt8] = []
            scanner.decodeEscapes(Int(members[found!].keyStart), Int(members[found!].keyEnd), into: &foundKey)
            check(foundKey == key, "looking up member \(index)'s key found another key")
        }
    }
    var whole = JSONScanner()
    check(
        (try? whole.parse(input)) != nil && whole.members.count == members.count,
        "the input does not parse the same twice"
    )
}

/// A value cut short must read as incomplete, wherever the cut falls. Numbers are left out at the top
/// level, where a cut leaves a shorter number that is valid by itself; inside objects and arrays they
/// are covered.
private func checkCuts(_ input: UnsafeRawBufferPointer, length: Int, kind: JSONScanner.Kind) {
    guard kind != .number, length > 1 else { return }
    var random = SplitMix(seed: fnv1a(input))
    var cuts = Set((0..<8).map { _ in 1 + Int(random.next() % UInt64(length - 1)) })
    cuts.insert(length - 1)
    for cut in cuts.sorted() {
        var scanner = JSONScanner()
        do {
            let read = try scanner.parsePrefix(UnsafeRawBufferPointer(rebasing: input[0..<cut]))
            check(
                false,
                "a value cut after \(cut) of \(length) bytes parsed as \(read) bytes: \(Array(input[0..<cut]))"
            )
        } catch {
            check(
                error.reason == "incomplete",
                "a value cut after \(cut) of \(length) bytes failed with \"\(error.reason)\": \(Array(input[0..<cut]))"
            )
        }
    }
}

// MARK: Support

/// Traps with `message`: libFuzzer reports the input as a crash.
private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("json fuzz: \(message())") }
}

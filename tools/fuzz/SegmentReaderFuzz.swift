// A libFuzzer target for the segment-file reader. Built and run by tools/fuzz-segments.
//
// Each input is a whole segment file. The target writes it to a scratch file (the reader maps files,
// it does not take buffers), opens it, reads every column through the accessor for its type, and
// verifies it. A thrown error is the expected answer to a bad file; only a crash, a sanitizer report
// or a hang is a finding.
//
// Every structure in a segment file carries a CRC-32C, so plain byte mutations almost never get past
// the first checksum. The custom mutator below therefore recomputes the checksums after most
// mutations (the header's, every column part's, the directory's, the trailer's, and the trailer's
// file length), and now and then replaces one zstd block with a mutated, recompressed one, so that
// the reader's handling of decompressed block contents is reached too. What it hands to the target
// is still a plain file: a crash artifact reproduces with no mutator at all.
//
// Set SEGMENT_FUZZ_PLAIN_MUTATIONS=1 to turn the checksum repair off and fuzz with libFuzzer's own
// mutations only.

import AampeCompression
import AampeSegments

#if canImport(Glibc)
import Glibc
#endif

// MARK: The target

/// Rows read from the start and from the end of each column, so a huge row count stays fast.
private let leadingRows = 1_000
private let trailingRows = 10

/// One scratch file per process, overwritten every iteration. In $TMPDIR, which the script points at
/// its build folder, so parallel jobs and leftovers stay out of /tmp.
private let scratchPath: String = {
    let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(folder)/segment-fuzz-\(getpid()).seg"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    writeScratchFile(UnsafeRawBufferPointer(start: data, count: size))
    guard let reader = try? SegmentReader(path: scratchPath) else { return 0 }
    var digest = Digest()
    for column in reader.columns {
        // Each column stops at its first error; the others are still read.
        try? walk(reader, column, &digest)
        // Asking for the wrong kind of column must throw, not misread.
        _ = try? reader.dictionaryColumn(column.name)
        _ = try? reader.scalarColumn(column.name, as: UInt8.self)
    }
    _ = try? reader.descriptor(named: "no such column")
    try? reader.verify()
    blackHole(digest.value)
    return 0
}

private func writeScratchFile(_ bytes: UnsafeRawBufferPointer) {
    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fatalError("fuzz harness: cannot open \(scratchPath): errno \(errno)") }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let result = write(fd, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 && errno == EINTR { continue }
        guard result > 0 else { fatalError("fuzz harness: cannot write \(scratchPath): errno \(errno)") }
        written += result
    }
}

private func walk(_ reader: SegmentReader, _ column: ColumnDescriptor, _ digest: inout Digest) throws {
    let name = column.name
    switch column.type {
    case .uint8: try walkScalar(reader, name, UInt8.self, &digest)
    case .uint16: try walkScalar(reader, name, UInt16.self, &digest)
    case .uint32: try walkScalar(reader, name, UInt32.self, &digest)
    case .uint64: try walkScalar(reader, name, UInt64.self, &digest)
    case .int32: try walkScalar(reader, name, Int32.self, &digest)
    case .int64: try walkScalar(reader, name, Int64.self, &digest)
    case .float32: try walkScalar(reader, name, Float.self, &digest)
    case .float64: try walkScalar(reader, name, Double.self, &digest)
    case .bool: try walkScalar(reader, name, Bool.self, &digest)
    case .float32Vector:
        let vectors = try reader.vectorColumn(name)
        for row in sampledRows(vectors.count) {
            if let raw = vectors.rawVector(at: row) { digest.add(raw.reduce(0, +)) }
            digest.add(try vectors.vector(at: row).reduce(0, +))
        }
    case .bytes, .utf8:
        if column.hasHashIndex { walkDictionary(try reader.dictionaryColumn(name), &digest) }
        let values = try reader.bytesColumn(name)
        for row in sampledRows(values.count) {
            if values.isRaw { digest.add(values.rawValue(at: row).count) }
            digest.add(try values.bytes(at: row).count)
            digest.add(try values.string(at: row).utf8.count)
        }
    }
}

/// Thrown from inside `scan` to stop it after `leadingRows` values.
private struct StopScan: Error {}

private func walkScalar<Value: SegmentScalar>(
    _ reader: SegmentReader,
    _ name: String,
    _ type: Value.Type,
    _ digest: inout Digest
) throws {
    let values = try reader.scalarColumn(name, as: type)
    for row in sampledRows(values.count) { digest.add(try values.value(at: row)) }
    var scanned = 0
    do {
        try values.scan { run in
            for value in run.prefix(leadingRows - scanned) { digest.add(value) }
            if let last = run.last { digest.add(last) }
            scanned += min(run.count, leadingRows - scanned)
            if scanned >= leadingRows { throw StopScan() }
        }
    } catch is StopScan {}
}

private func walkDictionary(_ dictionary: DictionaryColumn, _ digest: inout Digest) {
    for row in sampledRows(dictionary.count) {
        let key = dictionary.key(at: row)
        digest.add(dictionary.row(for: key) ?? -1)
        digest.add(dictionary.row(for: key + "\u{0}") ?? -1)
    }
    for absent in ["", "\u{0}", "absent key", "é", String(repeating: "k", count: 2_000)] {
        digest.add(dictionary.row(for: absent) ?? -1)
    }
    digest.add(dictionary.row(forUTF8: UnsafeRawBufferPointer(start: nil, count: 0)) ?? -1)
}

/// The first `leadingRows` and the last `trailingRows` rows of a column of `count` rows.
private func sampledRows(_ count: Int) -> [Int] {
    let head = min(count, leadingRows)
    return Array(0..<head) + Array(max(head, count - trailingRows)..<count)
}

/// Folds every value read into one number, so the optimizer cannot drop the reads.
private struct Digest {
    var value: UInt64 = 0

    mutating func add<T>(_ item: T) {
        withUnsafeBytes(of: item) { bytes in
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
    }
}

@inline(never)
private func blackHole(_ value: UInt64) {
    if value == 0x1234_5678_9abc_def0 { print("") }
}

// MARK: The mutator

@_extern(c, "LLVMFuzzerMutate")
private func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

private let plainMutations = getenv("SEGMENT_FUZZ_PLAIN_MUTATIONS").map { String(cString: $0) == "1" } ?? false

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    if plainMutations { return libFuzzerMutate(data, size, maxSize) }
    var random = SplitMix(seed: UInt64(seed))
    let choice = random.next() % 8
    var newSize: Int
    if choice == 0, let replaced = replaceZstdBlock(data, size, maxSize, &random) {
        newSize = replaced
    } else {
        newSize = libFuzzerMutate(data, size, maxSize)
    }
    // One mutation in eight keeps whatever checksums it broke, so the checks themselves stay covered.
    if choice != 7 { repairChecksums(UnsafeMutableRawBufferPointer(start: data, count: newSize)) }
    return newSize
}

/// Byte layout constants; proto-spec/segment-format.md and SegmentFormat.swift are the reference.
private enum Layout {
    static let header = 64
    static let trailer = 32
    static let directoryFixed = 16
    static let entry = 192
    static let partsStart = 88
    static let partLength = 24
    static let maximumColumns = 1024
}

/// A column's directory entry as the mutator sees it: where the entry and its parts are.
private struct RawEntry {
    var entryOffset: Int
    var codec: UInt8
    var parts: [(offset: Int, length: Int)]
}

/// A file's trailer and directory, located without trusting any checksum.
private struct RawLayout {
    var directoryOffset: Int
    var directoryLength: Int
    var entries: [RawEntry]

    init?(_ file: UnsafeRawBufferPointer) {
        guard file.count >= Layout.header + Layout.trailer else { return nil }
        let trailer = file.count - Layout.trailer
        let offset = file.loadUnaligned(fromByteOffset: trailer, as: UInt64.self)
        let length = file.loadUnaligned(fromByteOffset: trailer + 8, as: UInt64.self)
        guard offset >= UInt64(Layout.header), offset <= UInt64(trailer), length >= UInt64(Layout.directoryFixed + 4),
            length <= UInt64(trailer) - offset
        else { return nil }
        let directory = Int(offset)
        let count = Int(file.loadUnaligned(fromByteOffset: directory + 4, as: UInt32.self))
        let entryLength = Int(file.loadUnaligned(fromByteOffset: directory + 8, as: UInt32.self))
        guard count <= Layout.maximumColumns, entryLength >= Layout.entry,
            Layout.directoryFixed + count * entryLength + 4 <= Int(length)
        else { return nil }
        directoryOffset = directory
        directoryLength = Int(length)
        entries = (0..<count).map { index in
            let entryOffset = directory + Layout.directoryFixed + index * entryLength
            let parts = (0..<3).map { part in
                let base = entryOffset + Layout.partsStart + part * Layout.partLength
                let partOffset = file.loadUnaligned(fromByteOffset: base, as: UInt64.self)
                let partLength = file.loadUnaligned(fromByteOffset: base + 8, as: UInt64.self)
                // Parts outside the data region are left alone (and refused by the reader).
                let inside = partOffset <= UInt64(offset) && partLength <= UInt64(offset) - partOffset
                return inside ? (Int(partOffset), Int(partLength)) : (0, 0)
            }
            return RawEntry(entryOffset: entryOffset, codec: file[entryOffset + 65], parts: parts)
        }
    }
}

private func crc(_ file: UnsafeMutableRawBufferPointer, _ offset: Int, _ count: Int) -> UInt32 {
    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: file[offset..<(offset + count)]))
}

/// Rewrites every checksum the reader checks, and the trailer's file length, to match the bytes.
/// Order matters: part checksums live in the directory, whose checksum the trailer's location covers.
private func repairChecksums(_ file: UnsafeMutableRawBufferPointer) {
    guard file.count >= Layout.header + Layout.trailer else { return }
    file.storeBytes(of: crc(file, 0, 60).littleEndian, toByteOffset: 60, as: UInt32.self)
    let trailer = file.count - Layout.trailer
    file.storeBytes(of: UInt64(file.count).littleEndian, toByteOffset: trailer + 16, as: UInt64.self)
    if let layout = RawLayout(UnsafeRawBufferPointer(file)) {
        for entry in layout.entries {
            for (index, part) in entry.parts.enumerated() where part.length > 0 {
                let slot = entry.entryOffset + Layout.partsStart + index * Layout.partLength + 16
                file.storeBytes(
                    of: crc(file, part.offset, part.length).littleEndian,
                    toByteOffset: slot,
                    as: UInt32.self
                )
            }
        }
        let end = layout.directoryOffset + layout.directoryLength - 4
        let checksum = crc(file, layout.directoryOffset, layout.directoryLength - 4)
        file.storeBytes(of: checksum.littleEndian, toByteOffset: end, as: UInt32.self)
    }
    file.storeBytes(of: crc(file, trailer, 24).littleEndian, toByteOffset: trailer + 24, as: UInt32.self)
}

/// Replaces one block of one ZSTD column with its decompressed bytes mutated and recompressed.
///
/// The new frame has another length, so the column's frames part is copied, with the new frame, to
/// the end of the data region (the old part stays behind as dead bytes), the block table is shifted to
/// match, and the directory and trailer move after it. Returns the new size, or `nil` when the input
/// has no usable ZSTD block or the result would exceed `maxSize`.
private func replaceZstdBlock(
    _ data: UnsafeMutablePointer<UInt8>,
    _ size: Int,
    _ maxSize: Int,
    _ random: inout SplitMix
) -> Int? {
    let file = UnsafeRawBufferPointer(start: data, count: size)
    guard let layout = RawLayout(file) else { return nil }
    let candidates = layout.entries.filter { $0.codec == 1 && $0.parts[0].length >= 16 && $0.parts[1].length > 0 }
    guard !candidates.isEmpty else { return nil }
    let entry = candidates[Int(random.next() % UInt64(candidates.count))]
    let (tableOffset, tableLength) = entry.parts[0]
    let (framesOffset, framesLength) = entry.parts[1]
    let block = Int(random.next() % UInt64(tableLength / 8 - 1))
    let start = Int(clamping: file.loadUnaligned(fromByteOffset: tableOffset + block * 8, as: UInt64.self))
    let end = Int(clamping: file.loadUnaligned(fromByteOffset: tableOffset + block * 8 + 8, as: UInt64.self))
    guard start < end, end <= framesLength else { return nil }
    let oldFrame = UnsafeRawBufferPointer(rebasing: file[(framesOffset + start)..<(framesOffset + end)])
    guard var content = try? Zstd.decompress(oldFrame, maximumOutputBytes: 1 << 20), !content.isEmpty else {
        return nil
    }

    let contentLength = content.count
    content += [UInt8](repeating: 0, count: 64 + contentLength / 4)
    let capacity = content.count
    let mutatedLength = libFuzzerMutate(&content, contentLength, capacity)
    content.removeLast(capacity - mutatedLength)
    guard let newFrame = try? Zstd.compress(content) else { return nil }

    let newFramesOffset = (layout.directoryOffset + 63) / 64 * 64
    let newFramesLength = framesLength - (end - start) + newFrame.count
    let newDirectoryOffset = newFramesOffset + newFramesLength
    let newSize = newDirectoryOffset + layout.directoryLength + Layout.trailer
    guard newSize <= maxSize else { return nil }

    var output = [UInt8](file[0..<layout.directoryOffset])
    output += [UInt8](repeating: 0, count: newFramesOffset - layout.directoryOffset)
    output += file[framesOffset..<(framesOffset + start)]
    output += newFrame
    output += file[(framesOffset + end)..<(framesOffset + framesLength)]
    output += file[layout.directoryOffset..<(layout.directoryOffset + layout.directoryLength)]
    output += file[(size - Layout.trailer)..<size]
    output.withUnsafeMutableBytes { out in
        // Later blocks move by the change in frame length.
        let delta = newFrame.count - (end - start)
        for later in (block + 1)..<(tableLength / 8) {
            let at = tableOffset + later * 8
            let moved = out.loadUnaligned(fromByteOffset: at, as: UInt64.self) &+ UInt64(bitPattern: Int64(delta))
            out.storeBytes(of: moved, toByteOffset: at, as: UInt64.self)
        }
        let partBase = newDirectoryOffset + (entry.entryOffset - layout.directoryOffset) + Layout.partsStart
        out.storeBytes(of: UInt64(newFramesOffset), toByteOffset: partBase + Layout.partLength, as: UInt64.self)
        out.storeBytes(of: UInt64(newFramesLength), toByteOffset: partBase + Layout.partLength + 8, as: UInt64.self)
        out.storeBytes(of: UInt64(newDirectoryOffset), toByteOffset: newSize - Layout.trailer, as: UInt64.self)
        UnsafeMutableRawPointer(data).copyMemory(from: out.baseAddress!, byteCount: newSize)
    }
    return newSize
}

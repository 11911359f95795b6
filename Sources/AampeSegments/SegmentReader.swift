internal import AampeCompression
internal import AampeCore
import Dispatch
import Synchronization

/// Settings for reading segment files.
public struct SegmentReaderConfiguration: Sendable {
    /// The most bytes of decompressed ZSTD blocks one reader keeps. Default 64 MiB.
    public var blockCacheBytes: Int = 64 * 1024 * 1024

    /// The defaults.
    public init() {}
}

/// An open, validated segment file, memory-mapped.
///
/// Opening checks the header, the trailer and the whole directory, so that nothing is handed out from a
/// file whose structure is wrong. The first use of a column checks that column's parts (CRC-32C of
/// every RAW part and of the block table, increasing offsets, bool bytes, the hash index), so a flipped
/// byte is caught before any value is returned, and start-up stays in milliseconds however large the
/// file. zstd frames are checked as they are decompressed, by zstd's own content checksum.
///
/// `@unchecked Sendable`: the mapping is immutable, and the mutable parts (the block cache, the record
/// of checked columns, the pool of zstd contexts) are behind locks.
public final class SegmentReader: @unchecked Sendable {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SegmentHeader
    /// The columns, in file order.
    public let columns: [ColumnDescriptor]
    /// The file's length.
    public var fileBytes: Int { file.bytes.count }

    let file: MappedFile
    let cache: BlockCache
    private let checkedColumns: Mutex<[Bool]>
    private let decompressors = Mutex<[PooledDecompressor]>([])

    /// Maps and validates the segment file at `path`.
    public init(path: String, configuration: SegmentReaderConfiguration = SegmentReaderConfiguration()) throws {
        self.path = path
        let file = try MappedFile(path: path)
        self.file = file
        let parsed = try SegmentStructure.parse(file.bytes, path: path)
        self.header = parsed.header
        self.columns = parsed.columns
        self.cache = BlockCache(capacityBytes: configuration.blockCacheBytes)
        self.checkedColumns = Mutex([Bool](repeating: false, count: parsed.columns.count))
    }

    /// The column named `name`.
    public func descriptor(named name: String) throws -> ColumnDescriptor {
        try columns[index(of: name)]
    }

    func index(of name: String) throws -> Int {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw SegmentError(path: path, column: name, reason: .columnNotFound)
        }
        return index
    }

    /// The bytes of one part of a column.
    func partBytes(_ column: ColumnDescriptor, _ part: Int) -> UnsafeRawBufferPointer {
        let part = column.parts[part]
        guard part.length > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: file.bytes[Int(part.offset)..<Int(part.offset + part.length)])
    }

    /// Checks column `index` once per reader; later calls return at once.
    func checkColumn(_ index: Int) throws {
        if checkedColumns.withLock({ $0[index] }) { return }
        try ColumnCheck(reader: self, column: columns[index]).run()
        checkedColumns.withLock { $0[index] = true }
    }

    /// Checks every column of `readers` not checked yet, as its first use would, spread over `threads`
    /// threads (the calling one among them): each part's checksum and each column's structure are
    /// independent pieces, taken biggest first. Opening a served generation checks every column it maps,
    /// and on one thread that was most of the daemon's start. Throws the error of the first failing
    /// piece in reader, column and piece order, so the error does not depend on the threads' timing;
    /// only columns that passed are marked checked.
    public static func checkColumns(of readers: [SegmentReader], threads: Int) throws {
        struct Scheduled: Sendable {
            let reader: Int
            let column: Int
            let piece: ColumnCheck.Piece
        }
        var pieces: [Scheduled] = []
        for (readerIndex, reader) in readers.enumerated() {
            let checked = reader.checkedColumns.withLock { $0 }
            for (columnIndex, column) in reader.columns.enumerated() where !checked[columnIndex] {
                for piece in ColumnCheck(reader: reader, column: column).pieces() {
                    pieces.append(Scheduled(reader: readerIndex, column: columnIndex, piece: piece))
                }
            }
        }
        let scheduled = pieces
        // Biggest first, so that no thread starts a big piece after the others have run out of work.
        let order = scheduled.indices.sorted { scheduled[$0].piece.bytes > scheduled[$1].piece.bytes }
        let failures = Mutex<[Int: any Error]>([:])
        let next = Atomic<Int>(0)
        let workers = max(1, min(threads, scheduled.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < order.count else { return }
                let index = order[position]
                do {
                    try scheduled[index].piece.run()
                } catch {
                    failures.withLock { $0[index] = error }
                }
            }
        }
        let failed = failures.withLock { $0 }
        let failedColumns = Set(failed.keys.map { [scheduled[$0].reader, scheduled[$0].column] })
        for piece in scheduled where !failedColumns.contains([piece.reader, piece.column]) {
            readers[piece.reader].checkedColumns.withLock { $0[piece.column] = true }
        }
        if let first = failed.keys.min() { throw failed[first]! }
    }

    /// Checks everything: every column as on first use, plus every zstd frame decompressed and the
    /// frames' own CRC-32C. Reads the whole file.
    public func verify() throws {
        for (index, column) in columns.enumerated() {
            try checkColumn(index)
            if column.codec == .zstd {
                let frames = partBytes(column, 1)
                if CRC32C.checksum(frames) != column.parts[1].checksum {
                    throw SegmentError(
                        path: path,
                        column: column.name,
                        reason: .checksumMismatch(structure: "zstd frames")
                    )
                }
                let blocks = ZstdBlocks(reader: self, columnIndex: index)
                for block in 0..<blocks.blockCount { _ = try blocks.decode(block) }
            }
        }
    }

    func withDecompressor<T>(_ body: (DecompressionContext) throws -> T) throws -> T {
        let context: DecompressionContext
        if let pooled = decompressors.withLock({ $0.popLast() }) {
            context = pooled.context
        } else {
            do {
                context = try DecompressionContext()
            } catch {
                throw SegmentError(path: path, reason: .io(operation: "create zstd context", message: "\(error)"))
            }
        }
        defer {
            let returned = PooledDecompressor(context: context)
            decompressors.withLock { pool in if pool.count < 8 { pool.append(returned) } }
        }
        return try body(context)
    }

    /// Decompressed bytes cached now, and cache hits and misses so far.
    public var blockCacheStatistics: (bytes: Int, hits: Int, misses: Int) { cache.statistics }
}

/// A zstd context resting in the pool. `@unchecked Sendable`: a context moves between threads only
/// through the pool's lock, and one caller at a time takes it out and uses it.
private struct PooledDecompressor: @unchecked Sendable {
    let context: DecompressionContext
}

/// Parsing and validation of the header, trailer and directory.
enum SegmentStructure {
    static func parse(
        _ bytes: UnsafeRawBufferPointer,
        path: String
    ) throws -> (header: SegmentHeader, columns: [ColumnDescriptor]) {
        func fail(_ reason: SegmentError.Reason, column: String? = nil) -> SegmentError {
            SegmentError(path: path, column: column, reason: reason)
        }
        let minimum = SegmentHeader.length + SegmentDirectory.fixedLength + 4 + SegmentTrailer.length
        guard bytes.count >= minimum else { throw fail(.tooShort(length: bytes.count)) }
        let reader = ByteReader(base: bytes)

        // Header.
        guard reader.bytes(at: 0, count: 8).map(Array.init) == SegmentHeader.magic else {
            throw fail(.badMagic(structure: "header"))
        }
        guard CRC32C.checksum(reader.bytes(at: 0, count: 60)!) == reader.integer(at: 60, as: UInt32.self)! else {
            throw fail(.checksumMismatch(structure: "header"))
        }
        let major = reader.integer(at: 8, as: UInt16.self)!
        guard major == SegmentHeader.currentMajorVersion else {
            throw fail(.unsupportedMajorVersion(found: major, supported: SegmentHeader.currentMajorVersion))
        }
        let header = SegmentHeader(
            majorVersion: major,
            minorVersion: reader.integer(at: 10)!,
            kind: SegmentKind(rawValue: reader.integer(at: 12)!),
            segmentID: SegmentID(bytes: Array(reader.bytes(at: 16, count: 16)!)),
            createdAt: Timestamp(rawValue: reader.integer(at: 32)!)
        )

        // Trailer.
        let trailerStart = bytes.count - SegmentTrailer.length
        guard reader.bytes(at: trailerStart + 28, count: 4).map(Array.init) == SegmentTrailer.magic else {
            throw fail(.badMagic(structure: "trailer"))
        }
        guard
            CRC32C.checksum(reader.bytes(at: trailerStart, count: 24)!) == reader.integer(
                at: trailerStart + 24,
                as: UInt32.self
            )!
        else {
            throw fail(.checksumMismatch(structure: "trailer"))
        }
        let recordedLength: UInt64 = reader.integer(at: trailerStart + 16)!
        guard recordedLength == UInt64(bytes.count) else {
            throw fail(.fileLengthMismatch(recorded: recordedLength, actual: UInt64(bytes.count)))
        }
        let directoryOffset: UInt64 = reader.integer(at: trailerStart)!
        let directoryLength: UInt64 = reader.integer(at: trailerStart + 8)!
        guard directoryOffset >= UInt64(SegmentHeader.length),
            directoryLength >= UInt64(SegmentDirectory.fixedLength + 4),
            directoryOffset <= UInt64(trailerStart), directoryLength <= UInt64(trailerStart) - directoryOffset
        else { throw fail(.outOfBounds(structure: "directory")) }

        // Directory.
        let directory = ByteReader(base: reader.bytes(at: Int(directoryOffset), count: Int(directoryLength))!)
        let directoryEnd = Int(directoryLength) - 4
        guard directory.bytes(at: 0, count: 4).map(Array.init) == SegmentDirectory.magic else {
            throw fail(.badMagic(structure: "directory"))
        }
        guard
            CRC32C.checksum(directory.bytes(at: 0, count: directoryEnd)!) == directory.integer(
                at: directoryEnd,
                as: UInt32.self
            )!
        else {
            throw fail(.checksumMismatch(structure: "directory"))
        }
        let count = Int(directory.integer(at: 4, as: UInt32.self)!)
        let entryLength = Int(directory.integer(at: 8, as: UInt32.self)!)
        guard count <= Limits.maximumSegmentColumns else {
            throw fail(.limitExceeded(what: "column count", value: count, limit: Limits.maximumSegmentColumns))
        }
        guard entryLength >= SegmentDirectory.entryLength,
            SegmentDirectory.fixedLength + count * entryLength == directoryEnd
        else { throw fail(.malformedDirectory(field: "entry length or column count")) }

        var columns: [ColumnDescriptor] = []
        var names = Set<String>()
        for index in 0..<count {
            let entry = ByteReader(
                base: directory.bytes(at: SegmentDirectory.fixedLength + index * entryLength, count: entryLength)!
            )
            let column = try parseEntry(entry, index: index, dataEnd: directoryOffset, path: path)
            guard names.insert(column.name).inserted else { throw fail(.duplicateColumn, column: column.name) }
            columns.append(column)
        }
        return (header, columns)
    }

    private static func parseEntry(
        _ entry: ByteReader,
        index: Int,
        dataEnd: UInt64,
        path: String
    ) throws -> ColumnDescriptor {
        let nameLength = Int(entry.integer(at: 0, as: UInt8.self)!)
        guard (1...Limits.maximumColumnNameBytes).contains(nameLength),
            let name = String(validating: entry.bytes(at: 1, count: nameLength)!, as: UTF8.self)
        else { throw SegmentError(path: path, column: "#\(index)", reason: .malformedDirectory(field: "name")) }
        func fail(_ field: String) -> SegmentError {
            SegmentError(path: path, column: name, reason: .malformedDirectory(field: field))
        }
        let dimension = Int(entry.integer(at: 68, as: UInt32.self)!)
        guard let type = ColumnType(code: entry.integer(at: 64)!, vectorDimension: dimension) else {
            throw fail("type")
        }
        guard let codec = ColumnCodec(rawValue: entry.integer(at: 65)!) else { throw fail("codec") }
        if case .float32Vector = type {
            guard (1...Limits.maximumVectorDimension).contains(dimension) else { throw fail("vector dimension") }
        } else if dimension != 0 {
            throw fail("vector dimension")
        }
        let flags: UInt16 = entry.integer(at: 66)!
        let hasHashIndex = flags & 1 != 0
        let rows64: UInt64 = entry.integer(at: 72)!
        guard rows64 <= UInt64(Limits.maximumColumnRows) else { throw fail("row count") }
        let rows = Int(rows64)
        let rowsPerBlock = Int(entry.integer(at: 80, as: UInt32.self)!)
        var parts: [ColumnDescriptor.Part] = []
        for part in 0..<3 {
            let base = 88 + part * 24
            let descriptor = ColumnDescriptor.Part(
                offset: entry.integer(at: base)!,
                length: entry.integer(at: base + 8)!,
                checksum: entry.integer(at: base + 16)!
            )
            if descriptor.length > 0 {
                guard descriptor.offset >= UInt64(SegmentHeader.length), descriptor.offset % UInt64(partAlignment) == 0,
                    descriptor.offset <= dataEnd, descriptor.length <= dataEnd - descriptor.offset
                else { throw SegmentError(path: path, column: name, reason: .outOfBounds(structure: "part \(part)")) }
            }
            parts.append(descriptor)
        }

        // The part lengths must be exactly what the type, codec and row count imply.
        switch (codec, type.rowWidth) {
        case (.raw, let width?):
            guard rowsPerBlock == 0 else { throw fail("rows per block") }
            guard !hasHashIndex else { throw fail("flags") }
            guard parts[0].length == UInt64(rows) * UInt64(width) else { throw fail("part 0 length") }
            guard parts[1].length == 0, parts[2].length == 0 else { throw fail("unused part length") }
        case (.raw, nil):
            guard rowsPerBlock == 0 else { throw fail("rows per block") }
            guard parts[0].length == UInt64(rows + 1) * 8 else { throw fail("part 0 length") }
            if hasHashIndex {
                let slots = Int(parts[2].length) / DictionaryHash.slotLength
                guard Int(parts[2].length) == slots * DictionaryHash.slotLength,
                    slots == DictionaryHash.slotCount(forRows: rows)
                else { throw fail("part 2 length") }
            } else if parts[2].length != 0 {
                throw fail("unused part length")
            }
        case (.zstd, _):
            guard (1...Limits.maximumRowsPerBlock).contains(rowsPerBlock) else { throw fail("rows per block") }
            guard !hasHashIndex else { throw fail("flags") }
            let blocks = (rows + rowsPerBlock - 1) / rowsPerBlock
            guard parts[0].length == UInt64(blocks + 1) * 8 else { throw fail("part 0 length") }
            guard parts[2].length == 0 else { throw fail("unused part length") }
            if let width = type.rowWidth, rowsPerBlock * width > Limits.maximumBlockBytes {
                throw SegmentError(
                    path: path,
                    column: name,
                    reason: .limitExceeded(
                        what: "block size in bytes",
                        value: rowsPerBlock * width,
                        limit: Limits.maximumBlockBytes
                    )
                )
            }
        }
        return ColumnDescriptor(
            name: name,
            type: type,
            codec: codec,
            rowCount: rows,
            rowsPerBlock: rowsPerBlock,
            hasHashIndex: hasHashIndex,
            parts: parts
        )
    }
}

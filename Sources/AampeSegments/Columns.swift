/// A column of fixed-width scalars.
///
/// A RAW column is the mapped file itself: ``rawValues`` is a zero-copy typed view. A ZSTD column
/// decompresses the block holding a row on demand, through the reader's block cache.
///
/// `@unchecked Sendable`: the buffer points into an immutable mapping that ``reader`` keeps alive.
public struct ScalarColumn<Value: SegmentScalar>: @unchecked Sendable {
    /// The column's directory entry.
    public let descriptor: ColumnDescriptor
    let reader: SegmentReader
    /// RAW: the values in place. ZSTD: `nil`.
    public let rawValues: UnsafeBufferPointer<Value>?
    let blocks: ZstdBlocks?

    init(reader: SegmentReader, index: Int) throws {
        let descriptor = reader.columns[index]
        guard descriptor.type == Value.columnType else {
            throw SegmentError(
                path: reader.path,
                column: descriptor.name,
                reason: .typeMismatch(expected: "\(Value.columnType)", found: "\(descriptor.type)")
            )
        }
        try reader.checkColumn(index)
        self.descriptor = descriptor
        self.reader = reader
        if descriptor.codec == .raw {
            let bytes = reader.partBytes(descriptor, 0)
            // Parts are 64-byte aligned in a page-aligned mapping, so the typed view is aligned.
            rawValues =
                bytes.isEmpty
                ? UnsafeBufferPointer(start: nil, count: 0)
                : UnsafeBufferPointer(
                    start: bytes.baseAddress!.assumingMemoryBound(to: Value.self),
                    count: descriptor.rowCount
                )
            blocks = nil
        } else {
            rawValues = nil
            blocks = ZstdBlocks(reader: reader, columnIndex: index)
        }
    }

    /// Rows in the column.
    public var count: Int { descriptor.rowCount }

    /// The value in row `row`. A row outside `0 ..< count` is a caller's bug.
    public func value(at row: Int) throws -> Value {
        precondition(row >= 0 && row < count, "row \(row) out of 0 ..< \(count)")
        if let rawValues { return rawValues[row] }
        let blocks = blocks!
        let rowsPerBlock = descriptor.rowsPerBlock
        let block = try blocks.cached(row / rowsPerBlock)
        return block.bytes.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: (row % rowsPerBlock) * MemoryLayout<Value>.stride, as: Value.self)
        }
    }

    /// Calls `body` with consecutive runs of values, in row order: the whole column at once for RAW,
    /// one block at a time for ZSTD (decompressed into one reused buffer, bypassing the cache).
    public func scan(_ body: (UnsafeBufferPointer<Value>) throws -> Void) throws {
        if let rawValues { return try body(rawValues) }
        let blocks = blocks!
        var buffer = [Value]()
        buffer.reserveCapacity(descriptor.rowsPerBlock)
        for block in 0..<blocks.blockCount {
            let rows = blocks.rows(inBlock: block)
            try withUnsafeTemporaryAllocation(of: Value.self, capacity: rows) { values in
                try blocks.decodeFixed(block, into: UnsafeMutableRawBufferPointer(values))
                try body(UnsafeBufferPointer(values))
            }
        }
    }
}

/// A column of `f32` vectors of a fixed dimension.
///
/// `@unchecked Sendable`: see ``ScalarColumn``.
public struct VectorColumn: @unchecked Sendable {
    /// The column's directory entry.
    public let descriptor: ColumnDescriptor
    /// Elements per row.
    public let dimension: Int
    let reader: SegmentReader
    /// RAW: all elements in place, row-major. ZSTD: `nil`.
    public let rawElements: UnsafeBufferPointer<Float>?
    let blocks: ZstdBlocks?

    init(reader: SegmentReader, index: Int) throws {
        let descriptor = reader.columns[index]
        guard case .float32Vector(let dimension) = descriptor.type else {
            throw SegmentError(
                path: reader.path,
                column: descriptor.name,
                reason: .typeMismatch(expected: "f32 vector", found: "\(descriptor.type)")
            )
        }
        try reader.checkColumn(index)
        self.descriptor = descriptor
        self.dimension = dimension
        self.reader = reader
        if descriptor.codec == .raw {
            let bytes = reader.partBytes(descriptor, 0)
            rawElements =
                bytes.isEmpty
                ? UnsafeBufferPointer(start: nil, count: 0)
                : UnsafeBufferPointer(
                    start: bytes.baseAddress!.assumingMemoryBound(to: Float.self),
                    count: descriptor.rowCount * dimension
                )
            blocks = nil
        } else {
            rawElements = nil
            blocks = ZstdBlocks(reader: reader, columnIndex: index)
        }
    }

    /// Rows in the column.
    public var count: Int { descriptor.rowCount }

    /// Row `row`'s vector, in place for RAW. A row outside `0 ..< count` is a caller's bug.
    public func rawVector(at row: Int) -> UnsafeBufferPointer<Float>? {
        precondition(row >= 0 && row < count, "row \(row) out of 0 ..< \(count)")
        guard let rawElements else { return nil }
        return UnsafeBufferPointer(rebasing: rawElements[(row * dimension)..<((row + 1) * dimension)])
    }

    /// Row `row`'s vector, copied.
    public func vector(at row: Int) throws -> [Float] {
        if let vector = rawVector(at: row) { return Array(vector) }
        let rowsPerBlock = descriptor.rowsPerBlock
        let block = try blocks!.cached(row / rowsPerBlock)
        let start = (row % rowsPerBlock) * dimension * 4
        return block.bytes.withUnsafeBytes { raw in
            (0..<dimension).map { raw.loadUnaligned(fromByteOffset: start + $0 * 4, as: Float.self) }
        }
    }
}

/// A column of byte strings or UTF-8 strings.
///
/// `@unchecked Sendable`: see ``ScalarColumn``.
public struct BytesColumn: @unchecked Sendable {
    /// The column's directory entry.
    public let descriptor: ColumnDescriptor
    let reader: SegmentReader
    let offsets: UnsafeRawBufferPointer
    let data: UnsafeRawBufferPointer
    let blocks: ZstdBlocks?

    init(reader: SegmentReader, index: Int) throws {
        let descriptor = reader.columns[index]
        guard descriptor.type == .bytes || descriptor.type == .utf8 else {
            throw SegmentError(
                path: reader.path,
                column: descriptor.name,
                reason: .typeMismatch(expected: "bytes or utf8", found: "\(descriptor.type)")
            )
        }
        try reader.checkColumn(index)
        self.descriptor = descriptor
        self.reader = reader
        if descriptor.codec == .raw {
            offsets = reader.partBytes(descriptor, 0)
            data = reader.partBytes(descriptor, 1)
            blocks = nil
        } else {
            offsets = UnsafeRawBufferPointer(start: nil, count: 0)
            data = offsets
            blocks = ZstdBlocks(reader: reader, columnIndex: index)
        }
    }

    /// Rows in the column.
    public var count: Int { descriptor.rowCount }

    /// Whether values are used in place (RAW).
    public var isRaw: Bool { blocks == nil }

    /// Row `row`'s bytes in place, for RAW columns. A row outside `0 ..< count` is a caller's bug.
    public func rawValue(at row: Int) -> UnsafeRawBufferPointer {
        precondition(row >= 0 && row < count, "row \(row) out of 0 ..< \(count)")
        precondition(blocks == nil, "rawValue(at:) on a ZSTD column")
        let start = Int(offsets.loadUnaligned(fromByteOffset: row * 8, as: UInt64.self))
        let end = Int(offsets.loadUnaligned(fromByteOffset: row * 8 + 8, as: UInt64.self))
        return UnsafeRawBufferPointer(rebasing: data[start..<end])
    }

    /// Calls `body` with row `row`'s bytes.
    public func withValue<Result>(at row: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        if blocks == nil { return try body(rawValue(at: row)) }
        precondition(row >= 0 && row < count, "row \(row) out of 0 ..< \(count)")
        let rowsPerBlock = descriptor.rowsPerBlock
        let block = try blocks!.cached(row / rowsPerBlock)
        let inBlock = row % rowsPerBlock
        let start = block.dataStart + Int(block.rowOffsets[inBlock])
        let end = block.dataStart + Int(block.rowOffsets[inBlock + 1])
        return try block.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Row `row`'s bytes, copied.
    public func bytes(at row: Int) throws -> [UInt8] {
        try withValue(at: row) { Array($0) }
    }

    /// Row `row` as a string. Invalid UTF-8 (which only a damaged writer can produce, since the writer
    /// takes Swift strings and every byte is checksummed) is repaired with U+FFFD, never trusted.
    public func string(at row: Int) throws -> String {
        try withValue(at: row) { String(decoding: $0, as: UTF8.self) }
    }
}

/// A dictionary column: unique string keys, and a stored hash index from key to row.
///
/// A lookup hashes the key, reads one 16-byte slot (usually one cache miss) and compares the key bytes
/// it points at (usually one more). Nothing is built at load.
///
/// `@unchecked Sendable`: see ``ScalarColumn``.
public struct DictionaryColumn: @unchecked Sendable {
    /// The keys, row by row.
    public let keys: BytesColumn
    let slots: UnsafeRawBufferPointer
    let mask: Int

    init(reader: SegmentReader, index: Int) throws {
        keys = try BytesColumn(reader: reader, index: index)
        guard keys.descriptor.hasHashIndex else {
            throw SegmentError(
                path: reader.path,
                column: keys.descriptor.name,
                reason: .typeMismatch(
                    expected: "dictionary (utf8 with hash index)",
                    found: "\(keys.descriptor.type) without index"
                )
            )
        }
        slots = reader.partBytes(keys.descriptor, 2)
        mask = slots.count / DictionaryHash.slotLength - 1
    }

    /// Keys in the dictionary.
    public var count: Int { keys.count }

    /// The row of `key`, or `nil` when it is not in the dictionary.
    public func row(for key: String) -> Int? {
        var key = key
        return key.withUTF8 { row(forUTF8: UnsafeRawBufferPointer($0)) }
    }

    /// The row of the key with these UTF-8 bytes, or `nil`.
    public func row(forUTF8 key: UnsafeRawBufferPointer) -> Int? {
        var slot = Int(truncatingIfNeeded: DictionaryHash.hash(key)) & mask
        // The table is at most half full, so a probe meets an empty slot quickly; `mask + 1` probes bound
        // it even so.
        for _ in 0...mask {
            let base = slot * DictionaryHash.slotLength
            let rowPlusOne = Int(slots.loadUnaligned(fromByteOffset: base + 12, as: UInt32.self))
            if rowPlusOne == 0 { return nil }
            let length = Int(slots.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self))
            if length == key.count {
                let offset = Int(slots.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                let stored = UnsafeRawBufferPointer(rebasing: keys.data[offset..<(offset + length)])
                if length == 0 || memcmp(stored.baseAddress!, key.baseAddress!, length) == 0 { return rowPlusOne - 1 }
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The key in row `row`.
    public func key(at row: Int) -> String {
        String(decoding: keys.rawValue(at: row), as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SegmentReader {
    /// The scalar column `name`, checked on first use. Throws if it is missing or of another type.
    public func scalarColumn<Value: SegmentScalar>(
        _ name: String,
        as type: Value.Type = Value.self
    ) throws -> ScalarColumn<Value> {
        try ScalarColumn(reader: self, index: index(of: name))
    }

    /// The vector column `name`, checked on first use.
    public func vectorColumn(_ name: String) throws -> VectorColumn {
        try VectorColumn(reader: self, index: index(of: name))
    }

    /// The bytes or UTF-8 column `name`, checked on first use.
    public func bytesColumn(_ name: String) throws -> BytesColumn {
        try BytesColumn(reader: self, index: index(of: name))
    }

    /// The dictionary column `name`, checked on first use.
    public func dictionaryColumn(_ name: String) throws -> DictionaryColumn {
        try DictionaryColumn(reader: self, index: index(of: name))
    }
}

internal import AampeCompression
internal import AampeCore

/// Access to one ZSTD column's blocks: decoding, checking what was decoded, and caching.
///
/// `@unchecked Sendable`: every property is a `let`; the two buffers point into the reader's immutable
/// mapping, which ``reader`` keeps alive, and the cache it fills is the reader's, behind its lock.
struct ZstdBlocks: @unchecked Sendable {
    let reader: SegmentReader
    let columnIndex: Int
    let column: ColumnDescriptor
    let table: UnsafeRawBufferPointer
    let frames: UnsafeRawBufferPointer

    init(reader: SegmentReader, columnIndex: Int) {
        self.reader = reader
        self.columnIndex = columnIndex
        self.column = reader.columns[columnIndex]
        self.table = reader.partBytes(column, 0)
        self.frames = reader.partBytes(column, 1)
    }

    var blockCount: Int { table.count / 8 - 1 }

    func rows(inBlock block: Int) -> Int {
        min(column.rowsPerBlock, column.rowCount - block * column.rowsPerBlock)
    }

    private func fail(_ block: Int, _ detail: String) -> SegmentError {
        SegmentError(path: reader.path, column: column.name, reason: .badBlock(block: block, detail: detail))
    }

    private func frame(_ block: Int) -> UnsafeRawBufferPointer {
        let start = Int(table.loadUnaligned(fromByteOffset: block * 8, as: UInt64.self))
        let end = Int(table.loadUnaligned(fromByteOffset: block * 8 + 8, as: UInt64.self))
        return UnsafeRawBufferPointer(rebasing: frames[start..<end])
    }

    /// The block through the reader's cache.
    func cached(_ block: Int) throws -> DecodedBlock {
        try reader.cache.block(BlockCache.Key(column: columnIndex, block: block)) { try decode(block) }
    }

    /// Decompresses and checks a block, bypassing the cache.
    func decode(_ block: Int) throws -> DecodedBlock {
        let rows = rows(inBlock: block)
        if let width = column.type.rowWidth {
            var bytes = [UInt8](repeating: 0, count: rows * width)
            try bytes.withUnsafeMutableBytes { try decodeFixed(block, into: $0) }
            return DecodedBlock(bytes: bytes)
        }
        let bytes = try reader.withDecompressor { context in
            do {
                return try context.decompress(frame(block), maximumOutputBytes: Limits.maximumBlockBytes)
            } catch {
                throw fail(block, "\(error)")
            }
        }
        let tableLength = (rows + 1) * 4
        guard bytes.count >= tableLength else { throw fail(block, "shorter than its row offsets") }
        let dataLength = bytes.count - tableLength
        var offsets = [UInt32](repeating: 0, count: rows + 1)
        try bytes.withUnsafeBytes { raw in
            var previous: UInt32 = 0
            for row in 0...rows {
                let offset = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: row * 4, as: UInt32.self))
                guard row > 0 || offset == 0, offset >= previous, Int(offset) <= dataLength else {
                    throw fail(block, "row offsets out of order")
                }
                offsets[row] = offset
                previous = offset
            }
            guard Int(previous) == dataLength else { throw fail(block, "row offsets do not end at the data's end") }
        }
        return DecodedBlock(bytes: bytes, rowOffsets: offsets, dataStart: tableLength)
    }

    /// Decompresses a fixed-width block straight into `output`, which must be exactly its size.
    func decodeFixed(_ block: Int, into output: UnsafeMutableRawBufferPointer) throws {
        let written = try reader.withDecompressor { context in
            do {
                return try context.decompressFrame(frame(block), into: output)
            } catch {
                throw fail(block, "\(error)")
            }
        }
        guard written == output.count else {
            throw fail(block, "decompressed to \(written) bytes, expected \(output.count)")
        }
        if column.type == .bool, let row = UnsafeRawBufferPointer(output).firstIndex(where: { $0 > 1 }) {
            throw SegmentError(
                path: reader.path,
                column: column.name,
                reason: .invalidValue(row: block * column.rowsPerBlock + row, expected: "bool")
            )
        }
    }
}

internal import AampeCore

/// The checks a column passes before its first value is handed out: part checksums and the structure
/// inside the parts. After them, accessors need no checks beyond the row bound.
struct ColumnCheck: Sendable {
    let reader: SegmentReader
    let column: ColumnDescriptor

    private func fail(_ reason: SegmentError.Reason) -> SegmentError {
        SegmentError(path: reader.path, column: column.name, reason: reason)
    }

    /// One independent piece of the check, with the bytes it reads (to schedule the biggest first).
    struct Piece: Sendable {
        let bytes: Int
        let run: @Sendable () throws -> Void
    }

    func run() throws {
        for piece in pieces() { try piece.run() }
    }

    /// The check as independent pieces, in the order ``run()`` takes them: each part's checksum, then
    /// the structure.
    func pieces() -> [Piece] {
        // RAW: every part. ZSTD: the block table (part 0); frames are checked by zstd when decoded.
        let checkedParts = column.codec == .raw ? [0, 1, 2] : [0]
        var pieces = checkedParts.filter { column.parts[$0].length > 0 }.map { index in
            Piece(bytes: Int(column.parts[index].length)) {
                if CRC32C.checksum(reader.partBytes(column, index)) != column.parts[index].checksum {
                    throw fail(.checksumMismatch(structure: "part \(index)"))
                }
            }
        }
        // The hash index check reads a row's offsets for each slot, in slot order: about a cache miss per
        // slot, so it weighs more than its bytes.
        let structureBytes =
            column.hasHashIndex ? 4 * Int(column.parts[2].length) : Int(column.parts[0].length)
        pieces.append(Piece(bytes: structureBytes) { try checkStructure() })
        return pieces
    }

    private func checkStructure() throws {
        switch (column.codec, column.type) {
        case (.raw, .bool):
            let values = reader.partBytes(column, 0)
            if let row = values.firstIndex(where: { $0 > 1 }) { throw fail(.invalidValue(row: row, expected: "bool")) }
        case (.raw, .bytes), (.raw, .utf8):
            try checkOffsets(reader.partBytes(column, 0), dataLength: UInt64(column.parts[1].length))
            if column.hasHashIndex { try checkHashIndex() }
        case (.zstd, _):
            try checkBlockTable()
        default:
            break
        }
    }

    /// u64 offsets: start at 0, never decrease, end at the data length.
    private func checkOffsets(_ offsets: UnsafeRawBufferPointer, dataLength: UInt64) throws {
        var previous: UInt64 = 0
        for row in 0...column.rowCount {
            let offset = offsets.loadUnaligned(fromByteOffset: row * 8, as: UInt64.self)
            if (row == 0 && offset != 0) || offset < previous || offset > dataLength {
                throw fail(.badOffsets(row: row))
            }
            previous = offset
        }
        guard previous == dataLength else { throw fail(.badOffsets(row: column.rowCount)) }
    }

    private func checkBlockTable() throws {
        let table = reader.partBytes(column, 0)
        let frames = UInt64(column.parts[1].length)
        let count = table.count / 8
        var previous: UInt64 = 0
        for block in 0..<count {
            let offset = table.loadUnaligned(fromByteOffset: block * 8, as: UInt64.self)
            // Every block is a non-empty frame, so offsets strictly increase.
            if (block == 0 && offset != 0) || (block > 0 && offset <= previous) || offset > frames {
                throw fail(.badBlock(block: block, detail: "block table offset out of order or past the frames"))
            }
            previous = offset
        }
        guard previous == frames else {
            throw fail(.badBlock(block: count - 1, detail: "block table does not end at the frames' end"))
        }
    }

    /// Every key is in exactly one slot, which records its offset and length, and no slot points
    /// anywhere else.
    private func checkHashIndex() throws {
        let offsets = reader.partBytes(column, 0)
        let slots = reader.partBytes(column, 2)
        let slotCount = slots.count / DictionaryHash.slotLength
        var occupied = 0
        for slot in 0..<slotCount {
            let base = slot * DictionaryHash.slotLength
            let rowPlusOne = Int(slots.loadUnaligned(fromByteOffset: base + 12, as: UInt32.self))
            if rowPlusOne == 0 { continue }
            occupied += 1
            let row = rowPlusOne - 1
            guard row < column.rowCount else { throw fail(.badHashIndex(slot: slot)) }
            let start = offsets.loadUnaligned(fromByteOffset: row * 8, as: UInt64.self)
            let end = offsets.loadUnaligned(fromByteOffset: row * 8 + 8, as: UInt64.self)
            let keyOffset = slots.loadUnaligned(fromByteOffset: base, as: UInt64.self)
            let keyLength = UInt64(slots.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self))
            guard keyOffset == start, keyLength == end - start else { throw fail(.badHashIndex(slot: slot)) }
        }
        guard occupied == column.rowCount else { throw fail(.badHashIndex(slot: slotCount)) }
    }
}

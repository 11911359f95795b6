internal import AampeCore

/// Receives a fixed-width column block by block and writes it RAW or as zstd frames.
struct FixedWidthSink {
    let writer: SegmentWriter
    let name: String
    let codec: ColumnCodec
    let rowWidth: Int
    var rows = 0
    /// ZSTD: where each frame starts, relative to the frames part.
    var blockOffsets: [UInt64] = [0]

    init(writer: SegmentWriter, name: String, codec: ColumnCodec, rowWidth: Int) throws {
        self.writer = writer
        self.name = name
        self.codec = codec
        self.rowWidth = rowWidth
        // RAW: part 0 is the values. ZSTD: the frames come first (part 1), the block table after.
        try writer.output.beginPart()
    }

    mutating func emit(_ bytes: UnsafeRawBufferPointer, rows count: Int) throws {
        assert(bytes.count == count * rowWidth)
        rows += count
        if rows > Limits.maximumColumnRows { throw writer.rowLimitError(name, rows: rows) }
        switch codec {
        case .raw:
            try writer.output.write(bytes)
        case .zstd:
            let frame = try writer.compress(bytes, column: name)
            try writer.output.write(frame)
            blockOffsets.append(blockOffsets.last! + UInt64(frame.count))
        }
    }

    func finish(type: ColumnType, rowsPerBlock: Int) throws -> ColumnDescriptor {
        let parts =
            codec == .zstd ? try writer.output.endZstdParts(blockOffsets: blockOffsets) : [writer.output.endPart()]
        return ColumnDescriptor(
            name: name,
            type: type,
            codec: codec,
            rowCount: rows,
            rowsPerBlock: rowsPerBlock,
            hasHashIndex: false,
            parts: parts
        )
    }
}

/// Receives a bytes or UTF-8 column row by row.
///
/// RAW: the value bytes stream into the file as part 1 while the u64 offsets stream into a side file,
/// which is appended as part 0 at the end; memory stays at two buffers.
/// ZSTD: rows gather into a block of u32 offsets and bytes, which is compressed when full.
struct VariableLengthSink {
    let writer: SegmentWriter
    let name: String
    let codec: ColumnCodec
    let rowsPerBlock: Int
    var rows = 0
    var dataLength: UInt64 = 0
    var offsetsOutput: FileOutput?
    var blockOffsets: [UInt64] = [0]
    var blockRowOffsets: [UInt32] = [0]
    var blockData: [UInt8] = []

    init(writer: SegmentWriter, name: String, codec: ColumnCodec) throws {
        self.writer = writer
        self.name = name
        self.codec = codec
        self.rowsPerBlock = codec == .zstd ? writer.configuration.variableRowsPerBlock : 0
        try writer.output.beginPart()
        if codec == .raw {
            let side = try FileOutput(path: writer.temporaryPath + ".offsets", bufferCapacity: 1 << 16)
            try side.write(withUnsafeBytes(of: UInt64(0).littleEndian) { Array($0) })
            offsetsOutput = side
        }
    }

    mutating func append(_ value: UnsafeRawBufferPointer) throws {
        rows += 1
        if rows > Limits.maximumColumnRows { throw writer.rowLimitError(name, rows: rows) }
        switch codec {
        case .raw:
            try writer.output.write(value)
            dataLength += UInt64(value.count)
            try withUnsafeBytes(of: dataLength.littleEndian) { try offsetsOutput!.write($0) }
        case .zstd:
            blockData.append(contentsOf: value)
            let blockBytes = blockRowOffsets.count * 4 + 4 + blockData.count
            if blockBytes > Limits.maximumBlockBytes {
                throw SegmentError(
                    path: writer.path,
                    column: name,
                    reason: .limitExceeded(
                        what: "block size in bytes",
                        value: blockBytes,
                        limit: Limits.maximumBlockBytes
                    )
                )
            }
            blockRowOffsets.append(UInt32(blockData.count))
            if blockRowOffsets.count - 1 == rowsPerBlock { try flushBlock() }
        }
    }

    private mutating func flushBlock() throws {
        let rowCount = blockRowOffsets.count - 1
        guard rowCount > 0 else { return }
        var block: [UInt8] = []
        block.reserveCapacity(blockRowOffsets.count * 4 + blockData.count)
        for offset in blockRowOffsets { withUnsafeBytes(of: offset.littleEndian) { block += $0 } }
        block += blockData
        let frame = try block.withUnsafeBytes { try writer.compress($0, column: name) }
        try writer.output.write(frame)
        blockOffsets.append(blockOffsets.last! + UInt64(frame.count))
        blockRowOffsets = [0]
        blockData.removeAll(keepingCapacity: true)
    }

    mutating func finish(type: ColumnType) throws -> ColumnDescriptor {
        var parts: [ColumnDescriptor.Part]
        switch codec {
        case .raw:
            let data = writer.output.endPart()
            let side = offsetsOutput!
            try side.flush()
            defer {
                side.closeFile()
                unlinkSideFile(side.path)
            }
            let length = Int(side.position)
            let mapped = try MappedRegion(fd: side.fd, path: side.path, offset: 0, length: length, writable: false)
            parts = [try writer.output.writePart(UnsafeRawBufferPointer(mapped.bytes)), data]
        case .zstd:
            try flushBlock()
            parts = try writer.output.endZstdParts(blockOffsets: blockOffsets)
        }
        return ColumnDescriptor(
            name: name,
            type: type,
            codec: codec,
            rowCount: rows,
            rowsPerBlock: rowsPerBlock,
            hasHashIndex: false,
            parts: parts
        )
    }
}

internal import AampeCompression
public import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings for writing a segment file.
public struct SegmentWriterConfiguration: Sendable {
    /// Rows per zstd block in fixed-width ZSTD columns. Default 65,536: a 256 KiB block of `f32`, big
    /// enough to compress well and small enough to decompress in tens of microseconds.
    public var rowsPerBlock: Int = 65_536
    /// Rows per zstd block in bytes and UTF-8 ZSTD columns. Default 4,096.
    public var variableRowsPerBlock: Int = 4_096
    /// zstd level. Default 3, zstd's own default.
    public var compressionLevel: Int32 = 3
    /// Write buffer size. Default 1 MiB. Together with one block, this is what a writer holds in memory.
    public var bufferBytes: Int = 1 << 20

    /// The defaults.
    public init() {}
}

/// Writes one segment file, column after column, with memory bounded by one block and one buffer.
///
/// The file is written under a temporary name beside its final path, then fsynced and renamed into place
/// by ``finish()``, so a reader sees either no file or a complete one. A writer that is dropped without
/// finishing removes its temporary file.
///
/// ```swift
/// let writer = try SegmentWriter(path: dir + "/items.seg", kind: .items)
/// try writer.writeDictionaryColumn("item_id", keys: itemIDs)
/// try writer.writeColumn("popularity", values: popularity)
/// try writer.finish()
/// ```
///
/// Not `Sendable`: one task writes a file.
public final class SegmentWriter {
    /// The final path.
    public let path: String
    let temporaryPath: String
    let configuration: SegmentWriterConfiguration
    let output: FileOutput
    let compressor: CompressionContext
    private(set) var columns: [ColumnDescriptor] = []
    private var isFinished = false

    /// Starts a segment file of `kind` that will appear at `path` when finished.
    public init(
        path: String,
        kind: SegmentKind,
        createdAt: Timestamp = .now(),
        configuration: SegmentWriterConfiguration = SegmentWriterConfiguration()
    ) throws {
        precondition(
            (1...Limits.maximumRowsPerBlock).contains(configuration.rowsPerBlock)
                && (1...Limits.maximumRowsPerBlock).contains(configuration.variableRowsPerBlock),
            "rows per block must be 1 ... \(Limits.maximumRowsPerBlock)"
        )
        self.path = path
        self.temporaryPath = path + ".tmp"
        self.configuration = configuration
        do {
            self.compressor = try CompressionContext(level: configuration.compressionLevel)
        } catch {
            throw SegmentError(path: path, reason: .io(operation: "create zstd context", message: "\(error)"))
        }
        self.output = try FileOutput(path: temporaryPath, bufferCapacity: configuration.bufferBytes)
        let header = SegmentHeader(
            majorVersion: SegmentHeader.currentMajorVersion,
            minorVersion: SegmentHeader.currentMinorVersion,
            kind: kind,
            segmentID: .random(),
            createdAt: createdAt
        )
        try output.write(header.encoded())
    }

    deinit {
        if !isFinished {
            output.closeFile()
            unlink(temporaryPath)
        }
    }

    // MARK: Fixed-width columns

    /// Writes a column of scalars, streaming `values`.
    public func writeColumn<Values: Sequence>(
        _ name: String,
        codec: ColumnCodec = .raw,
        values: Values
    ) throws where Values.Element: SegmentScalar {
        let type = Values.Element.columnType
        try checkNewColumn(name)
        let rowsPerBlock = configuration.rowsPerBlock
        var sink = try FixedWidthSink(writer: self, name: name, codec: codec, rowWidth: type.rowWidth!)
        // Arrays and buffers go block by block straight from their storage. The element-wise loop below
        // is generic code that cannot be specialized across modules and costs ~70 ns a value
        // (tools/bench-segments measured writes 10x slower than fsync before this path existed).
        let wasContiguous: Void? = try values.withContiguousStorageIfAvailable { buffer in
            var start = 0
            while start < buffer.count {
                let end = min(start + rowsPerBlock, buffer.count)
                try sink.emit(
                    UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[start..<end])),
                    rows: end - start
                )
                start = end
            }
        }
        if wasContiguous != nil {
            return try finishColumn(sink.finish(type: type, rowsPerBlock: codec == .zstd ? rowsPerBlock : 0))
        }
        var chunk: [Values.Element] = []
        chunk.reserveCapacity(rowsPerBlock)
        for value in values {
            chunk.append(value)
            if chunk.count == rowsPerBlock {
                try chunk.withUnsafeBytes { try sink.emit($0, rows: chunk.count) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try chunk.withUnsafeBytes { try sink.emit($0, rows: chunk.count) } }
        try finishColumn(sink.finish(type: type, rowsPerBlock: codec == .zstd ? rowsPerBlock : 0))
    }

    /// Writes a column of `f32` vectors of `dimension` elements each, streaming `vectors`. A vector of
    /// another length is a caller's bug.
    public func writeVectorColumn<Vectors: Sequence>(
        _ name: String,
        dimension: Int,
        codec: ColumnCodec = .raw,
        vectors: Vectors
    ) throws where Vectors.Element: Collection<Float> {
        try checkNewColumn(name)
        guard (1...Limits.maximumVectorDimension).contains(dimension) else {
            throw SegmentError(
                path: path,
                column: name,
                reason: .limitExceeded(what: "vector dimension", value: dimension, limit: Limits.maximumVectorDimension)
            )
        }
        let type = ColumnType.float32Vector(dimension: dimension)
        // Keep a block near the fixed-width byte size: fewer rows per block for wide vectors.
        let rowsPerBlock = max(1, min(configuration.rowsPerBlock, configuration.rowsPerBlock * 4 / type.rowWidth!))
        var sink = try FixedWidthSink(writer: self, name: name, codec: codec, rowWidth: type.rowWidth!)
        var chunk: [Float] = []
        chunk.reserveCapacity(rowsPerBlock * dimension)
        var rows = 0
        for vector in vectors {
            precondition(
                vector.count == dimension,
                "vector of \(vector.count) elements in a column of dimension \(dimension)"
            )
            chunk.append(contentsOf: vector)
            rows += 1
            if rows == rowsPerBlock {
                try chunk.withUnsafeBytes { try sink.emit($0, rows: rows) }
                chunk.removeAll(keepingCapacity: true)
                rows = 0
            }
        }
        if rows > 0 { try chunk.withUnsafeBytes { try sink.emit($0, rows: rows) } }
        try finishColumn(sink.finish(type: type, rowsPerBlock: codec == .zstd ? rowsPerBlock : 0))
    }

    // MARK: Variable-length columns

    /// Writes a column of byte strings, streaming `values`.
    public func writeBytesColumn<Values: Sequence>(
        _ name: String,
        codec: ColumnCodec = .raw,
        values: Values
    ) throws where Values.Element: Collection<UInt8> {
        try checkNewColumn(name)
        var sink = try VariableLengthSink(writer: self, name: name, codec: codec)
        for value in values {
            try value.withContiguousStorageIfAvailable { try sink.append(UnsafeRawBufferPointer($0)) }
                ?? Array(value).withUnsafeBytes { try sink.append($0) }
        }
        try finishColumn(sink.finish(type: .bytes))
    }

    /// Writes a column of byte strings stored back to back in `bytes`, value `i` ending at `ends[i]`.
    ///
    /// The generic ``writeBytesColumn(_:codec:values:)`` cannot be specialized across modules and costs
    /// tens of nanoseconds a value in iteration alone; an import writes tens of millions of values, so
    /// this form takes the flat layout its batches already have (tools/bench-import).
    public func writeBytesColumn(
        _ name: String,
        codec: ColumnCodec = .raw,
        bytes: UnsafeRawBufferPointer,
        ends: UnsafeBufferPointer<Int>
    ) throws {
        try checkNewColumn(name)
        var sink = try VariableLengthSink(writer: self, name: name, codec: codec)
        var start = 0
        for end in ends {
            precondition(end >= start && end <= bytes.count, "value ends out of order or past the bytes")
            try sink.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
        try finishColumn(sink.finish(type: .bytes))
    }

    /// Writes a column of UTF-8 strings, streaming `values`.
    public func writeStringColumn<Values: Sequence<String>>(
        _ name: String,
        codec: ColumnCodec = .raw,
        values: Values
    ) throws {
        try checkNewColumn(name)
        var sink = try VariableLengthSink(writer: self, name: name, codec: codec)
        for var value in values {
            try value.withUTF8 { try sink.append(UnsafeRawBufferPointer($0)) }
        }
        try finishColumn(sink.finish(type: .utf8))
    }

    /// Writes a dictionary column: unique UTF-8 keys, stored RAW, plus a hash index from key to row, so
    /// that a reader maps an external id to its dense row with no work at load.
    ///
    /// Throws ``SegmentError/Reason/duplicateKey(row:)`` on a repeated key and
    /// ``SegmentError/Reason/limitExceeded(what:value:limit:)`` on a key longer than
    /// ``Limits/maximumDictionaryKeyBytes``.
    public func writeDictionaryColumn<Keys: Sequence<String>>(_ name: String, keys: Keys) throws {
        try checkNewColumn(name)
        var sink = try VariableLengthSink(writer: self, name: name, codec: .raw)
        for var key in keys {
            let length = key.utf8.count
            if length > Limits.maximumDictionaryKeyBytes {
                throw SegmentError(
                    path: path,
                    column: name,
                    reason: .limitExceeded(what: "key length", value: length, limit: Limits.maximumDictionaryKeyBytes)
                )
            }
            try key.withUTF8 { try sink.append(UnsafeRawBufferPointer($0)) }
        }
        var column = try sink.finish(type: .utf8)
        column.parts.append(try writeHashIndex(for: column))
        column.hasHashIndex = true
        try finishColumn(column)
    }

    /// Builds the index through a writable mapping of the file, so its memory is the page cache's, not
    /// the heap's.
    private func writeHashIndex(for column: ColumnDescriptor) throws -> ColumnDescriptor.Part {
        let offsetsPart = column.parts[0]
        let dataPart = column.parts[1]
        let offsets = try output.mapWritten(offset: offsetsPart.offset, length: Int(offsetsPart.length))
        let data = try output.mapWritten(offset: dataPart.offset, length: Int(dataPart.length))
        let slotCount = DictionaryHash.slotCount(forRows: column.rowCount)
        let index = try output.beginMappedPart(length: slotCount * DictionaryHash.slotLength)
        let mask = slotCount - 1
        let offsetsBytes = UnsafeRawBufferPointer(offsets.bytes)
        let dataBytes = UnsafeRawBufferPointer(data.bytes)
        let slots = index.bytes
        for row in 0..<column.rowCount {
            let start = Int(offsetsBytes.loadUnaligned(fromByteOffset: row * 8, as: UInt64.self))
            let end = Int(offsetsBytes.loadUnaligned(fromByteOffset: row * 8 + 8, as: UInt64.self))
            let key = UnsafeRawBufferPointer(rebasing: dataBytes[start..<end])
            var slot = Int(truncatingIfNeeded: DictionaryHash.hash(key)) & mask
            while true {
                let base = slot * DictionaryHash.slotLength
                let occupant = slots.loadUnaligned(fromByteOffset: base + 12, as: UInt32.self)
                if occupant == 0 {
                    slots.storeBytes(of: UInt64(start).littleEndian, toByteOffset: base, as: UInt64.self)
                    slots.storeBytes(of: UInt32(end - start).littleEndian, toByteOffset: base + 8, as: UInt32.self)
                    slots.storeBytes(of: UInt32(row + 1).littleEndian, toByteOffset: base + 12, as: UInt32.self)
                    break
                }
                let otherStart = Int(slots.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                let otherLength = Int(slots.loadUnaligned(fromByteOffset: base + 8, as: UInt32.self))
                if otherLength == key.count
                    && memcmp(dataBytes.baseAddress! + otherStart, key.baseAddress ?? dataBytes.baseAddress!, key.count)
                        == 0
                {
                    throw SegmentError(path: path, column: column.name, reason: .duplicateKey(row: row))
                }
                slot = (slot + 1) & mask
            }
        }
        return try output.endMappedPart(index)
    }

    // MARK: Finishing

    /// Writes the directory and trailer, fsyncs the file, renames it into place and fsyncs its folder.
    @discardableResult
    public func finish() throws -> SegmentSummary {
        precondition(!isFinished, "finish() called twice")
        try output.pad()
        let directoryOffset = output.position
        let directory = SegmentDirectory.encoded(columns)
        try output.write(directory)
        let fileLength = output.position + UInt64(SegmentTrailer.length)
        let trailer = SegmentTrailer(
            directoryOffset: directoryOffset,
            directoryLength: UInt64(directory.count),
            fileLength: fileLength
        )
        try output.write(trailer.encoded())
        try output.fsync()
        try output.close()
        try FileSystem.rename(temporaryPath, to: path)
        try FileSystem.fsync(path: FileSystem.parent(of: path), isDirectory: true)
        isFinished = true
        return SegmentSummary(path: path, fileBytes: Int(fileLength), columns: columns)
    }

    private func checkNewColumn(_ name: String) throws {
        precondition(!isFinished, "column written after finish()")
        let length = name.utf8.count
        guard (1...Limits.maximumColumnNameBytes).contains(length) else {
            throw SegmentError(
                path: path,
                column: name,
                reason: .limitExceeded(what: "column name length", value: length, limit: Limits.maximumColumnNameBytes)
            )
        }
        if columns.contains(where: { $0.name == name }) {
            throw SegmentError(path: path, column: name, reason: .duplicateColumn)
        }
        if columns.count >= Limits.maximumSegmentColumns {
            throw SegmentError(
                path: path,
                column: name,
                reason: .limitExceeded(
                    what: "column count",
                    value: columns.count + 1,
                    limit: Limits.maximumSegmentColumns
                )
            )
        }
    }

    private func finishColumn(_ column: ColumnDescriptor) throws {
        columns.append(column)
    }

    func rowLimitError(_ name: String, rows: Int) -> SegmentError {
        SegmentError(
            path: path,
            column: name,
            reason: .limitExceeded(what: "row count", value: rows, limit: Limits.maximumColumnRows)
        )
    }

    func compress(_ block: UnsafeRawBufferPointer, column: String) throws -> [UInt8] {
        do {
            return try compressor.compress(block)
        } catch {
            throw SegmentError(path: path, column: column, reason: .io(operation: "zstd compress", message: "\(error)"))
        }
    }
}

/// What a finished segment file holds.
public struct SegmentSummary: Hashable, Sendable {
    /// Where it is.
    public var path: String
    /// Its size.
    public var fileBytes: Int
    /// Its columns, in order.
    public var columns: [ColumnDescriptor]
}

import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeSegments

/// Every segment limit, at its value and one past it, on the writing side and, where a writer cannot
/// produce the violation, on the reading side with a crafted directory.
@Suite("Segment files: limits")
struct SegmentLimitTests {
    @Test("a file holds 1,024 columns and refuses a 1,025th")
    func columnCount() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("wide.seg")
        let writer = try SegmentWriter(path: path, kind: .generic)
        for index in 0..<Limits.maximumSegmentColumns { try writer.writeColumn("c\(index)", values: [UInt8(1)]) }
        #expect(throws: SegmentError.self) { try writer.writeColumn("one more", values: [UInt8(1)]) }
        try writer.finish()
        #expect(try SegmentReader(path: path).columns.count == Limits.maximumSegmentColumns)
    }

    @Test("vectors take 4,096 elements and refuse 4,097")
    func vectorDimension() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("vectors.seg")
        let writer = try SegmentWriter(path: path, kind: .generic)
        let widest = Limits.maximumVectorDimension
        try writer.writeVectorColumn(
            "v",
            dimension: widest,
            codec: .zstd,
            vectors: [[Float](repeating: 0.5, count: widest)]
        )
        #expect(throws: SegmentError.self) {
            try writer.writeVectorColumn(
                "w",
                dimension: widest + 1,
                vectors: [[Float](repeating: 0.5, count: widest + 1)]
            )
        }
        try writer.finish()
        #expect(try SegmentReader(path: path).vectorColumn("v").vector(at: 0).count == widest)
    }

    @Test("a variable-length block decompresses to at most 64 MiB")
    func blockBytes() throws {
        let folder = try TemporaryFolder()
        var configuration = SegmentWriterConfiguration()
        configuration.variableRowsPerBlock = 1
        // One row per block: 2 u32 offsets, then the value.
        let largest = Limits.maximumBlockBytes - 8
        let path = folder.child("big.seg")
        let writer = try SegmentWriter(path: path, kind: .generic, configuration: configuration)
        try writer.writeBytesColumn("fits", codec: .zstd, values: [[UInt8](repeating: 7, count: largest)])
        #expect(throws: SegmentError.self) {
            try writer.writeBytesColumn("too big", codec: .zstd, values: [[UInt8](repeating: 7, count: largest + 1)])
        }
        try writer.finish()
        let column = try SegmentReader(path: path).bytesColumn("fits")
        #expect(try column.withValue(at: 0) { $0.count } == largest)
    }

    @Test("long strings round-trip in both codecs")
    func longStrings() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("long.seg")
        let long = String(repeating: "0123456789abcdef", count: 3 << 16)  // 3 MiB
        let values = ["", long, "short", long + "x"]
        let writer = try SegmentWriter(path: path, kind: .generic)
        try writer.writeStringColumn("raw", values: values)
        try writer.writeStringColumn("zstd", codec: .zstd, values: values)
        try writer.finish()
        let reader = try SegmentReader(path: path)
        for name in ["raw", "zstd"] {
            let column = try reader.bytesColumn(name)
            #expect(try (0..<4).map { try column.string(at: $0) } == values)
        }
    }

    /// Rewrites one directory field of the first column and fixes the directory's checksum, to build
    /// files no writer would produce.
    static func craft(_ path: String, entryOffset: Int, value: some FixedWidthInteger) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let trailer = bytes.count - SegmentTrailer.length
        let load = { (at: Int) in bytes[at..<(at + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let directoryOffset = Int(load(trailer))
        let directoryLength = Int(load(trailer + 8))
        let field = directoryOffset + SegmentDirectory.fixedLength + entryOffset
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(field..<(field + $0.count), with: $0) }
        let checksumAt = directoryOffset + directoryLength - 4
        let checksum = bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[directoryOffset..<checksumAt]))
        }
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(checksumAt..<(checksumAt + 4), with: $0) }
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    @Test("a reader refuses a row count past 2^32 - 1 and rows per block past 2^20")
    func readerLimits() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("crafted.seg")
        func writeSample() throws {
            let writer = try SegmentWriter(path: path, kind: .generic)
            try writer.writeColumn("x", codec: .zstd, values: [UInt8(1), 2, 3])
            try writer.finish()
        }
        try writeSample()
        try Self.craft(path, entryOffset: 72, value: UInt64(Limits.maximumColumnRows) + 1)
        #expect(throws: SegmentError(path: path, column: "x", reason: .malformedDirectory(field: "row count"))) {
            try SegmentReader(path: path)
        }
        try writeSample()
        try Self.craft(path, entryOffset: 80, value: UInt32(Limits.maximumRowsPerBlock + 1))
        #expect(throws: SegmentError(path: path, column: "x", reason: .malformedDirectory(field: "rows per block"))) {
            try SegmentReader(path: path)
        }
        // At the limit the file is accepted: 3 rows in blocks of 2^20 is still one block of 3 rows.
        try writeSample()
        try Self.craft(path, entryOffset: 80, value: UInt32(Limits.maximumRowsPerBlock))
        let column = try SegmentReader(path: path).scalarColumn("x", as: UInt8.self)
        #expect(try (0..<3).map { try column.value(at: $0) } == [1, 2, 3])
    }
}

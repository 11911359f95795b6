// Writes the seed corpus for SegmentReaderFuzz.swift: small, valid segment files that between them
// hold every column type in RAW and ZSTD, a dictionary column, and columns of 0, 1 and many rows,
// with a few rows per block so ZSTD columns have several blocks. Built and run by tools/fuzz-segments.
//
//   MakeSeedCorpus FOLDER

import AampeCore
import AampeSegments

#if canImport(Glibc)
import Glibc
#endif

@main
struct MakeSeedCorpus {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            print("usage: MakeSeedCorpus FOLDER")
            exit(2)
        }
        let folder = CommandLine.arguments[1]
        for codec in [ColumnCodec.raw, .zstd] {
            for rows in [0, 1, 23] {
                try write("\(folder)/all-types-\(codec)-\(rows).seg", codec: codec, rows: rows)
            }
        }
        try writeDictionaryOnly("\(folder)/dictionary-only.seg", rows: 40)
        try writeEmpty("\(folder)/no-columns.seg")
    }

    /// Small blocks: 23 rows make four fixed-width blocks and five variable-length ones.
    static var configuration: SegmentWriterConfiguration {
        var configuration = SegmentWriterConfiguration()
        configuration.rowsPerBlock = 7
        configuration.variableRowsPerBlock = 5
        return configuration
    }

    /// A fixed creation time, so the seeds differ from run to run only in their random segment ids.
    static let createdAt = Timestamp(rawValue: 1_700_000_000_000_000)

    /// One column of every type with `codec`, plus a dictionary column (always RAW), of `rows` rows.
    static func write(_ path: String, codec: ColumnCodec, rows: Int) throws {
        let writer = try SegmentWriter(path: path, kind: .generic, createdAt: createdAt, configuration: configuration)
        let r = 0..<rows
        try writer.writeColumn("u8", codec: codec, values: r.map { UInt8(truncatingIfNeeded: $0 * 37) })
        try writer.writeColumn("u16", codec: codec, values: r.map { UInt16(truncatingIfNeeded: $0 * 4_099) })
        try writer.writeColumn("u32", codec: codec, values: r.map { UInt32($0) &* 2_654_435_761 })
        try writer.writeColumn("u64", codec: codec, values: r.map { UInt64($0) &* 0x9e37_79b9_7f4a_7c15 })
        try writer.writeColumn("i32", codec: codec, values: r.map { Int32($0) - 11 })
        try writer.writeColumn("i64", codec: codec, values: r.map { Int64($0) * -1_000_003 })
        try writer.writeColumn("f32", codec: codec, values: r.map { Float($0) / 3 })
        try writer.writeColumn("f64", codec: codec, values: r.map { Double($0) * 1.5e300 })
        try writer.writeColumn("bool", codec: codec, values: r.map { $0 % 3 == 0 })
        try writer.writeVectorColumn(
            "vec3",
            dimension: 3,
            codec: codec,
            vectors: r.map { i in (0..<3).map { Float(i * 3 + $0) } }
        )
        try writer.writeBytesColumn(
            "bytes",
            codec: codec,
            values: r.map { [UInt8](repeating: UInt8($0), count: $0 % 4) }
        )
        try writer.writeStringColumn("utf8", codec: codec, values: r.map { $0 % 5 == 0 ? "" : "row \($0) é ✓" })
        try writer.writeDictionaryColumn("dict", keys: r.map { "key-\($0)" })
        try writer.finish()
    }

    static func writeDictionaryOnly(_ path: String, rows: Int) throws {
        let writer = try SegmentWriter(path: path, kind: .items, createdAt: createdAt, configuration: configuration)
        try writer.writeDictionaryColumn("item_id", keys: [""] + (1..<rows).map { "item-\($0 * 7_919)" })
        try writer.finish()
    }

    static func writeEmpty(_ path: String) throws {
        let writer = try SegmentWriter(path: path, kind: .model, createdAt: createdAt, configuration: configuration)
        try writer.finish()
    }
}

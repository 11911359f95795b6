import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeSegments

/// Random schemas written and read back: every type, both codecs, and row counts at the block edges.
@Suite("Segment files: round trips")
struct SegmentRoundTripTests {
    static let rowsPerBlock = 64
    static let variableRowsPerBlock = 16
    static let rowCounts = [0, 1, rowsPerBlock - 1, rowsPerBlock, rowsPerBlock + 1, 3 * rowsPerBlock + 5]

    var configuration: SegmentWriterConfiguration {
        var configuration = SegmentWriterConfiguration()
        configuration.rowsPerBlock = Self.rowsPerBlock
        configuration.variableRowsPerBlock = Self.variableRowsPerBlock
        configuration.bufferBytes = 4096  // small, so that buffer boundaries are crossed
        return configuration
    }

    /// One column's expected content.
    enum Expected {
        case u8([UInt8])
        case u16([UInt16])
        case u32([UInt32])
        case u64([UInt64])
        case i32([Int32])
        case i64([Int64])
        case f32([Float])
        case f64([Double])
        case bool([Bool])
        case vectors(Int, [[Float]])
        case bytes([[UInt8]])
        case utf8([String])
    }

    static func randomString(_ random: inout SplitMix64) -> String {
        switch random.next() % 5 {
        case 0: return ""
        case 1: return String(repeating: "long-value-", count: Int(random.next() % 500))  // up to 5.5 KB
        case 2: return "naïve café 東京 🚀 \(random.next())"
        default: return "user-\(random.next() % 100_000)"
        }
    }

    static func expected(kind: Int, rows: Int, random: inout SplitMix64) -> Expected {
        func values<T>(_ make: (inout SplitMix64) -> T) -> [T] { (0..<rows).map { _ in make(&random) } }
        switch kind {
        case 0: return .u8(values { UInt8(truncatingIfNeeded: $0.next()) })
        case 1: return .u16(values { UInt16(truncatingIfNeeded: $0.next()) })
        case 2: return .u32(values { UInt32(truncatingIfNeeded: $0.next() % 1000) })
        case 3: return .u64(values { $0.next() })
        case 4: return .i32(values { Int32(truncatingIfNeeded: $0.next()) })
        case 5: return .i64(values { Int64(truncatingIfNeeded: $0.next()) })
        case 6: return .f32(values { Float(Int64(bitPattern: $0.next() % 1_000_000)) / 7 })
        case 7: return .f64(values { Double(bitPattern: $0.next() & 0x3FFF_FFFF_FFFF_FFFF) })
        case 8: return .bool(values { $0.next() % 3 == 0 })
        case 9:
            let dimension = Int(random.next() % 33) + 1
            return .vectors(dimension, values { r in (0..<dimension).map { _ in Float(r.next() % 1000) / 3 } })
        case 10:
            return .bytes(values { r in (0..<Int(r.next() % 40)).map { _ in UInt8(truncatingIfNeeded: r.next()) } })
        default: return .utf8(values { randomString(&$0) })
        }
    }

    func write(_ expected: Expected, name: String, codec: ColumnCodec, to writer: SegmentWriter) throws {
        switch expected {
        case .u8(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .u16(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .u32(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .u64(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .i32(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .i64(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .f32(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .f64(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .bool(let v): try writer.writeColumn(name, codec: codec, values: v)
        case .vectors(let d, let v): try writer.writeVectorColumn(name, dimension: d, codec: codec, vectors: v)
        case .bytes(let v): try writer.writeBytesColumn(name, codec: codec, values: v)
        case .utf8(let v): try writer.writeStringColumn(name, codec: codec, values: v)
        }
    }

    func check<T: SegmentScalar & Equatable>(_ values: [T], _ reader: SegmentReader, _ name: String) throws {
        let column = try reader.scalarColumn(name, as: T.self)
        #expect(column.count == values.count)
        for (row, value) in values.enumerated() { #expect(try column.value(at: row) == value) }
        var scanned: [T] = []
        try column.scan { scanned += $0 }
        #expect(scanned == values)
    }

    func check(_ expected: Expected, _ reader: SegmentReader, _ name: String) throws {
        switch expected {
        case .u8(let v): try check(v, reader, name)
        case .u16(let v): try check(v, reader, name)
        case .u32(let v): try check(v, reader, name)
        case .u64(let v): try check(v, reader, name)
        case .i32(let v): try check(v, reader, name)
        case .i64(let v): try check(v, reader, name)
        case .f32(let v): try check(v, reader, name)
        case .f64(let v): try check(v, reader, name)
        case .bool(let v): try check(v, reader, name)
        case .vectors(let dimension, let vectors):
            let column = try reader.vectorColumn(name)
            #expect(column.dimension == dimension && column.count == vectors.count)
            for (row, vector) in vectors.enumerated() { #expect(try column.vector(at: row) == vector) }
        case .bytes(let values):
            let column = try reader.bytesColumn(name)
            #expect(column.count == values.count)
            for (row, value) in values.enumerated() { #expect(try column.bytes(at: row) == value) }
        case .utf8(let values):
            let column = try reader.bytesColumn(name)
            #expect(column.count == values.count)
            for (row, value) in values.enumerated() { #expect(try column.string(at: row) == value) }
        }
    }

    @Test("every type and codec round-trips at every edge row count", arguments: rowCounts)
    func allTypes(rows: Int) throws {
        let folder = try TemporaryFolder()
        var random = SplitMix64(state: UInt64(rows) &* 7919)
        var columns: [(String, ColumnCodec, Expected)] = []
        for kind in 0..<12 {
            for codec in [ColumnCodec.raw, .zstd] {
                columns.append(("c\(kind)-\(codec)", codec, Self.expected(kind: kind, rows: rows, random: &random)))
            }
        }
        columns.shuffle(using: &random)
        let path = folder.child("all.seg")
        let writer = try SegmentWriter(path: path, kind: .generic, configuration: configuration)
        for (name, codec, expected) in columns { try write(expected, name: name, codec: codec, to: writer) }
        let summary = try writer.finish()
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        let reader = try SegmentReader(path: path)
        #expect(reader.fileBytes == summary.fileBytes)
        #expect(reader.columns.map(\.name) == columns.map(\.0))
        for (name, codec, expected) in columns {
            #expect(try reader.descriptor(named: name).codec == codec)
            #expect(try reader.descriptor(named: name).rowCount == rows)
            try check(expected, reader, name)
        }
        try reader.verify()
    }

    @Test("random schemas round-trip", arguments: 0..<12)
    func randomSchemas(seed: Int) throws {
        let folder = try TemporaryFolder()
        var random = SplitMix64(state: UInt64(seed) &+ 1000)
        let path = folder.child("random.seg")
        let writer = try SegmentWriter(
            path: path,
            kind: SegmentKind(rawValue: UInt16(seed)),
            configuration: configuration
        )
        var columns: [(String, Expected)] = []
        for index in 0..<Int(random.next() % 8) {
            let rows = Self.rowCounts[Int(random.next() % UInt64(Self.rowCounts.count))] + Int(random.next() % 3)
            let expected = Self.expected(kind: Int(random.next() % 12), rows: rows, random: &random)
            let codec: ColumnCodec = random.next() % 2 == 0 ? .raw : .zstd
            try write(expected, name: "column \(index)", codec: codec, to: writer)
            columns.append(("column \(index)", expected))
        }
        try writer.finish()
        let reader = try SegmentReader(path: path)
        #expect(reader.header.kind == SegmentKind(rawValue: UInt16(seed)))
        for (name, expected) in columns { try check(expected, reader, name) }
    }

    @Test("a lazy sequence and an array of the same values write the same column", arguments: [ColumnCodec.raw, .zstd])
    func lazyAndContiguousAgree(codec: ColumnCodec) throws {
        let folder = try TemporaryFolder()
        let values = (0..<(3 * Self.rowsPerBlock + 7)).map { UInt32($0 * 31) }
        let path = folder.child("both.seg")
        let writer = try SegmentWriter(path: path, kind: .generic, configuration: configuration)
        try writer.writeColumn("array", codec: codec, values: values)
        try writer.writeColumn("lazy", codec: codec, values: AnySequence(values))
        try writer.finish()
        let reader = try SegmentReader(path: path)
        let array = try reader.descriptor(named: "array")
        let lazy = try reader.descriptor(named: "lazy")
        #expect(array.parts.map(\.checksum) == lazy.parts.map(\.checksum))
        try check(values, reader, "lazy")
    }

    @Test("a dictionary column maps every key to its row and rejects absent keys")
    func dictionary() throws {
        let folder = try TemporaryFolder()
        let keys = (0..<5000).map { "user-\($0 * 7919 % 100_003)" } + ["", "東京", String(repeating: "k", count: 1024)]
        let path = folder.child("dict.seg")
        let writer = try SegmentWriter(path: path, kind: .landscape, configuration: configuration)
        try writer.writeDictionaryColumn("user_id", keys: keys)
        try writer.finish()
        let dictionary = try SegmentReader(path: path).dictionaryColumn("user_id")
        #expect(dictionary.count == keys.count)
        for (row, key) in keys.enumerated() {
            #expect(dictionary.row(for: key) == row)
            #expect(dictionary.key(at: row) == key)
        }
        for absent in ["user-1", "user-", "nobody", "東", String(repeating: "k", count: 1023)] {
            #expect(dictionary.row(for: absent) == nil)
        }
    }

    @Test("an empty dictionary column finds nothing")
    func emptyDictionary() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("empty.seg")
        let writer = try SegmentWriter(path: path, kind: .generic)
        try writer.writeDictionaryColumn("ids", keys: [String]())
        try writer.finish()
        let dictionary = try SegmentReader(path: path).dictionaryColumn("ids")
        #expect(dictionary.count == 0)
        #expect(dictionary.row(for: "") == nil)
    }

    @Test("the writer refuses duplicate keys, over-long keys, duplicate and over-long column names")
    func writerLimits() throws {
        let folder = try TemporaryFolder()
        let writer = try SegmentWriter(path: folder.child("limits.seg"), kind: .generic)
        #expect(throws: SegmentError.self) { try writer.writeDictionaryColumn("d1", keys: ["a", "b", "a"]) }
        let longestKey = String(repeating: "x", count: Limits.maximumDictionaryKeyBytes)
        try writer.writeDictionaryColumn("d2", keys: [longestKey])
        #expect(throws: SegmentError.self) { try writer.writeDictionaryColumn("d3", keys: [longestKey + "x"]) }
        let longestName = String(repeating: "n", count: Limits.maximumColumnNameBytes)
        try writer.writeColumn(longestName, values: [UInt8(1)])
        #expect(throws: SegmentError.self) { try writer.writeColumn(longestName + "n", values: [UInt8(1)]) }
        #expect(throws: SegmentError.self) { try writer.writeColumn(longestName, values: [UInt8(1)]) }
        #expect(throws: SegmentError.self) { try writer.writeColumn("", values: [UInt8(1)]) }
        try writer.finish()
        let reader = try SegmentReader(path: folder.child("limits.seg"))
        #expect(reader.columns.map(\.name) == ["d2", longestName])
    }

    @Test("a reader asked for the wrong type or a missing column says so")
    func typeMismatch() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("t.seg")
        let writer = try SegmentWriter(path: path, kind: .generic)
        try writer.writeColumn("x", values: [Float(1)])
        try writer.finish()
        let reader = try SegmentReader(path: path)
        #expect(throws: SegmentError(path: path, column: "x", reason: .typeMismatch(expected: "f64", found: "f32"))) {
            try reader.scalarColumn("x", as: Double.self)
        }
        #expect(throws: SegmentError(path: path, column: "y", reason: .columnNotFound)) {
            try reader.scalarColumn("y", as: Float.self)
        }
    }

    @Test("a writer dropped before finish leaves no file behind")
    func abandonedWriter() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("abandoned.seg")
        do {
            let writer = try SegmentWriter(path: path, kind: .generic)
            try writer.writeColumn("x", values: [UInt32(1), 2, 3])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("RAW columns are aligned to 64 bytes and read in place")
    func zeroCopy() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("raw.seg")
        let writer = try SegmentWriter(path: path, kind: .generic)
        try writer.writeColumn("a", values: [UInt8(1), 2, 3])
        try writer.writeColumn("b", values: (0..<1000).map { Float($0) })
        try writer.finish()
        let column = try SegmentReader(path: path).scalarColumn("b", as: Float.self)
        let values = try #require(column.rawValues)
        #expect(Int(bitPattern: values.baseAddress) % 64 == 0)
        #expect(values[999] == 999)
    }

    @Test("the block cache stays within its capacity")
    func cacheBound() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("cache.seg")
        var writerConfiguration = SegmentWriterConfiguration()
        writerConfiguration.rowsPerBlock = 1024  // 8 KiB blocks of u64
        let writer = try SegmentWriter(path: path, kind: .generic, configuration: writerConfiguration)
        try writer.writeColumn("v", codec: .zstd, values: (0..<UInt64(100_000)).map { $0 * 3 })
        try writer.finish()
        var readerConfiguration = SegmentReaderConfiguration()
        readerConfiguration.blockCacheBytes = 5 * (8192 + 64)
        let reader = try SegmentReader(path: path, configuration: readerConfiguration)
        let column = try reader.scalarColumn("v", as: UInt64.self)
        for row in stride(from: 0, to: 100_000, by: 997) { #expect(try column.value(at: row) == UInt64(row) * 3) }
        #expect(reader.blockCacheStatistics.bytes <= readerConfiguration.blockCacheBytes)
        #expect(reader.blockCacheStatistics.bytes > 0)
    }
}

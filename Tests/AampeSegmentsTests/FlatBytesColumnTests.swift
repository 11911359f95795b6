import AampeSegments
import AampeTestSupport
import Testing

@Suite("bytes columns from a flat buffer")
struct FlatBytesColumnTests {
    @Test(
        "values given as one buffer and their end offsets read back as written, empty ones included",
        arguments: [ColumnCodec.raw, .zstd]
    )
    func roundTrip(codec: ColumnCodec) throws {
        let folder = try TemporaryFolder()
        var random = SplitMix64(state: 3)
        let values: [[UInt8]] = (0..<10_000).map { row in
            row % 7 == 0 ? [] : (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        var flat: [UInt8] = []
        var ends: [Int] = []
        for value in values {
            flat.append(contentsOf: value)
            ends.append(flat.count)
        }
        let path = folder.child("flat.seg")
        var configuration = SegmentWriterConfiguration()
        configuration.variableRowsPerBlock = 1_000
        let writer = try SegmentWriter(path: path, kind: .generic, configuration: configuration)
        try flat.withUnsafeBytes { bytes in
            try ends.withUnsafeBufferPointer { try writer.writeBytesColumn("v", codec: codec, bytes: bytes, ends: $0) }
        }
        try writer.finish()
        let column = try SegmentReader(path: path).bytesColumn("v")
        #expect(column.count == values.count)
        for (row, value) in values.enumerated() {
            #expect(try column.bytes(at: row) == value)
        }
    }
}

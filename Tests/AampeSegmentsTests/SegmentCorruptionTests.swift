import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeSegments

/// Damaged files: every truncation and every flipped byte ends in a clean error or, only where the
/// format by design does not look (alignment padding), in a correct read.
@Suite("Segment files: corruption")
struct SegmentCorruptionTests {
    static let users = (0..<40).map { "user-\($0)" }
    static let scores = (0..<300).map { Float($0) * 0.5 }
    static let counts = (0..<300).map { UInt32($0 * 7) }
    static let labels = (0..<50).map { $0 % 3 == 0 ? "" : "label \($0)" }
    static let flags = (0..<70).map { $0 % 2 == 0 }

    /// A small file with every codec and a dictionary, small blocks so ZSTD columns have several.
    static func writeSample(_ path: String) throws {
        var configuration = SegmentWriterConfiguration()
        configuration.rowsPerBlock = 64
        configuration.variableRowsPerBlock = 8
        let writer = try SegmentWriter(path: path, kind: .landscape, configuration: configuration)
        try writer.writeDictionaryColumn("user_id", keys: users)
        try writer.writeColumn("score", values: scores)
        try writer.writeColumn("count", codec: .zstd, values: counts)
        try writer.writeStringColumn("label", codec: .zstd, values: labels)
        try writer.writeColumn("flag", values: flags)
        try writer.writeVectorColumn("vector", dimension: 3, vectors: (0..<20).map { [Float($0), 1, -1] })
        try writer.finish()
    }

    /// Opens the file and reads every value through the public accessors; throws on any error, and
    /// returns whether every value is the one written.
    static func readAll(_ path: String, verify: Bool) throws -> Bool {
        let reader = try SegmentReader(path: path)
        let dictionary = try reader.dictionaryColumn("user_id")
        var isCorrect = dictionary.count == users.count
        for (row, user) in users.enumerated() {
            isCorrect = isCorrect && dictionary.row(for: user) == row && dictionary.key(at: row) == user
        }
        let score = try reader.scalarColumn("score", as: Float.self)
        isCorrect = isCorrect && score.count == scores.count
        for row in 0..<score.count { isCorrect = try isCorrect && score.value(at: row) == scores[row] }
        let count = try reader.scalarColumn("count", as: UInt32.self)
        var scanned: [UInt32] = []
        try count.scan { scanned += $0 }
        isCorrect = isCorrect && scanned == counts
        for row in 0..<count.count { isCorrect = try isCorrect && count.value(at: row) == counts[row] }
        let label = try reader.bytesColumn("label")
        isCorrect = isCorrect && label.count == labels.count
        for row in 0..<label.count { isCorrect = try isCorrect && label.string(at: row) == labels[row] }
        let flag = try reader.scalarColumn("flag", as: Bool.self)
        isCorrect = isCorrect && flag.count == flags.count
        for row in 0..<flag.count { isCorrect = try isCorrect && flag.value(at: row) == flags[row] }
        let vector = try reader.vectorColumn("vector")
        isCorrect = isCorrect && vector.count == 20
        for row in 0..<vector.count { isCorrect = try isCorrect && vector.vector(at: row) == [Float(row), 1, -1] }
        if verify { try reader.verify() }
        return isCorrect
    }

    /// Byte ranges that some checksum covers: header, parts, directory, trailer. The rest is padding.
    static func coveredRanges(_ path: String) throws -> [Range<Int>] {
        let reader = try SegmentReader(path: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let trailer = bytes.count - SegmentTrailer.length
        let directoryOffset = Int(bytes[trailer..<(trailer + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        var ranges = [0..<SegmentHeader.length, directoryOffset..<bytes.count]
        for column in reader.columns {
            for part in column.parts where part.length > 0 {
                ranges.append(Int(part.offset)..<Int(part.offset + part.length))
            }
        }
        return ranges
    }

    @Test("a file cut at any length is refused")
    func truncation() throws {
        let folder = try TemporaryFolder()
        let original = folder.child("sample.seg")
        try Self.writeSample(original)
        #expect(try Self.readAll(original, verify: true))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let damaged = folder.child("damaged.seg")
        for length in 0..<bytes.count {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: damaged))
            #expect(throws: SegmentError.self, "cut at \(length) of \(bytes.count)") {
                _ = try Self.readAll(damaged, verify: false)
            }
        }
    }

    @Test("every flipped byte is caught, except in padding, where reads stay correct")
    func flippedBytes() throws {
        let folder = try TemporaryFolder()
        let original = folder.child("sample.seg")
        try Self.writeSample(original)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let covered = try Self.coveredRanges(original)
        #expect(bytes.count >= 2000, "the sample must offer at least 2,000 positions")
        let damaged = folder.child("damaged.seg")
        var caught = 0
        var uncoveredCorrect = 0
        for position in 0..<bytes.count {
            var copy = bytes
            copy[position] ^= 0x5A
            try copy.write(to: URL(fileURLWithPath: damaged))
            let isCovered = covered.contains { $0.contains(position) }
            // Plain reads: a clean error, or the right values.
            do {
                let isCorrect = try Self.readAll(damaged, verify: false)
                #expect(isCorrect, "byte \(position) flipped: a read returned wrong values")
            } catch {
                #expect(error is SegmentError, "byte \(position): \(error)")
            }
            // Checking every column at once on two threads fails exactly as checking them one by one.
            if let oneByOne = try? SegmentReader(path: damaged), let atOnce = try? SegmentReader(path: damaged) {
                var sequential = "passed"
                do {
                    for column in oneByOne.columns.indices { try oneByOne.checkColumn(column) }
                } catch {
                    sequential = "\(error)"
                }
                var parallel = "passed"
                do {
                    try SegmentReader.checkColumns(of: [atOnce], threads: 2)
                } catch {
                    parallel = "\(error)"
                }
                #expect(parallel == sequential, "byte \(position)")
            }
            // A full verify catches every flip in a covered byte.
            do {
                _ = try Self.readAll(damaged, verify: true)
                #expect(!isCovered, "byte \(position) is covered by a checksum, but verify() passed")
                uncoveredCorrect += 1
            } catch {
                #expect(error is SegmentError, "byte \(position): \(error)")
                caught += 1
            }
        }
        #expect(caught + uncoveredCorrect == bytes.count)
        #expect(caught > bytes.count / 2)
    }

    @Test("specific damage names the file, the column and the failed check")
    func errorMessages() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("sample.seg")
        try Self.writeSample(path)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try SegmentReader(path: path)

        func damage(_ position: Int, _ body: () throws -> Void) throws -> String {
            var copy = pristine
            copy[position] ^= 0x01
            try copy.write(to: URL(fileURLWithPath: path))
            do {
                try body()
            } catch {
                return "\(error)"
            }
            return "no error"
        }

        #expect(
            try damage(0) { _ = try SegmentReader(path: path) }
                == "\(path): header magic is wrong; not a segment file or damaged"
        )
        #expect(try damage(20) { _ = try SegmentReader(path: path) } == "\(path): header checksum mismatch")
        #expect(try damage(pristine.count - 1) { _ = try SegmentReader(path: path) }.contains("trailer magic"))
        let score = try #require(reader.columns.first { $0.name == "score" })
        let message = try damage(Int(score.parts[0].offset) + 5) {
            _ = try SegmentReader(path: path).scalarColumn("score", as: Float.self)
        }
        #expect(message == "\(path): column 'score': part 0 checksum mismatch")
        let count = try #require(reader.columns.first { $0.name == "count" })
        let blockMessage = try damage(Int(count.parts[1].offset) + 20) {
            let column = try SegmentReader(path: path).scalarColumn("count", as: UInt32.self)
            for row in 0..<column.count { _ = try column.value(at: row) }
        }
        #expect(blockMessage.hasPrefix("\(path): column 'count': block 0: zstd"))
    }

    @Test("a newer major version is refused with a message to upgrade; a newer minor version is read")
    func versions() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("sample.seg")
        try Self.writeSample(path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        func rewrite(major: UInt16, minor: UInt16) throws {
            bytes[8] = UInt8(major & 0xFF)
            bytes[9] = UInt8(major >> 8)
            bytes[10] = UInt8(minor & 0xFF)
            bytes[11] = UInt8(minor >> 8)
            let checksum = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
            withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(60..<64, with: $0) }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        try rewrite(major: 1, minor: 7)
        #expect(try Self.readAll(path, verify: true))
        try rewrite(major: 2, minor: 0)
        #expect(throws: SegmentError(path: path, reason: .unsupportedMajorVersion(found: 2, supported: 1))) {
            try SegmentReader(path: path)
        }
        #expect(
            "\(SegmentError(path: path, reason: .unsupportedMajorVersion(found: 2, supported: 1)))".contains(
                "upgrade aamped"
            )
        )
    }

    @Test("CRC-32C matches the standard check value")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        let whole = CRC32C.checksum(data)
        let split = CRC32C.checksum(Array(data[300...]), extending: CRC32C.checksum(Array(data[..<300])))
        #expect(whole == split)
    }

    /// CRC-32C one bit at a time, as the polynomial defines it.
    static func bitwiseCRC(_ bytes: ArraySlice<UInt8>, extending previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0x82F6_3B78 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    @Test("CRC-32C matches the bitwise definition around the three-stream blocks of 3 x 4,096 bytes")
    func crcAgainstDefinition() {
        var state: UInt64 = 11
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 24
        }
        let data = (0..<80_000).map { _ in UInt8(truncatingIfNeeded: next()) }
        for length in [0, 1, 7, 8, 9, 4_095, 12_287, 12_288, 12_289, 24_576, 24_583, 36_871, 79_990] {
            for start in [0, 1, 3] where start + length <= data.count {
                let slice = data[start..<start + length]
                let seed = UInt32(truncatingIfNeeded: next())
                #expect(
                    CRC32C.checksum(Array(slice), extending: seed) == Self.bitwiseCRC(slice, extending: seed),
                    "length \(length) from \(start)"
                )
            }
        }
    }
}

import AampeCompression
import AampeTestSupport
import Testing

@Suite("zstd through the system libzstd")
struct ZstdTests {
    static let sizes = [0, 1, 2, 13, 4096, 65_535, 65_536, 65_537, 1 << 20, 5 * (1 << 20) + 3]

    /// Random bytes (incompressible) or a small-alphabet text (compressible), of `count` bytes.
    static func buffer(count: Int, compressible: Bool, seed: UInt64) -> [UInt8] {
        var random = SplitMix64(state: seed)
        if compressible {
            let words: [[UInt8]] = ["view,", "cart,", "buy,", "user-17,", "item-4,"].map { Array($0.utf8) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            while bytes.count < count { bytes += words[Int(random.next() % 5)] }
            return Array(bytes.prefix(count))
        }
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    @Test("random and compressible buffers from 0 bytes to 5 MiB round-trip", arguments: sizes)
    func roundTrip(count: Int) throws {
        for compressible in [false, true] {
            let input = Self.buffer(count: count, compressible: compressible, seed: UInt64(count))
            let frame = try Zstd.compress(input)
            let output = try Zstd.decompress(frame)
            #expect(output == input)
            if compressible && count > 4096 {
                #expect(frame.count < count / 4, "a repetitive buffer should compress well")
            }
        }
    }

    @Test("the linked library reports its version")
    func version() {
        #expect(Zstd.libraryVersion.split(separator: ".").count == 3)
    }

    @Test("every corrupted byte of a frame either raises an error or decodes to the original")
    func corruptedFrame() throws {
        let input = Self.buffer(count: 20_000, compressible: true, seed: 7)
        let frame = try Zstd.compress(input)
        var errors = 0
        for position in 0..<frame.count {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = frame
                damaged[position] ^= flip
                do {
                    let output = try Zstd.decompress(damaged)
                    // The content checksum covers the content; a flip that still decodes must decode
                    // to the same bytes (a flip in an unused header bit, for example).
                    #expect(output == input, "byte \(position) flipped by \(flip) decoded to different content")
                } catch {
                    #expect(error is CompressionError)
                    errors += 1
                }
            }
        }
        #expect(errors > frame.count * 2, "most single-byte corruptions must be detected")
    }

    @Test("a frame cut short at any length is an error")
    func truncatedFrame() throws {
        let input = Self.buffer(count: 3000, compressible: false, seed: 3)
        let frame = try Zstd.compress(input)
        for length in 0..<frame.count {
            #expect(throws: CompressionError.self) { try Zstd.decompress(Array(frame.prefix(length))) }
        }
    }

    @Test("bytes that are not zstd at all are an error")
    func notZstd() {
        #expect(throws: CompressionError.self) { try Zstd.decompress(Array("hello, world".utf8)) }
    }

    @Test("the output ceiling holds at its value and fails one byte below")
    func outputCeiling() throws {
        let input = Self.buffer(count: 100_000, compressible: true, seed: 11)
        let frame = try Zstd.compress(input)
        #expect(try Zstd.decompress(frame, maximumOutputBytes: input.count) == input)
        #expect(throws: CompressionError.outputLimitExceeded(limit: input.count - 1)) {
            try Zstd.decompress(frame, maximumOutputBytes: input.count - 1)
        }
        #expect(try Zstd.decompress(try Zstd.compress([]), maximumOutputBytes: 0) == [])
        #expect(throws: CompressionError.outputLimitExceeded(limit: 0)) {
            try Zstd.decompress(try Zstd.compress([1]), maximumOutputBytes: 0)
        }
    }

    @Test("concatenated frames decompress to the concatenated content")
    func concatenatedFrames() throws {
        let first = Self.buffer(count: 1000, compressible: true, seed: 1)
        let second = Self.buffer(count: 2000, compressible: false, seed: 2)
        let output = try Zstd.decompress(try Zstd.compress(first) + Zstd.compress(second))
        #expect(output == first + second)
    }

    @Test("a reused context decompresses a frame into a caller's buffer")
    func decompressFrameIntoBuffer() throws {
        let compressor = try CompressionContext()
        let decompressor = try DecompressionContext()
        for seed in 0..<20 {
            let input = Self.buffer(count: 10_000 + seed, compressible: seed % 2 == 0, seed: UInt64(seed))
            let frame = try input.withUnsafeBytes { try compressor.compress($0) }
            var output = [UInt8](repeating: 0, count: input.count)
            let written = try frame.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { try decompressor.decompressFrame(source, into: $0) }
            }
            #expect(written == input.count)
            #expect(output == input)
            var tooSmall = [UInt8](repeating: 0, count: input.count - 1)
            #expect(throws: CompressionError.self) {
                try frame.withUnsafeBytes { source in
                    try tooSmall.withUnsafeMutableBytes { try decompressor.decompressFrame(source, into: $0) }
                }
            }
        }
    }
}

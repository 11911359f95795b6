public import AampeCore
internal import CZstd

/// One-shot zstd compression and bounded decompression over the system's libzstd.
///
/// Every frame written carries zstd's content checksum (XXH64 of the content, low 32 bits), so a
/// decompression that succeeds has also verified the bytes it returns. Decompression never produces
/// more than a caller-given ceiling, whatever the frame header claims, because frames come from disk
/// and disk is outside input.
public enum Zstd {
    /// The compression level used when a caller has no reason to choose: zstd's own default, 3.
    public static let defaultLevel: Int32 = 3

    /// Compresses `input` into a single zstd frame with the content size and a content checksum.
    public static func compress(
        _ input: UnsafeRawBufferPointer,
        level: Int32 = defaultLevel
    ) throws
        -> [UInt8]
    {
        let context = try CompressionContext(level: level)
        return try context.compress(input)
    }

    /// Compresses `input` into a single zstd frame.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        let context = try CompressionContext(level: level)
        return try input.withUnsafeBytes { buffer in try context.compress(buffer) }
    }

    /// Decompresses every frame in `input`, refusing to produce more than `maximumOutputBytes`.
    ///
    /// Throws ``CompressionError`` when the data is not zstd, is corrupt, fails its checksum, ends
    /// before the frame does, or would expand past the ceiling.
    public static func decompress(
        _ input: UnsafeRawBufferPointer,
        maximumOutputBytes: Int = Limits.maximumDecompressedBytes
    ) throws -> [UInt8] {
        let context = try DecompressionContext()
        return try context.decompress(input, maximumOutputBytes: maximumOutputBytes)
    }

    /// Decompresses every frame in `input`, refusing to produce more than `maximumOutputBytes`.
    public static func decompress(
        _ input: [UInt8],
        maximumOutputBytes: Int = Limits.maximumDecompressedBytes
    ) throws -> [UInt8] {
        let context = try DecompressionContext()
        return try input.withUnsafeBytes { buffer in
            try context.decompress(buffer, maximumOutputBytes: maximumOutputBytes)
        }
    }

    /// The version of the linked libzstd, such as `1.5.4`.
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }
}

/// A reusable zstd compression context. Reuse saves the context's allocation on every call, which
/// matters when a writer compresses thousands of blocks.
///
/// Not `Sendable`: a context holds mutable C state and belongs to one task at a time.
public final class CompressionContext {
    private let context: OpaquePointer

    /// A context compressing at `level` (1 to `ZSTD_maxCLevel()`; negative levels trade ratio for speed).
    public init(level: Int32 = Zstd.defaultLevel) throws {
        guard let context = ZSTD_createCCtx() else { throw CompressionError.outOfMemory }
        self.context = context
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set compression level")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable content checksum")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "enable content size")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input` into one frame.
    public func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = try output.withUnsafeMutableBytes { out in
            try compress(input, into: out)
        }
        output.removeSubrange(written...)
        return output
    }

    /// Compresses `input` into one frame written to the front of `output`, and returns the frame's
    /// length. `output` should hold ``Zstd/compressBound(_:)`` bytes.
    public func compress(
        _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        let result = ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count)
        try check(result, "compress")
        return result
    }

    private func check(_ result: Int, _ operation: String) throws {
        if ZSTD_isError(result) != 0 {
            throw CompressionError.compressionFailed(
                operation: operation,
                reason: String(cString: ZSTD_getErrorName(result))
            )
        }
    }
}

extension Zstd {
    /// The largest frame that compressing `inputCount` bytes can produce.
    public static func compressBound(_ inputCount: Int) -> Int { ZSTD_compressBound(inputCount) }
}

/// A reusable zstd decompression context.
///
/// Not `Sendable`: a context holds mutable C state and belongs to one task at a time.
public final class DecompressionContext {
    private let context: OpaquePointer

    /// A fresh context.
    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw CompressionError.outOfMemory }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses every frame in `input` into a new array of at most `maximumOutputBytes` bytes.
    public func decompress(
        _ input: UnsafeRawBufferPointer,
        maximumOutputBytes: Int = Limits.maximumDecompressedBytes
    ) throws -> [UInt8] {
        precondition(maximumOutputBytes >= 0, "negative output ceiling")
        // Start from the size the first frame declares, when it declares one within the ceiling; grow
        // otherwise. The declared size is only a hint: the loop below enforces the ceiling itself.
        let declared = input.isEmpty ? ZSTD_CONTENTSIZE_ERROR : ZSTD_getFrameContentSize(input.baseAddress, input.count)
        var capacity = 64 * 1024
        if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR {
            capacity = declared <= UInt64(maximumOutputBytes) ? Int(declared) : maximumOutputBytes
        }
        var output = [UInt8](repeating: 0, count: min(capacity, maximumOutputBytes))
        var produced = 0
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var scratch: UInt8 = 0
        while true {
            if produced == output.count && output.count < maximumOutputBytes {
                let grown = min(max(output.count * 2, 64 * 1024), maximumOutputBytes)
                output.append(contentsOf: repeatElement(0, count: grown - output.count))
            }
            // At the ceiling, decode into a one-byte scratch: any byte landing there is one too many.
            let isAtCeiling = produced == output.count
            let inputBefore = inBuffer.pos
            var scratchWritten = 0
            let result: Int
            if isAtCeiling {
                result = withUnsafeMutableBytes(of: &scratch) { byte in
                    var outBuffer = ZSTD_outBuffer(dst: byte.baseAddress, size: 1, pos: 0)
                    defer { scratchWritten = outBuffer.pos }
                    return ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                }
            } else {
                result = output.withUnsafeMutableBytes { out in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: produced)
                    defer { produced = outBuffer.pos }
                    return ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                }
            }
            try check(result)
            if scratchWritten > 0 { throw CompressionError.outputLimitExceeded(limit: maximumOutputBytes) }
            let isInputConsumed = inBuffer.pos == inBuffer.size
            if result == 0 && isInputConsumed { break }  // every frame is complete
            // zstd makes progress whenever it can; with all input consumed, room to write and still a
            // frame open, the input ended early.
            if isInputConsumed && inputBefore == inBuffer.pos && (isAtCeiling || produced < output.count) {
                throw CompressionError.truncatedFrame
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Decompresses exactly one complete frame from `input` into `output`, and returns the number of
    /// bytes written. Fails if the content does not fit, so `output.count` is the ceiling.
    ///
    /// This is the fast path for blocks whose size the caller already knows (segment blocks).
    public func decompressFrame(
        _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        let result = ZSTD_decompressDCtx(context, output.baseAddress, output.count, input.baseAddress, input.count)
        try check(result)
        return result
    }

    private func check(_ result: Int) throws {
        guard ZSTD_isError(result) != 0 else { return }
        let code = ZSTD_getErrorCode(result)
        let name = String(cString: ZSTD_getErrorName(result))
        switch code {
        case ZSTD_error_dstSize_tooSmall: throw CompressionError.outputLimitExceeded(limit: nil)
        case ZSTD_error_srcSize_wrong: throw CompressionError.truncatedFrame
        case ZSTD_error_checksum_wrong: throw CompressionError.checksumMismatch
        case ZSTD_error_memory_allocation: throw CompressionError.outOfMemory
        default: throw CompressionError.corruptFrame(reason: name)
        }
    }
}

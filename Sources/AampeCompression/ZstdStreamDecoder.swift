internal import CZstd

/// Decompresses a zstd stream (one or more frames, as the `zstd` command writes) piece by piece, so that a
/// compressed input file of any size is read with a fixed amount of memory.
///
/// Feed compressed bytes to ``decode(_:into:)`` and collect what it writes; call ``finish()`` once the
/// input has ended to learn whether the last frame was complete. The window a frame may ask for is
/// bounded by zstd's default (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`, 128 MiB), so a crafted header cannot make
/// it allocate more.
///
/// Not `Sendable`: it holds mutable C state and belongs to one task at a time.
public final class ZstdStreamDecoder {
    private let context: OpaquePointer
    /// Whether the last call ended exactly at a frame boundary (true before any input).
    private var isAtFrameBoundary = true

    /// A fresh decoder.
    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw CompressionError.outOfMemory }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses as much of `input` as fits in `output`, and returns how many input bytes were used and
    /// how many output bytes were written. Call again with the rest of the input when `consumed` is short.
    public func decode(
        _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        if ZSTD_isError(result) != 0 {
            let code = ZSTD_getErrorCode(result)
            switch code {
            case ZSTD_error_checksum_wrong: throw CompressionError.checksumMismatch
            case ZSTD_error_memory_allocation: throw CompressionError.outOfMemory
            default: throw CompressionError.corruptFrame(reason: String(cString: ZSTD_getErrorName(result)))
            }
        }
        // > ZSTD_decompressStream returns 0 when a frame is completely decoded and fully flushed.
        isAtFrameBoundary = result == 0
        return (inBuffer.pos, outBuffer.pos)
    }

    /// Throws ``CompressionError/truncatedFrame`` when the input ended inside a frame.
    public func finish() throws {
        if !isAtFrameBoundary { throw CompressionError.truncatedFrame }
    }
}

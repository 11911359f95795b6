/// Why compressing or decompressing failed.
///
/// The description names the failed check. Which file, column or block was being read is the caller's
/// to add, since only the caller knows it.
public enum CompressionError: Error, Hashable, Sendable {
    /// The input is not a valid zstd frame; `reason` is zstd's error name.
    case corruptFrame(reason: String)
    /// The input ended before its last frame did.
    case truncatedFrame
    /// The content does not match the frame's XXH64 content checksum.
    case checksumMismatch
    /// The content would be larger than the ceiling (in bytes, when a ceiling was given as a number).
    case outputLimitExceeded(limit: Int?)
    /// zstd could not allocate its context or working memory.
    case outOfMemory
    /// Compression itself failed (a bad parameter, most likely); `reason` is zstd's error name.
    case compressionFailed(operation: String, reason: String)
}

extension CompressionError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .corruptFrame(let reason): "zstd: corrupt frame (\(reason))"
        case .truncatedFrame: "zstd: frame is truncated"
        case .checksumMismatch: "zstd: content checksum mismatch"
        case .outputLimitExceeded(let limit?): "zstd: content exceeds the limit of \(limit) bytes"
        case .outputLimitExceeded(nil): "zstd: content does not fit the output buffer"
        case .outOfMemory: "zstd: out of memory"
        case .compressionFailed(let operation, let reason): "zstd: \(operation) failed (\(reason))"
        }
    }
}

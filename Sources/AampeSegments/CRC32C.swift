internal import CAampeChecksum

/// CRC-32C (Castagnoli), the checksum of every segment file structure and RAW column part.
///
/// Chosen over XXH64 because the CPU computes it (SSE 4.2, ARMv8 CRC) at several GB/s with no
/// library, and because a 32-bit CRC detects every burst error up to 32 bits, which is the failure a
/// disk or a copy produces. zstd frames carry their own XXH64-based content checksum on top.
public enum CRC32C {
    /// The CRC-32C of `bytes`, or of `bytes` appended to data whose CRC-32C was `previous`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, extending previous: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return previous }
        return aampe_crc32c_extend(previous, base, bytes.count)
    }

    /// The CRC-32C of an array's bytes.
    public static func checksum(_ bytes: [UInt8], extending previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, extending: previous) }
    }

    /// Whether the running CPU computes it in hardware.
    public static var isHardwareAccelerated: Bool { aampe_crc32c_is_hardware_accelerated() != 0 }
}

/// The hash that places a key in a dictionary column's index: 64-bit FNV-1a over the key's bytes,
/// then MurmurHash3's 64-bit finalizer (`fmix64`) so that the low bits, which pick the slot, depend
/// on every input bit.
///
/// Both halves are public-domain, one-screen algorithms, so a reader in any language can reproduce
/// the index from `proto-spec/segment-format.md` alone.
enum DictionaryHash {
    @inlinable
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64 offset basis
        for byte in key {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3  // FNV-1a 64 prime
        }
        // fmix64
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }

    /// Slots in an index for `rows` keys: the smallest power of two at least twice the key count, so the
    /// table is at most half full and a lookup probes about 1.5 slots.
    static func slotCount(forRows rows: Int) -> Int {
        var slots = 2
        while slots < rows * 2 { slots <<= 1 }
        return slots
    }

    /// Bytes per index slot: key offset (u64), key length (u32), row + 1 (u32; 0 = empty).
    static let slotLength = 16
}

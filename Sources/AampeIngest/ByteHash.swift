/// A fast, well-mixing 64-bit hash of byte strings, for the importer's own hash tables.
///
/// Swift's `Hasher` is SipHash with a per-process seed: good against flooding, but about three times
/// slower on short ids and not stable across runs, while the importer hashes every id of every row and
/// stores fingerprints in segment files. This is the multiply-fold construction of wyhash (public
/// domain): 16 bytes per step, folded through a 64×64→128-bit multiply.
enum ByteHash {
    @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    static let prime0: UInt64 = 0xa076_1d64_78bd_642f
    static let prime1: UInt64 = 0xe703_7ed1_a0b4_28db
    static let prime2: UInt64 = 0x8ebc_6af0_9c88_c6e3
    static let prime3: UInt64 = 0x5899_65cc_7537_4cc3

    /// The hash of `bytes` under `seed`. Different seeds give independent hashes.
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let count = bytes.count
        var state = seed ^ prime0
        guard let base = bytes.baseAddress, count > 0 else { return fold(state ^ prime1, prime2) }
        var offset = 0
        var a: UInt64 = 0
        var b: UInt64 = 0
        if count <= 16 {
            if count >= 8 {
                a = base.loadUnaligned(as: UInt64.self)
                b = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            } else if count >= 4 {
                a = UInt64(base.loadUnaligned(as: UInt32.self))
                b = UInt64(base.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            } else {
                let first = UInt64(base.load(as: UInt8.self))
                let middle = UInt64(base.load(fromByteOffset: count >> 1, as: UInt8.self))
                let last = UInt64(base.load(fromByteOffset: count - 1, as: UInt8.self))
                a = first << 16 | middle << 8 | last
            }
        } else {
            while count - offset > 16 {
                let x = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let y = base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                state = fold(x ^ prime1, y ^ state)
                offset += 16
            }
            a = base.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
            b = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        return fold(prime1 ^ UInt64(truncatingIfNeeded: count), fold(a ^ prime1, b ^ state) ^ prime3)
    }
}

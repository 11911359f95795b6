// Helpers every fuzz harness compiles in (tools/fuzz-segments and tools/fuzz-parsers pass this file to
// swiftc beside the harness): a seeded generator and a hash to seed it from an input, so that whatever a
// harness varies (read splits, mutations) is reproducible from the input alone.

/// FNV-1a over `bytes`: a seed derived from the input itself.
func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return hash
}

/// SplitMix64: a small seeded generator, so that a run is reproducible from libFuzzer's input or seed.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce5_e9b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

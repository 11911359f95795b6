/// The simulator's random source: xoshiro256** seeded through SplitMix64.
///
/// Every stream is derived from the world's seed and a few integers that say what it is for (a user's
/// traits, one shard of users on one day, the catalog). Streams never depend on thread scheduling, so
/// the same seed gives the same bytes however many threads run.
struct SimRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A stream for `seed` and the purpose words `salts` (for example `[Purpose.user, userIndex]`).
    init(seed: UInt64, _ salts: UInt64...) {
        var mixer = seed
        for salt in salts { mixer = SimRandom.mix(mixer ^ SimRandom.mix(salt &+ 0x632B_E59B_D9B4_E019)) }
        var splitMix = mixer
        s0 = SimRandom.splitMixNext(&splitMix)
        s1 = SimRandom.splitMixNext(&splitMix)
        s2 = SimRandom.splitMixNext(&splitMix)
        s3 = SimRandom.splitMixNext(&splitMix)
    }

    /// SplitMix64's finalizer: a bijection on 64-bit words, so distinct inputs give distinct outputs.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func splitMixNext(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `probability`.
    @inline(__always)
    mutating func chance(_ probability: Double) -> Bool {
        uniform() < probability
    }

    /// Uniform in `0 ..< bound` (`bound` > 0), by Lemire's multiply-shift.
    @inline(__always)
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A standard normal draw (Box–Muller; the second value is dropped to keep streams simple).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1.0p-60)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An exponential draw with the given mean.
    @inline(__always)
    mutating func exponential(mean: Double) -> Double {
        -mean * log(1 - uniform())
    }

    /// A geometric count of failures before a success, with the given mean (0 when `mean` is 0).
    mutating func geometric(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        let p = 1 / (1 + mean)
        return Int(log(1 - uniform()) / log(1 - p))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Index into a cumulative weight table (non-decreasing, last entry the total) for a uniform draw.
@inline(__always)
func sampleCumulative(_ cumulative: UnsafeBufferPointer<Float>, _ random: inout SimRandom) -> Int {
    let target = Float(random.uniform()) * cumulative[cumulative.count - 1]
    var low = 0
    var high = cumulative.count - 1
    while low < high {
        let middle = (low + high) >> 1
        if cumulative[middle] > target { high = middle } else { low = middle + 1 }
    }
    return low
}

/// Logistic function.
func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

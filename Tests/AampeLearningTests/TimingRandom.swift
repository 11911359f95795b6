import AampeTestSupport
import Foundation

/// Seeded draws from the distributions the timing models assume, for synthetic data with known parameters.
struct TimingRandom {
    var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(state: seed)
    }

    /// Uniform on (0, 1), never exactly 0 or 1.
    mutating func uniform() -> Double {
        (Double(generator.next() >> 11) + 0.5) / Double(UInt64(1) << 53)
    }

    /// Standard normal, by Box–Muller.
    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
    }

    /// Gamma with `shape` and rate 1 (Marsaglia and Tsang, 2000; shape < 1 by the u^(1/shape) boost).
    mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(uniform(), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            if log(uniform()) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Beta(a, b).
    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(a)
        return x / (x + gamma(b))
    }

    /// Exponential with `rate`.
    mutating func exponential(_ rate: Double) -> Double {
        -log(uniform()) / rate
    }

    /// A draw from the discrete distribution `shares` (summing to 1).
    mutating func categorical(_ shares: [Double]) -> Int {
        var u = uniform()
        for (index, share) in shares.enumerated() {
            if u < share { return index }
            u -= share
        }
        return shares.count - 1
    }
}

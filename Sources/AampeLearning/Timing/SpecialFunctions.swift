import Foundation

/// The few special functions the timing models need, which the C library lacks (digamma, the Gauss
/// hypergeometric series) or spells awkwardly (the log of a sum of exponentials).
enum SpecialFunctions {
    /// ln Γ(x) for x > 0. Glibc's `lgamma` also writes the global `signgam`; every caller here is on one
    /// thread or passes positive arguments only, where the sign is never read.
    @inline(__always)
    static func logGamma(_ x: Double) -> Double {
        Foundation.lgamma(x)
    }

    /// ψ(x) = d/dx ln Γ(x) for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 6, then the
    /// asymptotic series ln x − 1/(2x) − Σ B₂ₖ / (2k x²ᵏ) (Abramowitz and Stegun 6.3.18), which is within
    /// 1e-15 there.
    static func digamma(_ x: Double) -> Double {
        precondition(x > 0, "digamma needs a positive argument")
        var x = x
        var result = 0.0
        while x < 6 {
            result -= 1 / x
            x += 1
        }
        let inverse = 1 / x
        let inverse2 = inverse * inverse
        let series =
            inverse2
            * (1.0 / 12 - inverse2 * (1.0 / 120 - inverse2 * (1.0 / 252 - inverse2 * (1.0 / 240 - inverse2 / 132))))
        return result + Foundation.log(x) - 0.5 * inverse - series
    }

    /// ln(eˣ + eʸ) without overflow.
    @inline(__always)
    static func logAddExp(_ x: Double, _ y: Double) -> Double {
        let high = Swift.max(x, y)
        let low = Swift.min(x, y)
        guard low > -Double.infinity else { return high }
        return high + Foundation.log1p(Foundation.exp(low - high))
    }

    /// The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 and positive a, b, c, summed as its
    /// power series Σ (a)ₖ (b)ₖ / ((c)ₖ k!) zᵏ until a term no longer changes the sum.
    ///
    /// The terms shrink like zᵏ, so the sum needs about 40 / (1 − z) terms; `maximumTerms` bounds the work
    /// for z very close to 1, where the result is then a lower bound.
    static func hypergeometric2F1(
        _ a: Double,
        _ b: Double,
        _ c: Double,
        _ z: Double,
        maximumTerms: Int = 200_000
    )
        -> Double
    {
        precondition((0..<1).contains(z), "2F1 series needs 0 <= z < 1")
        var term = 1.0
        var sum = 1.0
        var k = 0.0
        for _ in 0..<maximumTerms {
            term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
            sum += term
            k += 1
            if Swift.abs(term) <= 1e-16 * Swift.abs(sum) { break }
        }
        return sum
    }
}

import Foundation

extension SplitMix64 {
    /// The natural log of one Gamma(`shape`, 1) draw, for `shape` > 0.
    ///
    /// For shape ≥ 1 this is Marsaglia and Tsang's squeeze method ("A simple method for generating gamma
    /// variables", ACM TOMS 26(3), 2000): with d = shape − 1/3 and c = 1 / √(9d), draw a standard normal x
    /// and a uniform u, let v = (1 + cx)³, and accept d·v when v > 0 and ln u < x²/2 + d − d·v + d·ln v.
    /// For shape < 1 it uses their boost, Gamma(a) = Gamma(a + 1) · U^(1/a). The log is returned because a
    /// Beta draw's logit is a difference of two of them, which stays finite where the draws themselves
    /// underflow (a tiny shape, or one side of a posterior with millions of observations).
    mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "a Gamma shape must be positive and finite")
        if shape < 1 {
            // U in (0, 1], so its log is finite.
            let u = (Double(next() >> 11) + 1) * 0x1p-53
            return nextLogGamma(shape: shape + 1) + log(u) / shape
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = PCAModel.gaussian(&self)
            let root = 1 + c * x
            guard root > 0 else { continue }
            let v = root * root * root
            let u = (Double(next() >> 11) + 1) * 0x1p-53
            let squared = x * x
            // The squeeze accepts about 98 % of draws without a log.
            if u < 1 - 0.0331 * squared * squared || log(u) < 0.5 * squared + d * (1 - v + log(v)) {
                return log(d) + log(v)
            }
        }
    }

    /// The logit, ln(p / (1 − p)), of one Beta(`alpha`, `beta`) draw p: ln X − ln Y for independent
    /// X ~ Gamma(alpha) and Y ~ Gamma(beta), since X / (X + Y) ~ Beta(alpha, beta).
    mutating func nextBetaLogit(alpha: Double, beta: Double) -> Double {
        nextLogGamma(shape: alpha) - nextLogGamma(shape: beta)
    }
}

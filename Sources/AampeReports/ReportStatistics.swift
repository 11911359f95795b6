import Foundation

/// The statistics the reports state their confidence with. Every interval is two-sided at 95 % unless
/// a caller asks otherwise.
public enum ReportStatistics {
    /// The standard normal's quantile function, by Acklam's rational approximation refined with one
    /// Halley step (relative error below 1e-15 in double precision).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// Student's t quantile with `df` degrees of freedom, by the Cornish–Fisher expansion around the normal
    /// quantile (Abramowitz and Stegun 26.7.5); within 1e-3 of the exact value from 3 degrees of freedom
    /// and exact in the limit. Below 1 degree of freedom there is no interval: `nil`.
    public static func tQuantile(_ p: Double, df: Double) -> Double? {
        guard df >= 1, df.isFinite || df == .infinity else { return nil }
        let z = normalQuantile(p)
        guard df.isFinite else { return z }
        if df == 1 { return tan(Double.pi * (p - 0.5)) }
        if df == 2 { return (2 * p - 1) * (2 / (4 * p * (1 - p))).squareRoot() }
        let z2 = z * z
        let g1 = (z2 + 1) * z / 4
        let g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
        let g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
        let g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
        return z + g1 / df + g2 / (df * df) + g3 / (df * df * df) + g4 / (df * df * df * df)
    }

    /// P(|T| ≥ t) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
    public static func tTwoSidedPValue(_ t: Double, df: Double) -> Double {
        guard t.isFinite, df > 0 else { return t.isNaN ? .nan : 0 }
        return min(1, max(0, regularizedIncompleteBeta(x: df / (df + t * t), a: df / 2, b: 0.5)))
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's method;
    /// Numerical Recipes §6.4), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction
    /// converges slowly.
    public static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logBeta + logPowers
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(x: 1 - x, a: b, b: a) / b
    }

    static func betaContinuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }

    /// Mean and sample variance of one group, from its sums.
    public struct Moments: Sendable, Hashable {
        public var count: Double = 0
        public var sum: Double = 0
        public var sumOfSquares: Double = 0

        public init() {}

        public mutating func add(_ value: Double) {
            count += 1
            sum += value
            sumOfSquares += value * value
        }

        public var mean: Double { count > 0 ? sum / count : .nan }
        /// The sample variance (n − 1); `nan` below two values.
        public var variance: Double {
            guard count > 1 else { return .nan }
            return max(0, (sumOfSquares - sum * sum / count) / (count - 1))
        }
    }

    /// A difference of two means with its interval.
    public struct Difference: Sendable, Hashable, Codable {
        public var estimate: Double
        public var standardError: Double
        public var lower: Double
        public var upper: Double
        /// Welch–Satterthwaite degrees of freedom.
        public var degreesOfFreedom: Double
        /// Two-sided p-value of "no difference".
        public var pValue: Double
    }

    /// Welch's t interval for mean(treated) − mean(control) at `confidence`; `nil` when either group has
    /// fewer than two values or both have no variance.
    public static func welch(treated: Moments, control: Moments, confidence: Double = 0.95) -> Difference? {
        welch(
            treatedMean: treated.mean,
            treatedVariance: treated.variance,
            treatedCount: treated.count,
            controlMean: control.mean,
            controlVariance: control.variance,
            controlCount: control.count,
            confidence: confidence
        )
    }

    /// Welch's interval from the groups' means, sample variances and counts.
    public static func welch(
        treatedMean: Double,
        treatedVariance: Double,
        treatedCount: Double,
        controlMean: Double,
        controlVariance: Double,
        controlCount: Double,
        confidence: Double = 0.95
    ) -> Difference? {
        guard treatedCount > 1, controlCount > 1, treatedVariance.isFinite, controlVariance.isFinite else { return nil }
        let vt = treatedVariance / treatedCount
        let vc = controlVariance / controlCount
        let variance = vt + vc
        let estimate = treatedMean - controlMean
        guard variance > 0 else { return nil }
        let df = variance * variance / (vt * vt / (treatedCount - 1) + vc * vc / (controlCount - 1))
        let se = variance.squareRoot()
        guard let t = tQuantile(0.5 + confidence / 2, df: df) else { return nil }
        let p = tTwoSidedPValue(abs(estimate) / se, df: df)
        return Difference(
            estimate: estimate,
            standardError: se,
            lower: estimate - t * se,
            upper: estimate + t * se,
            degreesOfFreedom: df,
            pValue: p
        )
    }

    /// The always-valid interval of the mixture sequential probability ratio test (mSPRT; Johari, Pekelis
    /// and Walsh, "Always valid inference", 2017) for a normal estimate with variance `variance` and a
    /// normal mixing distribution of variance `tau2` over the effect:
    ///
    ///     half-width = sqrt( V (V + τ²) / τ² · ( 2 log(1/α) + log((V + τ²) / V) ) )
    ///
    /// It holds at every look at once: reading the report every day and stopping when it looks good keeps
    /// the error rate at α, which a fixed-horizon interval does not. `nil` without variance.
    public static func alwaysValidHalfWidth(variance: Double, tau2: Double, alpha: Double = 0.05) -> Double? {
        guard variance > 0, tau2 > 0, variance.isFinite, tau2.isFinite else { return nil }
        return (variance * (variance + tau2) / tau2 * (2 * log(1 / alpha) + log((variance + tau2) / variance)))
            .squareRoot()
    }

    /// The Wilson score interval of a proportion `successes / trials` at `confidence`.
    public static func wilson(
        successes: Double,
        trials: Double,
        confidence: Double = 0.95
    ) -> (
        rate: Double, lower: Double, upper: Double
    )? {
        guard trials > 0 else { return nil }
        let z = normalQuantile(0.5 + confidence / 2)
        let p = successes / trials
        let denominator = 1 + z * z / trials
        let center = (p + z * z / (2 * trials)) / denominator
        let half = z * (p * (1 - p) / trials + z * z / (4 * trials * trials)).squareRoot() / denominator
        return (p, max(0, center - half), min(1, center + half))
    }

    /// Benjamini–Hochberg adjusted p-values (q-values), in the input's order: rejecting every hypothesis
    /// with q ≤ α controls the false discovery rate at α for independent or positively dependent tests.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = Double(pValues.count)
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: pValues.count)
        var running = 1.0
        for rank in stride(from: order.count - 1, through: 0, by: -1) {
            let index = order[rank]
            running = min(running, pValues[index] * m / Double(rank + 1))
            adjusted[index] = min(1, running)
        }
        return adjusted
    }

    /// The p-value of a sample-ratio-mismatch check: Pearson's χ² (one degree of freedom) of `control`
    /// users out of `total` against the expected share.
    public static func sampleRatioPValue(control: Int, total: Int, expectedShare: Double) -> Double? {
        guard total > 0, expectedShare > 0, expectedShare < 1 else { return nil }
        let expectedControl = Double(total) * expectedShare
        let expectedTreated = Double(total) - expectedControl
        let dc = Double(control) - expectedControl
        let chi2 = dc * dc / expectedControl + dc * dc / expectedTreated
        return erfc((chi2 / 2).squareRoot())
    }
}

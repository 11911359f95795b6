/// Treated against control on one per-user metric, from sums, with CUPED's variance reduction.
///
/// Each user contributes `y` (the metric in the period, per week) and two pre-period covariates `x₁`
/// (the same goal's events per week in the pre-period) and `x₂` (active days per week in the pre-period).
/// CUPED (Deng, Xu, Kohavi and Walker, 2013) replaces `y` by `y − θ·(x − x̄)`, with θ the pooled
/// least-squares coefficients of `y` on `x`: the covariates are fixed before treatment, so the mean
/// difference keeps its expectation while the variance falls by the share of `y` the pre-period explains.
/// Everything is kept as sums, so a day's update moves a few numbers, and groups (clusters) are cheap.
public struct LiftEstimator: Sendable, Hashable {
    /// Sums over one side's users.
    public struct Sums: Sendable, Hashable {
        public var n = 0.0
        public var y = 0.0
        public var yy = 0.0
        public var x1 = 0.0
        public var x2 = 0.0
        public var x1x1 = 0.0
        public var x2x2 = 0.0
        public var x1x2 = 0.0
        public var x1y = 0.0
        public var x2y = 0.0

        public init() {}

        public mutating func add(y: Double, x1: Double, x2: Double) {
            n += 1
            self.y += y
            yy += y * y
            self.x1 += x1
            self.x2 += x2
            x1x1 += x1 * x1
            x2x2 += x2 * x2
            x1x2 += x1 * x2
            x1y += x1 * y
            x2y += x2 * y
        }

        /// Moves one user's `y` from `old` to `new` (their covariates unchanged): a day's new goals.
        public mutating func update(from old: Double, to new: Double, x1: Double, x2: Double) {
            y += new - old
            yy += new * new - old * old
            x1y += x1 * (new - old)
            x2y += x2 * (new - old)
        }

        /// The sums with every `y` multiplied by `factor` (counts to rates per week).
        public func scaled(_ factor: Double) -> Sums {
            var result = self
            result.y *= factor
            result.yy *= factor * factor
            result.x1y *= factor
            result.x2y *= factor
            return result
        }

        static func + (lhs: Sums, rhs: Sums) -> Sums {
            var result = Sums()
            result.n = lhs.n + rhs.n
            result.y = lhs.y + rhs.y
            result.yy = lhs.yy + rhs.yy
            result.x1 = lhs.x1 + rhs.x1
            result.x2 = lhs.x2 + rhs.x2
            result.x1x1 = lhs.x1x1 + rhs.x1x1
            result.x2x2 = lhs.x2x2 + rhs.x2x2
            result.x1x2 = lhs.x1x2 + rhs.x1x2
            result.x1y = lhs.x1y + rhs.x1y
            result.x2y = lhs.x2y + rhs.x2y
            return result
        }
    }

    public var treated = Sums()
    public var control = Sums()

    public init() {}

    public init(treated: Sums, control: Sums) {
        self.treated = treated
        self.control = control
    }

    /// The estimate with and without CUPED.
    public struct Estimate: Sendable, Hashable, Codable {
        public var treatedUsers: Int
        public var controlUsers: Int
        public var treatedMean: Double
        public var controlMean: Double
        /// Welch on the raw metric.
        public var raw: ReportStatistics.Difference?
        /// Welch on the CUPED-adjusted metric: the headline.
        public var cuped: ReportStatistics.Difference?
        /// 1 − (CUPED interval width / raw interval width).
        public var narrowing: Double?
        /// The CUPED difference relative to the control mean, with its delta-method interval.
        public var relative: Double?
        public var relativeLower: Double?
        public var relativeUpper: Double?
        /// The variance of the CUPED difference: what the always-valid interval is computed from.
        public var variance: Double?

        /// The headline difference: CUPED where it could be computed, else raw.
        public var headline: ReportStatistics.Difference? { cuped ?? raw }
    }

    /// Treated − control on the per-user metric, raw and CUPED-adjusted.
    public func estimate(confidence: Double = 0.95) -> Estimate {
        let t = treated
        let c = control
        func mean(_ s: Sums) -> Double { s.n > 0 ? s.y / s.n : .nan }
        func variance(_ s: Sums) -> Double { s.n > 1 ? max(0, (s.yy - s.y * s.y / s.n) / (s.n - 1)) : .nan }
        let raw = ReportStatistics.welch(
            treatedMean: mean(t),
            treatedVariance: variance(t),
            treatedCount: t.n,
            controlMean: mean(c),
            controlVariance: variance(c),
            controlCount: c.n,
            confidence: confidence
        )
        var estimate = Estimate(
            treatedUsers: Int(t.n),
            controlUsers: Int(c.n),
            treatedMean: mean(t),
            controlMean: mean(c),
            raw: raw,
            cuped: nil,
            narrowing: nil
        )
        // Pooled, centred cross-products of the covariates and of the covariates with y.
        let pooled = t + c
        guard pooled.n > 2 else { return estimate }
        let n = pooled.n
        let m1 = pooled.x1 / n
        let m2 = pooled.x2 / n
        let my = pooled.y / n
        let s11 = pooled.x1x1 - n * m1 * m1
        let s22 = pooled.x2x2 - n * m2 * m2
        let s12 = pooled.x1x2 - n * m1 * m2
        let s1y = pooled.x1y - n * m1 * my
        let s2y = pooled.x2y - n * m2 * my
        var theta1 = 0.0
        var theta2 = 0.0
        let determinant = s11 * s22 - s12 * s12
        // A covariate without spread (no pre-period data) drops out instead of making the system singular.
        if s11 > 1e-12, s22 > 1e-12, determinant > 1e-9 * s11 * s22 {
            theta1 = (s22 * s1y - s12 * s2y) / determinant
            theta2 = (s11 * s2y - s12 * s1y) / determinant
        } else if s11 > 1e-12 {
            theta1 = s1y / s11
        } else if s22 > 1e-12 {
            theta2 = s2y / s22
        }
        func adjusted(_ s: Sums) -> (mean: Double, variance: Double) {
            guard s.n > 1 else { return (.nan, .nan) }
            let a1 = s.x1 / s.n
            let a2 = s.x2 / s.n
            let ay = s.y / s.n
            let mean = ay - theta1 * (a1 - m1) - theta2 * (a2 - m2)
            let vy = (s.yy - s.n * ay * ay) / (s.n - 1)
            let v11 = (s.x1x1 - s.n * a1 * a1) / (s.n - 1)
            let v22 = (s.x2x2 - s.n * a2 * a2) / (s.n - 1)
            let v12 = (s.x1x2 - s.n * a1 * a2) / (s.n - 1)
            let c1y = (s.x1y - s.n * a1 * ay) / (s.n - 1)
            let c2y = (s.x2y - s.n * a2 * ay) / (s.n - 1)
            let variance =
                vy - 2 * (theta1 * c1y + theta2 * c2y)
                + theta1 * theta1 * v11 + theta2 * theta2 * v22 + 2 * theta1 * theta2 * v12
            return (mean, max(0, variance))
        }
        let at = adjusted(t)
        let ac = adjusted(c)
        let cuped = ReportStatistics.welch(
            treatedMean: at.mean,
            treatedVariance: at.variance,
            treatedCount: t.n,
            controlMean: ac.mean,
            controlVariance: ac.variance,
            controlCount: c.n,
            confidence: confidence
        )
        estimate.cuped = cuped
        if let raw, let cuped, raw.upper > raw.lower {
            estimate.narrowing = 1 - (cuped.upper - cuped.lower) / (raw.upper - raw.lower)
        }
        if let cuped {
            estimate.variance = cuped.standardError * cuped.standardError
            // Delta method for μt/μc − 1 with independent sides.
            let mc = ac.mean
            let mt = at.mean
            if mc > 0 {
                let vt = at.variance / t.n
                let vc = ac.variance / c.n
                let r = mt / mc - 1
                let se = (vt / (mc * mc) + mt * mt * vc / (mc * mc * mc * mc)).squareRoot()
                let z = ReportStatistics.normalQuantile(0.5 + confidence / 2)
                estimate.relative = r
                estimate.relativeLower = r - z * se
                estimate.relativeUpper = r + z * se
            }
        }
        return estimate
    }
}

import AampeLearning
import Foundation
import Testing

@Suite("BG/NBD: likelihood, fit and predictions")
struct BGNBDModelTests {
    /// The paper's CDNOW estimates (Fader, Hardie and Lee 2005, table 1).
    static let paper = BGNBDModel(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)

    /// ∫ f(y) dy over [low, high] by the trapezoid rule; the integrands below decay fast at both ends and
    /// are smooth, where the trapezoid rule converges geometrically.
    static func integrate(_ low: Double, _ high: Double, steps: Int, _ f: (Double) -> Double) -> Double {
        let h = (high - low) / Double(steps)
        var sum = (f(low) + f(high)) / 2
        for i in 1..<steps { sum += f(low + Double(i) * h) }
        return sum * h
    }

    /// The likelihood straight from the model's definition (the paper's equation 3),
    ///
    ///     L(λ, p) = (1 − p)ˣ λˣ e^(−λT) + δ(x>0) p (1 − p)^(x−1) λˣ e^(−λ tₓ),
    ///
    /// averaged numerically over λ ~ gamma(r, α) and p ~ beta(a, b), each density normalized numerically
    /// too, so that no gamma or beta function identity is shared with the closed form. λ = eʸ and
    /// p = 1 / (1 + e⁻ᶻ) turn the densities' singularities at 0 into tails.
    static func numericalLikelihood(_ m: BGNBDModel, x: Double, tx: Double, T: Double) -> Double {
        func gammaAverage(_ g: (Double) -> Double) -> Double {
            let density = { (y: Double) -> Double in
                let lambda = exp(y)
                return exp(m.r * y - m.alpha * lambda)  // λʳ⁻¹ e^(−αλ) · dλ/dy
            }
            let weight = integrate(-200, 8, steps: 40_000, density)
            return integrate(-200, 8, steps: 40_000) { density($0) * g(exp($0)) } / weight
        }
        func betaAverage(_ g: (Double) -> Double) -> Double {
            let density = { (z: Double) -> Double in
                let p = 1 / (1 + exp(-z))
                return pow(p, m.a) * pow(1 - p, m.b)  // pᵃ⁻¹ (1 − p)ᵇ⁻¹ · dp/dz
            }
            let weight = integrate(-80, 80, steps: 40_000, density)
            return integrate(-80, 80, steps: 40_000) { density($0) * g(1 / (1 + exp(-$0))) } / weight
        }
        let alive = betaAverage { pow(1 - $0, x) } * gammaAverage { pow($0, x) * exp(-$0 * T) }
        guard x > 0 else { return alive }
        let dropped = betaAverage { $0 * pow(1 - $0, x - 1) } * gammaAverage { pow($0, x) * exp(-$0 * tx) }
        return alive + dropped
    }

    @Test(
        "the log-likelihood equals a numerical integration of the model's definition",
        arguments: [
            (0.0, 0.0, 38.86), (0.0, 0.0, 0.0), (2.0, 30.43, 38.86), (1.0, 1.71, 38.86), (7.0, 29.43, 35.0),
            (1.0, 0.5, 60.0),
        ]
    )
    func likelihoodMatchesIntegration(x: Double, tx: Double, T: Double) {
        for m in [Self.paper, BGNBDModel(r: 2, alpha: 3, a: 1.5, b: 2.5)] {
            let closed = BGNBDModel.logLikelihood(r: m.r, alpha: m.alpha, a: m.a, b: m.b, x: x, tx: tx, T: T)
            let numerical = log(Self.numericalLikelihood(m, x: x, tx: tx, T: T))
            #expect(abs(closed - numerical) < 1e-6, "\(m) at (\(x), \(tx), \(T)): \(closed) vs \(numerical)")
        }
    }

    /// Users drawn from the BG/NBD process: λ ~ gamma(r, α), p ~ beta(a, b); repeat transactions come at
    /// exponential gaps, and after each one the user drops out with probability p. Ages are whole weeks
    /// from 4 to 43, like a cohort acquired over most of a year.
    static func simulate(_ m: BGNBDModel, users: Int, seed: UInt64) -> (x: [Double], tx: [Double], T: [Double]) {
        var random = TimingRandom(seed: seed)
        var data: (x: [Double], tx: [Double], T: [Double]) = ([], [], [])
        for _ in 0..<users {
            let lambda = random.gamma(m.r) / m.alpha
            let p = random.beta(m.a, m.b)
            let T = 7 * Double(4 + Int(random.uniform() * 40))
            var (t, x, tx) = (0.0, 0.0, 0.0)
            while true {
                t += random.exponential(lambda)
                if t > T { break }
                x += 1
                tx = t
                if random.uniform() < p { break }
            }
            data.x.append(x)
            data.tx.append(tx)
            data.T.append(T)
        }
        return data
    }

    @Test("the fit recovers the parameters of 20,000 simulated users: r and α within 10 %, a and b within 20 %")
    func fitRecoversParameters() throws {
        let data = Self.simulate(Self.paper, users: 20_000, seed: 11)
        let fitted = try BGNBDModel.fit(x: data.x, tx: data.tx, T: data.T)
        #expect(abs(fitted.r / Self.paper.r - 1) < 0.10, "r \(fitted.r)")
        #expect(abs(fitted.alpha / Self.paper.alpha - 1) < 0.10, "alpha \(fitted.alpha)")
        #expect(abs(fitted.a / Self.paper.a - 1) < 0.20, "a \(fitted.a)")
        #expect(abs(fitted.b / Self.paper.b - 1) < 0.20, "b \(fitted.b)")
        // It is the maximum: no better than the truth would be a failed search.
        func total(_ m: BGNBDModel) -> Double {
            data.x.indices.reduce(0) {
                $0
                    + BGNBDModel.logLikelihood(
                        r: m.r,
                        alpha: m.alpha,
                        a: m.a,
                        b: m.b,
                        x: data.x[$1],
                        tx: data.tx[$1],
                        T: data.T[$1]
                    )
            }
        }
        #expect(total(fitted) >= total(Self.paper))
        for nudged in [
            BGNBDModel(r: fitted.r * 1.01, alpha: fitted.alpha, a: fitted.a, b: fitted.b),
            BGNBDModel(r: fitted.r, alpha: fitted.alpha * 0.99, a: fitted.a, b: fitted.b),
            BGNBDModel(r: fitted.r, alpha: fitted.alpha, a: fitted.a * 1.01, b: fitted.b * 0.99),
        ] {
            #expect(total(fitted) > total(nudged))
        }
    }

    @Test("weighted unique triples fit the same model as the users one by one")
    func weightsAreRepeats() throws {
        let data = Self.simulate(BGNBDModel(r: 0.5, alpha: 10, a: 1, b: 3), users: 3_000, seed: 5)
        // Whole days, as the training job passes active days, so that many users share a triple.
        let days = (x: data.x, tx: data.tx.map { $0.rounded(.down) }, T: data.T)
        var weightOf: [[Double]: Double] = [:]
        for i in days.x.indices { weightOf[[days.x[i], days.tx[i], days.T[i]], default: 0] += 1 }
        let unique = weightOf.keys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(unique.count < days.x.count * 3 / 4)
        let byUser = try BGNBDModel.fit(x: days.x, tx: days.tx, T: days.T)
        let byTriple = try BGNBDModel.fit(
            x: unique.map { $0[0] },
            tx: unique.map { $0[1] },
            T: unique.map { $0[2] },
            weights: unique.map { weightOf[$0]! }
        )
        for (one, other) in zip(
            [byUser.r, byUser.alpha, byUser.a, byUser.b],
            [byTriple.r, byTriple.alpha, byTriple.a, byTriple.b]
        ) {
            #expect(abs(one / other - 1) < 1e-5, "\(byUser) vs \(byTriple)")
        }
    }

    @Test("input that is not a history throws, naming the row; data without repeat activity cannot be fitted")
    func badInput() {
        #expect(throws: LearningError.invalidTimingRow(model: "BG/NBD", index: 1, problem: "tx is not within [0, T]")) {
            try BGNBDModel.fit(x: [1, 2], tx: [3, 9], T: [5, 8])
        }
        #expect(
            throws: LearningError.invalidTimingRow(model: "BG/NBD", index: 0, problem: "x is not a whole number >= 0")
        ) {
            try BGNBDModel.fit(x: [1.5], tx: [3], T: [5])
        }
        #expect(throws: LearningError.invalidTimingRow(model: "BG/NBD", index: 0, problem: "a value is not finite")) {
            try BGNBDModel.fit(x: [1], tx: [3], T: [.nan])
        }
        #expect(throws: LearningError.invalidTimingRow(model: "BG/NBD", index: 1, problem: "the weight is negative")) {
            try BGNBDModel.fit(x: [1, 1], tx: [3, 3], T: [5, 5], weights: [1, -1])
        }
        #expect(throws: LearningError.cannotFit(model: "BG/NBD", reason: "no user has a repeat transaction")) {
            try BGNBDModel.fit(x: [0, 0], tx: [0, 0], T: [5, 8])
        }
        #expect(throws: LearningError.cannotFit(model: "BG/NBD", reason: "there are no users")) {
            try BGNBDModel.fit(x: [], tx: [], T: [])
        }
    }

    @Test("P(alive) and P(active) are probabilities, 1 and P(alive) at their limits, and grow with recency")
    func probabilities() {
        let m = Self.paper
        #expect(m.probabilityAlive(x: 0, tx: 0, T: 30) == 1)
        var previousAlive = 0.0
        var previousActive = 0.0
        for tx in stride(from: 1.0, through: 30, by: 1) {
            let alive = m.probabilityAlive(x: 4, tx: tx, T: 30)
            let active = m.probabilityActive(within: 7, x: 4, tx: tx, T: 30)
            #expect(alive > previousAlive && active > previousActive, "more recent activity, more likely alive")
            #expect((0...1).contains(alive) && (0...1).contains(active) && active < alive)
            previousAlive = alive
            previousActive = active
        }
        // A longer horizon is more likely to hold a transaction, and an endless one only needs the user alive.
        let week = m.probabilityActive(within: 7, x: 4, tx: 20, T: 30)
        let month = m.probabilityActive(within: 30, x: 4, tx: 20, T: 30)
        #expect(week < month)
        #expect(m.probabilityActive(within: 0, x: 4, tx: 20, T: 30) == 0)
        #expect(
            abs(m.probabilityActive(within: 1e12, x: 4, tx: 20, T: 30) - m.probabilityAlive(x: 4, tx: 20, T: 30)) < 1e-9
        )
        // More transactions by the same recency: more active.
        #expect(
            m.probabilityActive(within: 7, x: 10, tx: 29, T: 30) > m.probabilityActive(within: 7, x: 2, tx: 29, T: 30)
        )
    }

    @Test("P(active) and the expected transactions agree with simulating the next 30 days of new users")
    func predictionsMatchSimulation() {
        // New users (x = 0, T = 0) are a fresh draw from the prior, so their next 30 days can be simulated.
        let m = BGNBDModel(r: 2, alpha: 3, a: 1.5, b: 2.5)
        var random = TimingRandom(seed: 3)
        let users = 40_000
        var active = 0
        var transactions = 0
        for _ in 0..<users {
            let lambda = random.gamma(m.r) / m.alpha
            let p = random.beta(m.a, m.b)
            var t = random.exponential(lambda)
            if t <= 30 { active += 1 }
            while t <= 30 {
                transactions += 1
                if random.uniform() < p { break }
                t += random.exponential(lambda)
            }
        }
        let simulatedActive = Double(active) / Double(users)
        let simulatedMean = Double(transactions) / Double(users)
        let activeTolerance = 3 * (simulatedActive * (1 - simulatedActive) / Double(users)).squareRoot()
        #expect(abs(m.probabilityActive(within: 30, x: 0, tx: 0, T: 0) - simulatedActive) < activeTolerance)
        #expect(abs(m.expectedTransactions(within: 30, x: 0, tx: 0, T: 0) / simulatedMean - 1) < 0.03)
    }
}

@Suite("Timing's activity when BG/NBD cannot be fitted")
struct PoissonActivityFallbackTests {
    @Test("each user is active at their own daily rate, counting the first active day")
    func ownRate() {
        // Active every day for 3 days: rate 1 a day, so a week is all but certain.
        #expect(abs(TimingTrainer.poissonProbabilityActive(within: 7, x: 2, T: 2) - (1 - exp(-7))) < 1e-12)
        // Once in 30 days: rate 1/30.
        #expect(abs(TimingTrainer.poissonProbabilityActive(within: 7, x: 0, T: 29) - (1 - exp(-7.0 / 30))) < 1e-12)
        // More repeat days over the same age, or a longer horizon, make activity more likely.
        let base = TimingTrainer.poissonProbabilityActive(within: 7, x: 1, T: 10)
        #expect(TimingTrainer.poissonProbabilityActive(within: 7, x: 3, T: 10) > base)
        #expect(TimingTrainer.poissonProbabilityActive(within: 14, x: 1, T: 10) > base)
        #expect(TimingTrainer.poissonProbabilityActive(within: 0, x: 1, T: 10) == 0)
    }
}

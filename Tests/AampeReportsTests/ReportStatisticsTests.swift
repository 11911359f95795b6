import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeReports

/// The statistics against published constants and hand computations.
@Suite("Report statistics")
struct ReportStatisticsTests {
    @Test("normal quantiles and distribution function match their tabulated values")
    func normal() {
        #expect(abs(ReportStatistics.normalQuantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(ReportStatistics.normalQuantile(0.5)) < 1e-15)
        #expect(abs(ReportStatistics.normalQuantile(0.001) + 3.090232306167814) < 1e-10)
    }

    @Test("t quantiles and two-sided p-values match the tables (df 1, 2, 3, 10, 30)")
    func studentT() throws {
        // Exact for df 1 and 2; the Cornish–Fisher expansion is within 1e-3 from 3 on.
        #expect(abs(try #require(ReportStatistics.tQuantile(0.975, df: 1)) - 12.706204736) < 1e-6)
        #expect(abs(try #require(ReportStatistics.tQuantile(0.975, df: 2)) - 4.302652730) < 1e-6)
        #expect(abs(try #require(ReportStatistics.tQuantile(0.975, df: 3)) - 3.182446305) < 1e-2)
        #expect(abs(try #require(ReportStatistics.tQuantile(0.975, df: 10)) - 2.228138852) < 1e-3)
        #expect(abs(try #require(ReportStatistics.tQuantile(0.975, df: 30)) - 2.042272456) < 1e-4)
        #expect(ReportStatistics.tQuantile(0.975, df: 0.5) == nil)
        // The p-value function is exact (incomplete beta): P(|T₁₀| ≥ 2.228138852) = 0.05.
        #expect(abs(ReportStatistics.tTwoSidedPValue(2.228138852, df: 10) - 0.05) < 1e-8)
        #expect(abs(ReportStatistics.tTwoSidedPValue(12.706204736, df: 1) - 0.05) < 1e-8)
        #expect(abs(ReportStatistics.tTwoSidedPValue(0, df: 5) - 1) < 1e-12)
        // I_x(a, a) at x = ½ is ½ by symmetry; I_x(1, 1) = x.
        #expect(abs(ReportStatistics.regularizedIncompleteBeta(x: 0.5, a: 3.5, b: 3.5) - 0.5) < 1e-12)
        #expect(abs(ReportStatistics.regularizedIncompleteBeta(x: 0.3, a: 1, b: 1) - 0.3) < 1e-12)
    }

    @Test("Welch's interval by hand: means, standard error, Satterthwaite degrees of freedom")
    func welch() throws {
        // treated 1, 2, 3, 6 (mean 3, variance 14/3); control 0, 1, 2 (mean 1, variance 1).
        var treated = ReportStatistics.Moments()
        for value in [1.0, 2, 3, 6] { treated.add(value) }
        var control = ReportStatistics.Moments()
        for value in [0.0, 1, 2] { control.add(value) }
        let difference = try #require(ReportStatistics.welch(treated: treated, control: control))
        let vt = 14.0 / 3 / 4
        let vc = 1.0 / 3
        #expect(abs(difference.estimate - 2) < 1e-12)
        #expect(abs(difference.standardError - (vt + vc).squareRoot()) < 1e-12)
        let df = (vt + vc) * (vt + vc) / (vt * vt / 3 + vc * vc / 2)
        #expect(abs(difference.degreesOfFreedom - df) < 1e-12)
        let t = try #require(ReportStatistics.tQuantile(0.975, df: df))
        #expect(abs(difference.lower - (2 - t * (vt + vc).squareRoot())) < 1e-12)
        // One value on a side: no interval.
        var one = ReportStatistics.Moments()
        one.add(1)
        #expect(ReportStatistics.welch(treated: treated, control: one) == nil)
        #expect(ReportStatistics.welch(treated: ReportStatistics.Moments(), control: control) == nil)
    }

    @Test("Wilson, Benjamini–Hochberg, sample ratio and the always-valid width by hand")
    func others() throws {
        let wilson = try #require(ReportStatistics.wilson(successes: 5, trials: 10))
        #expect(abs(wilson.lower - 0.236593090) < 1e-6)
        #expect(abs(wilson.upper - 0.763406910) < 1e-6)
        #expect(ReportStatistics.wilson(successes: 0, trials: 0) == nil)
        // BH: p = 0.01, 0.04, 0.03, 0.5 → sorted 0.01, 0.03, 0.04, 0.5; q = min over ranks of p·m/rank.
        let q = ReportStatistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.5])
        #expect(zip(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(ReportStatistics.benjaminiHochberg([]) == [])
        // 60 control users of 1,000 at an expected 5 %: χ² = 100/50 + 100/950 = 2.1053, p = 0.146793.
        let p = try #require(ReportStatistics.sampleRatioPValue(control: 60, total: 1_000, expectedShare: 0.05))
        #expect(abs(p - 0.146793) < 1e-6)
        #expect(ReportStatistics.sampleRatioPValue(control: 0, total: 0, expectedShare: 0.05) == nil)
        // V = τ² = 1: half-width = sqrt(2 · (2 ln 20 + ln 2)).
        let half = try #require(ReportStatistics.alwaysValidHalfWidth(variance: 1, tau2: 1))
        #expect(abs(half - (2 * (2 * log(20.0) + log(2.0))).squareRoot()) < 1e-12)
        #expect(half > 1.96)
        #expect(ReportStatistics.alwaysValidHalfWidth(variance: 0, tau2: 1) == nil)
    }

    @Test("CUPED: without covariates it is Welch; with a covariate that explains y it narrows to nothing")
    func cuped() throws {
        var plain = LiftEstimator()
        for y in [1.0, 2, 3, 6] { plain.treated.add(y: y, x1: 0, x2: 0) }
        for y in [0.0, 1, 2] { plain.control.add(y: y, x1: 0, x2: 0) }
        let estimate = plain.estimate()
        let raw = try #require(estimate.raw)
        let cuped = try #require(estimate.cuped)
        #expect(abs(cuped.estimate - raw.estimate) < 1e-12 && abs(cuped.upper - raw.upper) < 1e-9)
        #expect(abs(try #require(estimate.narrowing)) < 1e-9)
        // y = x + 0.5 + e on the treated side, y = x + e on control, with small e: the adjusted difference
        // is near 0.5 while the raw one (1.5) carries the sides' different habits.
        var explained = LiftEstimator()
        let noise = [0.1, -0.1, 0.05, -0.05]
        for (x, e) in zip([1.0, 2, 3, 6], noise) { explained.treated.add(y: x + 0.5 + e, x1: x, x2: 0) }
        for (x, e) in zip([0.0, 1, 2, 5], noise.reversed()) { explained.control.add(y: x + e, x1: x, x2: 0) }
        let adjusted = explained.estimate()
        #expect(abs(try #require(adjusted.raw).estimate - 1.5) < 1e-12)
        #expect(abs(try #require(adjusted.cuped).estimate - 0.5) < 0.05)
        #expect(try #require(adjusted.narrowing) > 0.9)
    }

    @Test("CUPED keeps the difference's expectation and narrows it on correlated noise")
    func cupedNarrows() throws {
        var random = SplitMix64(state: 18)
        var estimator = LiftEstimator()
        for user in 0..<4_000 {
            let habit = Double.random(in: 0...4, using: &random)
            let noise = Double.random(in: -0.5...0.5, using: &random)
            let isTreated = user % 4 != 0
            let y = habit + noise + (isTreated ? 0.3 : 0)
            if isTreated {
                estimator.treated.add(y: y, x1: habit, x2: 0)
            } else {
                estimator.control.add(y: y, x1: habit, x2: 0)
            }
        }
        let estimate = estimator.estimate()
        let cuped = try #require(estimate.cuped)
        #expect(cuped.lower < 0.3 && 0.3 < cuped.upper)
        #expect(try #require(estimate.narrowing) > 0.5)
    }
}

@Suite("Report renderers")
struct ReportRendererLimitTests {
    static func document(rows: Int) throws -> ReportDocument {
        var table = ReportTable(name: "t", title: "T", columns: ["n"])
        table.rows = (0..<rows).map { [.integer($0)] }
        return ReportDocument(
            title: "t",
            generatedAt: Timestamp(rawValue: 0),
            period: try ReportPeriod(from: Timestamp(rawValue: 0), to: Timestamp(secondsSinceEpoch: 86_400)),
            campaign: nil,
            sections: [ReportSection(kind: "k", title: "K", tables: [table])]
        )
    }

    @Test(
        "the terminal table shows Limits.maximumReportTableRowsShown rows and says how many it left out; CSV keeps all"
    )
    func rowLimit() throws {
        let limit = Limits.maximumReportTableRowsShown
        let atLimit = TableReportRenderer.render(try Self.document(rows: limit))
        #expect(!atLimit.contains("more rows"))
        let over = TableReportRenderer.render(try Self.document(rows: limit + 1))
        #expect(over.contains("… 1 more rows"))
        #expect(!over.contains("\n\(limit)\n") && over.contains("\(limit - 1)\n"))
        let csv = CSVReportRenderer.render(try Self.document(rows: limit + 1))
        #expect(csv.split(separator: "\n").count == limit + 3)
    }
}

@Suite("The pair set behind new items viewed")
struct PairSetTests {
    @Test("inserts report new keys once, across growth, against Swift's Set")
    func againstSet() {
        var random = SplitMix64(state: 7)
        var pairs = PairSet(minimumCapacity: 4)
        var reference = Set<UInt64>()
        for _ in 0..<50_000 {
            let key = PairSet.key(user: Int(random.next() % 3_000), item: UInt32(random.next() % 40))
            let isNew = pairs.insert(key)
            let isNewInSet = reference.insert(key).inserted
            #expect(isNew == isNewInSet)
        }
        #expect(pairs.count == reference.count)
        // The largest pair and zero are ordinary keys.
        let isLargestNew = pairs.insert(PairSet.key(user: Int(UInt32.max), item: UInt32.max - 1))
        #expect(isLargestNew)
        let isZeroNew = pairs.insert(0)
        #expect(isZeroNew == !reference.contains(0))
    }
}

@Suite("The diversity sample")
struct DiversitySampleTests {
    @Test("every experiment user up to Limits.maximumDiversityUsers; past it, about that many, the same each time")
    func sample() {
        let limit = Limits.maximumDiversityUsers
        var arms = [ReportData.Arm](repeating: .treated, count: limit)
        arms.append(.outside)
        let all = ReportData.sample(arms, size: limit)
        #expect(all.filter { $0 }.count == limit && all.last == false)
        arms = [ReportData.Arm](repeating: .treated, count: limit * 4 + 1)
        let sampled = ReportData.sample(arms, size: limit)
        let count = sampled.filter { $0 }.count
        // Binomial(4·limit + 1, ≈ ¼): within 5 standard deviations of the limit.
        #expect(abs(count - limit) < 5 * Int((Double(limit) * 0.75).squareRoot()))
        #expect(ReportData.sample(arms, size: limit) == sampled)
    }
}

import AampeLearning
import Foundation
import Testing

@Suite("The model's newest-day report")
struct ModelMonitoringReportTests {
    /// `count` rows predicted at `p` by both models, of which `goals` had the goal.
    static func rows(_ count: Int, goals: Int, previous: Double, current: Double) -> [ModelMonitoringReport.Row] {
        (0..<count).map { ModelMonitoringReport.Row(outcome: $0 < goals, previous: previous, current: current) }
    }

    @Test("a calibrated previous model is not degraded, and the posterior is left as it is")
    func calibrated() throws {
        // 1,000 rows at 0.1 with 100 goals: calibrated, log loss exactly what the model expects.
        let report = try #require(
            ModelMonitoringReport.compute(
                dayStart: "d",
                rows: Self.rows(1_000, goals: 100, previous: 0.1, current: 0.1),
                previousScores: [0.01, 0.02, 0.03],
                currentScores: [0.01, 0.02, 0.03]
            )
        )
        #expect(!report.isDegraded)
        #expect(abs(report.logLossExcess ?? 1) < 1e-9)
        #expect(abs((report.previous?.ece ?? 1)) < 1e-12)
        #expect(report.posteriorWidening == 1)
    }

    @Test("a previous model that predicted 0.1 where 0.3 happened is degraded, and the posterior widens")
    func miscalibrated() throws {
        let report = try #require(
            ModelMonitoringReport.compute(
                dayStart: "d",
                rows: Self.rows(1_000, goals: 300, previous: 0.1, current: 0.3),
                previousScores: [],
                currentScores: []
            )
        )
        #expect(report.isDegraded)
        #expect(abs((report.previous?.ece ?? 0) - 0.2) < 1e-12)
        // Loss −(0.3 ln 0.1 + 0.7 ln 0.9) = 0.7645 a row against the expected H(0.1) = 0.3251, with the
        // variance 0.1 · 0.9 · ln²(1/9) = 0.4346 a row: (0.4394 · 1,000) / √(434.6) = 21.08 standard errors.
        let excess = try #require(report.logLossExcess)
        #expect(abs(excess - 21.08) < 0.01, "\(excess)")
        #expect(report.reasons.count == 2, "\(report.reasons)")
        #expect(abs(report.posteriorWidening - min(16, 1 + excess / 3)) < 1e-12)
    }

    @Test("a day with fewer goal rows than the minimum is reported but not judged")
    func tooFewGoals() throws {
        let goals = ModelMonitoringReport.minimumJudgedGoalRows - 1
        let report = try #require(
            ModelMonitoringReport.compute(
                dayStart: "d",
                rows: Self.rows(goals * 3, goals: goals, previous: 0.1, current: 0.3),
                previousScores: [],
                currentScores: []
            )
        )
        #expect(!report.isDegraded)
        #expect(report.previous != nil)
        let enough = try #require(
            ModelMonitoringReport.compute(
                dayStart: "d",
                rows: Self.rows((goals + 1) * 3, goals: goals + 1, previous: 0.1, current: 0.3),
                previousScores: [],
                currentScores: []
            )
        )
        #expect(enough.isDegraded)
        #expect(ModelMonitoringReport.compute(dayStart: "d", rows: [], previousScores: [], currentScores: []) == nil)
    }
}

import AampeCore
import AampeLearning
import Foundation
import Testing

/// The off-policy estimators on a log small enough to compute by hand, on Open Bandit Pipeline's
/// fixture, and at their edges.
///
/// The hand log has two actions and three rows (w = π(a | row) / p):
///
/// | row | action | reward | p | π(0), π(1) | q̂(0), q̂(1) | w | DM term | DR term |
/// |---|---|---|---|---|---|---|---|---|
/// | 0 | 0 | 1 | 0.5 | 1, 0 | 0.6, 0.2 | 2 | 0.6 | 0.6 + 2 · 0.4 = 1.4 |
/// | 1 | 1 | 0 | 0.5 | 0.5, 0.5 | 0.4, 0.3 | 1 | 0.35 | 0.35 + 1 · (−0.3) = 0.05 |
/// | 2 | 1 | 1 | 0.25 | 0, 1 | 0.1, 0.8 | 4 | 0.8 | 0.8 + 4 · 0.2 = 1.6 |
///
/// IPW = (2 + 0 + 4) / 3 = 2; SNIPW = 6 / 7; DM = 1.75 / 3; DR = 3.05 / 3.
@Suite("Off-policy estimators")
struct OffPolicyEvaluationTests {
    static func handEvaluation() throws -> OffPolicyEvaluation {
        let log = try OffPolicyLog(
            actionCount: 2,
            actions: [0, 1, 1],
            rewards: [1, 0, 1],
            propensities: [0.5, 0.5, 0.25]
        )
        let policy = try ActionMatrix(rows: 3, actionCount: 2, values: [1, 0, 0.5, 0.5, 0, 1])
        let model = try ActionMatrix(rows: 3, actionCount: 2, values: [0.6, 0.2, 0.4, 0.3, 0.1, 0.8])
        return try OffPolicyEvaluation(log: log, targetPolicy: policy, rewardModel: model)
    }

    /// The error `body` throws, or `nil`.
    static func thrown(_ body: () throws(LearningError) -> Void) -> LearningError? {
        do throws(LearningError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("the four estimators give the hand-computed values")
    func handValues() throws {
        let estimates = try Self.handEvaluation().estimates()
        #expect(estimates.map(\.estimator) == [.ipw, .snipw, .dm, .dr])
        let values = estimates.map(\.value)
        #expect(abs(values[0] - 2) < 1e-12)
        #expect(abs(values[1] - 6.0 / 7.0) < 1e-12)
        #expect(abs(values[2] - 1.75 / 3) < 1e-12)
        #expect(abs(values[3] - 3.05 / 3) < 1e-12)
    }

    @Test("analytic intervals: the sample standard deviation of the row terms, and SNIPW's linearization")
    func handIntervals() throws {
        let estimates = try Self.handEvaluation().estimates()
        // IPW's row terms 2, 0, 4 have sample variance (0 + 4 + 4) / 2 = 4.
        let ipwError = 2 / 3.0.squareRoot()
        #expect(abs(estimates[0].standardError! - ipwError) < 1e-12)
        #expect(abs(estimates[0].interval!.lower - (2 - 1.959_963_984_540_054 * ipwError)) < 1e-12)
        #expect(abs(estimates[0].interval!.upper - (2 + 1.959_963_984_540_054 * ipwError)) < 1e-12)
        // SNIPW: ψ = w (r − 6/7) / (7/3) = 6/49, −18/49, 12/49; sample variance (36 + 324 + 144) / 49² / 2.
        let snipwError = (504.0 / 2401 / 2).squareRoot() / 3.0.squareRoot()
        #expect(abs(estimates[1].standardError! - snipwError) < 1e-12)
        // DR's row terms 1.4, 0.05, 1.6 around their mean 3.05 / 3.
        let drMean = 3.05 / 3
        let drVariance = [1.4, 0.05, 1.6].map { ($0 - drMean) * ($0 - drMean) }.reduce(0, +) / 2
        #expect(abs(estimates[3].standardError! - (drVariance / 3).squareRoot()) < 1e-12)
    }

    @Test("without a reward model only IPW and SNIPW are estimated")
    func withoutRewardModel() throws {
        let hand = try Self.handEvaluation()
        let evaluation = try OffPolicyEvaluation(log: hand.log, targetPolicy: hand.targetPolicy)
        #expect(try evaluation.estimates().map(\.estimator) == [.ipw, .snipw])
    }

    @Test("one row gives a value and no interval")
    func oneRow() throws {
        let log = try OffPolicyLog(actionCount: 2, actions: [1], rewards: [1], propensities: [0.5])
        let policy = try ActionMatrix(rows: 1, actionCount: 2, values: [0.5, 0.5])
        let estimates = try OffPolicyEvaluation(log: log, targetPolicy: policy).estimates(
            bootstrap: try .init(resamples: 20, seed: 1)
        )
        #expect(estimates[0].value == 1)
        #expect(estimates[0].interval == nil)
        #expect(estimates[0].standardError == nil)
        // Every resample is the one row again.
        #expect(estimates[0].bootstrapInterval == .init(lower: 1, upper: 1))
    }

    @Test("an empty log is an error that says so")
    func emptyLog() {
        #expect(throws: LearningError.cannotEvaluate(reason: "the log has no rows")) {
            try OffPolicyLog(actionCount: 2, actions: [], rewards: [], propensities: [])
        }
    }

    @Test(
        "a propensity of 0, above 1 or NaN names its row",
        arguments: [(0.0, "is 0.0"), (1.5, "above 1"), (Double.nan, "is not a number"), (-0.1, "is -0.1")]
    )
    func badPropensity(propensity: Double, expected: String) throws {
        let error = Self.thrown { () throws(LearningError) in
            _ = try OffPolicyLog(
                actionCount: 2,
                actions: [0, 1, 0],
                rewards: [1, 0, 1],
                propensities: [0.5, propensity, 1]
            )
        }
        guard case .invalidOffPolicyRow(let row, let field, let problem) = error else {
            Issue.record("expected an error naming the row, got \(String(describing: error))")
            return
        }
        #expect(row == 1)
        #expect(field == "propensity")
        #expect(problem.contains(expected))
    }

    @Test("a propensity of exactly 1 is accepted")
    func propensityOne() throws {
        _ = try OffPolicyLog(actionCount: 1, actions: [0], rewards: [1], propensities: [1])
    }

    @Test("a target policy row that does not sum to 1 within 1e-6 names its row")
    func policySum() throws {
        let log = try OffPolicyLog(actionCount: 2, actions: [0, 1], rewards: [1, 0], propensities: [0.5, 0.5])
        let nearlyOne = try ActionMatrix(rows: 2, actionCount: 2, values: [0.5, 0.5, 0.3, 0.7 + 0.9e-6])
        _ = try OffPolicyEvaluation(log: log, targetPolicy: nearlyOne)
        let off = try ActionMatrix(rows: 2, actionCount: 2, values: [0.5, 0.5, 0.3, 0.7 + 1.1e-6])
        let error = Self.thrown { () throws(LearningError) in _ = try OffPolicyEvaluation(log: log, targetPolicy: off) }
        guard case .invalidOffPolicyRow(let row, let field, _) = error else {
            Issue.record("expected an error naming the row, got \(String(describing: error))")
            return
        }
        #expect(row == 1)
        #expect(field == "target policy")
    }

    @Test("SNIPW without any weight is an error, not a number")
    func snipwWithoutWeight() throws {
        let log = try OffPolicyLog(actionCount: 2, actions: [0, 0], rewards: [1, 0], propensities: [0.5, 0.5])
        let never = try ActionMatrix(repeating: [0, 1], rows: 2)
        let evaluation = try OffPolicyEvaluation(log: log, targetPolicy: never)
        #expect(try evaluation.estimate(.ipw).value == 0)
        #expect(throws: LearningError.self) { try evaluation.estimate(.snipw) }
    }

    @Test("the bootstrap is reproducible from its seed, differs across seeds, and brackets the value")
    func bootstrap() throws {
        let fixture = try OBPFixture.load()
        let first = try fixture.evaluation.estimates(bootstrap: try .init(resamples: 400, seed: 7))
        let again = try fixture.evaluation.estimates(bootstrap: try .init(resamples: 400, seed: 7))
        let other = try fixture.evaluation.estimates(bootstrap: try .init(resamples: 400, seed: 8))
        #expect(first == again)
        #expect(first != other)
        for estimate in first {
            let bootstrap = try #require(estimate.bootstrapInterval)
            let analytic = try #require(estimate.interval)
            #expect(bootstrap.lower < estimate.value && estimate.value < bootstrap.upper)
            // With 300 rows the percentile and normal intervals agree to within a fifth of their width.
            let width = analytic.upper - analytic.lower
            #expect(abs(bootstrap.lower - analytic.lower) < width / 5, "\(estimate.estimator)")
            #expect(abs(bootstrap.upper - analytic.upper) < width / 5, "\(estimate.estimator)")
        }
    }

    @Test("the point estimates match Open Bandit Pipeline 0.5.7's to 1e-6")
    func obpAgreement() throws {
        let fixture = try OBPFixture.load()
        let estimates = try fixture.evaluation.estimates()
        for estimate in estimates {
            let expected = try #require(fixture.expected[estimate.estimator.rawValue])
            let difference = abs(estimate.value - expected)
            print("obp \(estimate.estimator.label): aamped \(estimate.value), obp \(expected), |Δ| = \(difference)")
            #expect(difference <= 1e-6, "\(estimate.estimator)")
        }
        #expect(estimates.count == 4)
    }

    // MARK: Limits

    @Test("the action limit holds at its value and rejects one more")
    func actionLimit() throws {
        _ = try OffPolicyLog(
            actionCount: Limits.maximumOffPolicyActions,
            actions: [0],
            rewards: [0],
            propensities: [1]
        )
        #expect(throws: LearningError.self) {
            try OffPolicyLog(
                actionCount: Limits.maximumOffPolicyActions + 1,
                actions: [0],
                rewards: [0],
                propensities: [1]
            )
        }
    }

    @Test("the row limit holds at its value and rejects one more")
    func rowLimit() throws {
        let maximum = Limits.maximumOffPolicyRows
        _ = try OffPolicyLog(
            actionCount: 1,
            actions: [Int](repeating: 0, count: maximum),
            rewards: [Double](repeating: 0, count: maximum),
            propensities: [Double](repeating: 1, count: maximum)
        )
        #expect(throws: LearningError.self) {
            try OffPolicyLog(
                actionCount: 1,
                actions: [Int](repeating: 0, count: maximum + 1),
                rewards: [Double](repeating: 0, count: maximum + 1),
                propensities: [Double](repeating: 1, count: maximum + 1)
            )
        }
    }

    @Test("the cell limit holds at its value and rejects one more row")
    func cellLimit() throws {
        let actions = 256
        let rows = Limits.maximumOffPolicyCells / actions
        _ = try ActionMatrix(rows: rows, actionCount: actions, values: [Double](repeating: 0, count: rows * actions))
        #expect(throws: LearningError.self) {
            try ActionMatrix(rows: rows + 1, actionCount: actions, values: [])
        }
    }

    @Test("the bootstrap's resample limit holds at its value and rejects one more; 0 is rejected")
    func resampleLimit() throws {
        _ = try OffPolicyEvaluation.Bootstrap(resamples: Limits.maximumBootstrapResamples, seed: 0)
        #expect(throws: LearningError.self) {
            try OffPolicyEvaluation.Bootstrap(resamples: Limits.maximumBootstrapResamples + 1, seed: 0)
        }
        #expect(throws: LearningError.self) { try OffPolicyEvaluation.Bootstrap(resamples: 0, seed: 0) }
    }
}

/// The fixture `tools/benchmarks/ope-fixtures.py` wrote with obp 0.5.7: a 300-row synthetic log of four
/// actions, an ε-greedy target policy, a noisy reward model, and obp's estimates.
struct OBPFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/OffPolicy")

    var evaluation: OffPolicyEvaluation
    var expected: [String: Double]

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func load() throws -> OBPFixture {
        let input = try OffPolicyFiles.read(
            log: path("log.csv"),
            targetPolicy: path("policy.csv"),
            rewardModel: path("reward-model.csv")
        )
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("expected.json"))
        )
        let estimates = (json as? [String: Any])?["estimates"] as? [String: Double] ?? [:]
        return OBPFixture(evaluation: input.evaluation, expected: estimates)
    }
}

import AampeLearning
import Testing

/// ``ModelMonitoring`` on inputs small enough to compute by hand; each expected value's arithmetic is in
/// the comment beside it.
@Suite("Model monitoring metrics")
struct ModelMonitoringTests {
    static func close(_ a: Double?, _ b: Double, tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    @Test("AUC: pairs ranked, ties counted half, weights as repeated rows, one class or none is nil")
    func auc() {
        // Negatives 0.1, 0.4; positives 0.35 (beats 0.1 only), 0.8 (beats both): 3 of 4 pairs.
        #expect(ModelMonitoring.auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true]) == 0.75)
        // Positives 0.5, 0.9; negatives 0.5, 0.2: (0.5, 0.5) ties = 0.5, the other three pairs 1: 3.5 / 4.
        #expect(ModelMonitoring.auc(scores: [0.5, 0.5, 0.2, 0.9], labels: [true, false, false, true]) == 0.875)
        // Weight 2 on the negative 0.1 is that row twice: 0.35 beats 0.1 twice (2), 0.8 beats all (3): 5 / 6.
        let weighted = ModelMonitoring.auc(
            scores: [0.1, 0.4, 0.35, 0.8],
            labels: [false, false, true, true],
            weights: [2, 1, 1, 1]
        )
        #expect(Self.close(weighted, 5.0 / 6))
        #expect(
            weighted
                == ModelMonitoring.auc(scores: [0.1, 0.1, 0.4, 0.35, 0.8], labels: [false, false, false, true, true])
        )
        // All scores equal: every pair ties.
        #expect(ModelMonitoring.auc(scores: [0.3, 0.3, 0.3], labels: [true, false, false]) == 0.5)
        #expect(ModelMonitoring.auc(scores: [0.1, 0.9], labels: [true, true]) == nil)
        #expect(ModelMonitoring.auc(scores: [0.1, 0.9], labels: [false, false]) == nil)
        #expect(ModelMonitoring.auc(scores: [], labels: []) == nil)
        // A class whose only row weighs 0 is missing.
        #expect(ModelMonitoring.auc(scores: [0.1, 0.9], labels: [false, true], weights: [1, 0]) == nil)
    }

    @Test("log loss: nats, weighted, and a confident miss clipped to −ln(1e-15)")
    func logLoss() {
        // (−ln 0.9 − ln 0.8) / 2 = (0.1053605 + 0.2231436) / 2.
        #expect(
            Self.close(ModelMonitoring.logLoss(probabilities: [0.9, 0.2], labels: [true, false]), 0.16425203348601805)
        )
        // (3 × 0.1053605 + 0.2231436) / 4.
        #expect(
            Self.close(
                ModelMonitoring.logLoss(probabilities: [0.9, 0.2], labels: [true, false], weights: [3, 1]),
                0.13480627457192214
            )
        )
        // p = 0 for a positive: −ln(1e-15) = 34.5387764, not infinity; p = 1 for a positive costs ~0.
        #expect(
            Self.close(ModelMonitoring.logLoss(probabilities: [0], labels: [true]), 34.538776394910684, tolerance: 1e-9)
        )
        #expect(Self.close(ModelMonitoring.logLoss(probabilities: [1], labels: [true]), 0, tolerance: 1e-14))
        #expect(ModelMonitoring.logLoss(probabilities: [], labels: []) == nil)
        #expect(ModelMonitoring.logLoss(probabilities: [0.5], labels: [true], weights: [0]) == nil)
    }

    @Test("Brier score")
    func brier() {
        // ((0.9 − 1)² + 0.2² + 0.6²) / 3 = (0.01 + 0.04 + 0.36) / 3.
        #expect(
            Self.close(
                ModelMonitoring.brierScore(probabilities: [0.9, 0.2, 0.6], labels: [true, false, false]),
                0.41 / 3
            )
        )
        // Weight 0 on the 0.6 row leaves (0.01 + 0.04) / 2.
        #expect(
            Self.close(
                ModelMonitoring.brierScore(
                    probabilities: [0.9, 0.2, 0.6],
                    labels: [true, false, false],
                    weights: [1, 1, 0]
                ),
                0.025
            )
        )
        #expect(ModelMonitoring.brierScore(probabilities: [], labels: []) == nil)
    }

    @Test("reliability table and ECE over equal-width bins; p = 1 falls in the last bin; empty bins left out")
    func calibration() {
        let probabilities = [0.1, 0.3, 0.6, 0.8, 1.0]
        let labels = [false, true, true, true, false]
        // Two bins. [0, 0.5): 0.1, 0.3 → mean 0.2, observed 1/2. [0.5, 1]: 0.6, 0.8, 1.0 → mean 0.8,
        // observed 2/3.
        let table = ModelMonitoring.reliabilityTable(probabilities: probabilities, labels: labels, binCount: 2)
        #expect(table.count == 2)
        #expect(table.map(\.count) == [2, 3])
        #expect(table.map(\.lower) == [0, 0.5])
        #expect(Self.close(table[0].meanPredicted, 0.2) && table[0].observedRate == 0.5)
        #expect(Self.close(table[1].meanPredicted, 0.8) && Self.close(table[1].observedRate, 2.0 / 3))
        // ECE = 2/5 × |0.2 − 0.5| + 3/5 × |0.8 − 2/3| = 0.12 + 0.08.
        #expect(
            Self.close(
                ModelMonitoring.expectedCalibrationError(probabilities: probabilities, labels: labels, binCount: 2),
                0.2
            )
        )
        // Ten bins: 0.1 and 0.3 and 0.6 and 0.8 and 1.0 each alone (bins 1, 3, 6, 8, 9); the rest empty.
        let fine = ModelMonitoring.reliabilityTable(probabilities: probabilities, labels: labels)
        #expect(fine.map(\.lower) == [0.1, 0.3, 0.6, 0.8, 0.9])
        #expect(ModelMonitoring.expectedCalibrationError(probabilities: [], labels: []) == nil)
        #expect(ModelMonitoring.reliabilityTable(probabilities: [], labels: []).isEmpty)
    }

    @Test("PSI over the reference's quantile bins, with the empty-bin share")
    func psi() {
        let reference = (1...10).map(Double.init)
        // Two bins: the edge is the rank-5 score, 5: (−∞, 5] and (5, ∞) hold half the reference each.
        #expect(ModelMonitoring.populationStabilityIndex(reference: reference, current: reference, binCount: 2) == 0)
        // Current 1, 2, 3 | 6 … 10: shares 3/8, 5/8 →
        // (0.375 − 0.5) ln(0.375 / 0.5) + (0.625 − 0.5) ln(0.625 / 0.5).
        #expect(
            Self.close(
                ModelMonitoring.populationStabilityIndex(
                    reference: reference,
                    current: [1, 2, 3, 6, 7, 8, 9, 10],
                    binCount: 2
                ),
                0.06385320297074884
            )
        )
        // Current all at or below the edge: shares 1 and 0, the 0 counted as 1e-4 →
        // 0.5 ln 2 + (1e-4 − 0.5) ln(1e-4 / 0.5).
        #expect(
            Self.close(
                ModelMonitoring.populationStabilityIndex(reference: reference, current: [1, 5], binCount: 2),
                4.60431846666895
            )
        )
        // A reference of one repeated score has one distinct edge: two bins, not ten.
        #expect(
            ModelMonitoring.populationStabilityIndex(reference: [0.5, 0.5, 0.5, 0.5], current: [0.5, 0.5])
                == 0
        )
        #expect(ModelMonitoring.populationStabilityIndex(reference: [], current: [1]) == nil)
        #expect(ModelMonitoring.populationStabilityIndex(reference: [1], current: []) == nil)
    }

    @Test("degradation: each threshold crossed strictly, missing values not judged")
    func degradation() {
        let defaults = MonitoringThresholds()
        #expect(
            [defaults.maximumAUCDrop, defaults.maximumLogLossIncrease, defaults.maximumPSI, defaults.maximumECE]
                == [0.02, 0.02, 0.25, 0.05]
        )
        let previous = ModelMonitoring.Metrics(auc: 0.75, logLoss: 0.5)
        // Every value exactly at its threshold passes, and one step past it fails. AUC and log loss are
        // tested with thresholds that binary fractions hit exactly (0.75 − 0.625 = 0.125, 0.5625 / 0.5 − 1
        // = 0.125); 0.02 has no exact difference to land on.
        var exact = MonitoringThresholds()
        exact.maximumAUCDrop = 0.125
        exact.maximumLogLossIncrease = 0.125
        let atEdges = ModelMonitoring.Metrics(
            auc: 0.625,
            logLoss: 0.5625,
            expectedCalibrationError: 0.05,
            populationStabilityIndex: 0.25
        )
        #expect(ModelMonitoring.degradation(current: atEdges, previous: previous, thresholds: exact).isEmpty)
        let pastEdges = ModelMonitoring.Metrics(
            auc: 0.625.nextDown,
            logLoss: 0.5625.nextUp,
            expectedCalibrationError: 0.05.nextUp,
            populationStabilityIndex: 0.25.nextUp
        )
        #expect(ModelMonitoring.degradation(current: pastEdges, previous: previous, thresholds: exact).count == 4)
        let worse = ModelMonitoring.Metrics(
            auc: 0.72,
            logLoss: 0.52,
            expectedCalibrationError: 0.06,
            populationStabilityIndex: 0.3
        )
        let found = ModelMonitoring.degradation(current: worse, previous: previous)
        #expect(found.count == 4)
        guard found.count == 4 else { return }
        if case .aucDropped(let drop) = found[0] { #expect(Self.close(drop, 0.03)) } else { Issue.record("\(found)") }
        if case .logLossRose(let increase) = found[1] {
            #expect(Self.close(increase, 0.04))
        } else {
            Issue.record("\(found)")
        }
        #expect(found[2] == .populationShifted(psi: 0.3))
        #expect(found[3] == .miscalibrated(ece: 0.06))
        // Without a previous model, only PSI and ECE can be judged.
        #expect(ModelMonitoring.degradation(current: worse, previous: nil).count == 2)
        #expect(ModelMonitoring.degradation(current: ModelMonitoring.Metrics(), previous: previous).isEmpty)
        // Thresholds are settable: a looser AUC threshold lets the 0.03 drop pass.
        var loose = MonitoringThresholds()
        loose.maximumAUCDrop = 0.05
        #expect(
            !ModelMonitoring.degradation(current: worse, previous: previous, thresholds: loose).contains {
                $0 == .aucDropped(drop: 0.75 - 0.72)
            }
        )
    }
}

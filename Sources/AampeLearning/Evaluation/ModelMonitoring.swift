import Foundation

/// The metrics that watch a response model between trainings, and the judgement of whether it degraded.
///
/// Inputs are a model's predicted probabilities (or scores, for AUC and PSI) and the observed outcomes,
/// each row optionally weighted (an inverse propensity, a count); a `nil` weights array weighs every row 1.
/// The conventions:
///
/// - **Empty input gives `nil`**, as does a total weight of 0: there is nothing to measure, and a number
///   (0, or NaN) would read as a measurement. AUC is also `nil` when one class is missing (no pair to
///   rank).
/// - **A caller's bug traps**: arrays of different lengths, a weight that is negative or not finite, a
///   probability outside [0, 1] or a score that is NaN. These come from the engine's own model, not from
///   outside.
public enum ModelMonitoring {
    /// Probabilities are clipped to [`probabilityClip`, 1 − `probabilityClip`] before a logarithm, as
    /// scikit-learn's `log_loss` does, so that a confident miss costs about 34.5 nats, not infinity.
    public static let probabilityClip = 1e-15

    /// The share an empty PSI bin is counted with (on either side), so that its logarithm is finite. 1e-4
    /// is the usual choice: an empty bin against a 10 % reference bin then adds 0.1 × ln(1,000) ≈ 0.69,
    /// well over the 0.25 alarm, as a bin that emptied should.
    public static let psiEmptyBinShare = 1e-4

    /// The area under the ROC curve: the probability that a random positive row scores above a random
    /// negative one (Mann–Whitney U over all pairs, each pair weighted by the product of its rows'
    /// weights), a tie counting one half. `nil` without a positive or without a negative row (by weight).
    public static func auc(scores: [Double], labels: [Bool], weights: [Double]? = nil) -> Double? {
        let weights = checked(weights, count: scores.count, against: labels.count)
        precondition(!scores.contains { $0.isNaN }, "a score is NaN")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var negativeBelow = 0.0
        var concordant = 0.0
        var totalPositive = 0.0
        var start = 0
        // One tie group (equal scores) at a time, in rising order: each of its positives outranks every
        // negative below the group and ties with the group's own negatives.
        while start < order.count {
            var end = start
            var positive = 0.0
            var negative = 0.0
            while end < order.count, scores[order[end]] == scores[order[start]] {
                let row = order[end]
                if labels[row] { positive += weights[row] } else { negative += weights[row] }
                end += 1
            }
            concordant += positive * (negativeBelow + negative / 2)
            negativeBelow += negative
            totalPositive += positive
            start = end
        }
        guard totalPositive > 0, negativeBelow > 0 else { return nil }
        return concordant / (totalPositive * negativeBelow)
    }

    /// The mean negative log-likelihood of the labels, in nats: −Σ w (y ln p + (1 − y) ln(1 − p)) / Σ w,
    /// with p clipped by ``probabilityClip``.
    public static func logLoss(probabilities: [Double], labels: [Bool], weights: [Double]? = nil) -> Double? {
        let weights = checked(weights, count: probabilities.count, against: labels.count)
        checkProbabilities(probabilities)
        var total = 0.0
        var weightSum = 0.0
        for row in probabilities.indices {
            let p = min(max(probabilities[row], probabilityClip), 1 - probabilityClip)
            total -= weights[row] * (labels[row] ? log(p) : log(1 - p))
            weightSum += weights[row]
        }
        return weightSum > 0 ? total / weightSum : nil
    }

    /// The mean squared difference between probability and outcome: Σ w (p − y)² / Σ w.
    public static func brierScore(probabilities: [Double], labels: [Bool], weights: [Double]? = nil) -> Double? {
        let weights = checked(weights, count: probabilities.count, against: labels.count)
        checkProbabilities(probabilities)
        var total = 0.0
        var weightSum = 0.0
        for row in probabilities.indices {
            let error = probabilities[row] - (labels[row] ? 1 : 0)
            total += weights[row] * error * error
            weightSum += weights[row]
        }
        return weightSum > 0 ? total / weightSum : nil
    }

    /// One bin of a reliability table.
    public struct ReliabilityBin: Hashable, Sendable {
        /// The bin's probability range, `lower ..< upper` (the last bin includes 1).
        public var lower: Double
        public var upper: Double
        /// The rows in the bin, weighted (the number of rows without weights).
        public var count: Double
        /// The weighted mean predicted probability of the bin's rows.
        public var meanPredicted: Double
        /// The weighted share of the bin's rows whose label is true.
        public var observedRate: Double
    }

    /// The reliability table over `binCount` **equal-width** bins of [0, 1] (bin b holds
    /// b / binCount ≤ p < (b + 1) / binCount; p = 1 falls in the last). Equal width, not equal count, so
    /// that tables from different days share their bins and can be compared. Empty bins (by weight) are
    /// left out; an empty input gives an empty table.
    public static func reliabilityTable(
        probabilities: [Double],
        labels: [Bool],
        weights: [Double]? = nil,
        binCount: Int = 10
    ) -> [ReliabilityBin] {
        precondition(binCount >= 1, "a reliability table has at least one bin")
        let weights = checked(weights, count: probabilities.count, against: labels.count)
        checkProbabilities(probabilities)
        var count = [Double](repeating: 0, count: binCount)
        var predicted = [Double](repeating: 0, count: binCount)
        var observed = [Double](repeating: 0, count: binCount)
        for row in probabilities.indices {
            let bin = min(Int(probabilities[row] * Double(binCount)), binCount - 1)
            count[bin] += weights[row]
            predicted[bin] += weights[row] * probabilities[row]
            if labels[row] { observed[bin] += weights[row] }
        }
        return (0..<binCount).compactMap { bin in
            guard count[bin] > 0 else { return nil }
            return ReliabilityBin(
                lower: Double(bin) / Double(binCount),
                upper: Double(bin + 1) / Double(binCount),
                count: count[bin],
                meanPredicted: predicted[bin] / count[bin],
                observedRate: observed[bin] / count[bin]
            )
        }
    }

    /// The expected calibration error over ``reliabilityTable(probabilities:labels:weights:binCount:)``'s
    /// equal-width bins: Σ over bins of (bin weight / total weight) × |mean predicted − observed rate|.
    public static func expectedCalibrationError(
        probabilities: [Double],
        labels: [Bool],
        weights: [Double]? = nil,
        binCount: Int = 10
    ) -> Double? {
        let table = reliabilityTable(probabilities: probabilities, labels: labels, weights: weights, binCount: binCount)
        let total = table.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }
        return table.reduce(0) { $0 + $1.count / total * abs($1.meanPredicted - $1.observedRate) }
    }

    /// The population stability index of `current` against `reference`: Σ (c − r) ln(c / r) over bins,
    /// where r and c are the shares of each sample in the bin, and a share of 0 counts as
    /// ``psiEmptyBinShare``.
    ///
    /// The bins are the reference's quantiles: with n reference scores sorted, edge k (k = 1 … binCount − 1)
    /// is the score of rank ⌈k n / binCount⌉, and the bins are (−∞, e₁], (e₁, e₂], …, (e_last, ∞). Equal
    /// edges (ties in the reference) merge into one, so a sample with few distinct scores gets fewer bins.
    /// `nil` when either sample is empty.
    public static func populationStabilityIndex(reference: [Double], current: [Double], binCount: Int = 10) -> Double? {
        precondition(binCount >= 1, "PSI has at least one bin")
        precondition(!reference.contains { $0.isNaN } && !current.contains { $0.isNaN }, "a score is NaN")
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let sorted = reference.sorted()
        var edges: [Double] = []
        for k in 1..<binCount {
            let rank = (k * sorted.count + binCount - 1) / binCount
            let edge = sorted[rank - 1]
            if edges.last != edge { edges.append(edge) }
        }
        func shares(_ sample: [Double]) -> [Double] {
            var counts = [Double](repeating: 0, count: edges.count + 1)
            for score in sample {
                // The first edge at or above the score: bins are closed on the right.
                var low = 0
                var high = edges.count
                while low < high {
                    let middle = (low + high) / 2
                    if edges[middle] < score { low = middle + 1 } else { high = middle }
                }
                counts[low] += 1
            }
            return counts.map { max($0 / Double(sample.count), psiEmptyBinShare) }
        }
        return zip(shares(reference), shares(current)).reduce(0) { total, pair in
            total + (pair.1 - pair.0) * log(pair.1 / pair.0)
        }
    }

    /// `weights`, or all ones; traps on a length mismatch or a weight that is negative or not finite.
    private static func checked(_ weights: [Double]?, count: Int, against labelCount: Int) -> [Double] {
        precondition(count == labelCount, "\(count) predictions for \(labelCount) labels")
        guard let weights else { return [Double](repeating: 1, count: count) }
        precondition(weights.count == count, "\(weights.count) weights for \(count) rows")
        precondition(weights.allSatisfy { $0.isFinite && $0 >= 0 }, "a weight is negative or not finite")
        return weights
    }

    private static func checkProbabilities(_ probabilities: [Double]) {
        precondition(probabilities.allSatisfy { $0 >= 0 && $0 <= 1 }, "a probability is outside [0, 1] or NaN")
    }
}

/// When a model counts as degraded: the thresholds of ``ModelMonitoring/degradation(current:previous:thresholds:)``,
/// each compared strictly (a value exactly at its threshold passes).
public struct MonitoringThresholds: Hashable, Sendable {
    /// The largest AUC drop from the previous model, in AUC points. Default 0.02: run-to-run noise of
    /// AUC on a campaign's day of sends is about 0.005 to 0.01, so 0.02 is a real loss of ranking.
    public var maximumAUCDrop = 0.02
    /// The largest relative log-loss increase over the previous model. Default 0.02 (2 %).
    public var maximumLogLossIncrease = 0.02
    /// The largest population stability index of the scores against the reference. Default 0.25, the
    /// customary line between "some shift" (0.1 to 0.25) and "a significant shift".
    public var maximumPSI = 0.25
    /// The largest expected calibration error. Default 0.05: probabilities off by five points on average
    /// misstate a personalization score's lift.
    public var maximumECE = 0.05

    /// The defaults above.
    public init() {}
}

extension ModelMonitoring {
    /// One model's monitoring metrics; `nil` where a metric could not be computed.
    public struct Metrics: Hashable, Sendable {
        public var auc: Double?
        public var logLoss: Double?
        public var expectedCalibrationError: Double?
        /// The scores' PSI against the reference (the training scores, or the previous model's).
        public var populationStabilityIndex: Double?

        public init(
            auc: Double? = nil,
            logLoss: Double? = nil,
            expectedCalibrationError: Double? = nil,
            populationStabilityIndex: Double? = nil
        ) {
            self.auc = auc
            self.logLoss = logLoss
            self.expectedCalibrationError = expectedCalibrationError
            self.populationStabilityIndex = populationStabilityIndex
        }
    }

    /// A way a model crossed a threshold, with the value that crossed it.
    public enum Degradation: Hashable, Sendable {
        /// AUC fell by `drop` points from the previous model.
        case aucDropped(drop: Double)
        /// Log loss rose by `increase` (relative) over the previous model.
        case logLossRose(increase: Double)
        /// The scores' population shifted: PSI `psi`.
        case populationShifted(psi: Double)
        /// Calibration is off: ECE `ece`.
        case miscalibrated(ece: Double)
    }

    /// Every threshold `current` crosses, in the order AUC, log loss, PSI, ECE; empty when the model is
    /// fine. A comparison needs both values (AUC and log loss need `previous`); a missing one is not
    /// judged, so a model that could not be measured is not called degraded by this function.
    public static func degradation(
        current: Metrics,
        previous: Metrics?,
        thresholds: MonitoringThresholds = MonitoringThresholds()
    ) -> [Degradation] {
        var found: [Degradation] = []
        if let now = current.auc, let before = previous?.auc, before - now > thresholds.maximumAUCDrop {
            found.append(.aucDropped(drop: before - now))
        }
        if let now = current.logLoss, let before = previous?.logLoss, before > 0,
            (now - before) / before > thresholds.maximumLogLossIncrease
        {
            found.append(.logLossRose(increase: (now - before) / before))
        }
        if let psi = current.populationStabilityIndex, psi > thresholds.maximumPSI {
            found.append(.populationShifted(psi: psi))
        }
        if let ece = current.expectedCalibrationError, ece > thresholds.maximumECE {
            found.append(.miscalibrated(ece: ece))
        }
        return found
    }
}

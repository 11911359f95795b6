import Foundation

/// How the model did on the newest day's outcomes (`aampectl model report`): the previous model's
/// predictions, made before those outcomes existed, and this model's, with drift of the score
/// distributions between them (DESIGN §2.6, issue "Monitoring").
public struct ModelMonitoringReport: Codable, Sendable, Hashable {
    /// The newest day's start (its rows have a reference time at or after it), ISO-8601.
    public var dayStart: String
    /// Rows of that day, and those with the goal.
    public var rows: Int
    public var goalRows: Int
    /// The previous model on that day (out of sample); `nil` without a previous model.
    public var previous: Metrics?
    /// This model on that day (in sample: it trained on them).
    public var current: Metrics
    /// How far the previous model's log loss exceeded what it expected, in standard errors; `nil`
    /// without a previous model.
    public var logLossExcess: Double?
    /// Population stability index of the label scores, previous model to this one; `nil` without one.
    public var scorePSI: Double?
    /// Whether the model is judged degraded, and why.
    public var isDegraded: Bool
    public var reasons: [String]

    public init(
        dayStart: String,
        rows: Int,
        goalRows: Int,
        previous: Metrics?,
        current: Metrics,
        logLossExcess: Double?,
        scorePSI: Double?,
        isDegraded: Bool,
        reasons: [String]
    ) {
        self.dayStart = dayStart
        self.rows = rows
        self.goalRows = goalRows
        self.previous = previous
        self.current = current
        self.logLossExcess = logLossExcess
        self.scorePSI = scorePSI
        self.isDegraded = isDegraded
        self.reasons = reasons
    }

    /// One model's predictions against the day's outcomes.
    public struct Metrics: Codable, Sendable, Hashable {
        /// Area under the ROC curve; `nil` when the day's rows are all one outcome.
        public var auc: Double?
        public var logLoss: Double
        /// The log loss the model expects of itself: the mean entropy of its predictions.
        public var expectedLogLoss: Double
        public var brier: Double
        /// Expected calibration error over ``reliability``.
        public var ece: Double
        public var reliability: [ReliabilityBin]

        enum CodingKeys: String, CodingKey {
            case auc, brier, ece, reliability
            case logLoss = "log_loss"
            case expectedLogLoss = "expected_log_loss"
        }
    }

    /// One bin of a reliability table.
    public struct ReliabilityBin: Codable, Sendable, Hashable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var meanPredicted: Double
        public var observedRate: Double

        enum CodingKeys: String, CodingKey {
            case lower, upper, count
            case meanPredicted = "mean_predicted"
            case observedRate = "observed_rate"
        }
    }

    enum CodingKeys: String, CodingKey {
        case rows, previous, current, reasons
        case dayStart = "day_start"
        case goalRows = "goal_rows"
        case logLossExcess = "log_loss_excess"
        case scorePSI = "score_psi"
        case isDegraded = "is_degraded"
    }
}

extension ModelMonitoringReport {
    /// One row of the newest day, as a model predicts it.
    public struct Row: Sendable {
        public var outcome: Bool
        /// The previous model's and this model's probability of the goal; `nil` without a previous model
        /// (or when it has no summary for the row's user).
        public var previous: Double?
        public var current: Double

        public init(outcome: Bool, previous: Double?, current: Double) {
            self.outcome = outcome
            self.previous = previous
            self.current = current
        }
    }

    /// The standard errors by which the previous model's log loss must exceed its expected log loss to
    /// count as predicting worse than it thought it would.
    public static let logLossExcessThreshold = 3.0

    /// The goal rows a day needs before the previous model is judged at all: a calibration error over a
    /// handful of goals is mostly noise (on the 2,000-user loop, 10 goals in 115 rows gave an ECE of 0.06
    /// from a well-calibrated model), and a false alarm would widen the posterior for nothing.
    public static let minimumJudgedGoalRows = 50

    /// The report over the newest day's `rows`, with the label scores of a sample of users under both
    /// models for the PSI. With at least ``minimumJudgedGoalRows`` goal rows, the previous model is judged
    /// degraded (``isDegraded``) when its calibration
    /// error or the scores' PSI cross ``MonitoringThresholds``, or when its log loss on the day exceeds
    /// what its own probabilities expected by more than ``logLossExcessThreshold`` standard errors: each
    /// row's log loss has mean H(p) = −p ln p − (1 − p) ln(1 − p) and variance p(1 − p) ln²(p / (1 − p))
    /// under the model, so the excess is (Σ loss − Σ H) / √Σ variance.
    public static func compute(
        dayStart: String,
        rows: [Row],
        previousScores: [Double],
        currentScores: [Double],
        thresholds: MonitoringThresholds = MonitoringThresholds()
    ) -> ModelMonitoringReport? {
        guard !rows.isEmpty else { return nil }
        let labels = rows.map(\.outcome)
        let current = metrics(rows.map(\.current), labels)
        var previous: Metrics?
        var excess: Double?
        let judged = rows.filter { $0.previous != nil }
        if !judged.isEmpty {
            let probabilities = judged.map { $0.previous! }
            let judgedMetrics = metrics(probabilities, judged.map(\.outcome))
            previous = judgedMetrics
            var variance = 0.0
            for p in probabilities {
                let q = min(max(p, ModelMonitoring.probabilityClip), 1 - ModelMonitoring.probabilityClip)
                let logit = log(q / (1 - q))
                variance += q * (1 - q) * logit * logit
            }
            let rows = Double(judged.count)
            excess =
                variance > 0
                ? (judgedMetrics.logLoss - judgedMetrics.expectedLogLoss) * rows / variance.squareRoot() : nil
        }
        let psi =
            previousScores.isEmpty || currentScores.isEmpty
            ? nil : ModelMonitoring.populationStabilityIndex(reference: previousScores, current: currentScores)
        var reasons: [String] = []
        if let previous, judged.filter(\.outcome).count >= minimumJudgedGoalRows {
            let found = ModelMonitoring.degradation(
                current: ModelMonitoring.Metrics(
                    auc: previous.auc,
                    logLoss: previous.logLoss,
                    expectedCalibrationError: previous.ece,
                    populationStabilityIndex: psi
                ),
                previous: nil,
                thresholds: thresholds
            )
            for degradation in found {
                switch degradation {
                case .populationShifted(let psi): reasons.append(String(format: "score PSI %.3f", psi))
                case .miscalibrated(let ece): reasons.append(String(format: "calibration error %.3f", ece))
                case .aucDropped(let drop): reasons.append(String(format: "AUC fell %.3f", drop))
                case .logLossRose(let increase): reasons.append(String(format: "log loss rose %.1f %%", increase * 100))
                }
            }
            if let excess, excess > logLossExcessThreshold {
                reasons.append(String(format: "log loss %.1f standard errors above what it expected", excess))
            }
        }
        return ModelMonitoringReport(
            dayStart: dayStart,
            rows: rows.count,
            goalRows: labels.filter { $0 }.count,
            previous: previous,
            current: current,
            logLossExcess: excess,
            scorePSI: psi,
            isDegraded: !reasons.isEmpty,
            reasons: reasons
        )
    }

    /// How far assignment widens the posterior after this report: 1 unless degraded, then
    /// 1 + excess / ``logLossExcessThreshold`` (at least 2), at most 16, so a model that stopped predicting
    /// well explores again until a retrained one predicts well.
    public var posteriorWidening: Double {
        guard isDegraded else { return 1 }
        return min(16, max(2, 1 + (logLossExcess ?? 0) / Self.logLossExcessThreshold))
    }

    private static func metrics(_ probabilities: [Double], _ labels: [Bool]) -> Metrics {
        var expected = 0.0
        for p in probabilities {
            let q = min(max(p, ModelMonitoring.probabilityClip), 1 - ModelMonitoring.probabilityClip)
            expected -= q * log(q) + (1 - q) * log(1 - q)
        }
        return Metrics(
            auc: ModelMonitoring.auc(scores: probabilities, labels: labels),
            logLoss: ModelMonitoring.logLoss(probabilities: probabilities, labels: labels) ?? 0,
            expectedLogLoss: expected / Double(max(1, probabilities.count)),
            brier: ModelMonitoring.brierScore(probabilities: probabilities, labels: labels) ?? 0,
            ece: ModelMonitoring.expectedCalibrationError(probabilities: probabilities, labels: labels) ?? 0,
            reliability: ModelMonitoring.reliabilityTable(probabilities: probabilities, labels: labels).map {
                ReliabilityBin(
                    lower: $0.lower,
                    upper: $0.upper,
                    count: Int($0.count),
                    meanPredicted: $0.meanPredicted,
                    observedRate: $0.observedRate
                )
            }
        )
    }
}

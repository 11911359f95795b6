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

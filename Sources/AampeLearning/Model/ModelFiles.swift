import AampeCore
public import AampeSegments

/// The model's files in a generation, in its folder `model/` (DESIGN §2.6):
///
/// - one scores file per goal, `goal-<n>.seg` (kind `scores`): per user of the dictionary at training,
///   the ``ScoreSummary`` packed as one RAW f32 vector, read by SCORE and by assignment without a copy;
/// - ``manifest``: the settings, and per goal its vocabulary, the learned effect sizes, the summaries of
///   each cluster's and the population's typical user (for users the model does not know), the opt-out
///   risk, the posterior widening and the monitoring report.
public enum ModelFiles {
    /// The model's folder in a generation.
    public static let model = "model"
    /// `model/model.json` (``Manifest``).
    public static let manifest = GenerationFile(model: model, name: "model.json")

    /// The scores file of the goal at `index` in the manifest.
    public static func scores(goalIndex index: Int) -> GenerationFile {
        GenerationFile(model: model, name: "goal-\(index).seg")
    }

    /// The columns of a scores file.
    public enum UserColumn: String, CaseIterable, Sendable {
        /// Dictionary: external user id → row.
        case userID = "user_id"
        /// f32 × (2 + 2 signatures + 2 labels + 2 windows), RAW: the packed ``ScoreSummary``.
        case summary
    }

    /// What `model.json` holds.
    public struct Manifest: Codable, Sendable, Hashable {
        public var settings: ModelSettings
        /// The newest training row's reference time, seconds since the epoch.
        public var referenceSeconds: Int64
        /// When training ran, ISO-8601 UTC.
        public var trainedAt: String
        /// Rows of every scores file: the users of the dictionary at training.
        public var userCount: Int
        /// Windows per week.
        public var windowCount: Int
        /// The landscape's clusters at training (0 without one); groups are these plus one.
        public var clusterCount: Int
        /// The generation whose landscape gave vectors and clusters, or `nil`.
        public var landscapeGeneration: UInt64?
        /// One model per goal, in file order.
        public var goals: [GoalModel]

        public init(
            settings: ModelSettings,
            referenceSeconds: Int64,
            trainedAt: String,
            userCount: Int,
            windowCount: Int,
            clusterCount: Int,
            landscapeGeneration: UInt64?,
            goals: [GoalModel]
        ) {
            self.settings = settings
            self.referenceSeconds = referenceSeconds
            self.trainedAt = trainedAt
            self.userCount = userCount
            self.windowCount = windowCount
            self.clusterCount = clusterCount
            self.landscapeGeneration = landscapeGeneration
            self.goals = goals
        }

        enum CodingKeys: String, CodingKey {
            case settings, goals
            case referenceSeconds = "reference_seconds"
            case trainedAt = "trained_at"
            case userCount = "user_count"
            case windowCount = "window_count"
            case clusterCount = "cluster_count"
            case landscapeGeneration = "landscape_generation"
        }
    }

    /// One goal's model.
    public struct GoalModel: Codable, Sendable, Hashable {
        /// The goal's name.
        public var goal: String
        /// The label vocabulary, `set=label`; a summary's label k is `labels[k]`.
        public var labels: [String]
        /// The label-set combinations a summary has a message effect for, by set name, each sorted.
        public var signatures: [[String]]
        /// Each campaign's baseline offset (logits), added to a summary's baseline for its messages.
        public var campaignBaselines: [String: Double]
        /// Training rows: messages, control rows, and those with the goal.
        public var messageRows: Int
        public var controlRows: Int
        public var goalRows: Int
        /// The learned standard deviation of each kind of effect, by ``ModelParameters/Component`` name.
        public var effectSD: [String: Double]
        /// The weighted log-likelihood at the mode, and Newton rounds run.
        public var logLikelihood: Double
        public var newtonRounds: Int
        /// Packed ``ScoreSummary`` of each cluster's typical user (clusters in order, then users without a
        /// cluster), then of the population's.
        public var groupSummaries: [[Float]]
        /// The share of delivered messages followed by an opt-out on their channel.
        public var optOutRate: Double
        /// The factor (≥ 1) by which assignment widens this model's posterior standard deviations: above 1
        /// when the previous model predicted the newest day's outcomes worse than it expected to
        /// (``ModelMonitoring``), so that the model explores again when it stops predicting well.
        public var posteriorWidening: Double
        /// The newest day's outcomes against the previous model and this one; `nil` on the first training.
        public var monitoring: ModelMonitoringReport?

        public init(
            goal: String,
            labels: [String],
            signatures: [[String]],
            campaignBaselines: [String: Double],
            messageRows: Int,
            controlRows: Int,
            goalRows: Int,
            effectSD: [String: Double],
            logLikelihood: Double,
            newtonRounds: Int,
            groupSummaries: [[Float]],
            optOutRate: Double,
            posteriorWidening: Double,
            monitoring: ModelMonitoringReport?
        ) {
            self.goal = goal
            self.labels = labels
            self.signatures = signatures
            self.campaignBaselines = campaignBaselines
            self.messageRows = messageRows
            self.controlRows = controlRows
            self.goalRows = goalRows
            self.effectSD = effectSD
            self.logLikelihood = logLikelihood
            self.newtonRounds = newtonRounds
            self.groupSummaries = groupSummaries
            self.optOutRate = optOutRate
            self.posteriorWidening = posteriorWidening
            self.monitoring = monitoring
        }

        /// The width of this goal's summaries.
        public func summaryWidth(windows: Int) -> Int {
            ScoreSummary.width(labels: labels.count, windows: windows, signatures: signatures.count)
        }

        /// The signature of a message with `labels` (`set=label`): the one whose sets are exactly theirs.
        public func signature(ofLabels labels: [String]) -> Int? {
            let sets = Set(labels.map { Self.setName(of: $0) }).sorted()
            return signatures.firstIndex(of: sets)
        }

        /// The first signature that holds `label`'s set: the message effect a label's score is read with.
        public func signature(containing label: String) -> Int? {
            let set = Self.setName(of: label)
            return signatures.firstIndex { $0.contains(set) }
        }

        /// The set part of `set=label`.
        public static func setName(of label: String) -> String {
            label.split(separator: "=", maxSplits: 1).first.map(String.init) ?? label
        }

        enum CodingKeys: String, CodingKey {
            case goal, labels, monitoring, signatures
            case campaignBaselines = "campaign_baselines"
            case messageRows = "message_rows"
            case controlRows = "control_rows"
            case goalRows = "goal_rows"
            case effectSD = "effect_sd"
            case logLikelihood = "log_likelihood"
            case newtonRounds = "newton_rounds"
            case groupSummaries = "group_summaries"
            case optOutRate = "opt_out_rate"
            case posteriorWidening = "posterior_widening"
        }
    }

    /// Writes one goal's scores file into the generation `builder` is building.
    public static func writeScores(
        _ summaries: [[Float]],
        userIDs: [String],
        goalIndex: Int,
        into builder: GenerationBuilder
    ) throws {
        precondition(summaries.count == userIDs.count, "one summary per user")
        let width = summaries.first?.count ?? 0
        let writer = try SegmentWriter(path: try builder.path(of: scores(goalIndex: goalIndex)), kind: .scores)
        try writer.writeDictionaryColumn(UserColumn.userID.rawValue, keys: userIDs)
        try writer.writeVectorColumn(UserColumn.summary.rawValue, dimension: width, vectors: summaries)
        try writer.finish()
    }
}

/// A generation's model, mapped. Immutable and holding ``generation``, so it may be shared across threads.
public final class ServedModel: ModelView, @unchecked Sendable {
    /// The model name a generation lists these files under.
    public static let model = ModelFiles.model

    /// The generation mapped.
    public let generation: Generation
    /// The generation's `model.json`.
    public let manifest: ModelFiles.Manifest
    /// Per goal, in manifest order: external user id → row, and the packed summaries.
    let userIDs: [DictionaryColumn]
    let summaries: [VectorColumn]
    /// Per goal, per label: the signature its score is read with (``GoalModel/signature(containing:)``,
    /// 0 for a label whose set no signature has), worked out once for SCORE's fast path.
    public let labelSignatures: [[Int]]

    /// Maps and checks the model files of `generation`. Errors name the file and the column.
    public init(generation: Generation) throws {
        let manifest = try GenerationJSON.read(ModelFiles.Manifest.self, ModelFiles.manifest, of: generation)
        var userIDs: [DictionaryColumn] = []
        var summaries: [VectorColumn] = []
        for (index, goal) in manifest.goals.enumerated() {
            let reader = try generation.segment(ModelFiles.scores(goalIndex: index))
            let ids = try reader.dictionaryColumn(ModelFiles.UserColumn.userID.rawValue)
            let vectors = try reader.vectorColumn(ModelFiles.UserColumn.summary.rawValue)
            let width = goal.summaryWidth(windows: manifest.windowCount)
            guard ids.count == manifest.userCount, vectors.count == ids.count, vectors.dimension == width,
                vectors.rawElements != nil
            else {
                throw SegmentError(
                    path: reader.path,
                    column: ModelFiles.UserColumn.summary.rawValue,
                    reason: .generation(
                        detail:
                            "expected \(manifest.userCount) RAW summaries of \(width) floats for goal \(goal.goal)"
                    )
                )
            }
            guard !goal.signatures.isEmpty, goal.groupSummaries.count == manifest.clusterCount + 2,
                goal.groupSummaries.allSatisfy({ $0.count == width })
            else {
                throw SegmentError(
                    path: generation.path(of: ModelFiles.manifest),
                    reason: .generation(detail: "goal \(goal.goal): group summaries do not match the clusters")
                )
            }
            userIDs.append(ids)
            summaries.append(vectors)
        }
        self.generation = generation
        self.manifest = manifest
        self.userIDs = userIDs
        self.summaries = summaries
        labelSignatures = manifest.goals.map { goal in goal.labels.map { goal.signature(containing: $0) ?? 0 } }
    }

    /// The number of the generation mapped.
    public var generationNumber: UInt64 { generation.number.rawValue }

    /// The index of `goal` in the manifest, or `nil` when the model has none for it.
    public func goalIndex(_ goal: String) -> Int? { manifest.goals.firstIndex { $0.goal == goal } }

    /// Who a summary describes.
    public enum Source: Sendable, Hashable {
        /// The user, known to the model.
        case user
        /// A typical user of the cluster (the user is new to the model; the landscape placed them).
        case cluster(Int)
        /// A typical user of the population.
        case population
    }

    /// The summary of `userID` for the goal at `goalIndex`: their own, else their cluster's typical user's
    /// when `cluster` is known, else the population's.
    public func summary(goalIndex: Int, userID: String, cluster: Int?) -> (summary: ScoreSummary, source: Source) {
        let goal = manifest.goals[goalIndex]
        if let row = userIDs[goalIndex].row(for: userID), let packed = summaries[goalIndex].rawVector(at: row) {
            return (
                ScoreSummary(
                    packed: packed,
                    labels: goal.labels.count,
                    windows: manifest.windowCount,
                    signatures: goal.signatures.count
                ), .user
            )
        }
        if let cluster, cluster >= 0, cluster <= manifest.clusterCount {
            return (
                ScoreSummary(
                    packed: goal.groupSummaries[cluster],
                    labels: goal.labels.count,
                    windows: manifest.windowCount,
                    signatures: goal.signatures.count
                ), .cluster(cluster)
            )
        }
        return (
            ScoreSummary(
                packed: goal.groupSummaries[manifest.clusterCount + 1],
                labels: goal.labels.count,
                windows: manifest.windowCount,
                signatures: goal.signatures.count
            ), .population
        )
    }

    /// The packed summary of the user in `row` for the goal at `goalIndex`, without a copy.
    public func packedSummary(goalIndex: Int, row: Int) -> UnsafeBufferPointer<Float>? {
        summaries[goalIndex].rawVector(at: row)
    }

    /// The row of `userID` in the goal's scores file.
    public func row(goalIndex: Int, userID: String) -> Int? { userIDs[goalIndex].row(for: userID) }

    /// The external id of the user in `row` of the goal's scores file (``Manifest/userCount`` rows).
    public func userID(goalIndex: Int, row: Int) -> String { userIDs[goalIndex].key(at: row) }
}

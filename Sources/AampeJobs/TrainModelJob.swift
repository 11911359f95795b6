import AampeContent
public import AampeCore
import AampeEvents
public import AampeLearning
import AampeSegments
import AampeStore
import Foundation

/// `aampectl train model`: the personalization model of each goal, from the message log's joined
/// outcomes, published as a new generation with the live generation's other models carried over
/// (DESIGN §2.6; ``HierarchicalLogisticModel`` and ``ModelSettings`` document the model and the rows'
/// weights).
///
/// Its inputs are the live generation's landscape (each user's vector and cluster; without one, every
/// user is in one group and the model has no landscape terms) and timing (each user's window
/// availability; without it, windows differ only by their population and cluster effects), and the
/// live generation's previous model, against which the newest day's outcomes are checked
/// (``ModelMonitoringReport``).
public enum TrainModelJob {
    /// What a run did.
    public struct Report: Codable, Sendable {
        public var publication: GenerationPublisher.Outcome
        /// The newest training row's time, ISO-8601.
        public var referenceTime: String
        public var users: Int
        public var clusters: Int
        public var landscapeGeneration: UInt64?
        /// One entry per goal trained.
        public var goals: [ModelFiles.GoalModel]
        /// Goals left out for too few rows, with their row counts.
        public var goalsSkipped: [String: Int]
        public var phaseSeconds: [String: Double]

        enum CodingKeys: String, CodingKey {
            case publication, users, clusters, goals
            case referenceTime = "reference_time"
            case landscapeGeneration = "landscape_generation"
            case goalsSkipped = "goals_skipped"
            case phaseSeconds = "phase_seconds"
        }
    }

    /// Trains and publishes. `asOf` uses only the outcomes joined up to then.
    public static func run(
        directory: DataDirectory,
        settings: ModelSettings = ModelSettings(),
        asOf: Timestamp? = nil,
        threads: Int? = nil
    ) throws -> Report {
        try settings.validate()
        return try BatchRun.run(.train, subject: ModelFiles.model, directory: directory, buildsGeneration: true) {
            context in
            var times = PhaseTimes()
            let inputs = try times.measure("reading") {
                try Inputs(directory: directory, store: context.store, asOf: asOf, settings: settings)
            }
            var goals: [ModelFiles.GoalModel] = []
            var summaries: [[[Float]]] = []
            var skipped: [String: Int] = [:]
            for goal in inputs.rowsByGoal.keys.sorted() {
                let rows = inputs.rowsByGoal[goal]!
                guard rows.count >= settings.minimumRows else {
                    skipped[goal] = rows.count
                    continue
                }
                let trained = try times.measure("fitting \(goal)") {
                    try train(
                        goal: goal,
                        rows: rows,
                        inputs: inputs,
                        settings: settings,
                        threads: threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
                    )
                }
                goals.append(trained.model)
                summaries.append(trained.summaries)
            }
            guard !goals.isEmpty else {
                let counts = skipped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                throw JobError(
                    .noData(
                        detail: counts.isEmpty
                            ? "the message log has no joined outcomes yet; assign, deliver, then import the next day's events"
                            : "no goal has \(settings.minimumRows) training rows yet (\(counts.joined(separator: ", ")))"
                    )
                )
            }
            let manifest = ModelFiles.Manifest(
                settings: settings,
                referenceSeconds: inputs.reference.secondsSinceEpoch,
                trainedAt: Timestamp.now().description,
                userCount: inputs.userIDs.count,
                windowCount: inputs.windowCount,
                clusterCount: inputs.clusterCount,
                landscapeGeneration: inputs.landscape?.generationNumber,
                goals: goals
            )
            let publication = try times.measure("writing") {
                try GenerationPublisher.publish(model: ModelFiles.model, in: directory) { builder in
                    for (index, goalSummaries) in summaries.enumerated() {
                        try ModelFiles.writeScores(
                            goalSummaries,
                            userIDs: inputs.userIDs,
                            goalIndex: index,
                            into: builder
                        )
                    }
                    try GenerationJSON.write(manifest, as: ModelFiles.manifest, into: builder)
                }
            }
            let report = Report(
                publication: publication,
                referenceTime: inputs.reference.description,
                users: inputs.userIDs.count,
                clusters: inputs.clusterCount,
                landscapeGeneration: inputs.landscape?.generationNumber,
                goals: goals,
                goalsSkipped: skipped,
                phaseSeconds: times.seconds
            )
            let counters = RunCounters([
                "users": Int64(report.users),
                "goals": Int64(goals.count),
                "rows": Int64(goals.reduce(0) { $0 + $1.messageRows + $1.controlRows }),
                "generation": Int64(publication.generation),
            ])
            return (report, counters)
        }
    }

    /// What training reads, once for every goal.
    struct Inputs {
        let userIDs: [String]
        let reference: Timestamp
        let windowCount: Int
        let clusterCount: Int
        let landscape: ServedLandscape?
        let timing: ServedTiming?
        let previous: ServedModel?
        /// Per user: cluster (nil: none), vector (empty without a landscape), window log availability.
        let clusters: [Int?]
        let vectors: [Float]
        let availability: [Float]
        let dimension: Int
        let rowsByGoal: [String: [TrainingOutcome]]
        let contentLabels: [String]
        /// The label sets of each formula of the applied content: the message signatures it can send.
        let contentSignatures: [[String]]
        let optOuts: [String: (delivered: Int, optedOut: Int)]

        init(directory: DataDirectory, store: Store, asOf: Timestamp?, settings: ModelSettings) throws {
            let events = EventStore(dataDirectory: directory, store: store)
            let snapshot = try events.snapshot()
            userIDs = snapshot.keys.userIDs
            let live = try GenerationStore(dataDirectory: directory).openCurrent()
            landscape = try live.flatMap {
                $0.contains(model: ServedLandscape.model) ? try ServedLandscape(generation: $0) : nil
            }
            timing = try live.flatMap {
                $0.contains(model: ServedTiming.model) ? try ServedTiming(generation: $0) : nil
            }
            previous = try live.flatMap {
                $0.contains(model: ServedModel.model) ? try ServedModel(generation: $0) : nil
            }
            windowCount =
                try timing?.manifest.settings.layout().windowsPerWeek ?? TimeWindowLayout.standard.windowsPerWeek
            clusterCount = landscape?.manifest.clusterCount ?? 0
            dimension = landscape?.vectors.dimension ?? 0
            var clusters = [Int?](repeating: nil, count: userIDs.count)
            var vectors = [Float](repeating: 0, count: userIDs.count * dimension)
            var availability = [Float](repeating: 0, count: userIDs.count * windowCount)
            let floor = Float(settings.availabilityFloor)
            for (user, id) in userIDs.enumerated() {
                if let landscape, let row = TrainingWindow.row(of: id, at: user, in: landscape.userIDs) {
                    clusters[user] = Int(landscape.clusters[row])
                    let vector = try landscape.vectors.vector(at: row)
                    for j in 0..<dimension { vectors[user * dimension + j] = vector[j] }
                }
                if let timing, let row = TrainingWindow.row(of: id, at: user, in: timing.userIDs),
                    let shares = timing.windowPropensity.rawVector(at: row), shares.count == windowCount
                {
                    for window in 0..<windowCount {
                        availability[user * windowCount + window] = log(
                            max(floor, Float(windowCount) * shares[window])
                        )
                    }
                }
            }
            self.clusters = clusters
            self.vectors = vectors
            self.availability = availability
            let outcomes = try store.messageLog.trainingOutcomes(notAfter: asOf ?? Timestamp(rawValue: Int64.max))
            reference = outcomes.last?.referenceTime ?? asOf ?? Timestamp.now()
            let userCount = userIDs.count
            rowsByGoal = Dictionary(grouping: outcomes.filter { $0.userIndex >= 0 && $0.userIndex < userCount }) {
                $0.goal
            }
            let content = try ContentVersioning.latest(in: store)?.content
            contentLabels =
                content?.labelSets.flatMap { set in set.labels.map { "\(set.name)=\($0)" } } ?? []
            contentSignatures = content?.formulas.map { formula in Set(formula.blocks.map(\.labelSet)).sorted() } ?? []
            optOuts = try store.messageLog.optOutCounts(notAfter: asOf ?? Timestamp(rawValue: Int64.max))
        }

    }

    /// One goal's model: the training set, the fit, every user's summary and the manifest entry.
    static func train(
        goal: String,
        rows: [TrainingOutcome],
        inputs: Inputs,
        settings: ModelSettings,
        threads: Int
    ) throws -> (model: ModelFiles.GoalModel, summaries: [[Float]]) {
        var labels = inputs.contentLabels
        var known = Set(labels)
        for row in rows {
            for label in row.labels where !known.contains(label) {
                known.insert(label)
                labels.append(label)
            }
        }
        let labelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let groupCount = inputs.clusterCount + 1
        let campaigns = Set(rows.map(\.campaign)).sorted()
        let campaignIndex = Dictionary(uniqueKeysWithValues: campaigns.enumerated().map { ($1, $0) })
        var set = ModelTrainingSet(
            labels: labels,
            windowCount: inputs.windowCount,
            groupCount: groupCount,
            dimension: inputs.dimension,
            userCount: inputs.userIDs.count,
            campaigns: campaigns,
            signatures: inputs.contentSignatures
        )
        for user in 0..<inputs.userIDs.count {
            set.userGroups[user] = Int32(inputs.clusters[user] ?? inputs.clusterCount)
        }
        set.userVectors = inputs.vectors
        set.userWindowLogAvailability = inputs.availability
        // Goal rows weigh by how many goals and how soon, scaled to average 1 (ModelSettings).
        let goalWeights = rows.map {
            $0.goalCount > 0 ? settings.goalWeight(count: $0.goalCount, delaySeconds: $0.firstDelaySeconds) : 0
        }
        let positives = goalWeights.filter { $0 > 0 }
        let scale = positives.isEmpty ? 1 : Double(positives.count) / positives.reduce(0, +)
        let newest = Double(inputs.reference.secondsSinceEpoch)
        let order = rows.indices.sorted { (rows[$0].userIndex, $0) < (rows[$1].userIndex, $1) }
        var messageRows = 0
        var controlRows = 0
        for index in order {
            let row = rows[index]
            let age = newest - Double(row.referenceTime.secondsSinceEpoch)
            let base = row.goalCount > 0 ? goalWeights[index] * scale : 1
            let window = row.windowIndex.flatMap { (0..<inputs.windowCount).contains($0) ? $0 : nil }
            set.append(
                user: row.userIndex,
                campaign: campaignIndex[row.campaign]!,
                isMessage: row.isMessage,
                window: window,
                labels: row.labels.compactMap { labelIndex[$0] },
                outcome: row.goalCount > 0,
                weight: Float(max(1e-6, base * settings.ageFactor(ageSeconds: age)))
            )
            if row.isMessage { messageRows += 1 } else { controlRows += 1 }
        }
        let fitted = HierarchicalLogisticModel.fit(set, settings: settings, threads: threads)
        let scorer = ModelScorer(fitted: fitted, set: set)
        let summaries = (0..<inputs.userIDs.count).map { scorer.summary(ofUser: $0).packed }
        var groupSummaries: [[Float]] = []
        for cluster in 0..<inputs.clusterCount {
            let centroid =
                inputs.landscape.map { landscape in
                    (0..<inputs.dimension).map { Double(landscape.manifest.centroids[cluster * inputs.dimension + $0]) }
                } ?? []
            groupSummaries.append(scorer.summary(ofTypicalUserIn: cluster, x: centroid).packed)
        }
        let zero = [Double](repeating: 0, count: inputs.dimension)
        groupSummaries.append(scorer.summary(ofTypicalUserIn: inputs.clusterCount, x: zero).packed)
        groupSummaries.append(scorer.summary(ofTypicalUserIn: nil, x: zero).packed)
        let optOut = inputs.optOuts[goal] ?? (0, 0)
        let effectSD = Dictionary(uniqueKeysWithValues: fitted.effectSD.map { ($0.key.rawValue, $0.value) })
        let goalRows = rows.filter { $0.goalCount > 0 }.count
        let signatures = set.signatures.map { $0.map { set.labelSets[$0] } }
        var campaignBaselines: [String: Double] = [:]
        for (index, campaign) in campaigns.enumerated() {
            campaignBaselines[campaign] = fitted.global[fitted.parameters.campaign(index)]
        }
        var model = ModelFiles.GoalModel(
            goal: goal,
            labels: labels,
            signatures: signatures,
            campaignBaselines: campaignBaselines,
            messageRows: messageRows,
            controlRows: controlRows,
            goalRows: goalRows,
            effectSD: effectSD,
            logLikelihood: fitted.logLikelihood,
            newtonRounds: fitted.newtonRounds,
            groupSummaries: groupSummaries,
            // Beta(1, 99) prior: a 1 % opt-out rate until deliveries say otherwise.
            optOutRate: (Double(optOut.optedOut) + 1) / (Double(optOut.delivered) + 100),
            posteriorWidening: 1,
            monitoring: nil
        )
        model.monitoring = monitor(model, rows: rows, summaries: summaries, inputs: inputs)
        model.posteriorWidening = model.monitoring?.posteriorWidening ?? 1
        return (model, summaries)
    }

    /// Users whose label scores go into the PSI: every user up to this many, else an even sample.
    static let monitoringSampleUsers = 10_000

    /// The newest day's rows predicted by the previous model (trained before they existed) and by this
    /// one, and the label scores of a sample of users under both (``ModelMonitoringReport``).
    static func monitor(
        _ model: ModelFiles.GoalModel,
        rows: [TrainingOutcome],
        summaries: [[Float]],
        inputs: Inputs
    ) -> ModelMonitoringReport? {
        let dayStart = inputs.reference.secondsSinceEpoch - Timestamp.secondsPerDay
        let windows = inputs.windowCount
        let previous = inputs.previous
        let previousGoalIndex = previous?.goalIndex(model.goal)
        let previousGoal = previousGoalIndex.map { previous!.manifest.goals[$0] }
        let previousWindows = previous?.manifest.windowCount ?? 0
        func previousSummary(_ user: Int) -> ScoreSummary? {
            guard let previous, let previousGoalIndex else { return nil }
            return previous.summary(
                goalIndex: previousGoalIndex,
                userID: inputs.userIDs[user],
                cluster: inputs.clusters[user]
            ).summary
        }
        func currentSummary(_ user: Int) -> ScoreSummary {
            ScoreSummary(
                packed: summaries[user],
                labels: model.labels.count,
                windows: windows,
                signatures: model.signatures.count
            )
        }
        /// The probability `goal`'s model gives `row`; `nil` when its labels are no signature of it.
        func probability(
            _ summary: ScoreSummary,
            _ goal: ModelFiles.GoalModel,
            windows: Int,
            _ row: TrainingOutcome
        )
            -> Double?
        {
            let offset = goal.campaignBaselines[row.campaign] ?? 0
            guard row.isMessage else { return summary.baselineProbability(offset: offset) }
            guard let signature = goal.signature(ofLabels: row.labels) else { return nil }
            let labels = row.labels.compactMap { goal.labels.firstIndex(of: $0) }
            let window = row.windowIndex.flatMap { (0..<windows).contains($0) ? $0 : nil }
            return summary.baselineProbability(offset: offset)
                + summary.lift(signature: signature, labels: labels, window: window, offset: offset)
        }
        var monitored: [ModelMonitoringReport.Row] = []
        for row in rows where row.referenceTime.secondsSinceEpoch > dayStart {
            guard let current = probability(currentSummary(row.userIndex), model, windows: windows, row) else {
                continue
            }
            let before = previousGoal.flatMap { goal in
                previousSummary(row.userIndex).flatMap { probability($0, goal, windows: previousWindows, row) }
            }
            monitored.append(ModelMonitoringReport.Row(outcome: row.goalCount > 0, previous: before, current: current))
        }
        // Label scores (target − baseline) of the labels both models know, over a sample of users.
        var previousScores: [Double] = []
        var currentScores: [Double] = []
        if let previousGoal {
            let shared = model.labels.enumerated().compactMap { index, label -> (Int, Int, Int, Int)? in
                guard let old = previousGoal.labels.firstIndex(of: label),
                    let signature = model.signature(containing: label),
                    let oldSignature = previousGoal.signature(containing: label)
                else { return nil }
                return (index, signature, old, oldSignature)
            }
            let step = max(1, inputs.userIDs.count / monitoringSampleUsers)
            for user in stride(from: 0, to: inputs.userIDs.count, by: step) {
                guard let before = previousSummary(user) else { continue }
                let now = currentSummary(user)
                for (index, signature, old, oldSignature) in shared {
                    currentScores.append(now.labelTarget(index, signature: signature) - now.baselineProbability)
                    previousScores.append(
                        before.labelTarget(old, signature: oldSignature) - before.baselineProbability
                    )
                }
            }
        }
        return ModelMonitoringReport.compute(
            dayStart: Timestamp(secondsSinceEpoch: dayStart).description,
            rows: monitored,
            previousScores: previousScores,
            currentScores: currentScores
        )
    }
}

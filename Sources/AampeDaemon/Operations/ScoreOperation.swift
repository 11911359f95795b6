internal import AampeCore
internal import AampeLearning
internal import AampeProtocol
internal import AampeSegments

/// SCORE: a user's personalization scores for one goal, from the live generation's model, answered on
/// the event loop like RECOMMEND.
///
/// The summary is read in place: a user the model knows from the goal's RAW scores column, anyone else
/// from the manifest's group summaries (their cluster's typical user when the live landscape places them,
/// else the population's, as assignment does). The answer is written straight into its protobuf bytes
/// (``ScoreResponseEncoder``), so the only allocation past the decoded request is the response itself.
enum ScoreOperation {
    /// The serialized `ScoreResponse` for `request`. `model` and `landscape` are the live generation's
    /// views (`nil`: it has none). Errors follow PROTOCOL.md's order: the body's fields
    /// (`INVALID_REQUEST`), then `UNAVAILABLE` without a model, then the names only the model can check.
    static func answer(
        _ request: Aampe_V1_ScoreRequest,
        model: ServedModel?,
        landscape: ServedLandscape?,
        unavailableRetryAfterMillis: UInt32
    ) throws(ProtocolError) -> [UInt8] {
        try check(request)
        guard let model, !model.manifest.goals.isEmpty else {
            throw ProtocolError(
                code: .unavailable,
                message: "no model in the live generation: run `aampectl train model`",
                retryAfterMillis: unavailableRetryAfterMillis
            )
        }
        let manifest = model.manifest
        let goalIndex: Int
        if request.goal.isEmpty {
            goalIndex = defaultGoalIndex(manifest.goals)
        } else {
            guard let index = model.goalIndex(request.goal) else {
                throw invalid(
                    "goal '\(request.goal.prefix(64))' is not a goal of the model; it has \(manifest.goals.map(\.goal).joined(separator: ", "))"
                )
            }
            goalIndex = index
        }
        let goal = manifest.goals[goalIndex]
        let labelCount = goal.labels.count
        let windowCount = manifest.windowCount
        let generation = model.generationNumber

        if !request.userID.isEmpty, let row = model.row(goalIndex: goalIndex, userID: request.userID),
            let packed = model.packedSummary(goalIndex: goalIndex, row: row)
        {
            return try encode(
                request,
                PackedScoreSummary(packed, labels: labelCount, windows: windowCount, signatures: goal.signatures.count),
                goal: goal,
                labelSignatures: model.labelSignatures[goalIndex],
                source: .user,
                generation: generation
            )
        }
        // A user new to the model: their cluster's typical user when the landscape knows them, under the
        // rule ServedModel.summary(goalIndex:userID:cluster:) applies for assignment (group summaries are
        // the clusters in order, then users without a cluster, then the population).
        let cluster = request.userID.isEmpty ? nil : landscape?.cluster(of: request.userID)
        let group: Int
        let source: Aampe_V1_ScoreResponse.Source
        if let cluster, cluster >= 0, cluster <= manifest.clusterCount {
            group = cluster
            source = .cluster
        } else {
            group = manifest.clusterCount + 1
            source = .population
        }
        return try goal.groupSummaries[group].withUnsafeBufferPointer { (packed) throws(ProtocolError) in
            try encode(
                request,
                PackedScoreSummary(packed, labels: labelCount, windows: windowCount, signatures: goal.signatures.count),
                goal: goal,
                labelSignatures: model.labelSignatures[goalIndex],
                source: source,
                generation: generation
            )
        }
    }

    /// The goal answered when the request names none: the one with the most training rows (messages plus
    /// control rows), the first of equals in manifest order.
    static func defaultGoalIndex(_ goals: [ModelFiles.GoalModel]) -> Int {
        var best = 0
        for index in goals.indices
        where goals[index].messageRows + goals[index].controlRows > goals[best].messageRows + goals[best].controlRows {
            best = index
        }
        return best
    }

    /// The checks that need no model: lengths and counts against `Limits`.
    static func check(_ request: Aampe_V1_ScoreRequest) throws(ProtocolError) {
        try RecommendationService.checkID(request.userID, field: "user_id", allowEmpty: true)
        try RecommendationService.checkID(request.goal, field: "goal", allowEmpty: true)
        guard request.labels.count <= Limits.maximumScoreLabels else {
            throw invalid("labels: \(request.labels.count) labels, more than the limit of \(Limits.maximumScoreLabels)")
        }
        try RecommendationService.checkIDs(request.labels, field: "labels")
    }

    private static func encode(
        _ request: Aampe_V1_ScoreRequest,
        _ summary: PackedScoreSummary,
        goal: ModelFiles.GoalModel,
        labelSignatures: [Int],
        source: Aampe_V1_ScoreResponse.Source,
        generation: UInt64
    ) throws(ProtocolError) -> [UInt8] {
        let labelsAnswered = request.labels.isEmpty ? goal.labels.count : request.labels.count
        let windowsAnswered = request.includeWindows ? summary.windowCount : 0
        var encoder = ScoreResponseEncoder(
            capacity: 64 + goal.goal.utf8.count + labelsAnswered * 64 + windowsAnswered * 32
        )
        let baseline = summary.baselineProbability
        encoder.baseline(baseline)
        if request.labels.isEmpty {
            for (label, name) in goal.labels.enumerated() {
                encoder.label(
                    name,
                    summary: summary,
                    label: label,
                    signature: labelSignatures[label],
                    baseline: baseline
                )
            }
        } else {
            for (index, name) in request.labels.enumerated() {
                // A vocabulary holds at most Limits.maximumModelLabels entries: a scan costs less than a
                // dictionary built per generation would save.
                guard let label = goal.labels.firstIndex(of: name) else {
                    throw invalid(
                        "labels[\(index)] '\(name.prefix(64))' is not a label of goal '\(goal.goal)'; labels are set=label, such as '\(goal.labels.first ?? "tone=playful")'"
                    )
                }
                encoder.label(
                    name,
                    summary: summary,
                    label: label,
                    signature: labelSignatures[label],
                    baseline: baseline
                )
            }
        }
        if request.includeWindows {
            for window in 0..<summary.windowCount {
                encoder.window(window, summary: summary, baseline: baseline)
            }
        }
        return encoder.finish(generation: generation, isKnownUser: source == .user, goal: goal.goal, source: source)
    }

    private static func invalid(_ message: String) -> ProtocolError {
        ProtocolError(code: .invalidRequest, message: message)
    }
}

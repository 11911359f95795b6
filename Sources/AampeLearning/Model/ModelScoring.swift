/// One user's personalization scores in the form the generation stores and assignment samples from: the
/// baseline logit, the mean message effect of each label-set combination a message can carry (a
/// *signature*: the sets of a formula's blocks), and each label's and window's deviation from its set's
/// mean, each with its posterior standard deviation (logits).
///
/// A message whose labels ℓ_s cover the sets of signature σ, sent in window w, has the logit
/// `baseline + message(σ) + Σ_s deviation(ℓ_s) + deviation(w)`. So:
///
/// - the **baseline probability** is σ(baseline): the goal without a message (before a campaign's own
///   baseline offset, which the model keeps per campaign);
/// - a label's **target probability** is σ(baseline + message(σ) + deviation(ℓ)) for a signature σ that
///   holds its set, the other sets and the window at their means, and its **personalization score** is
///   target − baseline; a window's likewise, with the first signature.
///
/// Deviations are contrasts within a set, and each signature's message effect is what the messages that
/// carry those sets did on average, so both are identified by the data even where the split between
/// the message intercept and the label effects is not.
public struct ScoreSummary: Sendable, Hashable {
    public var baselineLogit: Float
    public var baselineSD: Float
    /// Per signature: the mean message effect and its standard deviation.
    public var messageLogits: [Float]
    public var messageSDs: [Float]
    public var labelDeviation: [Float]
    public var labelSD: [Float]
    public var windowDeviation: [Float]
    public var windowSD: [Float]

    /// The number of floats one summary takes.
    public static func width(labels: Int, windows: Int, signatures: Int) -> Int {
        2 + 2 * signatures + 2 * labels + 2 * windows
    }

    /// The summary as `[baseline, sd, message effects…, their sds…, label deviations…, label sds…, window
    /// deviations…, window sds…]`.
    public var packed: [Float] {
        [baselineLogit, baselineSD] + messageLogits + messageSDs + labelDeviation + labelSD + windowDeviation + windowSD
    }

    /// Reads a packed summary.
    public init(packed: some Collection<Float>, labels: Int, windows: Int, signatures: Int) {
        let values = Array(packed)
        precondition(
            values.count == Self.width(labels: labels, windows: windows, signatures: signatures),
            "a summary's width"
        )
        var offset = 0
        func take(_ count: Int) -> [Float] {
            defer { offset += count }
            return Array(values[offset..<(offset + count)])
        }
        baselineLogit = values[0]
        baselineSD = values[1]
        offset = 2
        messageLogits = take(signatures)
        messageSDs = take(signatures)
        labelDeviation = take(labels)
        labelSD = take(labels)
        windowDeviation = take(windows)
        windowSD = take(windows)
    }

    public init(
        baselineLogit: Float,
        baselineSD: Float,
        messageLogits: [Float],
        messageSDs: [Float],
        labelDeviation: [Float],
        labelSD: [Float],
        windowDeviation: [Float],
        windowSD: [Float]
    ) {
        precondition(messageLogits.count == messageSDs.count && labelDeviation.count == labelSD.count)
        precondition(windowDeviation.count == windowSD.count && !messageLogits.isEmpty)
        self.baselineLogit = baselineLogit
        self.baselineSD = baselineSD
        self.messageLogits = messageLogits
        self.messageSDs = messageSDs
        self.labelDeviation = labelDeviation
        self.labelSD = labelSD
        self.windowDeviation = windowDeviation
        self.windowSD = windowSD
    }

    /// σ(baseline).
    public var baselineProbability: Double { logistic(Double(baselineLogit)) }

    /// σ(baseline + `offset`): the baseline of a campaign whose offset is `offset`.
    public func baselineProbability(offset: Double) -> Double { logistic(Double(baselineLogit) + offset) }

    /// The target probability of label `label` in messages of `signature`: the other sets and the window
    /// at their means.
    public func labelTarget(_ label: Int, signature: Int) -> Double {
        logistic(Double(baselineLogit + messageLogits[signature] + labelDeviation[label]))
    }

    /// The target probability of window `window` in messages of `signature`, the labels at their means.
    public func windowTarget(_ window: Int, signature: Int = 0) -> Double {
        logistic(Double(baselineLogit + messageLogits[signature] + windowDeviation[window]))
    }

    /// The expected lift (target − baseline) of a message of `signature` with `labels` in `window` (nil:
    /// none), at the posterior means, with `offset` added to the baseline (a campaign's).
    public func lift(signature: Int, labels: [Int], window: Int?, offset: Double = 0) -> Double {
        let base = Double(baselineLogit) + offset
        var logit = base + Double(messageLogits[signature])
        for label in labels { logit += Double(labelDeviation[label]) }
        if let window { logit += Double(windowDeviation[window]) }
        return logistic(logit) - logistic(base)
    }
}

/// Turns a fitted model into every user's ``ScoreSummary``, and the summaries of a cluster's and of the
/// population's typical user (for users the model does not know).
///
/// Each quantity is a linear function of the global parameters with coefficients that depend on the user
/// only through `(1, x)` (and their window availability), plus the user's individual effects. Its
/// posterior variance is then `x̃ᵀ M x̃` with a small matrix M per cluster, worked out once from the global
/// covariance, plus the individual effects' variances (the two blocks are independent in the Laplace
/// posterior kept, see ``HierarchicalLogisticModel``).
public struct ModelScorer: Sendable {
    let fitted: FittedModel
    let set: ModelTrainingSet
    let layout: ModelParameters
    /// The labels of each set.
    let setLabels: [[Int]]
    /// Per group (and one more: the population), the variance forms.
    private var forms: [GroupForms] = []

    private struct GroupForms {
        /// Over (1, x): baseline.
        var baseline: [Double]
        /// Per signature, over (1, x, mean availability): the mean message effect.
        var messages: [[Double]]
        /// Per label, over (1, x): its deviation.
        var labels: [[Double]]
        /// Per window, over (1, availability deviation): its deviation.
        var windows: [[Double]]
        /// The coefficient vectors (sparse) whose means are read the same way.
        var baselineTerms: [[(Int, Double)]]
        var messageTerms: [[[(Int, Double)]]]
        var labelTerms: [[[(Int, Double)]]]
        var windowTerms: [[[(Int, Double)]]]
    }

    /// Prepares the per-group forms for `fitted`, trained on `set`.
    public init(fitted: FittedModel, set: ModelTrainingSet) {
        self.fitted = fitted
        self.set = set
        layout = fitted.parameters
        setLabels = set.labelSets.indices.map { set.labels(inSet: $0) }
        forms = (0...set.groupCount).map { group in makeForms(group: group < set.groupCount ? group : nil) }
    }

    /// The coefficient vectors of each quantity for `group` (nil: the population, without cluster terms).
    private func makeForms(group: Int?) -> GroupForms {
        let k = set.dimension
        let windows = set.windowCount
        // Baseline over (1, x).
        var baselineTerms: [[(Int, Double)]] = [[(layout.intercept, 1)]]
        if let group { baselineTerms[0].append((layout.groupBaseline(group), 1)) }
        for j in 0..<k { baselineTerms.append([(layout.gamma(j), 1)]) }
        // Each signature's mean message effect over (1, x, mean availability): the message intercept, the
        // mean of each of its sets' labels, and the mean window.
        var messageTerms: [[[(Int, Double)]]] = []
        for signature in set.signatures {
            var constant: [(Int, Double)] = [(layout.message, 1)]
            if let group { constant.append((layout.groupMessage(group), 1)) }
            for labels in signature.map({ setLabels[$0] }) {
                for label in labels {
                    constant.append((layout.label(label), 1 / Double(labels.count)))
                    if let group { constant.append((layout.groupLabel(group, label), 1 / Double(labels.count))) }
                }
            }
            for window in 0..<windows {
                constant.append((layout.window(window), 1 / Double(windows)))
                if let group { constant.append((layout.groupWindow(group, window), 1 / Double(windows))) }
            }
            var terms: [[(Int, Double)]] = [constant]
            for j in 0..<k {
                var term: [(Int, Double)] = []
                for labels in signature.map({ setLabels[$0] }) {
                    for label in labels { term.append((layout.interaction(label, j), 1 / Double(labels.count))) }
                }
                terms.append(term)
            }
            terms.append([(layout.availability, 1)])
            messageTerms.append(terms)
        }
        // Each label's deviation from its set's mean, over (1, x).
        var labelTerms: [[[(Int, Double)]]] = []
        for label in 0..<set.labels.count {
            let peers = setLabels[set.labelSetOfLabel[label]]
            let share = 1 / Double(peers.count)
            var constant: [(Int, Double)] = []
            for peer in peers {
                let coefficient = (peer == label ? 1 : 0) - share
                constant.append((layout.label(peer), coefficient))
                if let group { constant.append((layout.groupLabel(group, peer), coefficient)) }
            }
            var terms = [constant]
            for j in 0..<k {
                terms.append(peers.map { peer in (layout.interaction(peer, j), (peer == label ? 1 : 0) - share) })
            }
            labelTerms.append(terms)
        }
        // Each window's deviation from the mean, over (1, availability − mean availability).
        var windowTerms: [[[(Int, Double)]]] = []
        for window in 0..<windows {
            var constant: [(Int, Double)] = []
            for other in 0..<windows {
                let coefficient = (other == window ? 1 : 0) - 1 / Double(windows)
                constant.append((layout.window(other), coefficient))
                if let group { constant.append((layout.groupWindow(group, other), coefficient)) }
            }
            windowTerms.append([constant, [(layout.availability, 1)]])
        }
        return GroupForms(
            baseline: gram(baselineTerms),
            messages: messageTerms.map(gram),
            labels: labelTerms.map(gram),
            windows: windowTerms.map(gram),
            baselineTerms: baselineTerms,
            messageTerms: messageTerms,
            labelTerms: labelTerms,
            windowTerms: windowTerms
        )
    }

    /// M with M[a][b] = termsₐᵀ Σ terms_b.
    private func gram(_ terms: [[(Int, Double)]]) -> [Double] {
        let m = terms.count
        let n = layout.count
        let covariance = fitted.globalCovariance
        var result = [Double](repeating: 0, count: m * m)
        for a in 0..<m {
            for b in a..<m {
                var sum = 0.0
                for (i, ci) in terms[a] {
                    for (j, cj) in terms[b] { sum += ci * cj * covariance[i * n + j] }
                }
                result[a * m + b] = sum
                result[b * m + a] = sum
            }
        }
        return result
    }

    private func mean(_ terms: [[(Int, Double)]], _ inputs: [Double]) -> Double {
        var total = 0.0
        for (term, input) in zip(terms, inputs) {
            for (index, coefficient) in term { total += coefficient * fitted.global[index] * input }
        }
        return total
    }

    private func quadratic(_ matrix: [Double], _ inputs: [Double]) -> Double {
        let m = inputs.count
        var total = 0.0
        for a in 0..<m {
            for b in 0..<m { total += inputs[a] * matrix[a * m + b] * inputs[b] }
        }
        return max(0, total)
    }

    /// The summary of user `user` of the training set.
    public func summary(ofUser user: Int) -> ScoreSummary {
        let k = set.dimension
        let x = (0..<k).map { Double(set.userVectors[user * k + $0]) }
        let availability = (0..<set.windowCount).map {
            Double(set.userWindowLogAvailability[user * set.windowCount + $0])
        }
        let labelCount = layout.labelCount
        let individualLabel = (0..<labelCount).map { Double(fitted.userLabel[user * labelCount + $0]) }
        let individualVariance = (0..<labelCount).map { Double(fitted.userLabelVariance[user * labelCount + $0]) }
        return summary(
            group: Int(set.userGroups[user]),
            x: x,
            availability: availability,
            individualBaseline: (Double(fitted.userBaseline[user]), Double(fitted.userBaselineVariance[user])),
            individualLabel: individualLabel,
            individualLabelVariance: individualVariance
        )
    }

    /// The summary of a typical user of group `group` (nil: of the population, its cluster unknown) with
    /// landscape vector `x`: no individual effects yet, so their variances are the prior's.
    public func summary(ofTypicalUserIn group: Int?, x: [Double]) -> ScoreSummary {
        let labelVariance = fitted.effectSD[.individualLabel]! * fitted.effectSD[.individualLabel]!
        let baselineVariance = fitted.effectSD[.individualBaseline]! * fitted.effectSD[.individualBaseline]!
        var summary = summary(
            group: group,
            x: x,
            availability: [Double](repeating: 0, count: set.windowCount),
            individualBaseline: (0, baselineVariance),
            individualLabel: [Double](repeating: 0, count: layout.labelCount),
            individualLabelVariance: [Double](repeating: labelVariance, count: layout.labelCount)
        )
        guard group == nil else { return summary }
        // The population's user could be in any cluster: the cluster effects add their prior variance.
        func sd(_ component: ModelParameters.Component) -> Double { fitted.effectSD[component]! }
        func widen(_ value: inout Float, by variance: Double) {
            value = Float((Double(value) * Double(value) + variance).squareRoot())
        }
        widen(&summary.baselineSD, by: sd(.clusterBaseline) * sd(.clusterBaseline))
        for (index, signature) in set.signatures.enumerated() {
            let labelShare = signature.reduce(0.0) { $0 + 1 / Double(setLabels[$1].count) }
            widen(
                &summary.messageSDs[index],
                by: sd(.clusterMessage) * sd(.clusterMessage) + labelShare * sd(.clusterLabel) * sd(.clusterLabel)
                    + sd(.clusterWindow) * sd(.clusterWindow) / Double(set.windowCount)
            )
        }
        for label in 0..<layout.labelCount {
            let peers = Double(setLabels[set.labelSetOfLabel[label]].count)
            widen(&summary.labelSD[label], by: sd(.clusterLabel) * sd(.clusterLabel) * (1 - 1 / peers))
        }
        for window in 0..<set.windowCount {
            widen(
                &summary.windowSD[window],
                by: sd(.clusterWindow) * sd(.clusterWindow) * (1 - 1 / Double(set.windowCount))
            )
        }
        return summary
    }

    private func summary(
        group: Int?,
        x: [Double],
        availability: [Double],
        individualBaseline: (mean: Double, variance: Double),
        individualLabel: [Double],
        individualLabelVariance: [Double]
    ) -> ScoreSummary {
        let form = forms[group ?? set.groupCount]
        let unit = [1.0] + x
        let meanAvailability = availability.reduce(0, +) / Double(max(1, availability.count))
        let baseline = mean(form.baselineTerms, unit) + individualBaseline.mean
        let baselineVariance = quadratic(form.baseline, unit) + individualBaseline.variance
        var messages: [Float] = []
        var messageSDs: [Float] = []
        for (index, signature) in set.signatures.enumerated() {
            var message = mean(form.messageTerms[index], unit + [meanAvailability])
            var variance = quadratic(form.messages[index], unit + [meanAvailability])
            for labels in signature.map({ setLabels[$0] }) {
                let share = 1 / Double(labels.count)
                message += labels.reduce(0.0) { $0 + individualLabel[$1] } * share
                variance += labels.reduce(0.0) { $0 + individualLabelVariance[$1] } * share * share
            }
            messages.append(Float(message))
            messageSDs.append(Float(variance.squareRoot()))
        }
        var labelDeviation: [Float] = []
        var labelSD: [Float] = []
        for label in 0..<layout.labelCount {
            let peers = setLabels[set.labelSetOfLabel[label]]
            let share = 1 / Double(peers.count)
            var deviation = mean(form.labelTerms[label], unit)
            var variance = quadratic(form.labels[label], unit)
            for peer in peers {
                let coefficient = (peer == label ? 1 : 0) - share
                deviation += coefficient * individualLabel[peer]
                variance += coefficient * coefficient * individualLabelVariance[peer]
            }
            labelDeviation.append(Float(deviation))
            labelSD.append(Float(variance.squareRoot()))
        }
        var windowDeviation: [Float] = []
        var windowSD: [Float] = []
        for window in 0..<set.windowCount {
            let inputs = [1, availability[window] - meanAvailability]
            windowDeviation.append(Float(mean(form.windowTerms[window], inputs)))
            windowSD.append(Float(quadratic(form.windows[window], inputs).squareRoot()))
        }
        return ScoreSummary(
            baselineLogit: Float(baseline),
            baselineSD: Float(baselineVariance.squareRoot()),
            messageLogits: messages,
            messageSDs: messageSDs,
            labelDeviation: labelDeviation,
            labelSD: labelSD,
            windowDeviation: windowDeviation,
            windowSD: windowSD
        )
    }
}

/// A packed ``ScoreSummary`` read in place, from a scores file's RAW column or a manifest's group summary:
/// what SCORE answers from without copying the summary into arrays. Its probabilities are computed
/// exactly as ``ScoreSummary``'s (the logits added in `Float`, then σ in `Double`), so SCORE and
/// assignment agree to the bit.
///
///     offset:  0         1    2 ..< 2+S          2+S ..< 2+2S   then L deviations, L SDs, W deviations, W SDs
///              baseline  SD   message effects    their SDs
public struct PackedScoreSummary {
    /// The `2 + 2 × signatures + 2 × labels + 2 × windows` floats.
    public let values: UnsafeBufferPointer<Float>
    public let labelCount: Int
    public let windowCount: Int
    public let signatureCount: Int

    /// Wraps `values`, which must hold a summary of `labels`, `windows` and `signatures` (a caller's bug
    /// otherwise).
    public init(_ values: UnsafeBufferPointer<Float>, labels: Int, windows: Int, signatures: Int) {
        precondition(
            values.count == ScoreSummary.width(labels: labels, windows: windows, signatures: signatures),
            "a summary's width"
        )
        self.values = values
        labelCount = labels
        windowCount = windows
        signatureCount = signatures
    }

    private var labelBase: Int { 2 + 2 * signatureCount }
    private var windowBase: Int { labelBase + 2 * labelCount }

    /// σ(baseline): the goal's probability without a message.
    public var baselineProbability: Double { logistic(Double(values[0])) }

    /// The target probability of label `label` in messages of `signature`, the other sets and the window
    /// at their means.
    public func labelTarget(_ label: Int, signature: Int) -> Double {
        precondition(label >= 0 && label < labelCount, "label \(label) out of 0 ..< \(labelCount)")
        precondition(signature >= 0 && signature < signatureCount, "signature \(signature) out of range")
        return logistic(Double(values[0] + values[2 + signature] + values[labelBase + label]))
    }

    /// Label `label`'s effect for this user relative to the message's mean, in logits: the
    /// personalization score the opportunity report compares across users.
    public func labelDeviation(_ label: Int) -> Float {
        precondition(label >= 0 && label < labelCount, "label \(label) out of 0 ..< \(labelCount)")
        return values[labelBase + label]
    }

    /// The posterior standard deviation of label `label`'s deviation, in logits.
    public func labelSD(_ label: Int) -> Double {
        precondition(label >= 0 && label < labelCount, "label \(label) out of 0 ..< \(labelCount)")
        return Double(values[labelBase + labelCount + label])
    }

    /// The target probability of window `window` in messages of `signature`, the labels at their means.
    public func windowTarget(_ window: Int, signature: Int = 0) -> Double {
        precondition(window >= 0 && window < windowCount, "window \(window) out of 0 ..< \(windowCount)")
        return logistic(Double(values[0] + values[2 + signature] + values[windowBase + window]))
    }

    /// The posterior standard deviation of window `window`'s deviation, in logits.
    public func windowSD(_ window: Int) -> Double {
        precondition(window >= 0 && window < windowCount, "window \(window) out of 0 ..< \(windowCount)")
        return Double(values[windowBase + windowCount + window])
    }
}

/// The model's training rows and what it knows about every user, struct-of-arrays (DESIGN §2.6).
///
/// A row is one delivered message or one control-group decision (a no-message row), with its outcome:
/// whether a goal event followed within the goal's attribution window, and the row's weight
/// (``ModelSettings`` documents how weights come from the goal count, the delay and the row's age).
///
/// Users are the dictionary's users at training: every one gets scores, whether or not they have rows.
/// Rows must be sorted by user, so that each user's rows are one contiguous run (the per-user Newton steps
/// walk them in place).
public struct ModelTrainingSet: Sendable {
    /// The label vocabulary, as `set=label` strings; a label's index is its position.
    public let labels: [String]
    /// Each label's set index into ``labelSets``.
    public let labelSetOfLabel: [Int]
    /// The label sets (the part of a label before `=`), in first-seen order of ``labels``.
    public let labelSets: [String]
    /// Windows per week.
    public let windowCount: Int
    /// Landscape clusters plus one: the last group holds users the landscape does not place.
    public let groupCount: Int
    /// The landscape vector's dimension (0 without a landscape).
    public let dimension: Int
    /// Users of the model.
    public let userCount: Int
    /// The campaigns the rows come from: each has its own baseline offset, since the occasion a campaign
    /// reaches users on (a cart just abandoned, a weekly slot) changes the goal's rate with or without a
    /// message.
    public let campaigns: [String]
    /// The label-set combinations messages carry (a formula's sets), each sorted, as indices into
    /// ``labelSets``: a summary keeps one message effect per combination (``ScoreSummary``).
    public private(set) var signatures: [[Int]]

    /// Per user: their group (cluster, or `groupCount - 1`).
    public var userGroups: [Int32]
    /// Per user × ``dimension``: the landscape vector (zeros for a user the landscape does not know).
    public var userVectors: [Float]
    /// Per user × ``windowCount``: log of the user's availability in each window,
    /// `log(max(floor, windows × propensity))` from timing, so an average window is 0; all 0 without timing.
    public var userWindowLogAvailability: [Float]

    /// Per row: the user (0 ..< ``userCount``), ascending.
    public private(set) var rowUser: [Int32] = []
    /// Per row: the campaign, an index into ``campaigns``.
    public private(set) var rowCampaign: [Int32] = []
    /// Per row: whether a message was sent (`false`: a control row).
    public private(set) var rowIsMessage: [Bool] = []
    /// Per row: the window index, or -1 for none (a control row, or a message without one).
    public private(set) var rowWindow: [Int32] = []
    /// Per row: where its labels start in ``rowLabels``; one more entry than rows.
    public private(set) var rowLabelStart: [Int32] = [0]
    /// The rows' labels, as indices into ``labels``.
    public private(set) var rowLabels: [Int32] = []
    /// Per row: whether a goal followed.
    public private(set) var rowOutcome: [Bool] = []
    /// Per row: its weight (positive).
    public private(set) var rowWeight: [Float] = []

    /// An empty set over `labels`, for `userCount` users with no landscape or timing information yet.
    /// `signatures` lists label combinations by their labels' sets (a formula's labels, or just its set
    /// names as `set=`); the combinations of the rows appended later are added to them.
    public init(
        labels: [String],
        windowCount: Int,
        groupCount: Int,
        dimension: Int,
        userCount: Int,
        campaigns: [String] = [],
        signatures: [[String]] = []
    ) {
        precondition(windowCount > 0 && groupCount > 0 && dimension >= 0 && userCount >= 0)
        self.labels = labels
        var sets: [String] = []
        var setOfLabel: [Int] = []
        for label in labels {
            let set = label.split(separator: "=", maxSplits: 1).first.map(String.init) ?? label
            if let index = sets.firstIndex(of: set) {
                setOfLabel.append(index)
            } else {
                setOfLabel.append(sets.count)
                sets.append(set)
            }
        }
        labelSets = sets
        labelSetOfLabel = setOfLabel
        self.campaigns = campaigns
        var combinations: [[Int]] = []
        for signature in signatures {
            let indices = Set(
                signature.compactMap { name in
                    sets.firstIndex(of: name.split(separator: "=", maxSplits: 1).first.map(String.init) ?? name)
                }
            ).sorted()
            if !combinations.contains(indices) { combinations.append(indices) }
        }
        if combinations.isEmpty { combinations.append(Array(sets.indices)) }
        self.signatures = combinations
        self.windowCount = windowCount
        self.groupCount = groupCount
        self.dimension = dimension
        self.userCount = userCount
        userGroups = [Int32](repeating: Int32(groupCount - 1), count: userCount)
        userVectors = [Float](repeating: 0, count: userCount * dimension)
        userWindowLogAvailability = [Float](repeating: 0, count: userCount * windowCount)
    }

    /// Rows so far.
    public var rowCount: Int { rowUser.count }

    /// Appends a row; `user` must not be below the previous row's, and every index must be in range.
    public mutating func append(
        user: Int,
        campaign: Int = 0,
        isMessage: Bool,
        window: Int?,
        labels rowLabels: [Int],
        outcome: Bool,
        weight: Float
    ) {
        precondition(user >= 0 && user < userCount, "user out of range")
        precondition(rowUser.last.map { Int($0) <= user } ?? true, "rows must be sorted by user")
        precondition(weight > 0 && weight.isFinite, "a row's weight must be positive")
        precondition(campaigns.isEmpty ? campaign == 0 : campaigns.indices.contains(campaign), "campaign out of range")
        rowUser.append(Int32(user))
        rowCampaign.append(Int32(campaign))
        rowIsMessage.append(isMessage)
        if let window, isMessage {
            precondition(window >= 0 && window < windowCount, "window out of range")
            rowWindow.append(Int32(window))
        } else {
            rowWindow.append(-1)
        }
        if isMessage {
            for label in rowLabels {
                precondition(label >= 0 && label < labels.count, "label out of range")
                self.rowLabels.append(Int32(label))
            }
            let sets = Set(rowLabels.map { labelSetOfLabel[$0] }).sorted()
            if !signatures.contains(sets) { signatures.append(sets) }
        }
        rowLabelStart.append(Int32(self.rowLabels.count))
        rowOutcome.append(outcome)
        rowWeight.append(weight)
    }

    /// The index in ``signatures`` of the combination of sets `labels` (indices into ``labels``) belong
    /// to, or `nil` when no signature has exactly those sets.
    public func signature(ofLabels labels: [Int]) -> Int? {
        let sets = Set(labels.map { labelSetOfLabel[$0] }).sorted()
        return signatures.firstIndex(of: sets)
    }

    /// The labels of the set `set`, as indices into ``labels``.
    public func labels(inSet set: Int) -> [Int] {
        labelSetOfLabel.indices.filter { labelSetOfLabel[$0] == set }
    }
}

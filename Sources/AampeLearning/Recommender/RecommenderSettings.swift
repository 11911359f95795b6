internal import AampeCore

/// How `train recommender` turns interactions into an item-item model. Every setting has a documented
/// default; `aampectl train recommender --help` lists the flags that set them.
public struct RecommenderSettings: Hashable, Sendable, Codable {
    /// How two items' co-occurrence becomes a similarity. `c_ij` is the number of users who interacted
    /// with both items (each user counts once, however often), `c_ii` the number who interacted with `i`.
    public enum Similarity: String, Hashable, Sendable, Codable, CaseIterable {
        /// `c_ij / (c_ii + c_jj − c_ij)`: the share of either item's users who have both. SAR's default.
        case jaccard
        /// `c_ij / √(c_ii · c_jj)`.
        case cosine
        /// `c_ij · U / (c_ii · c_jj)` with `U` users: how much more often the pair occurs than by chance.
        /// Lift favours rare items, so its minimum support defaults to 3.
        case lift
        /// Okapi BM25 weighting of the item × user matrix (as `implicit`'s BM25Recommender: K1 = 1.2,
        /// B = 0.75, items are the documents and users the terms), then dot products of item rows.
        case bm25
        /// `c_ij` itself.
        case counts

        /// The minimum co-occurrence support used when none is given.
        public var defaultMinimumSupport: Int { self == .lift ? 3 : 1 }
    }

    /// Event-type weights, by event name. An event that carries an item and is not listed counts with its
    /// value when it has one (a rating, as in Amazon Personalize's EVENT_VALUE or MovieLens) and with 1
    /// otherwise. A weight of 0 ignores the event type.
    public var eventWeights: [String: Float] = Self.defaultEventWeights
    /// The half-life of an interaction's weight, in days, measured back from the newest interaction in
    /// the data (not from the wall clock, so retraining old data gives the same model). 0 turns decay off.
    public var halfLifeDays: Double = 30
    /// How co-occurrence becomes similarity. Default Jaccard.
    public var similarity: Similarity = .jaccard
    /// Pairs seen together by fewer users than this are not neighbours. `nil`: the similarity's default.
    public var minimumSupport: Int? = nil
    /// Neighbours kept per item, best first. 0 keeps every neighbour (SAR's full matrix).
    public var neighbours: Int = 50
    /// The most items of one user kept for serving (the most recent ones) with their decayed weights.
    public var historyLength: Int = 50
    /// Trending compares the last `trendingDays` with the `3 × trendingDays` before them.
    public var trendingDays: Int = 7
    /// Users with more distinct items than this add only their strongest ones to the co-occurrence counts,
    /// which otherwise grow with the square of a user's history (bots, test accounts). 0: no cap.
    public var maximumItemsPerUser: Int = 1_000
    /// Items a user has interacted with may be recommended again this many days after the last
    /// interaction (consumables). 0: never again while the item is in the user's history.
    public var repeatAfterDays: Int = 0
    /// Items kept per user in the generation's served lists (``ServedLists``): each trained user's best
    /// neighbour-scored items, computed once at training, from which the daemon answers RECOMMEND without
    /// scoring while the user has no real-time activity. `nil` or 0: no lists, every answer is scored.
    /// Each entry costs 12 bytes per user, mapped and resident while the daemon serves.
    public var servedListLength: Int? = nil

    /// The default ``eventWeights``: views 1, adds to cart 3, purchases 5.
    public static let defaultEventWeights: [String: Float] = [
        "product_viewed": 1, "view": 1, "item_viewed": 1,
        "add_to_cart": 3,
        "purchase": 5,
    ]

    /// Event names whose items count as bought, for exclusions and cool-downs.
    public static let purchaseEvents: Set<String> = ["purchase", "order_completed"]

    /// The documented defaults.
    public init() {}

    /// The minimum support in effect.
    public var effectiveMinimumSupport: Int { minimumSupport ?? similarity.defaultMinimumSupport }

    /// The served list length in effect: 0 when none is kept.
    public var effectiveServedListLength: Int { servedListLength ?? 0 }

    /// Events that describe an item rather than a user's interaction with it (TRACK `item_updated`):
    /// never weighted, whatever `eventWeights` says, in training and in real-time state alike.
    public static let catalogEvents: Set<String> = ["item_updated"]

    /// The weight of one event, or `nil` when it does not count.
    public func weight(event: String, value: Double?) -> Float? {
        // A catalog change names an item but is no one's interest in it.
        if Self.catalogEvents.contains(event) { return nil }
        if let listed = eventWeights[event] { return listed > 0 ? listed : nil }
        if let value, value.isFinite { return value > 0 ? Float(value) : nil }
        return 1
    }

    /// The settings SAR uses, so results compare with its published figures: Jaccard, a 30-day half-life,
    /// support threshold 1, full neighbour lists, every item of every user.
    public static var sarFaithful: RecommenderSettings {
        var settings = RecommenderSettings()
        settings.similarity = .jaccard
        settings.halfLifeDays = 30
        settings.minimumSupport = 1
        settings.neighbours = 0
        settings.maximumItemsPerUser = 0
        settings.historyLength = 0
        return settings
    }
}

extension RecommenderSettings {
    /// A setting as people set it: named as aamped's `schedule:` → `recommender:` section spells it, and
    /// as `aampectl train recommender`'s flag, the same name in kebab case (``flag``).
    public enum Setting: String, Sendable, CaseIterable {
        case similarity, neighbours, minSupport, halfLifeDays, historyLength, trendingDays, maxItemsPerUser
        case repeatAfterDays, servedList, weights

        /// The command-line flag: `halfLifeDays` is `--half-life-days`; the repeatable `weights` is
        /// `--weight`.
        public var flag: String {
            if self == .weights { return "--weight" }
            return "--"
                + rawValue.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
        }
    }

    /// A setting outside what training accepts.
    public struct InvalidSetting: Error, Sendable, Equatable {
        public var setting: Setting
        /// What it must be, such as `0 to 10000`.
        public var expected: String
    }

    /// Checks every setting against its range (the bounds are in `Limits`), so that the command line and
    /// aamped's schedule refuse the same values with the same words.
    public func validate() throws(InvalidSetting) {
        func check(_ ok: Bool, _ setting: Setting, _ expected: String) throws(InvalidSetting) {
            if !ok { throw InvalidSetting(setting: setting, expected: expected) }
        }
        try check(
            (0...Limits.maximumRecommenderNeighbours).contains(neighbours),
            .neighbours,
            "0 to \(Limits.maximumRecommenderNeighbours)"
        )
        try check((minimumSupport ?? 1) >= 1, .minSupport, "at least 1")
        try check(halfLifeDays >= 0 && halfLifeDays.isFinite, .halfLifeDays, "0 or more")
        try check(
            (0...Limits.maximumRecommenderHistoryLength).contains(historyLength),
            .historyLength,
            "0 to \(Limits.maximumRecommenderHistoryLength)"
        )
        try check(
            (1...Limits.maximumTrendingDays).contains(trendingDays),
            .trendingDays,
            "1 to \(Limits.maximumTrendingDays)"
        )
        try check(maximumItemsPerUser >= 0, .maxItemsPerUser, "0 or more")
        try check(
            (0...Limits.maximumRepeatAfterDays).contains(repeatAfterDays),
            .repeatAfterDays,
            "0 to \(Limits.maximumRepeatAfterDays)"
        )
        try check(
            (0...Limits.maximumServedListLength).contains(effectiveServedListLength),
            .servedList,
            "0 to \(Limits.maximumServedListLength)"
        )
        for (event, weight) in eventWeights.sorted(by: { $0.key < $1.key }) {
            try check(
                !event.isEmpty && weight.isFinite && weight >= 0,
                .weights,
                "named events with weights of 0 or more"
            )
        }
    }
}

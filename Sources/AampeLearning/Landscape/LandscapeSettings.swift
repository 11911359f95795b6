public import AampeCore

/// How `aampectl train landscape` aggregates, scales, reduces and clusters. The defaults are the
/// documented ones; every field is recorded in the generation's `landscape.json`.
public struct LandscapeSettings: Codable, Sendable, Hashable {
    /// The look-back periods the aggregates cover, in days before the reference time, shortest first.
    public var periodsDays: [Int] = [7, 30, 90]
    /// Dimensions of the user vector (PCA components).
    public var dimensions: Int = 16
    /// Clusters (user types) when ``chooseKRange`` is `nil`.
    public var clusters: Int = 8
    /// When set, k is chosen from this range by the sample silhouette.
    public var chooseKRange: ClusterCountRange?
    /// Independent k-means runs; the one with the lowest inertia is kept.
    public var restarts: Int = 4
    /// Rows in the silhouette sample.
    public var silhouetteSampleSize: Int = 4_000
    /// Seeds PCA's test matrix, k-means++ and the silhouette sample: the same events and seed give the
    /// same landscape.
    public var seed: UInt64 = 1
    /// Standardized values are clipped to ± this.
    public var clip: Float = 5
    /// The event that starts a session (its counts are the `sessions_*` aggregates).
    public var sessionEvent: String = "app_opened"
    /// Events whose value is revenue.
    public var revenueEvents: Set<String> = ["purchase", "order_completed"]
    /// The IANA zone of users whose profile has none (dayparts are local).
    public var defaultTimeZone: String = "UTC"

    /// An inclusive range of cluster counts, as JSON `{"lower": 2, "upper": 12}`.
    public struct ClusterCountRange: Codable, Sendable, Hashable {
        /// The smallest k tried.
        public var lower: Int
        /// The largest k tried.
        public var upper: Int

        /// A range from `lower` to `upper`, inclusive.
        public init(lower: Int, upper: Int) {
            self.lower = lower
            self.upper = upper
        }
    }

    /// The documented defaults.
    public init() {}

    /// The longest period, which bounds what the aggregates read.
    public var longestPeriodDays: Int { periodsDays.max() ?? 0 }

    /// Checks the settings against each other and ``Limits``; the error names the setting.
    public func validate() throws {
        func invalid(_ name: String, _ reason: String) -> LearningError {
            .invalidOption(name: name, reason: reason)
        }
        guard !periodsDays.isEmpty, periodsDays == periodsDays.sorted(), Set(periodsDays).count == periodsDays.count,
            periodsDays.allSatisfy({ (1...Limits.maximumLandscapePeriodDays).contains($0) })
        else {
            throw invalid(
                "periods",
                "expected distinct increasing days from 1 to \(Limits.maximumLandscapePeriodDays), got \(periodsDays)"
            )
        }
        guard (1...Limits.maximumLandscapeComponents).contains(dimensions) else {
            throw invalid("dimensions", "expected 1 to \(Limits.maximumLandscapeComponents), got \(dimensions)")
        }
        guard (1...Limits.maximumLandscapeClusters).contains(clusters) else {
            throw invalid("clusters", "expected 1 to \(Limits.maximumLandscapeClusters), got \(clusters)")
        }
        if let range = chooseKRange {
            guard range.lower >= 2, range.lower <= range.upper, range.upper <= Limits.maximumLandscapeClusters else {
                throw invalid(
                    "choose-k",
                    "expected 2 <= lower <= upper <= \(Limits.maximumLandscapeClusters), got \(range.lower)...\(range.upper)"
                )
            }
        }
        guard (1...100).contains(restarts) else { throw invalid("restarts", "expected 1 to 100, got \(restarts)") }
        try KMeans.checkSilhouetteSampleSize(silhouetteSampleSize, option: "silhouette-sample")
        guard clip > 0, clip.isFinite else { throw invalid("clip", "expected a positive number, got \(clip)") }
        guard !sessionEvent.isEmpty else { throw invalid("session-event", "must not be empty") }
    }

    enum CodingKeys: String, CodingKey {
        case dimensions, clusters, restarts, seed, clip
        case periodsDays = "periods_days"
        case chooseKRange = "choose_k_range"
        case silhouetteSampleSize = "silhouette_sample_size"
        case sessionEvent = "session_event"
        case revenueEvents = "revenue_events"
        case defaultTimeZone = "default_time_zone"
    }
}

import AampeCore
public import AampeEvents

/// The per-user aggregates the landscape is built on, accumulated in one streaming pass over the event
/// segments with memory bounded by users × features.
///
/// Every aggregate covers a look-back period (7, 30 and 90 days by default) that ends at the
/// *reference time*: `--as-of`, or else the newest event. Events after it are ignored, which is what
/// lets a past state be rebuilt. For each event type (up to
/// ``Limits/maximumLandscapeEventTypes``):
///
/// - `<event>_count_<P>d`: events in the period. The session event (`app_opened` by default) is
///   named `sessions_<P>d` instead.
/// - `<event>_days_<P>d`: distinct active days in the period, counting 24-hour days back from the
///   reference time (an active-day bitmap per user and type, so out-of-order and late events count
///   once).
/// - `<event>_recency_days`: days since the type's last event, capped at the longest period (a user
///   who never did it reads as the cap).
///
/// Then `revenue_<P>d` (the positive values of revenue events). These are the *activity* block. Over the
/// longest period, the *time* block holds the share of the user's events in each local daypart
/// (`daypart_night_share` 00–06, `morning` 06–12, `afternoon` 12–18, `evening` 18–24) and on the local
/// weekend (`weekend_share`), and the *categories* block the share of the user's item events in each
/// catalog category (`category_<name>_share`, up to ``Limits/maximumLandscapeCategories``, the
/// categories with the most items first). Shares are 0 for a user without such events.
///
/// The blocks matter because there are dozens of activity aggregates and a handful of the others:
/// ``blockWeights`` lets every block carry the same variance into the PCA (see ``LandscapeSettings``).
public struct LandscapeAggregates: Sendable {
    /// The four local dayparts, six hours each, from midnight.
    public static let dayparts = ["night", "morning", "afternoon", "evening"]

    /// The groups of aggregates, each given the same weight when ``LandscapeSettings/weighsBlocks``.
    public enum Block: String, Codable, Sendable, Hashable {
        /// Counts, active days, recency and revenue.
        case activity
        /// Daypart and weekend shares.
        case time
        /// Catalog category shares.
        case categories
    }

    /// The settings aggregated with.
    public let settings: LandscapeSettings
    /// The end of every period, seconds since the epoch.
    public let referenceSeconds: Int64
    /// Users (rows).
    public let userCount: Int
    /// The event types aggregated, by name, in slot order.
    public let eventTypeNames: [String]
    /// Event types in the data left out for ``Limits/maximumLandscapeEventTypes``.
    public let eventTypesLeftOut: [String]
    /// The catalog categories aggregated, in column order.
    public let categoryNames: [String]
    /// Events read in the periods.
    public private(set) var eventsAggregated = 0
    /// Events after the reference time, ignored.
    public private(set) var eventsAfterReference = 0

    private let periods: [Int64]
    private let longestDays: Int64
    private let words: Int
    /// Event-type index → slot, or -1 for a type left out.
    private let slotOfType: [Int]
    private let isRevenueType: [Bool]
    private let slots: Int
    // users × slots × periods
    private var counts: [Float]
    // users × slots × words
    private var dayBits: [UInt64]
    // users × slots; Int64.min: never
    private var lastSeenSeconds: [Int64]
    // users × periods; Double, so that no sum of finite values overflows before ``features()`` clamps it
    private var revenue: [Double]
    // users × 4
    private var daypartCounts: [Float]
    // users
    private var weekendCounts: [Float]
    // Item index → category slot, or UInt32.max for none.
    private let categoryOfItem: [UInt32]
    // users × categories
    private var categoryCounts: [Float]
    // users × words, any event
    private var anyDayBits: [UInt64]
    // users; Int64.min: never
    private var anyLastSeenSeconds: [Int64]

    /// Empty aggregates for `userCount` users over the event types `eventTypes` (the dictionary, by
    /// index). `typeFrequencies` (parallel to `eventTypes`) decides which types are left out when
    /// there are more than the limit: the rarest. `categoryOfItem` maps each item index to an index
    /// into `categoryNames` (`UInt32.max` for none); at most ``Limits/maximumLandscapeCategories``.
    public init(
        settings: LandscapeSettings,
        referenceSeconds: Int64,
        userCount: Int,
        eventTypes: [String],
        typeFrequencies: [Int]? = nil,
        categoryNames: [String] = [],
        categoryOfItem: [UInt32] = []
    ) {
        precondition(categoryNames.count <= Limits.maximumLandscapeCategories, "too many categories")
        precondition(
            categoryOfItem.allSatisfy { $0 == .max || Int($0) < categoryNames.count },
            "a category index past the names"
        )
        precondition(typeFrequencies == nil || typeFrequencies!.count == eventTypes.count, "one frequency per type")
        self.settings = settings
        self.referenceSeconds = referenceSeconds
        self.userCount = userCount
        self.periods = settings.periodsDays.map(Int64.init)
        self.longestDays = Int64(settings.longestPeriodDays)
        self.words = (settings.longestPeriodDays + 63) / 64
        var kept = Array(eventTypes.indices)
        var leftOut: [String] = []
        if kept.count > Limits.maximumLandscapeEventTypes {
            let frequency = typeFrequencies ?? Array(repeating: 0, count: eventTypes.count)
            // Most frequent first; ties by name, so the choice does not depend on dictionary order.
            kept.sort { (frequency[$0], eventTypes[$1]) > (frequency[$1], eventTypes[$0]) }
            leftOut = kept[Limits.maximumLandscapeEventTypes...].map { eventTypes[$0] }.sorted()
            kept = Array(kept[..<Limits.maximumLandscapeEventTypes]).sorted()
        }
        var slotOfType = [Int](repeating: -1, count: eventTypes.count)
        for (slot, type) in kept.enumerated() { slotOfType[type] = slot }
        self.slotOfType = slotOfType
        self.eventTypeNames = kept.map { eventTypes[$0] }
        self.eventTypesLeftOut = leftOut
        self.isRevenueType = eventTypes.map { settings.revenueEvents.contains($0) }
        self.slots = kept.count
        counts = [Float](repeating: 0, count: userCount * slots * periods.count)
        dayBits = [UInt64](repeating: 0, count: userCount * slots * words)
        lastSeenSeconds = [Int64](repeating: .min, count: userCount * slots)
        revenue = [Double](repeating: 0, count: userCount * periods.count)
        daypartCounts = [Float](repeating: 0, count: userCount * 4)
        weekendCounts = [Float](repeating: 0, count: userCount)
        self.categoryNames = categoryNames
        self.categoryOfItem = categoryOfItem
        categoryCounts = [Float](repeating: 0, count: userCount * categoryNames.count)
        anyDayBits = [UInt64](repeating: 0, count: userCount * words)
        anyLastSeenSeconds = [Int64](repeating: .min, count: userCount)
    }

    /// The categories to aggregate from each item's category (`nil` or empty: none): those with the most
    /// items, at most ``Limits/maximumLandscapeCategories`` (ties by name), each item's index among them
    /// (`UInt32.max`: none, or a category left out), and the categories left out.
    public static func categoryTable(
        itemCategories: [String?]
    ) -> (
        names: [String], ofItem: [UInt32], leftOut: [String]
    ) {
        var items: [String: Int] = [:]
        for case let category? in itemCategories where !category.isEmpty { items[category, default: 0] += 1 }
        let ranked = items.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let names = Array(ranked.prefix(Limits.maximumLandscapeCategories))
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, UInt32($0)) })
        let ofItem = itemCategories.map { category in category.flatMap { index[$0] } ?? .max }
        return (names, ofItem, Array(ranked.dropFirst(Limits.maximumLandscapeCategories)).sorted())
    }

    /// The earliest instant whose events count: the start of the longest period.
    public var earliestSecondsAggregated: Int64 { referenceSeconds - longestDays * Timestamp.secondsPerDay }

    /// Adds one segment's events. Users past ``userCount`` are a caller's bug (the dictionaries were
    /// read after the segment list, so they cover every index).
    public mutating func add(_ events: EventStore.IndexedEvents, zones: UserZones) {
        let periodCount = periods.count
        for row in 0..<events.users.count {
            let seconds = Timestamp(rawValue: events.timestampMicros[row]).secondsSinceEpoch
            if seconds > referenceSeconds {
                eventsAfterReference += 1
                continue
            }
            let age = (referenceSeconds - seconds) / Timestamp.secondsPerDay
            guard age < longestDays else { continue }
            let user = Int(events.users[row])
            precondition(user < userCount, "user index \(user) past the dictionary")
            let type = Int(events.eventTypes[row])
            eventsAggregated += 1
            let word = Int(age) >> 6
            let bit = UInt64(1) << UInt64(age & 63)
            anyDayBits[user * words + word] |= bit
            anyLastSeenSeconds[user] = max(anyLastSeenSeconds[user], seconds)
            let slot = slotOfType[type]
            if slot >= 0 {
                let cell = user * slots + slot
                for period in 0..<periodCount where age < periods[period] {
                    counts[cell * periodCount + period] += 1
                }
                dayBits[cell * words + word] |= bit
                lastSeenSeconds[cell] = max(lastSeenSeconds[cell], seconds)
            }
            if isRevenueType[type] {
                let value = events.values[row]
                if value.isFinite && value > 0 {
                    for period in 0..<periodCount where age < periods[period] {
                        revenue[user * periodCount + period] += value
                    }
                }
            }
            let local = zones.localTime(of: user, at: Timestamp(secondsSinceEpoch: seconds))
            daypartCounts[user * 4 + local.minuteOfDay / 360] += 1
            if local.weekday == .saturday || local.weekday == .sunday { weekendCounts[user] += 1 }
            let item = Int(events.items[row])
            if item < categoryOfItem.count {
                let category = categoryOfItem[item]
                if category != .max { categoryCounts[user * categoryNames.count + Int(category)] += 1 }
            }
        }
    }

    /// The feature names, in column order of ``features()``.
    public var featureNames: [String] {
        var names: [String] = []
        for name in eventTypeNames {
            for days in settings.periodsDays {
                names.append(name == settings.sessionEvent ? "sessions_\(days)d" : "\(name)_count_\(days)d")
            }
            for days in settings.periodsDays { names.append("\(name)_days_\(days)d") }
            names.append("\(name)_recency_days")
        }
        for days in settings.periodsDays { names.append("revenue_\(days)d") }
        for part in Self.dayparts { names.append("daypart_\(part)_share") }
        names.append("weekend_share")
        for name in categoryNames { names.append("category_\(name)_share") }
        return names
    }

    /// The block of each aggregate, parallel to ``featureNames``.
    public var featureBlocks: [Block] {
        Array(repeating: .activity, count: slots * (2 * periods.count + 1) + periods.count)
            + Array(repeating: .time, count: Self.dayparts.count + 1)
            + Array(repeating: .categories, count: categoryNames.count)
    }

    /// Per aggregate, 1 / √(the number of aggregates in its block): after standardization every block
    /// then carries the same total variance, so dozens of activity aggregates do not drown the few that
    /// say when a user comes and what they look at.
    public var blockWeights: [Float] {
        let blocks = featureBlocks
        var sizes: [Block: Int] = [:]
        for block in blocks { sizes[block, default: 0] += 1 }
        return blocks.map { 1 / Float(sizes[$0]!).squareRoot() }
    }

    /// The users × features matrix, unscaled, columns as ``featureNames``.
    public func features() -> FeatureMatrix {
        let periodCount = periods.count
        let categories = categoryNames.count
        let columns = slots * (2 * periodCount + 1) + periodCount + 5 + categories
        var matrix = FeatureMatrix(rows: userCount, columns: columns)
        let longest = Float(longestDays)
        let reference = referenceSeconds
        matrix.values.withUnsafeMutableBufferPointer { out in
            for user in 0..<userCount {
                var column = user * columns
                for slot in 0..<slots {
                    let cell = user * slots + slot
                    for period in 0..<periodCount {
                        out[column] = counts[cell * periodCount + period]
                        column += 1
                    }
                    for period in 0..<periodCount {
                        out[column] = Float(activeDays(dayBits, at: cell * words, within: periods[period]))
                        column += 1
                    }
                    let last = lastSeenSeconds[cell]
                    out[column] =
                        last == .min ? longest : min(longest, Float(reference - last) / Float(Timestamp.secondsPerDay))
                    column += 1
                }
                for period in 0..<periodCount {
                    // An absurd revenue (above Float's range) stays the largest Float rather than +inf,
                    // which the scaler would refuse; log1p makes it a large but finite feature.
                    out[column] = Float(
                        min(revenue[user * periodCount + period], Double(Float.greatestFiniteMagnitude))
                    )
                    column += 1
                }
                let parts = daypartCounts[(user * 4)..<(user * 4 + 4)]
                let total = parts.reduce(0, +)
                for part in parts {
                    out[column] = total > 0 ? part / total : 0
                    column += 1
                }
                out[column] = total > 0 ? weekendCounts[user] / total : 0
                column += 1
                let counts = categoryCounts[(user * categories)..<((user + 1) * categories)]
                let itemEvents = counts.reduce(0, +)
                for count in counts {
                    out[column] = itemEvents > 0 ? count / itemEvents : 0
                    column += 1
                }
                assert(column == (user + 1) * columns)
            }
        }
        return matrix
    }

    /// Distinct days with any event in the last `days` days before the reference time.
    public func activeDays(of user: Int, within days: Int) -> Int {
        activeDays(anyDayBits, at: user * words, within: Int64(min(days, settings.longestPeriodDays)))
    }

    /// The user's last event at or before the reference time, seconds since the epoch, or `nil` when
    /// none is within the longest period.
    public func lastSeenSeconds(of user: Int) -> Int64? {
        let last = anyLastSeenSeconds[user]
        return last == .min ? nil : last
    }

    private func activeDays(_ bits: [UInt64], at start: Int, within days: Int64) -> Int {
        var total = 0
        var remaining = Int(days)
        var word = start
        while remaining > 0 {
            let take = min(64, remaining)
            let mask = take == 64 ? UInt64.max : (UInt64(1) << UInt64(take)) - 1
            total += (bits[word] & mask).nonzeroBitCount
            remaining -= take
            word += 1
        }
        return total
    }
}

import AampeCore
import AampeEvents
import Testing

@testable import AampeLearning

/// The landscape's and timing's aggregates on a few events whose answers are worked out by hand.
@Suite("landscape and timing aggregates, computed by hand")
struct LandscapeAggregatesTests {
    /// 2026-10-12 00:00 UTC, a Monday.
    static let reference: Int64 = 1_791_763_200
    static let hour: Int64 = 3_600
    static let day: Int64 = 86_400

    /// Events as segment columns: (user, type, seconds before the reference, value).
    static func events(_ rows: [(UInt32, UInt32, Int64, Double)]) -> EventStore.IndexedEvents {
        var events = EventStore.IndexedEvents()
        for (user, type, before, value) in rows {
            events.users.append(user)
            events.eventTypes.append(type)
            events.timestampMicros.append((reference - before) * 1_000_000)
            events.items.append(EventColumn.noItem)
            events.values.append(value)
        }
        return events
    }

    static func utcZones(users: Int, offsetSeconds: [Int: Int64] = [:]) throws -> UserZones {
        // Fixed offsets stand in for zones: Etc/GMT-N names have the opposite sign, so use names that
        // Foundation resolves to the offset directly.
        var names: [Int: String] = [:]
        for (user, offset) in offsetSeconds {
            names[user] = offset == 20_700 ? "Asia/Kathmandu" : "UTC"
        }
        return try UserZones(
            userCount: users,
            profileZones: names,
            defaultZone: "UTC",
            from: Timestamp(secondsSinceEpoch: reference - 400 * day),
            to: Timestamp(secondsSinceEpoch: reference)
        )
    }

    /// User 0: app_opened 1 h and 1 h 10 min before the reference (one day), 3, 20, 60 and 100 days
    /// before, and 1 h after (ignored); purchases of 30 two days before and of no value five days
    /// before. User 1: nothing.
    static let worldRows: [(UInt32, UInt32, Int64, Double)] = [
        (0, 0, hour, .nan), (0, 0, hour + 600, .nan), (0, 0, 3 * day, .nan), (0, 0, 20 * day, .nan),
        (0, 0, 60 * day, .nan), (0, 0, 100 * day, .nan), (0, 0, -hour, .nan), (0, 1, 2 * day, 30),
        (0, 1, 5 * day, .nan),
    ]

    @Test("counts, active days, recency, revenue and daypart shares over 7, 30 and 90 days")
    func landscape() throws {
        var aggregates = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Self.reference,
            userCount: 2,
            eventTypes: ["app_opened", "purchase"]
        )
        aggregates.add(Self.events(Self.worldRows), zones: try Self.utcZones(users: 2))
        #expect(aggregates.eventsAfterReference == 1)
        #expect(aggregates.eventsAggregated == 7)
        let names = aggregates.featureNames
        #expect(
            names == [
                "sessions_7d", "sessions_30d", "sessions_90d", "app_opened_days_7d", "app_opened_days_30d",
                "app_opened_days_90d", "app_opened_recency_days", "purchase_count_7d", "purchase_count_30d",
                "purchase_count_90d", "purchase_days_7d", "purchase_days_30d", "purchase_days_90d",
                "purchase_recency_days", "revenue_7d", "revenue_30d", "revenue_90d", "daypart_night_share",
                "daypart_morning_share", "daypart_afternoon_share", "daypart_evening_share", "weekend_share",
            ]
        )
        let matrix = aggregates.features()
        #expect(matrix.rows == 2 && matrix.columns == names.count)
        func value(_ user: Int, _ name: String) -> Float { matrix[user, names.firstIndex(of: name)!] }
        #expect(value(0, "sessions_7d") == 3)
        #expect(value(0, "sessions_30d") == 4)
        #expect(value(0, "sessions_90d") == 5)
        #expect(value(0, "app_opened_days_7d") == 2)
        #expect(value(0, "app_opened_days_30d") == 3)
        #expect(value(0, "app_opened_days_90d") == 4)
        #expect(abs(value(0, "app_opened_recency_days") - 1.0 / 24) < 1e-6)
        #expect(value(0, "purchase_count_7d") == 2)
        #expect(value(0, "purchase_days_7d") == 2)
        #expect(value(0, "purchase_recency_days") == 2)
        #expect(value(0, "revenue_7d") == 30 && value(0, "revenue_90d") == 30)
        // In UTC, 23:00 and 22:50 are evening; the other five events are at midnight: night.
        #expect(abs(value(0, "daypart_night_share") - 5.0 / 7) < 1e-6)
        #expect(abs(value(0, "daypart_evening_share") - 2.0 / 7) < 1e-6)
        // A user without events: zero counts, recency at the cap, no dayparts.
        #expect(value(1, "sessions_90d") == 0 && value(1, "app_opened_recency_days") == 90)
        #expect(value(1, "daypart_night_share") == 0)
        // 2026-10-12 is a Monday: the events 1 h, 1 h 10 min and 2 days before fall on the weekend.
        #expect(abs(value(0, "weekend_share") - 3.0 / 7) < 1e-6)
        // Any event counts: app_opened 0 and 3 days back, purchases 2 and 5.
        #expect(aggregates.activeDays(of: 0, within: 7) == 4)
        #expect(aggregates.lastSeenSeconds(of: 0) == Self.reference - Self.hour)
        #expect(aggregates.lastSeenSeconds(of: 1) == nil)
    }

    @Test("category shares of item events, and block weights that give every block the same variance")
    func categories() throws {
        // Items 0 and 1 are books, item 2 toys, item 3 has no category.
        var aggregates = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Self.reference,
            userCount: 1,
            eventTypes: ["product_viewed"],
            categoryNames: ["books", "toys"],
            categoryOfItem: [0, 0, 1, .max]
        )
        var events = Self.events([
            (0, 0, Self.hour, .nan), (0, 0, Self.hour, .nan), (0, 0, Self.hour, .nan), (0, 0, Self.hour, .nan),
        ])
        events.items = [0, 1, 2, 3]
        aggregates.add(events, zones: try Self.utcZones(users: 1))
        let names = aggregates.featureNames
        let matrix = aggregates.features()
        #expect(names.suffix(2) == ["category_books_share", "category_toys_share"])
        // Shares of the events whose item has a kept category: 2 books, 1 toy.
        #expect(abs(matrix[0, names.count - 2] - 2.0 / 3) < 1e-6)
        #expect(abs(matrix[0, names.count - 1] - 1.0 / 3) < 1e-6)
        // 7 activity aggregates (3 counts, 3 day counts, recency) + 3 revenue = 10; 5 time; 2 categories.
        let blocks = aggregates.featureBlocks
        #expect(blocks.filter { $0 == .activity }.count == 10)
        #expect(blocks.filter { $0 == .time }.count == 5 && blocks.filter { $0 == .categories }.count == 2)
        let weights = aggregates.blockWeights
        for (block, weight) in zip(blocks, weights) {
            let size = blocks.filter { $0 == block }.count
            #expect(abs(weight * weight * Float(size) - 1) < 1e-6)
        }
    }

    @Test("32 catalog categories are all kept; of 33, the one with the fewest items is left out")
    func categoryLimit() {
        let limit = Limits.maximumLandscapeCategories
        // Category c has c + 1 items, so category 0 is the smallest.
        func items(_ categories: Int) -> [String?] {
            (0..<categories).flatMap { c in Array(repeating: "c\(c)", count: c + 1) } + [nil, ""]
        }
        let exact = LandscapeAggregates.categoryTable(itemCategories: items(limit))
        #expect(exact.names.count == limit && exact.leftOut.isEmpty)
        #expect(exact.names.first == "c\(limit - 1)")
        let over = LandscapeAggregates.categoryTable(itemCategories: items(limit + 1))
        #expect(over.names.count == limit && over.leftOut == ["c0"])
        #expect(over.ofItem[0] == .max)
        #expect(over.ofItem.suffix(2) == [.max, .max])
        #expect(over.names[Int(over.ofItem[1])] == "c1")
    }

    @Test("dayparts are local: in Kathmandu (+05:45) 23:00 UTC is 04:45 and midnight UTC is 05:45, both night")
    func localDayparts() throws {
        var aggregates = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Self.reference,
            userCount: 1,
            eventTypes: ["app_opened", "purchase"]
        )
        aggregates.add(Self.events(Self.worldRows), zones: try Self.utcZones(users: 1, offsetSeconds: [0: 20_700]))
        let names = aggregates.featureNames
        let matrix = aggregates.features()
        #expect(matrix[0, names.firstIndex(of: "daypart_night_share")!] == 1)
    }

    @Test("more event types than the limit keep the most frequent, and say which were left out")
    func typeLimit() {
        let count = Limits.maximumLandscapeEventTypes + 2
        let types = (0..<count).map { "event\($0)" }
        // event0 and event1 are the rarest.
        let frequencies = (0..<count).map { $0 < 2 ? 1 : 100 + $0 }
        let aggregates = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Self.reference,
            userCount: 1,
            eventTypes: types,
            typeFrequencies: frequencies
        )
        #expect(aggregates.eventTypeNames.count == Limits.maximumLandscapeEventTypes)
        #expect(aggregates.eventTypesLeftOut == ["event0", "event1"])
        let exact = LandscapeAggregates(
            settings: LandscapeSettings(),
            referenceSeconds: Self.reference,
            userCount: 1,
            eventTypes: Array(types.prefix(Limits.maximumLandscapeEventTypes))
        )
        #expect(exact.eventTypesLeftOut.isEmpty)
    }

    @Test("timing: sessions per local window, and BG/NBD's x, t_x and T from active days")
    func timing() throws {
        var aggregates = try TimingAggregates(
            settings: TimingSettings(),
            referenceSeconds: Self.reference,
            userCount: 2,
            eventTypes: ["app_opened", "purchase"],
            historyDays: 200
        )
        // Sessions 1 h before the reference (Sunday 23:00 UTC: outside the windows), and at 08:30 UTC
        // on the Mondays 7 and 14 days before (window 0), plus a purchase 5 days before (not a session,
        // but an active day). Kathmandu moves Sunday 23:00 UTC to Monday 04:45: still outside.
        let rows: [(UInt32, UInt32, Int64, Double)] = [
            (0, 0, Self.hour, .nan), (0, 0, 7 * Self.day - 8 * Self.hour - 1_800, .nan),
            (0, 0, 14 * Self.day - 8 * Self.hour - 1_800, .nan), (0, 1, 5 * Self.day, 10),
        ]
        aggregates.add(Self.events(rows), zones: try Self.utcZones(users: 2))
        #expect(aggregates.hasSessionEvent)
        #expect(aggregates.sessionsInWindows == 2 && aggregates.sessionsOutsideWindows == 1)
        let counts = aggregates.windowCounts(of: 0)
        #expect(counts[counts.startIndex] == 2)
        #expect(counts.reduce(0, +) == 2)
        // Active on days 0, 5, 6 and 13 back: x = 3 repeat days, first 13 days back, last 0 back.
        let activity = try #require(aggregates.activity(of: 0))
        #expect(activity.x == 3 && activity.tx == 13 && activity.T == 13)
        #expect(aggregates.activity(of: 1) == nil)
    }
}

import Foundation
import Testing

@testable import AampeSimulator

/// The world has the structure it claims, checked from its files: the dumps against the truth.
@Suite("Simulated world structure")
struct WorldStructureTests {
    /// Four weeks of 4,000 users in CSV, shared by the tests below (generation is the slow part).
    static let world: SimulatedWorld = {
        do {
            return try SimulatedWorld { settings in
                settings.users = 4_000
                settings.items = 400
                settings.days = 28
                settings.startDate = "2026-03-02"
                settings.seed = 42
                settings.format = .csv
                settings.duplicateRate = 0.02
                settings.lateRate = 0.01
                settings.malformedRate = 0.005
            }
        } catch {
            fatalError("generating the test world: \(error)")
        }
    }()

    static let events: [DumpEvent] = {
        var seen = Set<Substring>()
        var events: [DumpEvent] = []
        for dump in try! world.dumpLines() {
            for line in dump.lines.dropFirst() {
                guard let event = DumpEvent(csvLine: line), seen.insert(event.key).inserted else { continue }
                events.append(event)
            }
        }
        return events
    }()

    static let truthUsers: [Substring: [String: String]] = {
        var users: [Substring: [String: String]] = [:]
        for row in try! world.table("truth/users.csv") { users[Substring(row["user_id"]!)] = row }
        return users
    }()

    static let profiles: [Substring: [String: String]] = {
        var users: [Substring: [String: String]] = [:]
        for row in try! world.table("users.csv") { users[Substring(row["user_id"]!)] = row }
        return users
    }()

    static let truthItems: [Substring: [String: String]] = {
        var items: [Substring: [String: String]] = [:]
        for row in try! world.table("truth/items.csv") { items[Substring(row["item_id"]!)] = row }
        return items
    }()

    @Test("sessions start mostly in the user's hidden best windows, in local time")
    func activityInHiddenWindows() throws {
        var zones: [String: TimeZone] = [:]
        var inBest = 0
        var inWaking = 0
        var sessions = 0
        for event in Self.events where event.name == "app_opened" {
            let zoneName = try #require(Self.profiles[event.user]?["timezone"])
            let zone = zones[zoneName] ?? TimeZone(identifier: zoneName)!
            zones[zoneName] = zone
            let seconds = event.utcSeconds
            let local = seconds + zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
            let day = Int((Double(local) / 86_400).rounded(.down))
            let minute = (local - day * 86_400) / 60
            sessions += 1
            guard minute >= 7 * 60, minute < 22 * 60 else { continue }
            inWaking += 1
            let window = CivilDate.weekday(epochDay: day) * 5 + (minute - 7 * 60) / 180
            let best = try #require(Self.truthUsers[event.user]?["best_windows"]).split(separator: "|").compactMap {
                Int($0)
            }
            if best.contains(window) { inBest += 1 }
        }
        let bestShare = Double(inBest) / Double(sessions)
        // 5 of 35 windows would hold 14 % of sessions if the routine were flat; the default world puts
        // about 46 % there (20,000 users, seed 1).
        #expect(sessions > 20_000)
        #expect(Double(inWaking) / Double(sessions) > 0.995, "sessions start between 07:00 and 22:00 local time")
        #expect(bestShare > 0.35, "share of sessions in the 5 best windows: \(bestShare)")
    }

    @Test("purchases follow the buyer's category affinities")
    func purchasesFollowCategoryAffinities() throws {
        let purchases = Self.events.filter { $0.name == "purchase" }
        #expect(purchases.count > 2_000)
        // The buyer's affinity for the category bought, against the affinity of an unrelated user for
        // the same category (which controls for categories that are popular with everyone).
        let users = Array(Self.truthUsers.keys).sorted()
        var own = 0.0
        var other = 0.0
        for (index, purchase) in purchases.enumerated() {
            let category = try #require(Self.truthItems[purchase.item]?["category"])
            own += Double(try #require(Self.truthUsers[purchase.user]?["category_" + category]))!
            let stranger = users[(index * 7_919) % users.count]
            other += Double(try #require(Self.truthUsers[stranger]?["category_" + category]))!
        }
        // Without affinities the ratio would be 1; the default world gives about 1.8.
        let ratio = own / other
        #expect(ratio > 1.5, "buyer's affinity over a stranger's: \(ratio)")
    }

    @Test("items of one co-purchase bundle are bought together far above chance")
    func coPurchasesAboveChance() throws {
        // Orders: a user's purchases less than ten minutes apart (one checkout), and whole histories.
        var orders: [[Substring]] = []
        var histories: [Substring: Set<Substring>] = [:]
        var last: [Substring: Int] = [:]
        for event in Self.events.filter({ $0.name == "purchase" }).sorted(by: {
            ($0.user, $0.utcSeconds) < ($1.user, $1.utcSeconds)
        }) {
            let time = event.utcSeconds
            if let previous = last[event.user], time - previous < 600 {
                orders[orders.count - 1].append(event.item)
            } else {
                orders.append([event.item])
            }
            last[event.user] = time
            histories[event.user, default: []].insert(event.item)
        }
        func bundle(_ item: Substring) -> String { Self.truthItems[item]!["bundle"]! }
        func sameBundleShare(_ groups: [[Substring]]) -> (share: Double, pairs: Int) {
            var pairs = 0
            var same = 0
            for group in groups where group.count > 1 {
                for a in 0..<group.count {
                    for b in (a + 1)..<group.count where group[a] != group[b] {
                        pairs += 1
                        if bundle(group[a]) == bundle(group[b]) { same += 1 }
                    }
                }
            }
            return (Double(same) / Double(max(1, pairs)), pairs)
        }
        // By chance, two bought items share a bundle with probability Σ_b share_b².
        var bundlePurchases: [String: Int] = [:]
        for order in orders { for item in order { bundlePurchases[bundle(item), default: 0] += 1 } }
        let total = Double(bundlePurchases.values.reduce(0, +))
        let chance = bundlePurchases.values.reduce(0.0) { $0 + pow(Double($1) / total, 2) }

        let inOrders = sameBundleShare(orders)
        let inHistories = sameBundleShare(histories.values.map { Array($0) })
        #expect(inOrders.pairs > 500 && inHistories.pairs > 5_000)
        #expect(
            inOrders.share > 20 * chance,
            "same-bundle share of pairs in one order \(inOrders.share), chance \(chance)"
        )
        #expect(
            inHistories.share > 4 * chance,
            "same-bundle share of pairs in one history \(inHistories.share), chance \(chance)"
        )
    }

    @Test("goal events happen every day with no message sent")
    func organicGoals() throws {
        let names = Set(Self.events.map(\.name))
        #expect(
            names == ["app_opened", "product_viewed", "add_to_cart", "checkout", "purchase"],
            "no message events exist"
        )
        for day in Self.world.summary.days {
            #expect(day.events["checkout"]! > 0 && day.events["purchase"]! > 0, "goals on \(day.date)")
            #expect(Double(day.revenue)! > 0)
        }
        let buyers = Set(Self.events.filter { $0.name == "purchase" }.map(\.user))
        #expect(Double(buyers.count) / Double(Self.truthUsers.count) > 0.2, "share of users who buy without a message")
    }

    @Test("the dumps hold exactly the dirt the summary counts, at the configured rates")
    func dirtMatchesSettings() throws {
        let summary = Self.world.summary
        let settings = summary.settings
        var keys = Set<Substring>()
        var duplicates = 0
        var malformed = 0
        var late = 0
        var lines = 0
        var lateByDay: [String: Int] = [:]
        for dump in try Self.world.dumpLines() {
            let date = String(dump.file.dropFirst("events/".count).prefix(10))
            #expect(dump.lines.first == "event_id,timestamp,user_id,event,item_id,value")
            for line in dump.lines.dropFirst() {
                lines += 1
                guard let event = DumpEvent(csvLine: line) else {
                    malformed += 1
                    continue
                }
                if !keys.insert(event.key).inserted {
                    duplicates += 1
                    continue
                }
                if event.date != date {
                    #expect(event.date < date, "an event never lands in an earlier day's dump")
                    late += 1
                    lateByDay[date, default: 0] += 1
                }
            }
        }
        // The files and the summary agree exactly.
        #expect(lines == summary.totals.lines)
        #expect(keys.count == summary.totals.events)
        #expect(duplicates == summary.totals.duplicates)
        #expect(malformed == summary.totals.malformed)
        #expect(late == summary.totals.lateArrivals)
        for day in summary.days {
            #expect((lateByDay[day.date] ?? 0) == day.lateArrivals, "late arrivals in \(day.date)")
        }

        // And the counts match the rates within four standard deviations of a binomial.
        func expectRate(_ count: Int, trials: Double, rate: Double, _ name: String) {
            let mean = trials * rate
            let tolerance = 4 * (trials * rate * (1 - rate)).squareRoot()
            #expect(abs(Double(count) - mean) <= tolerance, "\(name): \(count), expected \(mean) ± \(tolerance)")
        }
        let events = Double(summary.totals.events)
        expectRate(summary.totals.duplicates, trials: events, rate: settings.duplicateRate, "duplicates")
        expectRate(summary.totals.malformed, trials: events, rate: settings.malformedRate, "malformed")
        // An event can arrive 1, 2 or 3 days late, but not after the last dump.
        var lateTrials = 0.0
        for (index, day) in summary.days.enumerated() {
            let room = Double(min(3, summary.days.count - 1 - index)) / 3
            lateTrials += Double(day.events.values.reduce(0, +)) * room
        }
        expectRate(summary.totals.lateArrivals, trials: lateTrials, rate: settings.lateRate, "late")
    }

    @Test("the truth lists every user and item, with affinities that sum to one")
    func truthIsComplete() throws {
        #expect(Self.truthUsers.count == 4_000)
        #expect(Self.truthItems.count == 400)
        for (user, row) in Self.truthUsers.prefix(200) {
            let categories = Vocabulary.categories.reduce(0.0) { $0 + Double(row["category_" + $1]!)! }
            #expect(abs(categories - 1) < 0.01, "category affinities of \(user)")
            #expect(row["best_windows"]!.split(separator: "|").count == 5)
            #expect(Persona.archetypes.map(\.name).contains(row["persona"]!))
        }
        let readme = try String(contentsOfFile: Self.world.path + "/truth/README.md", encoding: .utf8)
        #expect(readme.contains("σ(responsiveness + shift + pref(c) + β × log availability(w) − fatigue(t, c))"))
    }
}

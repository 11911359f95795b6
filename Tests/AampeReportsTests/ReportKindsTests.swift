import AampeCore
import AampeEvents
import AampeIngest
import AampeLearning
import AampeStore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeReports

/// Every report kind on a hand-made data directory whose numbers are worked out below.
///
/// The period is [2026-11-02, 2026-11-16): 14 days, 2 weeks. Users:
/// - u0 … u3 treated (one decision each on 2026-11-02 at 08:00: u0 and u1 delivered at 08:05, u2 failed,
///   u3 still pending), u2 also skipped on 2026-11-03; u4 and u5 control; u6 has events but no decision.
/// - purchases in the period: u0 2 (values 10 and 5; the first is item i1, which its message named), u1 1
///   (20), u3 3 (1 each), u4 1 (4, item i1, which its control decision would have named).
/// - views: u0 views i1 twice (one new item); u4 viewed i2 on 2026-09-20, before the pre-period, and views
///   i2 again and i3 in the period (one new item).
/// - activity: u6 is active before the period only through its 2026-10-20 event; u5 first on 2026-11-10.
@Suite("Report kinds on a hand-made data directory")
struct ReportKindsTests {
    static let from = Timestamp(iso8601: "2026-11-02T00:00:00Z")!
    static let to = Timestamp(iso8601: "2026-11-16T00:00:00Z")!

    final class World {
        let folder: TemporaryFolder
        let directory: DataDirectory
        let store: Store
        var index: [String: Int] = [:]

        init(events: String) throws {
            folder = try TemporaryFolder(prefix: "aampe-reports")
            directory = DataDirectory(path: folder.child("data"))
            store = try directory.initialize().store
            try folder.write("events.csv", events)
            var options = EventImportOptions()
            options.now = Timestamp(iso8601: "2026-12-01T00:00:00Z")!
            _ = try EventImporter(events: EventStore(dataDirectory: directory, store: store), options: options)
                .run(paths: [folder.child("events.csv")])
            let keys = try store.ingestion.keyDictionaries()
            for (position, id) in keys.userIDs.enumerated() { index[id] = position }
        }

        func load(from: Timestamp? = ReportKindsTests.from, to: Timestamp? = ReportKindsTests.to) throws -> ReportData {
            try ReportData.load(ReportData.Request(from: from, to: to), directory: directory, store: store)
        }
    }

    static let events = """
        user_id,event,timestamp,item_id,value
        u4,product_viewed,2026-09-20T10:00:00Z,i2,
        u6,app_opened,2026-10-20T10:00:00Z,,
        u4,purchase,2026-11-02T09:30:00Z,i1,4
        u0,purchase,2026-11-02T10:00:00Z,i1,10
        u0,product_viewed,2026-11-02T09:55:00Z,i1,
        u1,purchase,2026-11-03T09:00:00Z,i3,20
        u0,product_viewed,2026-11-03T09:00:00Z,i1,
        u6,app_opened,2026-11-03T09:00:00Z,,
        u2,app_opened,2026-11-04T09:00:00Z,,
        u4,product_viewed,2026-11-04T09:00:00Z,i2,
        u4,product_viewed,2026-11-04T09:01:00Z,i3,
        u3,purchase,2026-11-05T09:00:00Z,i1,1
        u3,purchase,2026-11-06T09:00:00Z,i1,1
        u0,purchase,2026-11-09T12:00:00Z,i2,5
        u5,app_opened,2026-11-10T09:00:00Z,,
        u3,purchase,2026-11-12T09:00:00Z,i1,1

        """

    /// The hand-made world with its decisions, deliveries and joined outcomes.
    static func world() throws -> World {
        let world = try World(events: events)
        let decided = Timestamp(iso8601: "2026-11-02T08:00:00Z")!
        let delivered = Timestamp(iso8601: "2026-11-02T08:05:00Z")!
        func decision(
            _ user: String,
            _ mode: LoggedDecision.Mode,
            labels: [String] = [],
            items: [String] = [],
            row: Int? = nil
        )
            -> LoggedDecision
        {
            LoggedDecision(
                userIndex: world.index[user]!,
                campaign: "picks",
                goal: "purchase",
                occasion: "day:2026-11-02",
                mode: mode,
                cluster: user == "u0" || user == "u4" ? 0 : 1,
                channel: mode == .control ? "" : "push",
                formula: mode == .control ? nil : "picks_push",
                variant: mode == .control ? nil : 0,
                labels: labels,
                windowIndex: mode == .control ? nil : 0,
                windowStart: decided,
                items: items,
                propensity: mode == .control ? nil : 0.5,
                assignedAt: decided,
                batch: row == nil ? nil : 1,
                messageRow: row
            )
        }
        let run = try world.store.runs.begin(.assign, subject: "test")
        var u0 = decision("u0", .conditioned, labels: ["tone=plain"], items: ["i1"], row: 0)
        u0.labelPropensities = ["tone=plain": 0.8, "tone=playful": 0.2]
        var u1 = decision("u1", .preferential, labels: ["tone=playful"], items: ["i9"], row: 1)
        u1.labelPropensities = ["tone=plain": 0.25, "tone=playful": 0.75]
        var skip = decision("u2", .skipped)
        skip.occasion = "day:2026-11-03"
        skip.skipReason = "policy: expected lift 0.00001 is below the minimum"
        skip.windowStart = Timestamp(iso8601: "2026-11-03T08:00:00Z")!
        skip.channel = ""
        try world.store.messageLog.append(
            [
                u0,
                u1,
                decision("u2", .conditioned, labels: ["tone=plain"], row: 2),
                decision("u3", .conditioned, labels: ["tone=plain"], row: 3),
                decision("u4", .control, items: ["i1"]),
                decision("u5", .control, items: ["i7"]),
                skip,
            ],
            runID: run
        )
        _ = try world.store.messageLog.update([
            DeliveryUpdate(batch: 1, messageRow: 0, status: "delivered", reason: nil, deliveredAt: delivered),
            DeliveryUpdate(batch: 1, messageRow: 1, status: "delivered", reason: nil, deliveredAt: delivered),
            DeliveryUpdate(batch: 1, messageRow: 2, status: "failed", reason: "bad token", deliveredAt: nil),
        ])
        let pending = try world.store.messageLog.outcomesPending(
            deliveredNotAfter: Timestamp(iso8601: "2026-11-03T00:00:00Z")!
        )
        let byUser = Dictionary(uniqueKeysWithValues: pending.map { ($0.userIndex, $0.id) })
        try world.store.messageLog.record(
            [
                JoinedOutcome(id: byUser[world.index["u0"]!]!, count: 1, value: 10, firstDelaySeconds: 6_900),
                JoinedOutcome(id: byUser[world.index["u1"]!]!, count: 1, value: 20, firstDelaySeconds: 89_700),
                JoinedOutcome(id: byUser[world.index["u4"]!]!, count: 1, value: 4, firstDelaySeconds: 5_400),
                JoinedOutcome(id: byUser[world.index["u5"]!]!, count: 0, value: 0, firstDelaySeconds: nil),
            ],
            joinedAt: Timestamp(iso8601: "2026-11-04T00:00:00Z")!
        )
        var counters = RunCounters()
        counters[RunCounters.cappedPrefix + "picks"] = 3
        counters[RunCounters.asOfSecondsName] = Timestamp(iso8601: "2026-11-03T07:00:00Z")!.secondsSinceEpoch
        try world.store.runs.succeed(run, counters: counters)
        return world
    }

    @Test("lift: counts, means and Welch's interval of goal events and value per user per week, by hand")
    func lift() throws {
        let world = try Self.world()
        let data = try world.load()
        #expect(data.period.days == 14)
        let result = LiftReport.compute(data)
        #expect(result.experimentUsers == 6)
        #expect(result.controlUsers == 2)
        #expect(result.controlSince == "2026-11-02T08:00:00Z")
        #expect(abs(try #require(result.controlAgeDays) - (14 - 8.0 / 24)) < 1e-9)
        let purchase = try #require(result.goals.first { $0.goal == "purchase" })
        // Treated: 2, 1, 0, 3 purchases over 2 weeks; control: 1, 0.
        #expect(purchase.events.treatedUsers == 4)
        #expect(purchase.events.controlUsers == 2)
        #expect(abs(purchase.events.treatedMean - 0.75) < 1e-12)
        #expect(abs(purchase.events.controlMean - 0.25) < 1e-12)
        let raw = try #require(purchase.events.raw)
        let expected = try #require(
            ReportStatistics.welch(
                treatedMean: 0.75,
                treatedVariance: 1.25 / 3,
                treatedCount: 4,
                controlMean: 0.25,
                controlVariance: 0.125,
                controlCount: 2
            )
        )
        #expect(abs(raw.estimate - 0.5) < 1e-12)
        #expect(abs(raw.lower - expected.lower) < 1e-9 && abs(raw.upper - expected.upper) < 1e-9)
        // No experiment user has pre-period events: CUPED has nothing to adjust with.
        let cuped = try #require(purchase.events.cuped)
        #expect(abs(cuped.estimate - raw.estimate) < 1e-12 && abs(cuped.lower - raw.lower) < 1e-9)
        // Values: treated 15, 20, 0, 3 and control 4, 0 over 2 weeks.
        #expect(abs(purchase.value.treatedMean - 4.75) < 1e-6)
        #expect(abs(purchase.value.controlMean - 1) < 1e-6)
        // The series ends at the period's estimate, and the always-valid interval contains the fixed one.
        #expect(purchase.series.count == 14)
        #expect(abs(try #require(purchase.series.last?.estimate) - 0.5) < 1e-12)
        let validLower = try #require(purchase.alwaysValidLower)
        let validUpper = try #require(purchase.alwaysValidUpper)
        #expect(validLower <= raw.lower && raw.upper <= validUpper)
        // Cluster 0 holds u0 (treated) and u4 (control): one user a side, no interval.
        let cluster0 = try #require(purchase.byCluster.first { $0.group == "cluster 0" })
        #expect(cluster0.treated == 1 && cluster0.control == 1 && cluster0.difference == nil)
        // By mode, per decision: conditioned u0 (1 goal) against control u4 (1) and u5 (0).
        let conditioned = try #require(purchase.byMode.first { $0.group == "conditioned" })
        #expect(conditioned.treated == 1 && conditioned.control == 2)
        #expect(abs(conditioned.controlMean - 0.5) < 1e-12)
    }

    @Test("with recorded settings, the population is every known user on the side of the control group's hash")
    func hashPopulation() throws {
        let world = try Self.world()
        let run = try world.store.runs.begin(.assign, subject: "settings")
        try world.store.messageLog.recordAssignmentSettings(
            runID: run,
            json: #"{"control_share":0.5,"control_salt":"s","policy":"random"}"#
        )
        let data = try world.load()
        let group = try ControlGroup(salt: "s", share: 0.5)
        #expect(data.arms.count == 7)
        for (user, id) in data.userIDs.enumerated() {
            #expect(data.arms[user] == (group.isControl(userID: id) ? .control : .treated), "\(id)")
        }
        let lift = LiftReport.compute(data)
        #expect(lift.experimentUsers == 7 && lift.expectedControlShare == 0.5)
        #expect(lift.controlUsers == data.userIDs.filter { group.isControl(userID: $0) }.count)
    }

    @Test("messages: statuses per day, campaign and channel; caps from the run; frequency per user-week")
    func messages() throws {
        let data = try Self.world().load()
        let counts = MessagesReport.counts(data)
        let push = try #require(counts[MessagesReport.Key(day: 0, campaign: "picks", channel: "push")])
        #expect(push.assigned == 4 && push.sent == 3 && push.delivered == 2 && push.failed == 1 && push.pending == 1)
        let none = try #require(counts[MessagesReport.Key(day: 0, campaign: "picks", channel: "-")])
        #expect(none.control == 2 && none.skipped == 0)
        let nextDay = try #require(counts[MessagesReport.Key(day: 1, campaign: "picks", channel: "-")])
        #expect(nextDay.skipped == 1 && nextDay.capped == 3)
        // 4 treated users × 2 weeks; u0 and u1 got one delivered message in week 0.
        #expect(MessagesReport.frequency(data) == [6, 2, 0, 0, 0, 0])
        let section = MessagesReport.section(data)
        let skips = try #require(section.tables.first { $0.name == "skips" })
        #expect(skips.rows == [[.text("policy"), .integer(1)]])
    }

    @Test("conversions: per label, window and campaign from joined outcomes, with Wilson intervals")
    func conversions() throws {
        let data = try Self.world().load()
        let groups = ConversionsReport.groups(data)
        let plain = try #require(groups.first { $0.dimension == "label" && $0.name == "tone=plain" })
        #expect(plain.messages == 1 && plain.converted == 1)
        let campaign = try #require(groups.first { $0.dimension == "campaign" })
        #expect(campaign.messages == 2 && campaign.converted == 2 && campaign.goalEvents == 2)
        #expect(abs(campaign.value.mean - 15) < 1e-6)
        let window = try #require(groups.first { $0.dimension == "window" })
        #expect(window.name == "Mon 07:00" && window.messages == 2)
        let (sends, rates) = ConversionsReport.windows(data)
        #expect(sends[0] == 2 && rates[0] == 1)
        #expect(sends[1] == 0 && rates[1] == nil)
    }

    @Test("conversions off-policy: each label valued from the logged label probabilities, by hand")
    func offPolicyByLabel() throws {
        let values = LabelOffPolicyValues.compute(try Self.world().load())
        #expect(values.map(\.label) == ["tone=plain", "tone=playful"])
        func value(_ label: String, _ estimator: OffPolicyEvaluation.Estimator) throws -> Double {
            try #require(values.first { $0.label == label }?.estimates.first { $0.estimator == estimator }).value
        }
        // plain: u0 carried it (P 0.8, converted), u1 did not (P 0.75 of not): IPW (1/0.8 + 0)/2, SNIPW 1.
        #expect(abs(try value("tone=plain", .ipw) - 0.625) < 1e-12)
        #expect(abs(try value("tone=plain", .snipw) - 1) < 1e-12)
        // playful: u1 carried it (P 0.75, converted): IPW (0 + 1/0.75)/2.
        #expect(abs(try value("tone=playful", .ipw) - 2.0 / 3) < 1e-12)
        // Both messages converted, so the reward model predicts 1 everywhere and DR is 1.
        #expect(abs(try value("tone=playful", .dr) - 1) < 1e-12)
        #expect(values.allSatisfy { $0.rows == 2 && $0.withLabel == 1 && $0.unsupported == 0 })
        #expect(LogJSON.numbers(#"{"c=d":1e-3,"a\"b":0.5,"x":null}"#).map(\.key) == ["a\"b", "c=d"])
        #expect(LogJSON.strings(#"["tone=\"plain\"","caf\u00e9 \ud83d\ude00",7]"#) == ["tone=\"plain\"", "café 😀"])
    }

    @Test("attribution: named items bought within the window, treated against control's would-be items")
    func attribution() throws {
        let rows = AttributionReport.compute(try Self.world().load())
        #expect(rows.count == 1)
        let (campaign, treated, control) = rows[0]
        #expect(campaign == "picks")
        #expect(treated.decisions == 2 && treated.matched == 1 && treated.namedItems == 2)
        #expect(control.decisions == 2 && control.matched == 1)
    }

    @Test("diversity and activity: new items, DAU, WAU and cohorts, by hand")
    func diversityAndActivity() throws {
        let data = try Self.world().load()
        #expect(data.viewEventNames == ["product_viewed"])
        // u0 has one new item; u4 viewed i2 before and i3 is new.
        #expect(data.newItemsViewed[data.userIDs.firstIndex(of: "u0")!] == 1)
        #expect(data.newItemsViewed[data.userIDs.firstIndex(of: "u4")!] == 1)
        let (days, cohorts) = ActivityReport.compute(data)
        // 2026-11-02: u0 and u4.
        #expect(days[0].daily == 2)
        // 2026-11-04: u2 and u4 that day; with u0, u1 and u6 within the week and within 28 days (u4's
        // view of 2026-09-20 is before the pre-period, which the activity bits start at).
        #expect(days[2].daily == 2)
        #expect(days[2].weekly == 5)
        #expect(days[2].monthly == 5)
        #expect(cohorts.map(\.name) == ["active before", "2026-11-02", "2026-11-09"])
        #expect(cohorts.map(\.users) == [1, 5, 1])
        // Of the first week's five, u0 (2026-11-09) and u3 (2026-11-12) come back in week 1.
        #expect(cohorts[1].retention == [1, 0.4])
        #expect(cohorts[0].retention == [1, 0])
    }

    @Test("every kind renders as a table, CSV and JSON that decodes back")
    func rendering() throws {
        let world = try Self.world()
        let data = try world.load()
        let document = Reports.document(ReportKind.allCases, data: data, model: nil, generatedAt: Self.to)
        #expect(document.sections.map(\.kind) == ReportKind.allCases.map(\.rawValue))
        let json = try JSONReportRenderer.render(document)
        // Whole numbers come back as integers, so compare the JSON the decoded document writes.
        let decoded = try JSONDecoder().decode(ReportDocument.self, from: Data(json.utf8))
        #expect(try JSONReportRenderer.render(decoded) == json)
        let csv = CSVReportRenderer.render(document)
        #expect(csv.contains("# lift/summary\n"))
        #expect(csv.contains("# messages/daily\n"))
        let table = TableReportRenderer.render(document)
        #expect(table.contains("== Lift: treated against control =="))
        #expect(table.contains("run `aampectl train model`"))
    }

    @Test("an empty data directory: no decision means no default period; a given period reports zeros")
    func empty() throws {
        let world = try World(events: "user_id,event,timestamp\nu0,app_opened,2026-11-03T09:00:00Z\n")
        #expect(throws: ReportError.self) { _ = try world.load(from: nil, to: nil) }
        let data = try world.load()
        #expect(data.goals.isEmpty)
        let document = Reports.document(ReportKind.allCases, data: data, model: nil, generatedAt: Self.to)
        #expect(document.sections.count == ReportKind.allCases.count)
        let lift = LiftReport.compute(data)
        #expect(lift.experimentUsers == 0 && lift.goals.isEmpty && lift.controlSince == nil)
        #expect(ActivityReport.compute(data).days[1].daily == 1)
    }

    @Test("one user: lift has counts but no interval, and nothing divides by zero")
    func oneUser() throws {
        let world = try World(events: "user_id,event,timestamp\nu0,purchase,2026-11-03T09:00:00Z\n")
        let run = try world.store.runs.begin(.assign, subject: "test")
        try world.store.messageLog.append(
            [
                LoggedDecision(
                    userIndex: 0,
                    campaign: "picks",
                    goal: "purchase",
                    occasion: "o",
                    mode: .control,
                    windowStart: Timestamp(iso8601: "2026-11-02T08:00:00Z")!,
                    assignedAt: Timestamp(iso8601: "2026-11-02T08:00:00Z")!
                )
            ],
            runID: run
        )
        let data = try world.load(from: nil, to: nil)
        #expect(data.period.from == Self.from)
        let lift = LiftReport.compute(data)
        let purchase = try #require(lift.goals.first)
        #expect(purchase.events.controlUsers == 1 && purchase.events.treatedUsers == 0)
        #expect(purchase.events.raw == nil && purchase.events.cuped == nil)
        let json = try JSONReportRenderer.render(
            Reports.document(ReportKind.allCases, data: data, model: nil, generatedAt: Self.to)
        )
        #expect(!json.contains("NaN"))
    }

    @Test("periods: whole UTC days, the limit at its edge, and an end before the start refused")
    func periods() throws {
        let start = Timestamp(iso8601: "2026-01-01T13:00:00Z")!
        let year = try ReportPeriod(
            from: start,
            to: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + Int64(Limits.maximumReportDays - 1) * 86_400)
        )
        #expect(year.days == Limits.maximumReportDays)
        #expect(year.from == Timestamp(iso8601: "2026-01-01T00:00:00Z")!)
        #expect(throws: ReportError.self) {
            _ = try ReportPeriod(
                from: start,
                to: Timestamp(secondsSinceEpoch: start.secondsSinceEpoch + Int64(Limits.maximumReportDays) * 86_400)
            )
        }
        #expect(throws: ReportError.self) { _ = try ReportPeriod(from: start, to: start) }
    }
}

/// `roi` and `opportunities` on the same hand-made directory.
@Suite("Report kinds built on others: ROI and opportunities")
struct DerivedReportKindsTests {
    struct Scores: OpportunitiesReport.GoalScores {
        var goal = "purchase"
        var labels = ["tone=playful", "tone=plain", "offer=discount", "offer=quality"]
        var users: [(String, [Float])]
        var userCount: Int { users.count }

        func user(_ row: Int, into scores: inout [Float]) -> String {
            scores = users[row].1
            return users[row].0
        }
    }

    @Test("roi: the lift's difference × treated users × weeks, and per 1,000 delivered messages")
    func roi() throws {
        let data = try ReportKindsTests.world().load()
        let section = ROIReport.section(LiftReport.compute(data), data: data)
        let table = try #require(section.tables.first)
        let row = try #require(table.rows.first { $0[0] == .text("purchase") && $0[1] == .text("goal events") })
        let column = { (name: String) in row[table.columns.firstIndex(of: name)!] }
        // +0.5 goal events per user per week × 4 treated users × 2 weeks = 4; 2 delivered messages.
        guard case .number(let incremental) = column("incremental"),
            case .number(let perThousand) = column("per 1,000 messages")
        else {
            Issue.record("no numbers in \(row)")
            return
        }
        #expect(abs(incremental - 4) < 1e-9)
        #expect(column("delivered messages") == .integer(2))
        #expect(abs(perThousand - 2_000) < 1e-6)
    }

    @Test("opportunities: spread, agreement and verdict per label set and cluster, by hand")
    func opportunities() throws {
        let data = try ReportKindsTests.world().load()
        // Clusters from the decisions: u0 and u4 in 0, u1, u2, u3, u5 in 1. Tone: cluster 0 splits (u0
        // playful, u4 plain), cluster 1 all prefer plain. Offer: everybody prefers discount by the same margin.
        let scores = Scores(users: [
            ("u0", [1, -1, 0.5, -0.5]),
            ("u4", [-1, 1, 0.5, -0.5]),
            ("u1", [-0.2, 0.2, 0.5, -0.5]),
            ("u2", [-0.2, 0.2, 0.5, -0.5]),
            ("u3", [-0.2, 0.2, 0.5, -0.5]),
            ("u5", [-0.2, 0.2, 0.5, -0.5]),
            ("stranger", [0, 0, 0, 0]),
        ])
        let (cells, distributions) = OpportunitiesReport.compute([scores], data: data)
        let tone0 = try #require(cells.first { $0.labelSet == "tone" && $0.cluster == 0 })
        // SD of (1, −1) is √2 for both labels; one user of two prefers each.
        #expect(abs(tone0.spread - 2.0.squareRoot()) < 1e-6)
        #expect(tone0.agreement == 0.5)
        #expect(tone0.verdict == "users disagree: write more copy")
        let tone1 = try #require(cells.first { $0.labelSet == "tone" && $0.cluster == 1 })
        #expect(tone1.spread == 0 && tone1.agreement == 1 && tone1.commonBest == "tone=plain")
        #expect(tone1.verdict == "one label wins: no choice needed")
        let offer = cells.filter { $0.labelSet == "offer" && $0.cluster >= 0 }
        #expect(offer.count == 2 && offer.allSatisfy { $0.commonBest == "offer=discount" && $0.agreement == 1 })
        // The user the data directory does not know has no cluster.
        #expect(cells.contains { $0.cluster == -1 && $0.users == 1 })
        #expect(distributions.map(\.label).first == "purchase: tone=playful")
        #expect(distributions.allSatisfy { $0.values.count == 7 })
        let section = OpportunitiesReport.section([scores], source: "hand-made scores", data: data)
        #expect(section.charts.map(\.id) == ["opportunities-purchase", "score-distributions"])
    }
}

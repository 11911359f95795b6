import AampeContent
public import AampeCore
import AampeEvents
import AampeLearning
public import AampeStore
import Foundation

/// Everything the report kinds read, loaded once: the period's decisions from the message log, who is in
/// the experiment and on which side, and per-user aggregates of the events (goals, activity, new items
/// viewed, purchases of named items), from one pass over the event segments.
///
/// **The experiment population** is every known user, on the side the control group's hash puts them
/// (the salt and share the newest assignment run recorded): the group is drawn over all users, so this
/// is a randomized comparison whatever happens after. Lift is intention to treat: a treated user counts
/// whether or not a message reached them. Defining it by logged decisions instead was biased: control
/// users are logged whenever eligible, treated users whom a cap or their cadence stops are only counted,
/// so the treated side left out its less active users (40 simulated worlds: 77.9 % of control users
/// logged against 72.7 % of the others; raw intervals sat 1.2 to 2.0 standard errors high). Before any
/// assignment run has recorded its settings, the population falls back to users with a logged decision,
/// control when their decisions are control decisions.
public struct ReportData: Sendable {
    public let period: ReportPeriod
    public let campaign: String?
    /// The pre-period CUPED reads: ``Limits/reportPrePeriodDays`` days before `period.from`.
    public let prePeriodFrom: Timestamp

    /// External user ids by user index, item ids by item index.
    public let userIDs: [String]
    public let itemIDs: [String]

    /// The period's decisions.
    public var decisions: Decisions
    /// Per user index: 0 outside the experiment, ``Arm/treated`` or ``Arm/control``.
    public let arms: [Arm]
    /// Per user index: the landscape cluster of their newest decision, -1 when none was logged.
    public let clusters: [Int32]
    /// The first control decision ever logged (in the campaign): how long the control group has existed.
    public let controlSince: Timestamp?
    /// The control share the newest batch assignment ran with, when one is recorded.
    public let expectedControlShare: Double?

    /// Per goal logged in the period's decisions: its events and per-user counts.
    public let goals: [GoalEvents]
    /// Per user, per day from `prePeriodFrom` to `period.to`: whether the user had any event.
    public let activity: ActivityBits
    /// Per user: distinct items first viewed in the period (never in the events before it); counted for
    /// the users of ``diversitySample`` only.
    public let newItemsViewed: [Float]
    /// Per user: whether `diversity` counts them. Every experiment user up to
    /// ``Limits/maximumDiversityUsers``; past it, a uniform sample of that many by a hash of the user
    /// (the same on both sides), since remembering every (user, item) ever viewed is what the event pass
    /// spent most of its time on at 10^6 users.
    public let diversitySample: [Bool]
    /// The event names read as item views.
    public let viewEventNames: [String]
    /// Per user with any: their goal events with an item, `(time, item)`, in the period plus the longest
    /// attribution window: what `attribution` matches named items against.
    public let itemGoals: [UInt32: [(time: Int64, item: UInt32)]]
    /// Assignment runs' capped candidates per (UTC day, campaign).
    public let capped: [CappedCount]
    /// How long loading took, by part, in seconds.
    public var loadSeconds: [(part: String, seconds: Double)] = []

    /// The item index of a named item no imported event mentions.
    public static let unknownItem = UInt32.max

    public enum Arm: UInt8, Sendable {
        case outside = 0
        case treated = 1
        case control = 2
    }

    public struct CappedCount: Sendable, Hashable {
        public var day: Int
        public var campaign: String
        public var count: Int
    }

    /// A goal's events over the period, per user.
    public struct GoalEvents: Sendable {
        public let name: String
        /// The event names that count as this goal.
        public let events: [String]
        public let attributionWindowSeconds: Int64
        /// Per user: goal events in the period, their summed value, and goal events in the pre-period.
        public var periodCount: [Float]
        public var periodValue: [Float]
        public var preCount: [Float]
        /// Per day of the period, the user of each goal event that day (a user once per event), for series
        /// over time.
        public var daily: [[UInt32]]
    }

    /// Per-user, per-day activity bits.
    public struct ActivityBits: Sendable {
        /// Days covered, from `prePeriodFrom`'s day.
        public let days: Int
        /// Words per user.
        public let stride: Int
        public var words: [UInt64]

        init(users: Int, days: Int) {
            self.days = days
            stride = (days + 63) / 64
            words = Array(repeating: 0, count: users * stride)
        }

        @inline(__always) mutating func set(user: Int, day: Int) {
            words[user * stride + day >> 6] |= 1 << UInt64(day & 63)
        }

        @inline(__always) public func isActive(user: Int, day: Int) -> Bool {
            words[user * stride + day >> 6] & (1 << UInt64(day & 63)) != 0
        }

        /// Active days of `user` in `range` (days from `prePeriodFrom`'s day).
        public func activeDays(user: Int, in range: Range<Int>) -> Int {
            var count = 0
            for day in range where isActive(user: user, day: day) { count += 1 }
            return count
        }
    }
}

extension ReportData {
    /// The period's decisions, column by column; strings are interned.
    public struct Decisions: Sendable {
        public var user: [UInt32] = []
        public var campaign: [UInt16] = []
        public var goal: [UInt16] = []
        public var mode: [Mode] = []
        public var channel: [UInt16] = []
        /// -1: none.
        public var formula: [Int32] = []
        /// Index into ``labelSets``; -1: none.
        public var labelSet: [Int32] = []
        /// -1: none.
        public var window: [Int8] = []
        public var cluster: [Int32] = []
        /// The day of `sent_at` in the period.
        public var day: [Int16] = []
        public var status: [Status] = []
        /// The decision time of a control decision, the delivery of a message: outcomes start here.
        public var referenceTime: [Int64] = []
        public var hasOutcome: [Bool] = []
        public var goalCount: [Int32] = []
        public var goalValue: [Float] = []
        /// Index into ``itemLists``; -1: none.
        public var items: [Int32] = []
        /// The skip reason without its detail, as an index into ``skipReasons``; -1: none.
        public var skipReason: [Int32] = []
        /// Per decision, where its label propensities start in ``propensityLabels`` and
        /// ``propensityValues`` (-1: none logged) and how many there are.
        public var propensityStart: [Int32] = []
        public var propensityCount: [UInt8] = []
        /// Label (an index into ``labelNames``) and the policy's probability of carrying it.
        public var propensityLabels: [Int32] = []
        public var propensityValues: [Double] = []
        public var labelNames = Interner()

        public var campaigns = Interner()
        public var goals = Interner()
        public var channels = Interner()
        public var formulas = Interner()
        public var skipReasons = Interner()
        /// Distinct label sets, each the `set=label` labels of a variant.
        public var labelSets: [[String]] = []
        /// Named items per message (and counterfactual items per control decision), as item indices;
        /// ``ReportData/unknownItem`` for an id the events never mention.
        public var itemLists: [[UInt32]] = []

        public var count: Int { user.count }

        public enum Mode: UInt8, Sendable {
            case preferential, conditioned, skipped, control, sent

            init(_ text: String) {
                switch text {
                case "preferential": self = .preferential
                case "conditioned": self = .conditioned
                case "skipped": self = .skipped
                case "control": self = .control
                default: self = .sent
                }
            }

            /// Whether the decision is a message.
            public var isMessage: Bool { self == .preferential || self == .conditioned || self == .sent }

            public var name: String {
                switch self {
                case .preferential: "preferential"
                case .conditioned: "conditioned"
                case .skipped: "skipped"
                case .control: "control"
                case .sent: "sent"
                }
            }
        }

        public enum Status: UInt8, Sendable, CaseIterable {
            case none, assigned, delivered, failed, dead, expired

            init(_ text: String?) {
                switch text {
                case "assigned": self = .assigned
                case "delivered": self = .delivered
                case "failed": self = .failed
                case "dead": self = .dead
                case "expired": self = .expired
                default: self = .none
                }
            }

            public var name: String {
                switch self {
                case .none: "none"
                case .assigned: "assigned"
                case .delivered: "delivered"
                case .failed: "failed"
                case .dead: "dead"
                case .expired: "expired"
                }
            }
        }
    }

    /// Strings to dense codes, in first-seen order.
    public struct Interner: Sendable {
        public private(set) var strings: [String] = []
        private var codes: [String: Int] = [:]

        public init() {}

        public mutating func code(_ string: String) -> Int {
            if let code = codes[string] { return code }
            codes[string] = strings.count
            strings.append(string)
            return strings.count - 1
        }

        public func code(of string: String) -> Int? { codes[string] }
    }
}

extension ReportData {
    /// What to load.
    public struct Request: Sendable {
        /// `nil` bounds: from the first logged decision's day, to the end of the newest event's day.
        public var from: Timestamp?
        public var to: Timestamp?
        public var campaign: String?
        /// Event names read as item views for `diversity`; `nil`: every event name containing `view`.
        public var viewEvents: [String]?

        public init(from: Timestamp? = nil, to: Timestamp? = nil, campaign: String? = nil, viewEvents: [String]? = nil)
        {
            self.from = from
            self.to = to
            self.campaign = campaign
            self.viewEvents = viewEvents
        }
    }

    /// Loads the data of `request` from the data directory.
    ///
    /// - Throws: ``ReportError/noData(detail:)`` when nothing was decided yet and no period is given;
    ///   the store's and the segments' errors as they come.
    public static func load(_ request: Request, directory: DataDirectory, store: Store) throws -> ReportData {
        var clock = ContinuousClock.now
        var times: [(String, Double)] = []
        func lap(_ part: String) {
            let now = ContinuousClock.now
            let elapsed = now - clock
            times.append((part, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
            clock = now
        }
        let events = EventStore(dataDirectory: directory, store: store)
        let snapshot = try events.snapshot()
        let keys = snapshot.keys
        let period = try resolvePeriod(request, snapshot: snapshot, store: store)
        let prePeriodFrom = Timestamp(
            secondsSinceEpoch: period.from.secondsSinceEpoch - Int64(Limits.reportPrePeriodDays)
                * Timestamp.secondsPerDay
        )
        let content = try ContentVersioning.latest(in: store)?.content
        let goalDefinitions = Dictionary(
            (content?.goals ?? []).map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let itemIndex = Dictionary(keys.itemIDs.enumerated().map { ($1, UInt32($0)) }, uniquingKeysWith: { a, _ in a })

        // 1. The message log: the population, the sides, and the period's decisions.
        let userCount = keys.userIDs.count
        var loader = DecisionLoader(period: period, userCount: userCount, itemIndex: itemIndex)
        try store.messageLog.forEachReportRow(campaign: request.campaign, before: period.to) { row, texts in
            loader.add(row, texts)
        }
        let recorded = try store.messageLog.latestAssignmentSettings().flatMap {
            Self.controlGroup(settingsJSON: $0.json)
        }
        var arms = loader.arms
        if let group = recorded {
            // Every known user, on the side the control group's hash puts them (see the type's comment).
            for user in 0..<userCount {
                arms[user] = group.isControl(userID: keys.userIDs[user]) ? .control : .treated
            }
        }
        let clusters = loader.clusters
        let controlSince = loader.controlSince
        let decisions = loader.decisions
        lap("message log")

        // 2. The events: goals per user (period and pre-period), activity bits, new items viewed, and goal
        //    events with items for attribution.
        let goalNames = decisions.goals.strings.filter { !$0.isEmpty }
        let goalSpecs: [(name: String, events: [String], window: Int64)] = goalNames.map { name in
            let goal = goalDefinitions[name]
            return (
                name, goal?.events ?? [name], goal?.attributionWindowSeconds ?? Goal.defaultAttributionWindowSeconds
            )
        }
        let typeCount = keys.eventTypes.count
        // Per event type: a bit per goal it counts for (at most 64 goals are told apart; more are rare).
        var goalMask = [UInt64](repeating: 0, count: typeCount)
        for (g, spec) in goalSpecs.enumerated() where g < 64 {
            for name in spec.events {
                if let type = keys.eventTypes.firstIndex(of: name) { goalMask[type] |= 1 << UInt64(g) }
            }
        }
        let viewNames =
            request.viewEvents ?? keys.eventTypes.filter { $0.lowercased().contains("view") }
        var isView = [Bool](repeating: false, count: typeCount)
        for name in viewNames { if let type = keys.eventTypes.firstIndex(of: name) { isView[type] = true } }
        let longestWindow = goalSpecs.map(\.window).max() ?? Goal.defaultAttributionWindowSeconds

        var goals = goalSpecs.map { spec in
            GoalEvents(
                name: spec.name,
                events: spec.events,
                attributionWindowSeconds: spec.window,
                periodCount: [Float](repeating: 0, count: userCount),
                periodValue: [Float](repeating: 0, count: userCount),
                preCount: [Float](repeating: 0, count: userCount),
                daily: Array(repeating: [], count: period.days)
            )
        }
        let firstDay = prePeriodFrom.utcDay
        let activityDays = Int(period.to.utcDay - firstDay)
        var activity = ActivityBits(users: userCount, days: activityDays)
        var newItems = [Float](repeating: 0, count: userCount)
        let diversitySample = Self.sample(arms, size: Limits.maximumDiversityUsers)
        // (user << 32 | item) of every view seen so far, oldest segments first: a view in the period is new
        // when its pair is not in here yet.
        var viewed = PairSet()
        var itemGoals: [UInt32: [(time: Int64, item: UInt32)]] = [:]
        let fromMicros = period.from.rawValue
        let toMicros = period.to.rawValue
        let preMicros = prePeriodFrom.rawValue
        let attributionEnd = toMicros + longestWindow * Timestamp.microsecondsPerSecond
        let microsPerDay = Timestamp.secondsPerDay * Timestamp.microsecondsPerSecond
        var ordered = snapshot
        // Oldest day first, so "first viewed" is the first in time; segments after the attribution window
        // are never read.
        ordered.segments = snapshot.segments.filter { $0.utcDay * Timestamp.secondsPerDay * 1_000_000 < attributionEnd }
            .sorted { $0.utcDay < $1.utcDay }
        let hasViews = isView.contains(true)
        try events.forEachSegment(of: ordered) { batch, _, _ in
            for row in batch.timestampMicros.indices {
                let time = batch.timestampMicros[row]
                let user = Int(batch.users[row])
                let type = Int(batch.eventTypes[row])
                guard user < userCount, type < typeCount else { continue }
                if hasViews, isView[type], diversitySample[user], batch.items[row] != EventColumn.noItem {
                    let key = PairSet.key(user: user, item: batch.items[row])
                    if time >= fromMicros && time < toMicros {
                        if viewed.insert(key) { newItems[user] += 1 }
                    } else if time < fromMicros {
                        _ = viewed.insert(key)
                    }
                }
                guard time >= preMicros else { continue }
                if time < toMicros {
                    let day = Int((time - preMicros) / microsPerDay)
                    if day < activityDays { activity.set(user: user, day: day) }
                }
                var mask = goalMask[type]
                guard mask != 0 else { continue }
                if time >= fromMicros, batch.items[row] != EventColumn.noItem, arms[user] != .outside {
                    itemGoals[UInt32(user), default: []].append((time, batch.items[row]))
                }
                guard time < toMicros else { continue }
                let value = batch.values[row].isFinite ? Float(batch.values[row]) : 0
                while mask != 0 {
                    let g = mask.trailingZeroBitCount
                    mask &= mask - 1
                    if time >= fromMicros {
                        goals[g].periodCount[user] += 1
                        goals[g].periodValue[user] += value
                        let day = Int((time - fromMicros) / microsPerDay)
                        goals[g].daily[day].append(UInt32(user))
                    } else {
                        goals[g].preCount[user] += 1
                    }
                }
            }
        }
        lap("events")

        // 3. Caps, counted per assignment run.
        var capped: [CappedCount] = []
        for run in try store.runs.recent(limit: Limits.maximumReportDays * 48, kind: .assign) {
            let asOf = run.counters.entries.first { $0.name == RunCounters.asOfSecondsName }.map(\.value)
            let time = Timestamp(secondsSinceEpoch: asOf ?? run.startedAt.secondsSinceEpoch)
            guard period.contains(time) else { continue }
            for entry in run.counters.entries where entry.name.hasPrefix(RunCounters.cappedPrefix) {
                let name = String(entry.name.dropFirst(RunCounters.cappedPrefix.count))
                if let campaign = request.campaign, campaign != name { continue }
                capped.append(CappedCount(day: period.day(of: time), campaign: name, count: Int(entry.value)))
            }
        }
        let share = recorded?.share
        lap("runs")

        var data = ReportData(
            period: period,
            campaign: request.campaign,
            prePeriodFrom: prePeriodFrom,
            userIDs: keys.userIDs,
            itemIDs: keys.itemIDs,
            decisions: decisions,
            arms: arms,
            clusters: clusters,
            controlSince: controlSince,
            expectedControlShare: share,
            goals: goals,
            activity: activity,
            newItemsViewed: newItems,
            diversitySample: diversitySample,
            viewEventNames: viewNames,
            itemGoals: itemGoals,
            capped: capped
        )
        data.loadSeconds = times
        return data
    }

    /// The period asked for, or the default: from the first logged decision's day to the end of the newest
    /// event's day.
    static func resolvePeriod(_ request: Request, snapshot: EventStore.Snapshot, store: Store) throws -> ReportPeriod {
        var from = request.from
        var to = request.to
        if from == nil {
            guard let first = try store.messageLog.firstDecisionTime(campaign: request.campaign) else {
                throw ReportError.noData(
                    detail:
                        "no decision is logged\(request.campaign.map { " for campaign \($0)" } ?? ""); run `aampectl assign` first, or give --from"
                )
            }
            from = first
        }
        if to == nil {
            let newest = snapshot.segments.map(\.maxTimestamp).max() ?? from!
            to = Timestamp(secondsSinceEpoch: max(newest, from!).secondsSinceEpoch + 1)
        }
        return try ReportPeriod(from: from!, to: to!)
    }

    /// Per user: whether they are in a uniform sample of about `size` of the experiment's users (all of
    /// them when there are no more), drawn by a hash of the user index so that it is the same every run.
    static func sample(_ arms: [Arm], size: Int) -> [Bool] {
        let members = arms.reduce(0) { $0 + ($1 == .outside ? 0 : 1) }
        let rate = members <= size ? 1 : Double(size) / Double(members)
        return arms.enumerated().map { user, arm in
            guard arm != .outside else { return false }
            guard rate < 1 else { return true }
            var hash = UInt64(user) &+ 0x9E37_79B9_7F4A_7C15
            hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
            hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
            hash ^= hash >> 31
            return Double(hash >> 11) / Double(1 << 53) < rate
        }
    }

    /// The control group of recorded assignment settings (`control_share`, `control_salt`), or `nil`
    /// when they cannot be read.
    static func controlGroup(settingsJSON: String) -> ControlGroup? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(settingsJSON.utf8)) as? [String: Any],
            let share = (object["control_share"] as? NSNumber)?.doubleValue,
            let salt = object["control_salt"] as? String
        else { return nil }
        return try? ControlGroup(salt: salt, share: share)
    }

    /// A skip reason without its detail: `policy: expected lift …` → `policy`.
    static func reasonKind(_ reason: String) -> String {
        String(reason.prefix { $0 != ":" })
    }
}

/// Turns message-log rows into the period's ``ReportData/Decisions`` and the population's sides. One
/// value with a mutating method, so that a row costs one access check rather than one per captured
/// variable (perf showed Swift's dynamic exclusivity checks at a tenth of the read).
struct DecisionLoader {
    typealias Arm = ReportData.Arm
    typealias Decisions = ReportData.Decisions
    let period: ReportPeriod
    let itemIndex: [String: UInt32]
    var arms: [Arm]
    var clusters: [Int32]
    var controlSince: Timestamp?
    var decisions = Decisions()
    /// The store's codes per text column, mapped to this report's codes (or enum values) once each.
    var maps = [[Int32]](repeating: [], count: ReportTextColumn.allCases.count)
    var lastPropensities: (json: String, start: Int32, count: UInt8)?

    init(period: ReportPeriod, userCount: Int, itemIndex: [String: UInt32]) {
        self.period = period
        self.itemIndex = itemIndex
        arms = [Arm](repeating: .outside, count: userCount)
        clusters = [Int32](repeating: -1, count: userCount)
    }

    mutating func mapped(
        _ column: ReportTextColumn,
        _ code: Int32,
        _ texts: ReportLogTexts,
        _ convert: (inout Decisions, String) -> Int32
    ) -> Int32 {
        guard code >= 0 else { return -1 }
        let k = column.rawValue
        // Each code is converted when first met, so values met only before the period are not interned.
        while maps[k].count <= Int(code) { maps[k].append(Int32.min) }
        if maps[k][Int(code)] == Int32.min { maps[k][Int(code)] = convert(&decisions, texts[column, code]!) }
        return maps[k][Int(code)]
    }

    mutating func add(_ row: ReportLogRow, _ texts: ReportLogTexts) {
        guard row.userIndex >= 0, row.userIndex < arms.count else { return }
        let mode = Decisions.Mode(
            rawValue: UInt8(mapped(.mode, row.mode, texts) { _, text in Int32(Decisions.Mode(text).rawValue) })
        )!
        if mode == .control {
            arms[row.userIndex] = .control
            if controlSince == nil || row.sentAt < controlSince! { controlSince = row.sentAt }
        } else if arms[row.userIndex] == .outside {
            arms[row.userIndex] = .treated
        }
        if let cluster = row.cluster { clusters[row.userIndex] = Int32(cluster) }
        guard row.sentAt >= period.from else { return }
        decisions.user.append(UInt32(row.userIndex))
        decisions.campaign.append(
            UInt16(mapped(.campaign, row.campaign, texts) { Int32($0.campaigns.code($1)) })
        )
        decisions.goal.append(UInt16(mapped(.goal, row.goal, texts) { Int32($0.goals.code($1)) }))
        decisions.mode.append(mode)
        decisions.channel.append(
            UInt16(max(0, mapped(.channel, row.channel, texts) { Int32($0.channels.code($1)) }))
        )
        decisions.formula.append(mapped(.formula, row.formula, texts) { Int32($0.formulas.code($1)) })
        decisions.labelSet.append(
            mapped(.labels, row.labels, texts) { decisions, json in
                guard json != "[]" else { return -1 }
                decisions.labelSets.append(LogJSON.strings(json))
                return Int32(decisions.labelSets.count - 1)
            }
        )
        decisions.window.append(row.windowIndex.map { Int8(clamping: $0) } ?? -1)
        decisions.cluster.append(row.cluster.map(Int32.init) ?? -1)
        decisions.day.append(Int16(clamping: period.day(of: row.sentAt)))
        let status = mapped(.status, row.status, texts) { _, text in Int32(Decisions.Status(text).rawValue) }
        decisions.status.append(status < 0 ? .none : Decisions.Status(rawValue: UInt8(status))!)
        decisions.referenceTime.append(
            mode == .control ? row.sentAt.rawValue : (row.deliveredAt?.rawValue ?? Int64.min)
        )
        decisions.hasOutcome.append(row.hasOutcome)
        decisions.goalCount.append(Int32(clamping: row.goalCount))
        decisions.goalValue.append(Float(row.goalValue))
        decisions.skipReason.append(
            mapped(.skipReason, row.skipReason, texts) { Int32($0.skipReasons.code(ReportData.reasonKind($1))) }
        )
        if let json = row.labelPropensitiesJSON, mode.isMessage {
            // Consecutive messages of one group share their object; a model policy's are mostly distinct.
            if let last = lastPropensities, last.json == json {
                decisions.propensityStart.append(last.start)
                decisions.propensityCount.append(last.count)
            } else {
                let start = Int32(decisions.propensityLabels.count)
                let members = LogJSON.numbers(json).prefix(Int(UInt8.max))
                for (label, value) in members {
                    decisions.propensityLabels.append(Int32(decisions.labelNames.code(label)))
                    decisions.propensityValues.append(value)
                }
                lastPropensities = (json, start, UInt8(members.count))
                decisions.propensityStart.append(start)
                decisions.propensityCount.append(UInt8(members.count))
            }
        } else {
            decisions.propensityStart.append(-1)
            decisions.propensityCount.append(0)
        }
        if let json = row.itemsJSON, json != "[]" {
            decisions.items.append(Int32(decisions.itemLists.count))
            // An item the events never mention still counts as named; it cannot match a goal event.
            decisions.itemLists.append(LogJSON.strings(json).map { itemIndex[$0] ?? ReportData.unknownItem })
        } else {
            decisions.items.append(-1)
        }
    }
}

/// The message log's JSON columns, read with Content's one-pass JSON reader (Foundation's decoder cost
/// about 10 µs a row, seconds over millions of decisions).
enum LogJSON {
    /// The strings of a JSON array (`["tone=plain"]`); anything else gives none.
    static func strings(_ json: String) -> [String] {
        guard case .list(let values)? = AttributesJSON.value(json) else { return [] }
        return values.compactMap {
            guard case .text(let text) = $0 else { return nil }
            return text
        }
    }

    /// The numeric members of a JSON object (`{"tone=plain":0.5}`), by key; other members are left out.
    static func numbers(_ json: String) -> [(key: String, value: Double)] {
        guard case .object(let members)? = AttributesJSON.value(json) else { return [] }
        return members.compactMap { key, value in
            guard case .number(let number) = value else { return nil }
            return (key, number)
        }.sorted { $0.key < $1.key }
    }
}

import Foundation

/// The messaging service and the users' responses.
extension LiveWorld {
    /// A delivery checked against the world.
    struct Resolved {
        var index: Int
        var delivery: Delivery
        var user: Int
        var labels: [Int?]
        var channel: Vocabulary.Channel
        var goal: Vocabulary.Goal
        var items: [Int]
        /// The user's weekly window at delivery, nil outside 07:00–22:00 local time.
        var window: Int?
    }

    /// Delivers `deliveries` on the next day and answers each, in order, with an ``Ack``.
    ///
    /// Every line is checked before anything happens: an unknown user, label, campaign, channel or item,
    /// or a `delivered_at` outside the next day, throws an error naming `source`, the line and the field.
    /// Then, in order of delivery time, a message to an address without consent (never given, or
    /// withdrawn by an opt-out) or to a bad address (``WorldSettings/failureRate``) fails; any other is
    /// delivered: the user's response is drawn (``MessageResponder``), its events go to the dumps, the
    /// user may opt out of the channel, and the send is recorded for `truth/sends.csv`.
    public func deliver(_ deliveries: [Delivery], source: String = "deliveries") throws -> [Ack] {
        guard !isFinished else {
            throw SimulatorError.invalidWorld(path: folder, reason: "all \(settings.days) days are simulated")
        }
        let resolved = try deliveries.enumerated().map { try resolve($1, index: $0, source: source) }
        var acks = deliveries.map {
            Ack(messageIDText: $0.messageIDText, leaseToken: $0.leaseToken, status: .delivered)
        }
        let order = resolved.sorted {
            ($0.delivery.deliveredAtSeconds, $0.delivery.messageID, $0.delivery.attempt, $0.index)
                < ($1.delivery.deliveredAtSeconds, $1.delivery.messageID, $1.delivery.attempt, $1.index)
        }
        for message in order {
            today.deliveries += 1
            if let reason = failure(message) {
                acks[message.index].status = .failed(reason: reason)
                today.failures[reason, default: 0] += 1
            } else {
                today.delivered += 1
                respond(message)
            }
        }
        return acks
    }

    private func resolve(_ delivery: Delivery, index: Int, source: String) throws -> Resolved {
        func fail(_ field: String, _ reason: String) -> SimulatorError {
            .invalidInput(path: source, line: delivery.line, field: field, reason: reason)
        }
        guard let user = parseID(delivery.user, prefix: "u", count: settings.users) else {
            throw fail("user", "\"\(delivery.user)\" is not a user of this world (u0 … u\(settings.users - 1))")
        }
        guard let goal = Vocabulary.campaignGoals[delivery.campaign] else {
            throw fail(
                "campaign",
                "\"\(delivery.campaign)\" is not a campaign of the simulated app (\(Vocabulary.campaignGoals.keys.sorted().joined(separator: ", ")))"
            )
        }
        guard let channel = Vocabulary.Channel(rawValue: delivery.channel) else {
            throw fail("channel", "\"\(delivery.channel)\" is not one of email, sms, push")
        }
        var labels = [Int?](repeating: nil, count: Vocabulary.labelSets.count)
        for text in delivery.labels {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let set = Vocabulary.labelSets.firstIndex(where: { $0.name == parts[0] }) else {
                throw fail(
                    "labels",
                    "\"\(text)\" is not set=label with a label set of \(Vocabulary.labelSets.map(\.name).joined(separator: ", "))"
                )
            }
            guard let label = Vocabulary.labelSets[set].labels.firstIndex(of: parts[1]) else {
                throw fail(
                    "labels",
                    "\"\(parts[1])\" is not a label of \(parts[0]) (\(Vocabulary.labelSets[set].labels.joined(separator: ", ")))"
                )
            }
            guard labels[set] == nil else { throw fail("labels", "two labels of \(parts[0])") }
            labels[set] = label
        }
        let items = try delivery.items.map { text in
            guard let item = parseID(text, prefix: "i", count: settings.items) else {
                throw fail("items", "\"\(text)\" is not an item of this world's catalog")
            }
            return item
        }
        let dayStart = Int64(world.startEpochDay + state.nextDay) * 86_400
        guard (dayStart..<(dayStart + 86_400)).contains(delivery.deliveredAtSeconds) else {
            throw fail(
                "delivered_at",
                "\(utcText(seconds: delivery.deliveredAtSeconds)) is not on \(nextDate), the day being simulated"
            )
        }
        return Resolved(
            index: index,
            delivery: delivery,
            user: user,
            labels: labels,
            channel: channel,
            goal: goal,
            items: items,
            window: localWindow(user: user, utcSeconds: delivery.deliveredAtSeconds)
        )
    }

    /// `u0000042` → 42 when below `count`; leading zeros are optional.
    private func parseID(_ text: String, prefix: Character, count: Int) -> Int? {
        guard text.first == prefix, text.count > 1, text.count <= 20, let value = Int(text.dropFirst()), value >= 0,
            value < count
        else { return nil }
        return value
    }

    /// The user's weekly window (Monday 07–10 is 0) at `utcSeconds`, or nil at night.
    func localWindow(user: Int, utcSeconds: Int64) -> Int? {
        let utcDay = Int(utcSeconds / 86_400)
        let offset = world.zoneOffsets.secondsEast(zone: Int(world.population.zone[user]), epochDay: utcDay)
        let local = Int(utcSeconds) + offset
        let localDay = Int((Double(local) / 86_400).rounded(.down))
        let second = local - localDay * 86_400
        let layout = world.windowLayout
        let first = layout.firstWindowStartSeconds
        guard second >= first, second < first + layout.windowsPerDay * layout.windowLengthSeconds else { return nil }
        return CivilDate.weekday(epochDay: localDay) * layout.windowsPerDay + (second - first)
            / layout.windowLengthSeconds
    }

    /// Why the service cannot deliver `message`, or nil.
    private func failure(_ message: Resolved) -> String? {
        let bits = message.channel.contactBits
        let contact = world.population.contact[message.user]
        guard contact & bits.address != 0 else { return "no \(message.channel.rawValue) address" }
        guard contact & bits.consent != 0 else {
            return withdrawn[message.user] & bits.consent != 0
                ? "unsubscribed: the user withdrew consent for \(message.channel.rawValue)"
                : "no consent for \(message.channel.rawValue)"
        }
        if isBadAddress(user: message.user, channel: message.channel) { return message.channel.badAddressReason }
        return nil
    }

    /// Whether the (user, channel) address is one of the bad ones: a fixed draw per address, so every
    /// message to it fails, as a stale device token does.
    func isBadAddress(user: Int, channel: Vocabulary.Channel) -> Bool {
        let channelIndex = Vocabulary.Channel.allCases.firstIndex(of: channel)!
        var random = SimRandom(seed: settings.seed, Purpose.address, UInt64(user), UInt64(channelIndex))
        return random.chance(settings.failureRate)
    }

    /// Draws the user's response to a delivered message and writes its events and truth row.
    private func respond(_ message: Resolved) {
        let user = message.user
        let delivery = message.delivery
        let model = ResponseModel(population: world.population, calibration: settings.signal.calibration)
        var random = SimRandom(seed: settings.seed, Purpose.response, delivery.messageID, UInt64(delivery.attempt))
        var history = fatigue[user] ?? FatigueHistory()
        let withoutMessage = organicGoalProbability(user: user, goal: message.goal, from: delivery.deliveredAtSeconds)
        let response = MessageResponder(model: model).respond(
            to: DeliveredMessage(
                user: user,
                labels: message.labels,
                window: message.window,
                deliveredAtSeconds: delivery.deliveredAtSeconds
            ),
            history: &history,
            &random
        )
        fatigue[user] = history

        // Opting out does not depend on the response: annoyed users unsubscribe whether or not they click.
        let optOutProbability = min(1, settings.optOutBase + settings.optOutSlope * response.fatigue)
        let isOptedOut = random.chance(optOutProbability)
        if isOptedOut {
            let consent = message.channel.contactBits.consent
            world.population.contact[user] &= ~consent
            withdrawn[user] |= consent
            today.optOuts += 1
        }
        let isCannibalizing = random.chance(settings.cannibalization)

        var events = DaySimulator(world: world, messageDay: state.nextDay, output: responses)
        events.random = random
        events.messageKeyHigh = SimRandom.mix(
            delivery.messageID ^ SimRandom.mix(UInt64(delivery.attempt) ^ world.keySalt ^ Purpose.response)
        )
        var sequence = 0
        let deliveredMillis = delivery.deliveredAtSeconds * 1000
        if let click = response.clickAfterSeconds {
            today.clicks += 1
            events.messageClick(
                user: user,
                messageID: delivery.messageID,
                clickMillis: deliveredMillis + click * 1000,
                sequence: &sequence
            )
        }
        var isGoal = false
        if let goalAfter = response.goalAfterSeconds {
            isGoal = events.messageGoalSession(
                user: user,
                goal: message.goal,
                items: message.items,
                startMillis: deliveredMillis + goalAfter * 1000,
                sequence: &sequence
            )
        }
        if isGoal {
            today.goals += 1
            if isCannibalizing {
                today.cannibalized += 1
                let debt = message.goal == .visit ? world.population.visitDebt : world.population.purchaseDebt
                if debt[user] < UInt8.max { debt[user] += 1 }
            }
        }
        SendsTable.appendRow(
            into: sendRows,
            .init(
                delivery: delivery,
                userID: world.encoder.userID(user),
                channel: message.channel.rawValue,
                window: message.window.map { world.windowLayout.label($0) } ?? "night",
                goal: message.goal.rawValue,
                withoutMessage: withoutMessage,
                messageGoal: response.goalProbability,
                cannibalization: settings.cannibalization,
                fatigue: response.fatigue,
                optOutProbability: optOutProbability,
                isOptedOut: isOptedOut,
                isClicked: response.clickAfterSeconds != nil,
                isGoal: isGoal,
                isCannibalizing: isGoal && isCannibalizing
            )
        )
    }

    /// P(the user reaches the goal organically within the attribution window after `start`): an
    /// estimate from the organic model's rates (not its draws). With λ the expected organic goal
    /// sessions in the window,
    ///
    ///     λ = Σ over the windows w it overlaps: P(active on w's local day) × min(0.9, sessions × share_w)
    ///         × overlap_w × q(goal),   P = 1 − exp(−λ)
    ///
    /// where P(active) is the return model with the user's current last visit, overlap_w the share of w
    /// inside the attribution window, and q(visit) = 1, q(purchase) = ``purchasePerSession``.
    func organicGoalProbability(user: Int, goal: Vocabulary.Goal, from start: Int64) -> Double {
        let population = world.population
        let layout = world.windowLayout
        let end = start + MessageResponder.attributionWindowSeconds
        let zone = Int(population.zone[user])
        let q = goal == .visit ? 1 : Self.purchasePerSession
        var expected = 0.0
        let first = Int(start / 86_400) - 1 - world.startEpochDay
        let last = Int(end / 86_400) + 1 - world.startEpochDay
        for localDay in max(-1, first)...min(settings.days, last) {
            let epochDay = world.startEpochDay + localDay
            let midnight = Int64(epochDay * 86_400 - world.zoneOffsets.secondsEast(zone: zone, epochDay: epochDay))
            let weekday = CivilDate.weekday(epochDay: epochDay)
            let base = user * Population.windowsPerWeek + weekday * Population.windowsPerDay
            var daySum: Float = 0
            for window in 0..<Population.windowsPerDay { daySum += population.routine[base + window] }
            let daysAway = Double(max(1, localDay - Int(population.lastVisitDay[user])))
            let returnFactor =
                DaySimulator.Session.returnFloor + (1 - DaySimulator.Session.returnFloor)
                * exp(-(daysAway - 1) / Double(population.returnDays[user]))
            let active = min(0.97, Double(population.activity[user] * (7 * daySum)) * returnFactor)
            for window in 0..<Population.windowsPerDay {
                let windowStart = midnight + Int64(layout.firstWindowStartSeconds + window * layout.windowLengthSeconds)
                let windowEnd = windowStart + Int64(layout.windowLengthSeconds)
                let overlap = max(0, min(end, windowEnd) - max(start, windowStart))
                guard overlap > 0 else { continue }
                let share = Double(population.routine[base + window] / daySum)
                let sessions = min(
                    DaySimulator.Session.maximumWindowProbability,
                    Double(population.sessionsPerActiveDay[user]) * share
                )
                expected += active * sessions * Double(overlap) / Double(layout.windowLengthSeconds) * q
            }
        }
        return 1 - exp(-expected)
    }

    /// The chance an organic session ends in a purchase, from the session model: at least one of
    /// 1 + Geometric(2.5) views goes to the cart (0.12 each, items in stock about 92 % of the time,
    /// the catalog's steady state 0.35 / (0.35 + 0.03)), then checkout (0.55) and at least one
    /// purchase (about 0.9). Bundle follow-ups are left out, so this is slightly low.
    static let purchasePerSession: Double = {
        let session = DaySimulator.Session.self
        let x = 1 - session.cartProbability * 0.92
        let p = 1 / (1 + session.meanExtraViews)
        let noCart = x * p / (1 - (1 - p) * x)
        return (1 - noCart) * session.checkoutProbability * session.purchaseProbability
    }()
}

/// `truth/sends.csv`: one row per delivered message.
///
/// | column          | meaning                                                                        |
/// |-----------------|--------------------------------------------------------------------------------|
/// | message_id      | the outbox message id                                                          |
/// | attempt         | the delivery attempt                                                           |
/// | user_id         | the user                                                                       |
/// | campaign, goal  | the campaign and its goal (purchase or visit)                                  |
/// | channel         | email, sms or push                                                             |
/// | delivered_at    | UTC                                                                            |
/// | window          | the user's local weekly window at delivery (`Mon 07-10`), or `night`           |
/// | labels          | the copy's labels, `|`-separated, as delivered                                 |
/// | p_goal_without  | P(organic goal within 24 h) without the message (estimate, see LiveWorld)      |
/// | p_message_goal  | P(the message leads to a goal session): the response model's σ(logit)          |
/// | p_incremental   | p_message_goal × (1 − cannibalization): goals the message adds, net            |
/// | p_goal_with     | min(1, p_goal_without + p_incremental)                                          |
/// | fatigue         | the user's fatigue for this copy at delivery (logits)                          |
/// | p_opt_out       | min(1, opt_out_base + opt_out_slope × fatigue)                                  |
/// | opted_out       | whether the user withdrew consent for the channel                              |
/// | clicked         | whether the user clicked                                                       |
/// | message_goal    | whether the message led to a goal session                                      |
/// | cannibalized    | whether that goal replaced a later organic one (removed from the dumps)        |
enum SendsTable {
    static let header =
        "message_id,attempt,user_id,campaign,goal,channel,delivered_at,window,labels,p_goal_without,p_message_goal,"
        + "p_incremental,p_goal_with,fatigue,p_opt_out,opted_out,clicked,message_goal,cannibalized\n"

    struct Row {
        var delivery: Delivery
        var userID: String
        var channel: String
        var window: String
        var goal: String
        var withoutMessage: Double
        var messageGoal: Double
        var cannibalization: Double
        var fatigue: Double
        var optOutProbability: Double
        var isOptedOut: Bool
        var isClicked: Bool
        var isGoal: Bool
        var isCannibalizing: Bool
    }

    static func appendRow(into out: OutputBuffer, _ row: Row) {
        let incremental = row.messageGoal * (1 - row.cannibalization)
        // Campaign names and labels are checked against the vocabulary, so they hold no commas or quotes.
        let fields: [String] = [
            row.delivery.messageIDText, String(row.delivery.attempt), row.userID, row.delivery.campaign, row.goal,
            row.channel, utcText(seconds: row.delivery.deliveredAtSeconds), row.window,
            row.delivery.labels.joined(separator: "|"), probability(row.withoutMessage),
            probability(row.messageGoal), probability(incremental),
            probability(min(1, row.withoutMessage + incremental)), probability(row.fatigue),
            probability(row.optOutProbability), String(row.isOptedOut), String(row.isClicked), String(row.isGoal),
            String(row.isCannibalizing),
        ]
        out.append(Array((fields.joined(separator: ",") + "\n").utf8))
    }

    /// Six significant digits are plenty for a probability and keep the file deterministic.
    static func probability(_ value: Double) -> String {
        String(format: "%.6g", value)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

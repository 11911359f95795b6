/// Simulates one shard of users through one local day: who opens the app, when, and what they do.
///
/// The loop is per local day `L` (each user's own calendar day). A user's windows on `L` land on UTC
/// days `L - 1`, `L` or `L + 1` depending on the time zone, and dirt can push a line up to four days
/// later, so the shard's lines go to one buffer per UTC dump from `L - 1` to `L + 5`
/// (``ShardDayOutput/firstOffset`` … ``ShardDayOutput/lastOffset``).
///
/// Messages are a second source of sessions (`DaySimulator+Messages.swift`): a delivered message that
/// the response model says the user acts on. Both go through ``emit``.
///
/// Cannibalization: a user who owes goals (`Population.visitDebt`, `purchaseDebt`) because a message
/// pulled a goal forward loses the next organic goal: the whole next session for a visit, the checkout
/// and purchases of the next session that checks out for a purchase. Removed events still make their
/// random draws, so the rest of the organic world is exactly the world without messages.
struct DaySimulator {
    let world: World
    /// The local day simulated; for message sessions, the UTC day of the step (the output's origin).
    let localDay: Int
    let output: ShardDayOutput
    var random: SimRandom
    /// The high word of message events' keys; nil for organic events, whose keys come from (user, day).
    var messageKeyHigh: UInt64? = nil

    init(world: World, shard: Int, localDay: Int, output: ShardDayOutput) {
        self.world = world
        self.localDay = localDay
        self.output = output
        random = SimRandom(seed: world.settings.seed, Purpose.day, UInt64(shard), UInt64(bitPattern: Int64(localDay)))
    }

    /// A simulator for the events messages cause on and after UTC day `utcDay`. The caller sets
    /// ``random`` and ``messageKeyHigh`` for each message.
    init(world: World, messageDay utcDay: Int, output: ShardDayOutput) {
        self.world = world
        localDay = utcDay
        self.output = output
        random = SimRandom(seed: world.settings.seed, Purpose.response)
    }

    /// Session model constants; `truth/README.md` documents them.
    enum Session {
        static let meanExtraViews = 2.5
        static let cartProbability = 0.12
        static let bundleCartProbability = 0.45
        static let bundleFollowProbability = 0.5
        static let exploreProbability = 0.1
        static let checkoutProbability = 0.55
        static let purchaseProbability = 0.9
        static let returnFloor = 0.15
        static let maximumWindowProbability = 0.9
    }

    mutating func run(users: Range<Int>) {
        let population = world.population
        let weekday = CivilDate.weekday(epochDay: world.startEpochDay + localDay)
        for user in users {
            // Return model: the chance to open the app today falls with the days since the last
            // visit, toward a floor, and scales with the user's activity on this weekday.
            // The routine's share of this weekday; 7 × it is the day's activity weight (mean 1).
            let base = user * Population.windowsPerWeek + weekday * Population.windowsPerDay
            var daySum: Float = 0
            for window in 0..<Population.windowsPerDay { daySum += population.routine[base + window] }
            let daysAway = Double(localDay - Int(population.lastVisitDay[user]))
            let returnFactor =
                Session.returnFloor + (1 - Session.returnFloor)
                * exp(-(daysAway - 1) / Double(population.returnDays[user]))
            let probability = min(0.97, Double(population.activity[user] * (7 * daySum)) * returnFactor)
            guard random.chance(probability) else { continue }
            population.lastVisitDay[user] = Int32(localDay)
            output.usersWithSessions += 1

            // Sessions land in the day's windows in proportion to the routine.
            var sequence = 0
            var sessions = 0
            for window in 0..<Population.windowsPerDay {
                let share = Double(population.routine[base + window] / daySum)
                if random.chance(
                    min(Session.maximumWindowProbability, Double(population.sessionsPerActiveDay[user]) * share)
                ) {
                    session(user: user, window: window, sequence: &sequence)
                    sessions += 1
                }
            }
            if sessions == 0 {
                var target = Float(random.uniform()) * daySum
                var window = 0
                while window < Population.windowsPerDay - 1 && target >= population.routine[base + window] {
                    target -= population.routine[base + window]
                    window += 1
                }
                session(user: user, window: window, sequence: &sequence)
            }
        }
    }

    /// UTC milliseconds of local time `secondOfDay` on the local day, for `user`'s time zone.
    @inline(__always)
    private func utcMillis(user: Int, secondOfDay: Double) -> Int64 {
        let epochDay = world.startEpochDay + localDay
        let offset = world.zoneOffsets.secondsEast(zone: Int(world.population.zone[user]), epochDay: epochDay)
        return Int64((Double(epochDay * 86_400 - offset) + secondOfDay) * 1000)
    }

    /// One visit: open the app, view items, maybe add to the cart, maybe check out and buy.
    private mutating func session(user: Int, window: Int, sequence: inout Int) {
        let catalog = world.catalog
        let population = world.population
        let windowStart = Double(
            world.windowLayout.firstWindowStartSeconds + window * world.windowLayout.windowLengthSeconds
        )
        // A visit a message pulled forward: this session is the one it replaces.
        let isRemovedVisit = population.visitDebt[user] > 0
        if isRemovedVisit {
            population.visitDebt[user] -= 1
            output.removedVisits += 1
        }
        var second = windowStart + random.uniform() * Double(world.windowLayout.windowLengthSeconds - 1_200)
        emit(
            .appOpened,
            user: user,
            item: -1,
            millis: utcMillis(user: user, secondOfDay: second),
            sequence: &sequence,
            isRemoved: isRemovedVisit
        )

        var cart: [Int] = []
        var followUp: Int? = nil
        let views = 1 + random.geometric(mean: Session.meanExtraViews)
        for _ in 0..<views {
            second += 8 + random.exponential(mean: 40)
            let isFollowUp = followUp != nil
            let item: Int
            if let next = followUp {
                item = next
            } else if random.chance(Session.exploreProbability) {
                item = catalog.samplePopular(&random)
            } else {
                let c = sampleCumulative(population.categoryRow(user: user), &random)
                let g = sampleCumulative(population.genreRow(user: user), &random)
                item = catalog.sample(category: c, genre: g, &random)
            }
            followUp = nil
            emit(
                .productViewed,
                user: user,
                item: item,
                millis: utcMillis(user: user, secondOfDay: second),
                sequence: &sequence,
                isRemoved: isRemovedVisit
            )
            let cartChance = isFollowUp ? Session.bundleCartProbability : Session.cartProbability
            if catalog.inStock(item, day: localDay), !cart.contains(item), random.chance(cartChance) {
                second += 5 + random.exponential(mean: 20)
                emit(
                    .addToCart,
                    user: user,
                    item: item,
                    millis: utcMillis(user: user, secondOfDay: second),
                    sequence: &sequence,
                    isRemoved: isRemovedVisit
                )
                cart.append(item)
                if random.chance(Session.bundleFollowProbability) {
                    followUp = catalog.bundlePartner(of: item, &random)
                }
            }
        }
        guard !cart.isEmpty, random.chance(Session.checkoutProbability) else { return }
        // A purchase a message pulled forward: this checkout is the one it replaces.
        let isRemovedPurchase = isRemovedVisit || population.purchaseDebt[user] > 0
        second += 20 + random.exponential(mean: 60)
        var total = 0
        for item in cart { total += Int(catalog.priceCents[item]) }
        emit(
            .checkout,
            user: user,
            item: -1,
            millis: utcMillis(user: user, secondOfDay: second),
            valueCents: total,
            cartItems: cart.count,
            sequence: &sequence,
            isRemoved: isRemovedPurchase
        )
        var purchases = 0
        for item in cart where random.chance(Session.purchaseProbability) {
            second += 1 + random.exponential(mean: 2)
            purchases += 1
            emit(
                .purchase,
                user: user,
                item: item,
                millis: utcMillis(user: user, secondOfDay: second),
                valueCents: Int(catalog.priceCents[item]),
                sequence: &sequence,
                isRemoved: isRemovedPurchase
            )
        }
        // The debt is paid by a session that would have bought; a checkout that bought nothing was no goal.
        if isRemovedPurchase, !isRemovedVisit, purchases > 0 {
            population.purchaseDebt[user] -= 1
            output.removedPurchases += 1
        }
    }

    /// Writes one event into the dump of its UTC day, adding dirt at the configured rates. Events
    /// outside the simulated days are dropped (they belong to days nobody exports). A removed event
    /// (`isRemoved`) makes the same random draws and writes nothing.
    mutating func emit(
        _ kind: Vocabulary.Event,
        user: Int,
        item: Int,
        millis: Int64,
        valueCents: Int = -1,
        cartItems: Int = 0,
        messageID: UInt64 = 0,
        sequence: inout Int,
        isRemoved: Bool = false
    ) {
        sequence += 1
        let utcDay = Int(millis / 86_400_000) - world.startEpochDay
        guard utcDay >= 0, utcDay < world.settings.days else { return }
        let settings = world.settings
        // The high word is a bijection of (user, local day), the low word of the sequence number given the
        // high word, so keys never collide. Message events take their high word from the message.
        let keyHigh = messageKeyHigh ?? SimRandom.mix(UInt64(user) << 20 | UInt64(localDay + 1) ^ world.keySalt)
        let event = SimulatedEvent(
            kind: kind,
            user: user,
            item: item,
            utcMillis: millis,
            valueCents: valueCents,
            cartItems: cartItems,
            keyHigh: keyHigh,
            keyLow: SimRandom.mix(UInt64(sequence) ^ keyHigh),
            messageID: messageID
        )

        var target = utcDay
        if settings.lateRate > 0, random.chance(settings.lateRate) {
            let later = utcDay + 1 + random.below(3)
            if later < settings.days {
                target = later
                if !isRemoved { output.late[later - localDay + 1] += 1 }
            }
        }
        if isRemoved {
            // The draws below, in the same order, with nothing written.
            if settings.duplicateRate > 0, random.chance(settings.duplicateRate) { _ = random.chance(0.5) }
            if settings.malformedRate > 0, random.chance(settings.malformedRate) {
                world.encoder.skipMalformed(&random)
            }
            return
        }
        let buffer = output.buffers[target - localDay + 1]
        let start = buffer.count
        world.encoder.encode(event, into: buffer)
        let line = start..<buffer.count
        output.lines[target - localDay + 1] += 1
        output.events[utcDay - localDay + 1][kind.rawValue] += 1
        if kind == .purchase { output.revenueCents[utcDay - localDay + 1] += valueCents }

        if settings.duplicateRate > 0, random.chance(settings.duplicateRate) {
            // A CDP retry: the same line again, right after or in the next day's dump.
            let retryDay = random.chance(0.5) && target + 1 < settings.days ? target + 1 : target
            output.buffers[retryDay - localDay + 1].appendCopy(of: line, from: buffer)
            output.duplicates[retryDay - localDay + 1] += 1
            output.lines[retryDay - localDay + 1] += 1
        }
        if settings.malformedRate > 0, random.chance(settings.malformedRate) {
            world.encoder.appendMalformed(
                copyOf: line.lowerBound..<(line.upperBound - 1),
                in: buffer,
                into: buffer,
                &random
            )
            output.malformed[target - localDay + 1] += 1
            output.lines[target - localDay + 1] += 1
        }
    }
}

/// What one shard produced for one local day: lines per UTC dump and the counts behind them.
final class ShardDayOutput {
    /// Buffers for UTC days `localDay + firstOffset ... localDay + lastOffset`.
    static let firstOffset = -1
    static let lastOffset = 5
    static let slots = lastOffset - firstOffset + 1

    let buffers: [OutputBuffer]
    /// Counts per slot (UTC day). `events` and `revenueCents` count by the event's own day; `late`,
    /// `duplicates` and `malformed` by the dump they were written to.
    var events: [[Int]]
    var revenueCents: [Int]
    var late: [Int]
    var duplicates: [Int]
    var malformed: [Int]
    /// Lines written to each slot's dump: events, duplicates and malformed lines.
    var lines: [Int]
    var usersWithSessions = 0
    /// Organic goals removed because a message had pulled them forward (cannibalization).
    var removedVisits = 0
    var removedPurchases = 0

    init() {
        buffers = (0..<Self.slots).map { _ in OutputBuffer(capacity: 1 << 18) }
        events = Array(repeating: Array(repeating: 0, count: Vocabulary.Event.allCases.count), count: Self.slots)
        revenueCents = Array(repeating: 0, count: Self.slots)
        late = Array(repeating: 0, count: Self.slots)
        duplicates = Array(repeating: 0, count: Self.slots)
        malformed = Array(repeating: 0, count: Self.slots)
        lines = Array(repeating: 0, count: Self.slots)
    }

    /// Empties the buffers and counts for the next shard.
    func reset() {
        for buffer in buffers { buffer.removeAll() }
        for slot in 0..<Self.slots {
            for kind in 0..<events[slot].count { events[slot][kind] = 0 }
            revenueCents[slot] = 0
            late[slot] = 0
            duplicates[slot] = 0
            malformed[slot] = 0
            lines[slot] = 0
        }
        usersWithSessions = 0
        removedVisits = 0
        removedPurchases = 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

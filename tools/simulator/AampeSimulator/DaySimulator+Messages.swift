/// The events a delivered message causes: the click, then maybe the goal session.
extension DaySimulator {
    /// Emits `message_clicked` (property `message_id`) at `clickMillis`.
    mutating func messageClick(user: Int, messageID: UInt64, clickMillis: Int64, sequence: inout Int) {
        emit(.messageClicked, user: user, item: -1, millis: clickMillis, messageID: messageID, sequence: &sequence)
    }

    /// The session a message drives to its goal, starting at `startMillis`.
    ///
    /// A visit: `app_opened` and 1 + Geometric(mean 2.5) product views. A purchase: `app_opened`, views
    /// of the message's items (or, without items, one item of the user's tastes), then the first viewed
    /// item in stock goes to the cart, is checked out and bought. Returns false when no item could be
    /// bought (every candidate out of stock), so the goal was not reached.
    mutating func messageGoalSession(
        user: Int,
        goal: Vocabulary.Goal,
        items: [Int],
        startMillis: Int64,
        sequence: inout Int
    ) -> Bool {
        let catalog = world.catalog
        let population = world.population
        var millis = startMillis
        emit(.appOpened, user: user, item: -1, millis: millis, sequence: &sequence)
        func tasteItem(_ random: inout SimRandom) -> Int {
            let c = sampleCumulative(population.categoryRow(user: user), &random)
            let g = sampleCumulative(population.genreRow(user: user), &random)
            return catalog.sample(category: c, genre: g, &random)
        }
        var viewed: [Int] = []
        let viewCount = goal == .visit ? 1 + random.geometric(mean: Session.meanExtraViews) : max(1, items.count)
        for index in 0..<viewCount {
            let item = index < items.count ? items[index] : tasteItem(&random)
            millis += Int64(1_000 * (8 + random.exponential(mean: 40)))
            emit(.productViewed, user: user, item: item, millis: millis, sequence: &sequence)
            viewed.append(item)
        }
        guard goal == .purchase else { return true }
        // Stock of the day the session falls on, kept inside the days the catalog knows.
        let day = min(world.settings.days, max(-1, Int(millis / 86_400_000) - world.startEpochDay))
        var bought = viewed.first { catalog.inStock($0, day: day) }
        var tries = 0
        while bought == nil, tries < Self.maximumReplacementViews {
            let item = tasteItem(&random)
            millis += Int64(1_000 * (8 + random.exponential(mean: 40)))
            emit(.productViewed, user: user, item: item, millis: millis, sequence: &sequence)
            if catalog.inStock(item, day: day) { bought = item }
            tries += 1
        }
        guard let item = bought else { return false }
        let price = Int(catalog.priceCents[item])
        millis += Int64(1_000 * (5 + random.exponential(mean: 20)))
        emit(.addToCart, user: user, item: item, millis: millis, sequence: &sequence)
        millis += Int64(1_000 * (20 + random.exponential(mean: 60)))
        emit(.checkout, user: user, item: -1, millis: millis, valueCents: price, cartItems: 1, sequence: &sequence)
        millis += Int64(1_000 * (1 + random.exponential(mean: 2)))
        emit(.purchase, user: user, item: item, millis: millis, valueCents: price, sequence: &sequence)
        return true
    }

    /// Items a buyer views looking for one in stock before giving up.
    static let maximumReplacementViews = 20
}

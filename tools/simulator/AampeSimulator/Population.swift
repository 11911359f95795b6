import Dispatch

/// Every user's observable and hidden traits, and the little state that changes day to day.
///
/// Traits live in flat arrays (structure of arrays), about 300 bytes a user, so 10^6 users take about
/// 300 MB whatever the number of days or events. A user's traits come from a stream of its own
/// (`seed`, user index), so building them in parallel gives the same world as building them in order.
final class Population: @unchecked Sendable {
    // @unchecked: the buffers are written while the population is built and by the day simulation,
    // and in both cases each user's slots belong to exactly one worker (its shard's), never shared.

    static let windowsPerDay = 5
    static let windowsPerWeek = 35
    static let categoryCount = Vocabulary.categories.count
    static let genreCount = Vocabulary.genres.count
    static let labelCount = Vocabulary.labels.count

    let count: Int
    let personas: [Persona]
    /// Persona and population parts of every copy preference: `personaCopyEffect[p * labelCount + l]`.
    let populationCopyEffect: [Double]
    let personaCopyEffect: [Double]

    let persona: UnsafeMutableBufferPointer<UInt8>
    let country: UnsafeMutableBufferPointer<UInt8>
    let zone: UnsafeMutableBufferPointer<UInt8>
    let firstName: UnsafeMutableBufferPointer<UInt8>
    /// Bit 0 email, 1 email consent, 2 phone, 3 sms consent, 4 push token, 5 push consent.
    let contact: UnsafeMutableBufferPointer<UInt8>
    /// Weekly routine: share of the user's activity in each of the 35 windows (sums to 1).
    let routine: UnsafeMutableBufferPointer<Float>
    let activity: UnsafeMutableBufferPointer<Float>
    let sessionsPerActiveDay: UnsafeMutableBufferPointer<Float>
    let returnDays: UnsafeMutableBufferPointer<Float>
    /// Cumulative category and genre affinities (the last entry of each row is 1).
    let categoryCumulative: UnsafeMutableBufferPointer<Float>
    let genreCumulative: UnsafeMutableBufferPointer<Float>
    let responsiveness: UnsafeMutableBufferPointer<Float>
    let fatiguePerSend: UnsafeMutableBufferPointer<Float>
    let fatigueSameCopy: UnsafeMutableBufferPointer<Float>
    let recoveryDays: UnsafeMutableBufferPointer<Float>
    /// Preference for each label, in logits: population + persona + individual effect.
    let copyPreference: UnsafeMutableBufferPointer<Float>
    /// Simulated day of the last visit (negative: before the simulation started).
    let lastVisitDay: UnsafeMutableBufferPointer<Int32>
    /// Organic goals the user still owes because messages pulled them forward (cannibalization): the
    /// next organic session, or the next organic purchase, is removed. Zero in a world without messages.
    let visitDebt: UnsafeMutableBufferPointer<UInt8>
    let purchaseDebt: UnsafeMutableBufferPointer<UInt8>

    static let contactEmail: UInt8 = 1, contactEmailConsent: UInt8 = 2, contactPhone: UInt8 = 4
    static let contactSMSConsent: UInt8 = 8, contactPush: UInt8 = 16, contactPushConsent: UInt8 = 32

    init(settings: WorldSettings, threads: Int) {
        count = settings.users
        personas = Array(Persona.archetypes.prefix(settings.personas))
        let shares = settings.normalizedCopyShares
        let scale = settings.copyEffectScale
        var personaRandom = SimRandom(seed: settings.seed, Purpose.personas)
        populationCopyEffect = (0..<Population.labelCount).map { _ in
            personaRandom.normal() * (shares.population).squareRoot() * scale
        }
        personaCopyEffect = (0..<(personas.count * Population.labelCount)).map { _ in
            personaRandom.normal() * (shares.persona).squareRoot() * scale
        }

        let count = settings.users
        func allocate<T>(_ type: T.Type, _ perUser: Int, _ initial: T) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, count * perUser))
            buffer.initialize(repeating: initial)
            return buffer
        }
        persona = allocate(UInt8.self, 1, 0)
        country = allocate(UInt8.self, 1, 0)
        zone = allocate(UInt8.self, 1, 0)
        firstName = allocate(UInt8.self, 1, 0)
        contact = allocate(UInt8.self, 1, 0)
        routine = allocate(Float.self, Population.windowsPerWeek, 0)
        activity = allocate(Float.self, 1, 0)
        sessionsPerActiveDay = allocate(Float.self, 1, 0)
        returnDays = allocate(Float.self, 1, 0)
        categoryCumulative = allocate(Float.self, Population.categoryCount, 0)
        genreCumulative = allocate(Float.self, Population.genreCount, 0)
        responsiveness = allocate(Float.self, 1, 0)
        fatiguePerSend = allocate(Float.self, 1, 0)
        fatigueSameCopy = allocate(Float.self, 1, 0)
        recoveryDays = allocate(Float.self, 1, 0)
        copyPreference = allocate(Float.self, Population.labelCount, 0)
        lastVisitDay = allocate(Int32.self, 1, 0)
        visitDebt = allocate(UInt8.self, 1, 0)
        purchaseDebt = allocate(UInt8.self, 1, 0)

        let chunk = 4_096
        let chunks = (count + chunk - 1) / chunk
        let seed = settings.seed
        let individualScale = shares.individual.squareRoot() * scale
        let build = { (index: Int) in
            for user in (index * chunk)..<min(self.count, (index + 1) * chunk) {
                self.build(user: user, seed: seed, individualScale: individualScale)
            }
        }
        parallelFor(chunks, threads: threads, build)
    }

    deinit {
        for buffer in [persona, country, zone, firstName, contact, visitDebt, purchaseDebt] { buffer.deallocate() }
        for buffer in [
            routine, activity, sessionsPerActiveDay, returnDays, categoryCumulative, genreCumulative, responsiveness,
            fatiguePerSend, fatigueSameCopy, recoveryDays, copyPreference,
        ] { buffer.deallocate() }
        lastVisitDay.deallocate()
    }

    private func build(user: Int, seed: UInt64, individualScale: Double) {
        var random = SimRandom(seed: seed, Purpose.user, UInt64(user))
        let p = random.below(personas.count)
        let persona = personas[p]
        self.persona[user] = UInt8(p)

        // Observable traits.
        let countryIndex = pick(Population.countryCumulative, &random)
        let home = Country.all[countryIndex]
        country[user] = UInt8(countryIndex)
        let zoneName = home.zones[pick(cumulative(home.zones.map(\.share)), &random)].name
        zone[user] = UInt8(Country.zoneNames.firstIndex(of: zoneName)!)
        firstName[user] = UInt8(random.below(home.names.count))
        var flags: UInt8 = 0
        if random.chance(0.9) {
            flags |= Population.contactEmail
            if random.chance(0.7) { flags |= Population.contactEmailConsent }
        }
        if random.chance(0.5) {
            flags |= Population.contactPhone
            if random.chance(0.4) { flags |= Population.contactSMSConsent }
        }
        if random.chance(0.6) {
            flags |= Population.contactPush
            if random.chance(0.75) { flags |= Population.contactPushConsent }
        }
        contact[user] = flags

        // Weekly routine: the persona's window and weekday shapes, a personal tilt per window and per
        // weekday, and a little noise per cell.
        let windowTilt = (0..<Population.windowsPerDay).map { _ in exp(0.6 * random.normal()) }
        let weekdayTilt = (0..<7).map { _ in exp(0.3 * random.normal()) }
        var cells = [Double](repeating: 0, count: Population.windowsPerWeek)
        for day in 0..<7 {
            for window in 0..<Population.windowsPerDay {
                cells[day * Population.windowsPerDay + window] =
                    persona.windowShape[window] * windowTilt[window] * persona.weekdayShape[day] * weekdayTilt[day]
                    * exp(0.25 * random.normal())
            }
        }
        let total = cells.reduce(0, +)
        for index in 0..<Population.windowsPerWeek {
            routine[user * Population.windowsPerWeek + index] = Float(cells[index] / total)
        }

        activity[user] = Float(min(0.95, persona.dailyActivity * exp(0.45 * random.normal() - 0.1)))
        sessionsPerActiveDay[user] = Float(max(1, persona.sessionsPerActiveDay * exp(0.3 * random.normal())))
        returnDays[user] = Float(persona.returnDays * exp(0.4 * random.normal()))

        // Tastes: the persona's favourites plus individual noise, normalized to probabilities.
        func affinities(
            _ names: [String],
            _ favourites: [String: Double],
            into target: UnsafeMutableBufferPointer<Float>,
            row: Int
        ) {
            let weights = names.map { (1 + (favourites[$0] ?? 0)) * exp(0.8 * random.normal()) }
            let sum = weights.reduce(0, +)
            var running = 0.0
            for (index, weight) in weights.enumerated() {
                running += weight / sum
                target[row * names.count + index] = Float(running)
            }
            target[row * names.count + names.count - 1] = 1
        }
        affinities(Vocabulary.categories, persona.favouriteCategories, into: categoryCumulative, row: user)
        affinities(Vocabulary.genres, persona.favouriteGenres, into: genreCumulative, row: user)

        // Messaging traits, used by the response model.
        responsiveness[user] = Float(persona.responsiveness + 0.6 * random.normal())
        fatiguePerSend[user] = Float(0.25 * exp(0.4 * random.normal()))
        fatigueSameCopy[user] = Float(0.5 * exp(0.4 * random.normal()))
        recoveryDays[user] = Float(3 * exp(0.3 * random.normal()))
        for label in 0..<Population.labelCount {
            copyPreference[user * Population.labelCount + label] = Float(
                populationCopyEffect[label] + personaCopyEffect[p * Population.labelCount + label] + individualScale
                    * random.normal()
            )
        }

        // Users have a history before the first simulated day: the last visit lies some days back.
        lastVisitDay[user] = Int32(-1 - random.geometric(mean: Double(returnDays[user]) / 2))
    }

    static let countryCumulative = cumulative(Country.all.map(\.share))

    /// The user's cumulative category affinities, for sampling.
    @inline(__always)
    func categoryRow(user: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(
            start: categoryCumulative.baseAddress! + user * Population.categoryCount,
            count: Population.categoryCount
        )
    }

    @inline(__always)
    func genreRow(user: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(
            start: genreCumulative.baseAddress! + user * Population.genreCount,
            count: Population.genreCount
        )
    }

    /// Category affinity of `user` for category `c` (a probability; the row sums to 1).
    func categoryAffinity(user: Int, category c: Int) -> Float {
        let row = user * Population.categoryCount
        return categoryCumulative[row + c] - (c == 0 ? 0 : categoryCumulative[row + c - 1])
    }

    func genreAffinity(user: Int, genre g: Int) -> Float {
        let row = user * Population.genreCount
        return genreCumulative[row + g] - (g == 0 ? 0 : genreCumulative[row + g - 1])
    }

    /// The user's windows, most active first.
    func windowsByPropensity(user: Int) -> [Int] {
        let base = user * Population.windowsPerWeek
        return (0..<Population.windowsPerWeek).sorted { a, b in
            routine[base + a] != routine[base + b] ? routine[base + a] > routine[base + b] : a < b
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import AampeLearning
import Foundation
import Testing

@Suite("window propensity: cross-fitting the prior strength on the other half of each user's days")
struct WindowPropensityCrossFitTests {
    typealias Simulated = WindowPropensityModelTests

    /// Splits every user's sessions between two halves at random, as days would.
    static func split(_ counts: [Float], seed: UInt64) -> (even: [Float], odd: [Float]) {
        var random = TimingRandom(seed: seed)
        var even = [Float](repeating: 0, count: counts.count)
        var odd = even
        for index in counts.indices {
            for _ in 0..<Int(counts[index]) {
                if random.uniform() < 0.5 { even[index] += 1 } else { odd[index] += 1 }
            }
        }
        return (even, odd)
    }

    @Test("on Dirichlet-multinomial data the cross-fitted strength lands near the one the data was drawn with")
    func recoversStrength() {
        let data = Simulated.simulate(strengths: [8, 40], usersPerCluster: 1_500, seed: 3)
        let (even, odd) = Self.split(data.counts, seed: 4)
        let model = WindowPropensityModel.crossFit(
            evenDayCounts: even,
            oddDayCounts: odd,
            windowCount: Simulated.windows,
            clusters: data.clusters,
            clusterCount: 2
        )
        #expect(abs(model.priorStrengths[0] / 8 - 1) < 0.35, "\(model.priorStrengths)")
        #expect(abs(model.priorStrengths[1] / 40 - 1) < 0.35, "\(model.priorStrengths)")
        // The profiles are the pooled shares of all sessions, as the marginal-likelihood fit has them.
        let pooled = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Simulated.windows,
            clusters: data.clusters,
            clusterCount: 2
        )
        #expect(model.clusterProfiles == pooled.clusterProfiles)
    }

    /// Thin users whose sessions on one day never share a window: each user draws shares from a
    /// Dirichlet of strength 20 and opens the app on 1 to 3 days, twice a day, in two different
    /// windows. The day's two sessions are what makes the marginal likelihood misread them.
    static func distinctWindowsPerDay(users: Int, seed: UInt64) -> (even: [Float], odd: [Float], clusters: [UInt32]) {
        var random = TimingRandom(seed: seed)
        let windows = Simulated.windows
        let raw = (0..<windows).map { _ in random.gamma(2) }
        let profile = raw.map { $0 / raw.reduce(0, +) }
        var even: [Float] = []
        var odd: [Float] = []
        for _ in 0..<users {
            let draws = profile.map { random.gamma(20 * $0) }
            let shares = draws.map { $0 / draws.reduce(0, +) }
            var rows = [[Float](repeating: 0, count: windows), [Float](repeating: 0, count: windows)]
            for day in 0..<(1 + Int(random.uniform() * 3)) {
                let first = random.categorical(shares)
                var second = first
                while second == first { second = random.categorical(shares) }
                rows[day % 2][first] += 1
                rows[day % 2][second] += 1
            }
            even += rows[0]
            odd += rows[1]
        }
        return (even, odd, [UInt32](repeating: 0, count: users))
    }

    @Test(
        "sessions spread over a day's windows: the marginal likelihood reads users as twice as alike as they are; cross-fitting recovers the strength"
    )
    func withinDaySpread() {
        let data = Self.distinctWindowsPerDay(users: 4_000, seed: 11)
        let total = zip(data.even, data.odd).map { $0 + $1 }
        let marginal = WindowPropensityModel.fit(
            counts: total,
            windowCount: Simulated.windows,
            clusters: data.clusters,
            clusterCount: 1
        )
        let crossFitted = WindowPropensityModel.crossFit(
            evenDayCounts: data.even,
            oddDayCounts: data.odd,
            windowCount: Simulated.windows,
            clusters: data.clusters,
            clusterCount: 1
        )
        // Measured: 40.5 against 20.5 for a true strength of 20.
        #expect(marginal.priorStrengths[0] > 1.5 * 20, "\(marginal.priorStrengths)")
        #expect(abs(crossFitted.priorStrengths[0] / 20 - 1) < 0.25, "\(crossFitted.priorStrengths)")
    }

    @Test("users with sessions in one half only say nothing; with none anywhere the fallback strength applies")
    func uninformative() {
        let windows = Simulated.windows
        var even = [Float](repeating: 0, count: windows * 2)
        even[3] = 4
        even[windows + 7] = 2
        let odd = [Float](repeating: 0, count: windows * 2)
        let model = WindowPropensityModel.crossFit(
            evenDayCounts: even,
            oddDayCounts: odd,
            windowCount: windows,
            clusters: [0, 0],
            clusterCount: 1
        )
        #expect(model.priorStrengths == [WindowPropensityModel.fallbackStrength])
    }
}

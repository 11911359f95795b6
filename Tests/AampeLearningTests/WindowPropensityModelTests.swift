import AampeLearning
import Foundation
import Testing

@Suite("window propensity: shrinking users' window counts toward their cluster")
struct WindowPropensityModelTests {
    static let windows = 35

    /// Users of `clusters.count` clusters, each drawn from the Dirichlet-multinomial model: a cluster has a
    /// random profile and the given strength; a user draws shares from Dirichlet(strength × profile) and
    /// spreads 5 to 34 sessions over the windows by them.
    static func simulate(
        strengths: [Double],
        usersPerCluster: Int,
        seed: UInt64
    ) -> (
        counts: [Float], clusters: [UInt32], profiles: [[Double]]
    ) {
        var random = TimingRandom(seed: seed)
        let profiles = strengths.map { _ in
            let raw = (0..<windows).map { _ in random.gamma(2) }
            let sum = raw.reduce(0, +)
            return raw.map { $0 / sum }
        }
        var counts: [Float] = []
        var clusters: [UInt32] = []
        for user in 0..<(usersPerCluster * strengths.count) {
            let cluster = user % strengths.count
            let draws = profiles[cluster].map { random.gamma(strengths[cluster] * $0) }
            let sum = draws.reduce(0, +)
            let shares = draws.map { $0 / sum }
            var row = [Float](repeating: 0, count: windows)
            for _ in 0..<(5 + Int(random.uniform() * 30)) { row[random.categorical(shares)] += 1 }
            counts += row
            clusters.append(UInt32(cluster))
        }
        return (counts, clusters, profiles)
    }

    func distance(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + abs($1.0 - $1.1) } }

    @Test("the fitted strength of each cluster is within 25 % of the one the data was drawn with")
    func strengthRecovered() {
        let data = Self.simulate(strengths: [8, 40], usersPerCluster: 1_500, seed: 3)
        let model = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Self.windows,
            clusters: data.clusters,
            clusterCount: 2
        )
        #expect(abs(model.priorStrengths[0] / 8 - 1) < 0.25, "\(model.priorStrengths)")
        #expect(abs(model.priorStrengths[1] / 40 - 1) < 0.25, "\(model.priorStrengths)")
        for (fitted, truth) in zip(model.clusterProfiles, data.profiles) {
            #expect(abs(fitted.reduce(0, +) - 1) < 1e-12)
            #expect(fitted.allSatisfy { $0 > 0 })
            #expect(distance(fitted, truth) < 0.1)
        }
    }

    @Test("a user with 3 sessions gets about the cluster's profile; one with 3,000 about their own shares")
    func thinAndThick() {
        let data = Self.simulate(strengths: [20], usersPerCluster: 1_000, seed: 8)
        let model = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Self.windows,
            clusters: data.clusters,
            clusterCount: 1
        )
        let profile = model.clusterProfiles[0]
        let strength = model.priorStrengths[0]
        // Both users favour the cluster's least used window.
        let rare = profile.indices.min { profile[$0] < profile[$1] }!
        var thin = [Float](repeating: 0, count: Self.windows)
        thin[rare] = 3
        let thinPosterior = model.posterior(counts: thin[...], cluster: 0)
        // Their own data weighs 3 / (3 + s): the posterior moves at most 2 · 3 / (3 + s) from the profile.
        #expect(distance(thinPosterior, profile) <= 2 * 3 / (3 + strength) + 1e-12)
        #expect(distance(thinPosterior, profile) < 0.3)
        var thick = [Float](repeating: 0, count: Self.windows)
        thick[rare] = 2_000
        thick[(rare + 1) % Self.windows] = 1_000
        let own = thick.map { Double($0) / 3_000 }
        let thickPosterior = model.posterior(counts: thick[...], cluster: 0)
        #expect(distance(thickPosterior, own) < 0.02)
        #expect(abs(thickPosterior.reduce(0, +) - 1) < 1e-12 && abs(thinPosterior.reduce(0, +) - 1) < 1e-12)
        // The exact formula for one window: (n_w + s p_w) / (N + s).
        #expect(abs(thickPosterior[rare] - (2_000 + strength * profile[rare]) / (3_000 + strength)) < 1e-12)
    }

    @Test("a small cluster borrows the strength fitted on all clusters; an empty one gets the uniform profile")
    func smallAndEmptyClusters() {
        var data = Self.simulate(strengths: [15, 15], usersPerCluster: 500, seed: 21)
        // Ten users in cluster 2, too few for a strength of its own; nobody in cluster 3.
        for _ in 0..<10 {
            var row = [Float](repeating: 0, count: Self.windows)
            row[0] = 4
            row[1] = 2
            data.counts += row
            data.clusters.append(2)
        }
        let model = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Self.windows,
            clusters: data.clusters,
            clusterCount: 4
        )
        let everyone = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Self.windows,
            clusters: data.clusters.map { _ in 0 },
            clusterCount: 1
        )
        #expect(model.priorStrengths[2] == model.priorStrengths[3])
        #expect(model.priorStrengths[2] != model.priorStrengths[0])
        #expect(abs(model.priorStrengths[0] / 15 - 1) < 0.35)
        #expect(model.clusterProfiles[3] == [Double](repeating: 1.0 / 35, count: 35))
        #expect(everyone.priorStrengths.count == 1)
        #expect(abs(model.clusterProfiles[2][0] - 4.0 / 6) < 1e-4)
    }

    @Test(
        "fractional counts and counts above the histogram take the exact path: scaling counts by 2.5 keeps the profile and lowers the strength"
    )
    func fractionalCounts() {
        let data = Self.simulate(strengths: [10], usersPerCluster: 400, seed: 4)
        let model = WindowPropensityModel.fit(
            counts: data.counts,
            windowCount: Self.windows,
            clusters: data.clusters,
            clusterCount: 1
        )
        let scaled = WindowPropensityModel.fit(
            counts: data.counts.map { $0 * 2.5 },
            windowCount: Self.windows,
            clusters: data.clusters,
            clusterCount: 1
        )
        #expect(distance(model.clusterProfiles[0], scaled.clusterProfiles[0]) < 1e-9)
        // Each session counted 2.5 times makes users look less alike than multinomial draws of that many
        // sessions would: the fitted strength is lower, and still inside the search interval.
        #expect(scaled.priorStrengths[0] < model.priorStrengths[0])
        #expect(scaled.priorStrengths[0] > 0.01)
        #expect(scaled.priorStrengths[0] < 1e6)
    }
}

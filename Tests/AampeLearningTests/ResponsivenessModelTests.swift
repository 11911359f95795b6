import AampeLearning
import Foundation
import Testing

@Suite("responsiveness: a decayed Beta posterior with cluster priors")
struct ResponsivenessModelTests {
    typealias Send = ResponsivenessModel.Send
    static let now: Int64 = 1_800_000_000
    static let day: Int64 = 86_400

    @Test("with no sends the posterior is the prior, and with no message log every cluster gets Beta(1, 19)")
    func noSends() {
        let model = ResponsivenessModel.fit(sends: [[], []], clusters: [0, 1], clusterCount: 2, nowSeconds: Self.now)
        #expect(model.clusterPriors == [ResponsivenessModel.defaultPrior, ResponsivenessModel.defaultPrior])
        #expect(ResponsivenessModel.defaultPrior.mean == 0.05 && ResponsivenessModel.defaultPrior.strength == 20)
        #expect(model.posterior([], cluster: 1, nowSeconds: Self.now) == ResponsivenessModel.defaultPrior)
    }

    @Test("a response 30 days old counts half as much as a fresh one (the default half-life)")
    func decay() {
        let model = ResponsivenessModel(clusterPriors: [ResponsivenessModel.defaultPrior])
        let oldResponse = [
            Send(atSeconds: Self.now - 30 * Self.day, responded: true), Send(atSeconds: Self.now, responded: false),
        ]
        let recentResponse = [
            Send(atSeconds: Self.now - 30 * Self.day, responded: false), Send(atSeconds: Self.now, responded: true),
        ]
        let old = model.posterior(oldResponse, cluster: 0, nowSeconds: Self.now)
        let recent = model.posterior(recentResponse, cluster: 0, nowSeconds: Self.now)
        #expect(old == ResponsivenessModel.BetaPrior(alpha: 1.5, beta: 20))
        #expect(recent == ResponsivenessModel.BetaPrior(alpha: 2, beta: 19.5))
        #expect(recent.mean > old.mean)
        // A send from the future (clock skew) counts fully, never more.
        let future = model.posterior(
            [Send(atSeconds: Self.now + Self.day, responded: true)],
            cluster: 0,
            nowSeconds: Self.now
        )
        #expect(future == ResponsivenessModel.BetaPrior(alpha: 2, beta: 19))
    }

    @Test(
        "cluster priors fitted from simulated users are near the Beta they were drawn from; a thin cluster gets the default"
    )
    func fittedPriors() {
        var random = TimingRandom(seed: 9)
        let truth = [(2.0, 38.0), (6.0, 14.0)]
        var sends: [[Send]] = []
        var clusters: [UInt32] = []
        for user in 0..<1_000 {
            let cluster = user % 2
            let p = random.beta(truth[cluster].0, truth[cluster].1)
            let count = 20 + Int(random.uniform() * 40)
            sends.append((0..<count).map { _ in Send(atSeconds: Self.now, responded: random.uniform() < p) })
            clusters.append(UInt32(cluster))
        }
        // Cluster 2 has 10 users, below the 30 a cluster needs for its own prior.
        for _ in 0..<10 {
            sends.append((0..<40).map { _ in Send(atSeconds: Self.now, responded: random.uniform() < 0.5) })
            clusters.append(2)
        }
        let model = ResponsivenessModel.fit(sends: sends, clusters: clusters, clusterCount: 3, nowSeconds: Self.now)
        for (prior, (alpha, beta)) in zip(model.clusterPriors, truth) {
            let mean = alpha / (alpha + beta)
            #expect(abs(prior.mean / mean - 1) < 0.15, "\(prior)")
            #expect(abs(prior.strength / (alpha + beta) - 1) < 0.5, "\(prior)")
        }
        #expect(model.clusterPriors[2] == ResponsivenessModel.defaultPrior)
    }
}

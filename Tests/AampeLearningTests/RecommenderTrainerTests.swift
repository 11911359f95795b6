import AampeLearning
import Foundation
import Testing

@Suite("recommender training on a hand-computed world")
struct RecommenderTrainerTests {
    typealias W = RecommenderWorld

    func close(_ x: Float, _ y: Double) -> Bool { abs(Double(x) - y) < 1e-5 }

    @Test("jaccard neighbour lists, best first, ties by the lower index, never the item itself")
    func jaccard() {
        let trained = W.train()
        let a = W.neighbours(trained, of: W.a)
        #expect(a.map(\.0) == [W.b, W.c])
        #expect(close(a[0].1, 2.0 / 3) && close(a[1].1, 1.0 / 3))
        // B's neighbours tie at 2/3: A (index 0) comes before C.
        let b = W.neighbours(trained, of: W.b)
        #expect(b.map(\.0) == [W.a, W.c])
        #expect(close(b[0].1, 2.0 / 3) && close(b[1].1, 2.0 / 3))
        #expect(W.neighbours(trained, of: W.d).isEmpty)
        #expect(trained.statistics.neighbourPairs == 6)
    }

    @Test("cosine, lift, counts and the minimum support")
    func otherSimilarities() {
        let cosine = W.train(W.settings(.cosine))
        #expect(close(W.neighbours(cosine, of: W.a)[0].1, 2 / 6.0.squareRoot()))
        #expect(close(W.neighbours(cosine, of: W.a)[1].1, 0.5))
        let lift = W.train(W.settings(.lift, support: 1))
        #expect(close(W.neighbours(lift, of: W.a)[0].1, 4.0 / 3) && close(W.neighbours(lift, of: W.a)[1].1, 1))
        // Lift's default support is 3: no pair here has 3 users in common.
        #expect(W.train(W.settings(.lift)).statistics.neighbourPairs == 0)
        let counts = W.train(W.settings(.counts))
        #expect(W.neighbours(counts, of: W.b).map(\.1) == [2, 2])
        // Support 2 drops AC (one user).
        let supported = W.train(W.settings(.jaccard, support: 2))
        #expect(W.neighbours(supported, of: W.a).map(\.0) == [W.b])
        #expect(W.neighbours(supported, of: W.c).map(\.0) == [W.b])
    }

    @Test("bm25 weights a user by how few items they touched, as implicit does")
    func bm25() {
        let trained = W.train(W.settings(.bm25))
        // idf(u) = ln(4 items) − ln(1 + items of u): u1 touched 3, so its idf is ln 4 − ln 4 = 0 and the
        // pair A-C, seen only through u1, vanishes; A-B keeps u0's share.
        #expect(W.neighbours(trained, of: W.a).map(\.0) == [W.b])
        #expect(W.neighbours(trained, of: W.a)[0].1 > 0)
        #expect(W.neighbours(trained, of: W.c).map(\.0) == [W.b])
    }

    @Test("N keeps the best N neighbours")
    func topN() {
        let trained = W.train(W.settings(neighbours: 1))
        #expect(W.neighbours(trained, of: W.a).map(\.0) == [W.b])
        #expect(W.neighbours(trained, of: W.b).map(\.0) == [W.a])
        #expect(W.neighbours(trained, of: W.c).map(\.0) == [W.b])
    }

    @Test("weights decay with the half-life from the newest event; repeats add up")
    func decay() {
        var settings = W.settings()
        settings.halfLifeDays = 1
        let interactions = [
            Interaction(user: 0, item: 0, weight: 4, timestampSeconds: W.time - 86_400),  // one half-life old: 2
            Interaction(user: 0, item: 0, weight: 1, timestampSeconds: W.time - 2 * 86_400),  // two: 0.25
            Interaction(user: 0, item: 1, weight: 3, timestampSeconds: W.time),  // newest: 3
        ]
        let trained = W.train(settings, interactions: interactions)
        // Most recent first: B, then A.
        #expect(trained.historyItems == [1, 0])
        #expect(close(trained.historyWeights[0], 3) && close(trained.historyWeights[1], 2.25))
        #expect(trained.historyLastSeenSeconds == [UInt32(W.time), UInt32(W.time - 86_400)])
        #expect(trained.newestTimestampSeconds == W.time)
    }

    @Test("popularity counts distinct users; trending compares the last week with the three before")
    func popularityAndTrending() {
        let trained = W.train()
        #expect(trained.popularity == [2, 3, 2, 1])
        #expect(trained.popularOrder == [W.b, W.a, W.c, W.d])
        let week: Int64 = 7 * 86_400
        let events = [
            Interaction(user: 0, item: 0, weight: 1, timestampSeconds: W.time),  // A: 1 recent
            Interaction(user: 1, item: 1, weight: 1, timestampSeconds: W.time - 2 * week),  // B: 3 prior → −1
            Interaction(user: 2, item: 1, weight: 1, timestampSeconds: W.time - 2 * week),
            Interaction(user: 3, item: 1, weight: 1, timestampSeconds: W.time - 2 * week),
            Interaction(user: 0, item: 2, weight: 1, timestampSeconds: W.time - 1),  // C: 2 recent, 3 prior → 1
            Interaction(user: 1, item: 2, weight: 1, timestampSeconds: W.time - 2),
            Interaction(user: 1, item: 2, weight: 1, timestampSeconds: W.time - 2 * week),
            Interaction(user: 2, item: 2, weight: 1, timestampSeconds: W.time - 3 * week),
            Interaction(user: 3, item: 2, weight: 1, timestampSeconds: W.time - 3 * week),
        ]
        let trending = W.train(interactions: events)
        #expect(
            close(trending.trendingScores[0], 1) && close(trending.trendingScores[1], -1)
                && close(trending.trendingScores[2], 1)
        )
        #expect(trending.trendingOrder == [W.a, W.c])
    }

    @Test("users past the item cap add only their strongest items to co-occurrence")
    func cap() {
        var settings = W.settings()
        settings.maximumItemsPerUser = 2
        let trained = W.train(settings)
        // u1 (A B C) keeps A and B (equal weights: lower index first), so A-C and B-C lose u1.
        #expect(trained.statistics.usersCapped == 1)
        #expect(W.neighbours(trained, of: W.a).map(\.0) == [W.b])
        #expect(W.neighbours(trained, of: W.c).map(\.0) == [W.b])
    }

    @Test(
        "a random world trains to the same model on 1, 2 and 3 threads, and the top K heads the full list",
        arguments: RecommenderSettings.Similarity.allCases
    )
    func threadsAndTopK(similarity: RecommenderSettings.Similarity) {
        // A fixed pseudo-random log: 300 users with 1 to 30 events over 60 items, popular items more often,
        // so that scores tie, users split unevenly across threads, and purchases and repeats occur.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var log = InteractionLog()
        for user in 0..<300 {
            for _ in 0...next(30) {
                let item = min(next(60), next(60))
                log.append(
                    user: UInt32(user),
                    item: UInt32(item),
                    weight: Float(1 + next(5)),
                    timestampSeconds: W.time - Int64(next(40 * 86_400)),
                    isPurchase: next(10) == 0
                )
            }
        }
        var settings = W.settings(similarity, support: 1, neighbours: 5)
        // With decay each user's affinities are sums of unequal terms, so a merge that summed them in
        // another order on another thread count would show.
        settings.halfLifeDays = 30
        let models = [1, 2, 3].map { RecommenderTrainer.train(log, settings: settings, threads: $0) }
        for model in models.dropFirst() {
            #expect(model.neighbourOffsets == models[0].neighbourOffsets)
            #expect(model.neighbourItems == models[0].neighbourItems)
            #expect(model.neighbourScores == models[0].neighbourScores)
            #expect(model.historyOffsets == models[0].historyOffsets)
            #expect(model.historyItems == models[0].historyItems)
            #expect(model.historyWeights == models[0].historyWeights)
            #expect(model.historyLastSeenSeconds == models[0].historyLastSeenSeconds)
            #expect(model.historyLastPurchaseSeconds == models[0].historyLastPurchaseSeconds)
            #expect(model.statistics == models[0].statistics)
        }
        settings.neighbours = 0
        let full = RecommenderTrainer.train(log, settings: settings, threads: 2)
        #expect(models[0].statistics.neighbourPairs > 0)
        for item in 0..<full.itemCount {
            let kept = W.neighbours(models[0], of: UInt32(item))
            let all = W.neighbours(full, of: UInt32(item))
            #expect(kept.map(\.0) == all.prefix(5).map(\.0))
            #expect(kept.map(\.1) == all.prefix(5).map(\.1))
        }
    }
}

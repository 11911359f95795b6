import AampeLearning
import Foundation
import Testing

private let movieLensPath = ProcessInfo.processInfo.environment["AAMPE_ML100K_UDATA"]

/// The whole evaluation on MovieLens-100k against numbers Microsoft Recommenders 1.2.1 computed (pandas
/// 2.1.4, NumPy 1.26.4) from this suite's own split and recommendations, exported as TSV.
///
/// The data set is not in the repository. Set `AAMPE_ML100K_UDATA` to a `u.data` to run these tests; the
/// `recbole` 1.2.1 wheel (`pip download --no-deps recbole==1.2.1`) carries it as
/// `recbole/dataset_example/ml-100k/ml-100k.inter`, which is `u.data` with one header line added.
@Suite(.enabled(if: movieLensPath != nil, "set AAMPE_ML100K_UDATA to MovieLens-100k's u.data"))
struct MovieLensCrossCheckTests {
    static let path = movieLensPath

    @Test func readsTheWholeFile() throws {
        let file = try RatingsFile(contentsOf: #require(Self.path))
        #expect(file.interactions.count == 100_000)
        #expect(file.users.count == 943)
        #expect(file.items.count == 1682)
    }

    @Test func splitsWithRecommendersCountsByUserAndByItem() throws {
        // Recommenders' python_stratified_split(ratio=0.75, seed=42) put 74,992 rows in train by user and
        // 75,066 by item; the rows differ (another generator), the per-group counts do not.
        let file = try RatingsFile(contentsOf: #require(Self.path))
        let byUser = try StratifiedSplit(by: .user, trainRatio: 0.75, seed: 42).split(file.interactions)
        #expect(byUser.train.count == 74_992 && byUser.test.count == 25_008)
        let byItem = try StratifiedSplit(by: .item, trainRatio: 0.75, seed: 42).split(file.interactions)
        #expect(byItem.train.count == 75_066 && byItem.test.count == 24_934)
    }

    @Test func metricsMatchRecommenders() throws {
        let file = try RatingsFile(contentsOf: #require(Self.path))
        let split = try StratifiedSplit(by: .user, trainRatio: 0.75, seed: 42).split(file.interactions)
        let popularity = ItemPopularity(training: split.train)
        // A popularity baseline: most distinct training users first, ties to the lower index, items the
        // user trained on left out (Recommenders' diversity metrics refuse lists that repeat training
        // pairs). Users with index 3 mod 7 get no list, users with index 1 mod 5 get 4 items: both paths
        // of the user filtering and lists shorter than k are exercised.
        let ranked = popularity.userCounts.indices.sorted {
            (popularity.userCounts[$0], -$0) > (popularity.userCounts[$1], -$1)
        }.map { UInt32($0) }
        var trained = [Set<UInt32>](repeating: [], count: file.users.count)
        for row in split.train { trained[Int(row.user)].insert(row.item) }
        let relevant = RankingMetrics.relevantItems(in: split.test)
        var recommendations = [[UInt32]](repeating: [], count: file.users.count)
        for user in relevant.indices where !relevant[user].isEmpty && user % 7 != 3 {
            recommendations[user] = Array(
                ranked.lazy.filter { !trained[user].contains($0) }.prefix(user % 5 == 1 ? 4 : 10)
            )
        }

        let metrics = RankingMetrics.evaluate(
            recommendations: recommendations,
            relevantItems: relevant,
            popularity: popularity,
            k: 10
        )
        #expect(metrics.evaluatedUsers == 808)
        #expect(abs(metrics.precision - 0.200123762376238) < 1e-12)  // precision_at_k
        #expect(abs(metrics.recall - 0.101821537809174) < 1e-12)  // recall_at_k
        // ndcg_at_k with rating_true cut to the 808 users with a list; on the whole test set it gives
        // 0.199098819124379 (= 0.2323... * 808 / 943): it scores the 135 users without a list as 0.
        #expect(abs(metrics.ndcg - 0.232364092121645) < 1e-12)
        #expect(abs(metrics.meanAveragePrecision - 0.051227022905286) < 1e-12)  // map (map_at_k: 0.1252...)
        #expect(abs(metrics.catalogCoverage - 0.026283618581907) < 1e-12)  // catalog_coverage
        #expect(abs(metrics.distributionalCoverage - 4.404649409434676) < 1e-12)  // distributional_coverage
        #expect(abs(metrics.novelty - 7.798933092548926) < 1e-12)  // novelty
    }
}

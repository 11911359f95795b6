#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How good top-k recommendation lists are against held-out interactions: the numbers
/// `aampectl eval recommender` prints.
///
/// The definitions are Microsoft Recommenders' (`recommenders/evaluation/python_evaluation.py`:
/// `precision_at_k`, `recall_at_k`, `ndcg_at_k`, `map`, `catalog_coverage`, `distributional_coverage`,
/// `novelty`), so that our numbers compare with the baselines published with that library.
///
/// ## Which users count
///
/// The accuracy metrics (precision, recall, nDCG, MAP) are means over the *evaluated users*: those with
/// at least one relevant item and a non-empty list. Recommenders' `merge_ranking_true_pred` keeps
/// `set(rating_true[user]) ∩ set(rating_pred[user])` and divides by its size. A user with a list and no
/// hit counts, with zeros; a test user without a list does not count at all, so a recommender that
/// answers for fewer users is not penalised here: compare ``evaluatedUsers`` across runs.
///
/// The beyond-accuracy metrics (coverage, novelty) look at every non-empty list, cut to `k`, whether or
/// not its user has test items: Recommenders computes them on the whole `reco_df`.
///
/// ## Definitions
///
/// For an evaluated user `u` with relevant set `T_u` (every test item of `u`, whatever its rating) and
/// list `L_u` cut to its first `k` items, a *hit* is an item of `L_u` in `T_u`; `rank` counts from 1.
///
/// | metric | per user | Recommenders |
/// |---|---|---|
/// | precision@k | hits / k (k, not the list's length) | `(hit / k).sum() / n_users` |
/// | recall@k | hits / \|T_u\| | `(hit / actual).sum() / n_users` |
/// | nDCG@k | Σ_hits 1/log2(1+rank) ÷ Σ_{r=1}^{min(k,\|T_u\|)} 1/log2(1+r) | binary `rel`, ideal over `head(k)` |
/// | MAP | Σ_hits (j / rank of the j-th hit) / \|T_u\| | `map` (not `map_at_k`, which divides by min(\|T_u\|, k)) |
///
/// Over all lists, with `c(i)` the times item `i` is recommended and `N = Σ c(i)`:
///
/// | metric | value | Recommenders |
/// |---|---|---|
/// | catalog coverage | distinct recommended items / distinct training items | `catalog_coverage` |
/// | distributional coverage | −Σ p(i) log2 p(i), p(i) = c(i)/N | `distributional_coverage` |
/// | novelty | Σ c(i)/N · −log2(users_i / pairs) | `novelty` over `historical_item_novelty` |
///
/// Novelty is Castells et al.'s item-choice novelty as Recommenders computes it: an item's novelty is
/// `-log2(count / n_records)`, where `count` is the item's training rows and `n_records` all training
/// rows. The denominator is the number of training interactions, *not* the number of training users.
/// With one row per (user, item) pair those are ``ItemPopularity/userCounts`` and
/// ``ItemPopularity/distinctPairs``. A recommended item with no training user has infinite novelty;
/// Recommenders' inner merge leaves it out of the sum but keeps it in `N`, and so do we.
///
/// nDCG's ratio does not depend on the logarithm's base; Recommenders' default natural log and the base 2
/// above give the same value.
///
/// ## Where we differ
///
/// - Recommenders' current `ndcg_at_k` averages over every user of `rating_true`, scoring test users
///   without a list as 0 (its outer merge with the full truth frame); its earlier versions, like its
///   precision, recall and MAP, divide by the common users. We use the evaluated users for all four.
/// - With no evaluated users the accuracy metrics are 0 (Recommenders returns 0.0 when nothing hits);
///   with no recommendations at all every beyond-accuracy metric is 0 where Recommenders would divide by
///   zero; a training set without items gives catalog coverage 0.
public struct RankingMetrics: Hashable, Sendable, Codable {
    /// The list length the metrics were computed at.
    public var k: Int
    /// Users with at least one relevant item and a non-empty list: the accuracy metrics' denominator.
    public var evaluatedUsers: Int
    /// Mean of hits / k.
    public var precision: Double
    /// Mean of hits / relevant items.
    public var recall: Double
    /// Mean normalised discounted cumulative gain with binary relevance.
    public var ndcg: Double
    /// Mean average precision, each user's sum divided by all of their relevant items.
    public var meanAveragePrecision: Double
    /// Distinct recommended items / distinct training items.
    public var catalogCoverage: Double
    /// Entropy in bits of how recommendations spread over items.
    public var distributionalCoverage: Double
    /// Mean self-information in bits of the recommended items' training popularity.
    public var novelty: Double

    /// Wraps values computed elsewhere (or decoded).
    public init(
        k: Int,
        evaluatedUsers: Int,
        precision: Double,
        recall: Double,
        ndcg: Double,
        meanAveragePrecision: Double,
        catalogCoverage: Double,
        distributionalCoverage: Double,
        novelty: Double
    ) {
        self.k = k
        self.evaluatedUsers = evaluatedUsers
        self.precision = precision
        self.recall = recall
        self.ndcg = ndcg
        self.meanAveragePrecision = meanAveragePrecision
        self.catalogCoverage = catalogCoverage
        self.distributionalCoverage = distributionalCoverage
        self.novelty = novelty
    }

    /// Computes every metric at `k`.
    ///
    /// - Parameters:
    ///   - recommendations: each user's ranked list, best first, indexed by dense user index. An empty list
    ///     (or a user past the end) means no prediction for that user. Only the first `k` items count; a
    ///     list may be shorter. An item twice within the first `k` is a caller's bug and traps.
    ///   - relevantItems: each user's test items, indexed by dense user index; see
    ///     ``relevantItems(in:)``.
    ///   - popularity: the training set's item popularity.
    ///   - k: the cut-off, at least 1; default 10, as Recommenders' `DEFAULT_K`.
    public static func evaluate(
        recommendations: [[UInt32]],
        relevantItems: [Set<UInt32>],
        popularity: ItemPopularity,
        k: Int = 10
    ) -> RankingMetrics {
        precondition(k >= 1, "k must be at least 1")
        // idealDCG[n] is the DCG of n hits at ranks 1...n.
        var idealDCG = [0.0]
        for rank in 1...k { idealDCG.append(idealDCG[rank - 1] + 1 / log2(Double(rank + 1))) }

        var evaluatedUsers = 0
        var precisionSum = 0.0
        var recallSum = 0.0
        var ndcgSum = 0.0
        var averagePrecisionSum = 0.0
        var timesRecommended: [UInt32: Int] = [:]
        var recommendationCount = 0
        var listed = Set<UInt32>(minimumCapacity: k)

        for user in recommendations.indices {
            let list = recommendations[user].prefix(k)
            guard !list.isEmpty else { continue }
            listed.removeAll(keepingCapacity: true)
            for item in list {
                precondition(
                    listed.insert(item).inserted,
                    "user \(user)'s list holds item \(item) twice in its top \(k)"
                )
                timesRecommended[item, default: 0] += 1
            }
            recommendationCount += list.count

            guard user < relevantItems.count, !relevantItems[user].isEmpty else { continue }
            let relevant = relevantItems[user]
            evaluatedUsers += 1
            var hits = 0
            var dcg = 0.0
            var precisionAtHits = 0.0
            for (offset, item) in list.enumerated() where relevant.contains(item) {
                let rank = offset + 1
                hits += 1
                dcg += 1 / log2(Double(rank + 1))
                precisionAtHits += Double(hits) / Double(rank)
            }
            precisionSum += Double(hits) / Double(k)
            recallSum += Double(hits) / Double(relevant.count)
            ndcgSum += dcg / idealDCG[min(k, relevant.count)]
            averagePrecisionSum += precisionAtHits / Double(relevant.count)
        }

        // Sum in item order: Dictionary order changes from run to run, and the last bits of a float sum
        // with it, so the same input would print different numbers.
        let counts = timesRecommended.sorted { $0.key < $1.key }
        var entropy = 0.0
        var noveltySum = 0.0
        for (item, count) in counts {
            let share = Double(count) / Double(recommendationCount)
            entropy -= share * log2(share)
            let users = popularity.userCount(of: item)
            if users > 0 { noveltySum += Double(count) * -log2(Double(users) / Double(popularity.distinctPairs)) }
        }

        let users = Double(evaluatedUsers)
        return RankingMetrics(
            k: k,
            evaluatedUsers: evaluatedUsers,
            precision: evaluatedUsers > 0 ? precisionSum / users : 0,
            recall: evaluatedUsers > 0 ? recallSum / users : 0,
            ndcg: evaluatedUsers > 0 ? ndcgSum / users : 0,
            meanAveragePrecision: evaluatedUsers > 0 ? averagePrecisionSum / users : 0,
            catalogCoverage: popularity.distinctItems > 0 ? Double(counts.count) / Double(popularity.distinctItems) : 0,
            distributionalCoverage: entropy,
            novelty: recommendationCount > 0 ? noveltySum / Double(recommendationCount) : 0
        )
    }

    /// Each user's set of test items, indexed by dense user index (as long as the largest user index in
    /// `test` plus one): relevance is any test interaction, whatever its weight.
    public static func relevantItems(in test: [Interaction]) -> [Set<UInt32>] {
        var sets: [Set<UInt32>] = []
        for interaction in test {
            let user = Int(interaction.user)
            if user >= sets.count { sets.append(contentsOf: repeatElement([], count: user + 1 - sets.count)) }
            sets[user].insert(interaction.item)
        }
        return sets
    }
}

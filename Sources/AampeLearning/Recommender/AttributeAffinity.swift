/// Item-attribute affinity: how strongly each user leans toward items with an attribute value
/// (`genres = Action`), for segments in the manner of Amazon Personalize's item-attribute-affinity recipe.
///
/// The model score of user `u` is Σ_i a_ui · (J(i) + g(i)) / 2, where `a_ui` is the decayed affinity to
/// item `i`, `J(i)` is 1 when `i` has the attribute, and `g(i)` is the share of `i`'s neighbour
/// similarity that falls on items with it. Each unit of affinity votes for the attribute by the item's
/// own membership and by its neighbourhood's, so a user who watched thrillers whose neighbours are
/// action films scores for Action before having watched one. Activity and recency count: more recent,
/// stronger interest scores higher.
///
/// The two trivial baselines are reported beside it, because they are hard to beat: the count of the
/// user's interactions with such items, and their share of the user's interactions.
public enum AttributeAffinity {
    /// One user's scores under the three rankings.
    public struct UserScore: Sendable, Hashable {
        /// The user's dense index.
        public var user: UInt32
        /// The model score, Σ_i a_ui · (J(i) + g(i)) / 2: unbounded, comparable only between users of one model.
        public var score: Double
        /// Interactions with items that have the attribute.
        public var count: Int
        /// `count` over all the user's interactions.
        public var share: Double
    }

    /// Scores for every user with at least one interaction, unsorted.
    public static func scores(log: InteractionLog, trained: TrainedRecommender, hasAttribute: [Bool]) -> [UserScore] {
        precondition(hasAttribute.count == trained.itemCount, "one flag per item")
        // Per item: (J(i) + g(i)) / 2.
        var vote = [Double](repeating: 0, count: trained.itemCount)
        for item in 0..<trained.itemCount {
            let start = Int(trained.neighbourOffsets[item])
            let end = Int(trained.neighbourOffsets[item + 1])
            var total = 0.0
            var inside = 0.0
            for position in start..<end {
                let score = Double(trained.neighbourScores[position])
                total += score
                if hasAttribute[Int(trained.neighbourItems[position])] { inside += score }
            }
            let neighbourShare = total > 0 ? inside / total : 0
            vote[item] = ((hasAttribute[item] ? 1 : 0) + neighbourShare) / 2
        }
        var counts = [Int](repeating: 0, count: trained.userCount)
        var totals = [Int](repeating: 0, count: trained.userCount)
        for index in 0..<log.count {
            let user = Int(log.users[index])
            totals[user] += 1
            if hasAttribute[Int(log.items[index])] { counts[user] += 1 }
        }
        var result: [UserScore] = []
        for user in 0..<trained.userCount where totals[user] > 0 {
            var score = 0.0
            for index in Int(trained.historyOffsets[user])..<Int(trained.historyOffsets[user + 1]) {
                score += Double(trained.historyWeights[index]) * vote[Int(trained.historyItems[index])]
            }
            result.append(
                UserScore(
                    user: UInt32(user),
                    score: score,
                    count: counts[user],
                    share: Double(counts[user]) / Double(totals[user])
                )
            )
        }
        return result
    }

    /// The three rankings: by ``UserScore/score`` (the model), by ``UserScore/count`` and by
    /// ``UserScore/share`` (the baselines).
    public enum Method: String, Sendable, CaseIterable, Codable {
        case model, count, share
    }

    /// Users ranked by `method`, best first; ties by the other signals, then the lower index.
    public static func ranked(_ scores: [UserScore], by method: Method) -> [UserScore] {
        scores.sorted { a, b in
            switch method {
            case .model: if a.score != b.score { return a.score > b.score }
            case .count: if a.count != b.count { return a.count > b.count }
            case .share: if a.share != b.share { return a.share > b.share }
            }
            if a.score != b.score { return a.score > b.score }
            return a.user < b.user
        }
    }

    /// How well a ranking found the users who went on to interact with the attribute in a held-out
    /// period: of the top `n`, the share who did (precision), and the share of all who did that the top
    /// `n` caught (recall).
    public struct HoldoutResult: Sendable, Hashable, Codable {
        /// The ranking measured.
        public var method: Method
        /// How many users were taken from the top; fewer than asked for when fewer users have scores.
        public var top: Int
        /// Share of the top users who were positives, 0 ... 1; 0 when nobody was ranked.
        public var precision: Double
        /// Share of the positives that the top users caught, 0 ... 1; 0 when there are no positives.
        public var recall: Double
    }

    /// Ranks users trained on the data before the holdout and checks the top `n` against `positives`,
    /// the users with an attribute interaction in the holdout.
    public static func holdout(scores: [UserScore], positives: Set<UInt32>, top n: Int) -> [HoldoutResult] {
        Method.allCases.map { method in
            let top = ranked(scores, by: method).prefix(n)
            let hits = top.reduce(0) { $0 + (positives.contains($1.user) ? 1 : 0) }
            return HoldoutResult(
                method: method,
                top: top.count,
                precision: top.isEmpty ? 0 : Double(hits) / Double(top.count),
                recall: positives.isEmpty ? 0 : Double(hits) / Double(positives.count)
            )
        }
    }
}

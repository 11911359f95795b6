/// The known name nearest to a misspelt one, for "did you mean" hints.
enum NearestName {
    /// The candidate with the smallest edit distance to `name`, if that distance is small enough to be a
    /// typo: at most 2 edits, and fewer than half the name's length (so `tone` does not suggest `time`
    /// for `x`). Ties go to the earlier candidate.
    static func suggestion(for name: String, among candidates: some Sequence<String>) -> String? {
        let limit = min(2, max(1, name.count / 2))
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(name, candidate)
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// The Damerau–Levenshtein distance (optimal string alignment): insertions, deletions, substitutions
    /// and swaps of two adjacent characters each cost one.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previousPrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}

/// The key that groups candidates of one cluster with the same set of choices, and that set's choices in
/// a canonical order (by variant, then window, then labels), so the grouping and the decisions do not
/// depend on the order a candidate lists its choices in.
struct ChoiceGroupKey: Hashable {
    var cluster: Int
    var choices: [AssignmentChoice]

    init(cluster: Int, choices: [AssignmentChoice]) {
        self.cluster = cluster
        self.choices = Set(choices).sorted { a, b in
            if a.variant != b.variant { return a.variant < b.variant }
            if a.window != b.window { return a.window < b.window }
            return a.labels.lexicographicallyPrecedes(b.labels)
        }
    }
}

/// Groups the indices of `candidates` that have choices by cluster and choice set, in the order each group
/// first appears; candidates with no choices are left out.
func choiceGroups(_ candidates: [AssignmentCandidate]) -> [(key: ChoiceGroupKey, members: [Int])] {
    var groups: [(key: ChoiceGroupKey, members: [Int])] = []
    var position: [ChoiceGroupKey: Int] = [:]
    for (index, candidate) in candidates.enumerated() where !candidate.choices.isEmpty {
        let key = ChoiceGroupKey(cluster: candidate.cluster, choices: candidate.choices)
        if let existing = position[key] {
            groups[existing].members.append(index)
        } else {
            position[key] = groups.count
            groups.append((key, [index]))
        }
    }
    return groups
}

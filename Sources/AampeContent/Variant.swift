/// One variant of a formula: one alternate chosen in each block.
///
/// Variants are numbered `0 ..< formula.variantCount` in mixed radix, the first block most significant:
/// with blocks of 5, 8, 6 and 4 alternates, variant 0 is (0, 0, 0, 0), variant 1 is (0, 0, 0, 1) and
/// variant 959 is (4, 7, 5, 3). The number is stable while the formula's blocks and alternates keep their
/// order.
public struct Variant: Hashable, Sendable {
    /// The variant's number within its formula.
    public var index: Int
    /// The chosen alternate of each block, in block order.
    public var choices: [Int]

    /// The variant numbered `index` of `formula`.
    public init(index: Int, of formula: Formula) {
        precondition(
            index >= 0 && index < formula.variantCount,
            "variant \(index) is outside 0..<\(formula.variantCount)"
        )
        self.index = index
        var remainder = index
        var choices = [Int](repeating: 0, count: formula.blocks.count)
        for position in formula.blocks.indices.reversed() {
            let count = formula.blocks[position].alternates.count
            choices[position] = remainder % count
            remainder /= count
        }
        self.choices = choices
    }

    /// The variant that chooses `choices` (one alternate index per block) in `formula`.
    public init(choices: [Int], of formula: Formula) {
        precondition(choices.count == formula.blocks.count, "one choice per block")
        var index = 0
        for (position, choice) in choices.enumerated() {
            let count = formula.blocks[position].alternates.count
            precondition(choice >= 0 && choice < count, "choice \(choice) is outside block \(position)'s alternates")
            index = index * count + choice
        }
        self.index = index
        self.choices = choices
    }

    /// The label this variant carries for each block's label set, as `(label set, label)` in block order.
    public func labels(in formula: Formula) -> [(labelSet: String, label: String)] {
        zip(formula.blocks, choices).map { ($0.labelSet, $0.alternates[$1].label) }
    }
}

extension Formula {
    /// Every variant of the formula, in index order.
    public var variants: [Variant] {
        (0..<variantCount).map { Variant(index: $0, of: self) }
    }
}

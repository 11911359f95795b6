extension SplitMix64 {
    /// A uniform double in [0, 1) from the top 53 bits of one output.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in 0..<bound, by Lemire's multiply-and-reject ("Fast random integer generation
    /// in an interval", 2019), written here so that shuffles do not depend on the standard library's
    /// choice of method.
    mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "an empty range has no index")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `array` in place (Fisher–Yates, from the end).
    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextIndex(below: i + 1))
        }
    }
}

/// A binary min-heap: the machine's queues of open messages (by window end) and of leases (by expiry).
struct MinimumHeap<Element: Comparable>: Sendable where Element: Sendable {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }
    var minimum: Element? { elements.first }

    mutating func insert(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func removeMinimum() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let removed = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < elements.count && elements[left] < elements[smallest] { smallest = left }
            if right < elements.count && elements[right] < elements[smallest] { smallest = right }
            if smallest == parent { break }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
        return removed
    }
}

/// An open message in a channel's queue; the earliest window end is leased first, then the lowest index.
struct OpenEntry: Comparable, Sendable {
    var windowEnd: Int64
    var index: UInt32

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.windowEnd, lhs.index) < (rhs.windowEnd, rhs.index)
    }
}

/// A granted lease in the expiry queue. An entry whose token is no longer its message's live lease (the
/// message was acked) is skipped when it comes up.
struct LeaseEntry: Comparable, Sendable {
    var until: Int64
    var index: UInt32
    var token: UInt64

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.until, lhs.index, lhs.token) < (rhs.until, rhs.index, rhs.token)
    }
}

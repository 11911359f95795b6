internal import AampeCore
import Synchronization

/// The items that pass one filter against a generation's own catalog, as a bitmap, with the first items
/// of the popular and trending orders that pass.
///
/// Built in one pass over the catalog (a few tens of microseconds for 20,000 items), then read by any
/// number of requests: the filter becomes one bit test per candidate, and backfill reads the prefix
/// instead of walking the whole order past items that fail.
///
/// `@unchecked Sendable`: the memory is written only in `init`, before the value is shared (through the
/// cache's `Mutex`), and never again.
final class FilterBits: @unchecked Sendable {
    private let words: UnsafeMutablePointer<UInt64>
    private let popular: UnsafeMutableBufferPointer<UInt32>
    private let popularResume: Int
    private let trending: UnsafeMutableBufferPointer<UInt32>
    private let trendingResume: Int

    /// The bitmap of `filter` over the engine's model and its own availability, and over `overlay`'s
    /// rows when there is one (its new items then follow each order, as backfill walks them). Each
    /// backfill prefix holds at most `prefixLength` items.
    init(
        engine: RecommendationEngine,
        filter: ItemFilter,
        overlay: CatalogOverlay? = nil,
        prefixLength: Int = Limits.filterBackfillPrefixItems
    ) {
        let model = engine.model
        let itemCount = overlay?.itemCount ?? model.itemCount
        let wordCount = max(1, (itemCount + 63) / 64)
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCount)
        words.initialize(repeating: 0, count: wordCount)
        for item in 0..<itemCount where engine.passes(item, filter, model.baseAvailability, overlay: overlay) {
            words[item >> 6] |= 1 << UInt64(item & 63)
        }
        self.words = words
        let appended = overlay?.newItems ?? []

        func prefix(of order: UnsafeBufferPointer<UInt32>) -> (UnsafeMutableBufferPointer<UInt32>, Int) {
            var items: [UInt32] = []
            let total = order.count + appended.count
            var resume = total
            for position in 0..<total {
                let item = position < order.count ? order[position] : appended[position - order.count]
                guard words[Int(item) >> 6] & (1 << UInt64(item & 63)) != 0 else { continue }
                guard items.count < prefixLength else {
                    resume = position
                    break
                }
                items.append(item)
            }
            let buffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(1, items.count))
            _ = buffer.initialize(from: items)
            return (UnsafeMutableBufferPointer(rebasing: buffer[0..<items.count]), resume)
        }
        (popular, popularResume) = prefix(of: model.popularOrder)
        (trending, trendingResume) = prefix(of: model.trendingOrder)
    }

    deinit {
        words.deallocate()
        popular.baseAddress?.deallocate()
        trending.baseAddress?.deallocate()
    }

    /// Whether `item` passes the filter.
    @inline(__always) func contains(_ item: Int) -> Bool {
        words[item >> 6] & (1 << UInt64(item & 63)) != 0
    }

    /// The first items of `source`'s order that pass, in that order, and the position in the order where
    /// a walk continues when the prefix runs out (the order's length when the prefix holds them all).
    func backfillPrefix(_ source: RecommendationSource) -> (items: UnsafeBufferPointer<UInt32>, resume: Int) {
        source == .trending
            ? (UnsafeBufferPointer(trending), trendingResume) : (UnsafeBufferPointer(popular), popularResume)
    }
}

/// The filter bitmaps of one engine (one generation) or of one catalog overlay (one version of the
/// catalog over a generation), least recently used evicted first.
///
/// A filter gets a bitmap the second time it is seen: building one costs a pass over the catalog, which
/// the first request of a filter that never comes back (arbitrary price bounds) should not pay. At most
/// ``Limits/maximumCachedItemFilters`` bitmaps are kept.
final class FilterCache: Sendable {
    private struct Entry {
        var bits: FilterBits
        var lastUse: UInt64
    }

    private struct State {
        var entries: [ItemFilter: Entry] = [:]
        /// Filters seen once; cleared when it reaches four times the cache's size.
        var seenOnce: Set<ItemFilter> = []
        var clock: UInt64 = 0
    }

    private enum Lookup {
        case hit(FilterBits)
        case build
        case firstSighting
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = Limits.maximumCachedItemFilters) {
        self.capacity = capacity
    }

    /// The bitmap of `filter`, building it with `build` on its second sighting; `nil` on the first.
    func bits(for filter: ItemFilter, build: () -> FilterBits) -> FilterBits? {
        let lookup = state.withLock { state -> Lookup in
            state.clock += 1
            if let index = state.entries.index(forKey: filter) {
                state.entries.values[index].lastUse = state.clock
                return .hit(state.entries.values[index].bits)
            }
            if state.seenOnce.contains(filter) { return .build }
            if state.seenOnce.count >= 4 * capacity { state.seenOnce.removeAll(keepingCapacity: true) }
            state.seenOnce.insert(filter)
            return .firstSighting
        }
        switch lookup {
        case .hit(let bits): return bits
        case .firstSighting: return nil
        case .build:
            // Built outside the lock, so other filters are served meanwhile; two requests racing to build
            // the same one both succeed, and the later insert wins.
            let bits = build()
            state.withLock { state in
                state.seenOnce.remove(filter)
                if state.entries[filter] == nil && state.entries.count >= capacity,
                    let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
                {
                    state.entries[oldest] = nil
                }
                state.entries[filter] = Entry(bits: bits, lastUse: state.clock)
            }
            return bits
        }
    }

    /// Bitmaps held now.
    var count: Int { state.withLock { $0.entries.count } }
}

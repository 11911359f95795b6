internal import AampeCore
internal import AampeLearning
internal import AampeSegments
internal import AampeStore
import Foundation
internal import Logging
import Synchronization

/// Keeps the served catalog fresh between trainings: it reads the catalog rows the live generation does
/// not hold from SQLite, adds the TRACK `item_updated` patches, and publishes the result as an immutable
/// ``CatalogOverlay`` that RECOMMEND and SIMILAR_ITEMS read with one reference load.
///
/// - ``refresh()`` reads SQLite: on RELOAD (which `aampectl import catalog` sends), when a generation is
///   swapped in, and at start after the real-time log's replay. It takes the rows whose content changed
///   after the generation's catalog watermark (`recommender.json`'s `catalog_updated_at_micros`) and
///   every row of an item past the generation's items. A row imported again unchanged is not taken, so
///   a nightly re-import of a whole catalog adds only what it changes. A generation trained from a
///   catalog that holds a change has a watermark at or past it, so the change leaves the overlay when
///   that generation is swapped in.
/// - ``record(_:)`` adds TRACK `item_updated` patches (price, stock) without touching SQLite; TRACK is
///   answered on the event loop. A patch field is forgotten once a catalog row of its item is written at
///   or after it: the catalog import is the record of truth, and a later row says the item's state as of
///   a later moment. A retrain alone does not drop a patch, since the catalog it reads does not hold it.
///
/// Every change builds a new overlay (O(items in it)) and swaps it in; each overlay has its own filter
/// bitmaps. With nothing to lay over the generation, no overlay is published and requests take the
/// generation's path unchanged.
final class CatalogFreshness: Sendable {
    /// The TRACK event that reports a changed price or stock.
    static let itemUpdatedEvent = "item_updated"

    private struct State {
        /// The generation the rows were read for.
        var generation: UInt64?
        var rows: [Int: CatalogRecord] = [:]
        /// When each row of `rows` was written, microseconds since the epoch.
        var rowTimes: [Int: Int64] = [:]
        var newItemIDs: [Int: String] = [:]
        /// By external item id: the id is what TRACK names, and it does not change with the generation.
        var patches: [String: CatalogPatch] = [:]
        /// The items the published overlay holds, by dense index: what the limit counts.
        var items: Set<Int> = []
        var version: UInt64 = 0
    }

    private let openStore: @Sendable () throws -> Store
    private let logger: Logger?
    private let state = Mutex(State())
    private let published = Mutex<CatalogOverlay?>(nil)
    /// Serializes SQLite reads, so two refreshes never publish out of order.
    private let refreshing = Mutex<Void>(())
    /// Serializes TRACK requests that carry `item_updated` events, from the limit check to the record,
    /// so that concurrent requests cannot together pass the limit.
    private let admitting = Mutex<Void>(())
    private let store = Mutex<Store?>(nil)
    /// The most items the overlay holds: `Limits.maximumCatalogOverlayItems` (tests reach the edge with
    /// a smaller one).
    let maximumItems: Int

    /// Reads the catalog through `openStore` (opened once, on the first refresh).
    init(
        logger: Logger?,
        maximumItems: Int = Limits.maximumCatalogOverlayItems,
        openStore: @escaping @Sendable () throws -> Store
    ) {
        self.maximumItems = maximumItems
        self.logger = logger
        self.openStore = openStore
    }

    /// The overlay over `served`'s catalog, or `nil` when there is none (or it was built for another
    /// generation: in the moment between a swap and the refresh it triggers, the new generation serves
    /// alone).
    @inline(__always) func overlay(for served: ServedRecommender) -> CatalogOverlay? {
        guard let overlay = published.withLock({ $0 }),
            overlay.generationNumber == served.generation.number.rawValue
        else { return nil }
        return overlay
    }

    /// The published overlay, whatever generation it is for.
    var current: CatalogOverlay? { published.withLock { $0 } }

    // MARK: Catalog rows

    /// Reads the catalog rows that `served` (the live generation's recommender) does not hold and
    /// publishes a new overlay. Throws for SQLite, and when the rows and patches together pass
    /// `Limits.maximumCatalogOverlayItems`; the overlay published before stays (or none, if it was for
    /// another generation).
    func refresh(served: ServedRecommender?) throws {
        try refreshing.withLock { _ in
            guard let served else {
                published.withLock { $0 = nil }
                return
            }
            let store = try self.store.withLock { store in
                if let store { return store }
                let opened = try openStore()
                store = opened
                return opened
            }
            let manifest = served.manifest
            // Generations from before the watermark existed: the rows written after training ran. A
            // generation whose training time cannot be read lays nothing over its known items.
            let watermark =
                manifest.catalogUpdatedAtMicros ?? Timestamp(iso8601: manifest.trainedAt)?.rawValue ?? Int64.max
            let changes = try store.ingestion.catalogChanges(
                changedAfterMicros: watermark,
                newFromItemIndex: served.model.itemCount
            )
            // Patched items whose catalog row the read above did not return: their rows' times decide
            // which patch fields still stand.
            let returned = Set(changes.rows.map(\.itemIndex))
            let patched = state.withLock { Array($0.patches.keys) }.compactMap { id in
                served.itemIDs.row(for: id).flatMap { returned.contains($0) ? nil : $0 }
            }
            let times = try store.ingestion.catalogUpdateTimes(of: patched)

            try state.withLock { state in
                let previous = state
                state.generation = served.generation.number.rawValue
                state.rows = [:]
                state.rowTimes = times
                for row in changes.rows {
                    state.rows[row.itemIndex] = CatalogRecord(
                        category: row.category,
                        price: row.price,
                        isInStock: row.isInStock,
                        attributes: row.attributeValues
                    )
                    state.rowTimes[row.itemIndex] = row.updatedAtMicros
                }
                state.newItemIDs = changes.newItemIDs
                do {
                    try rebuild(&state, served: served)
                } catch {
                    // The rows are not taken; the patches stay, and so does the overlay, if it is this
                    // generation's.
                    state = previous
                    if previous.generation != served.generation.number.rawValue { published.withLock { $0 = nil } }
                    throw error
                }
            }
        }
    }

    /// Forgets patch fields that a catalog row supersedes, checks the limit, builds the overlay and
    /// publishes it. Called with the state locked.
    private func rebuild(_ state: inout State, served: ServedRecommender) throws(CatalogOverlayError) {
        var newIndex: [String: Int] = [:]
        for (index, id) in state.newItemIDs { newIndex[id] = index }
        var patches: [Int: CatalogPatch] = [:]
        for (id, patch) in state.patches {
            guard let index = served.itemIDs.row(for: id) ?? newIndex[id] else { continue }
            var patch = patch
            if let written = state.rowTimes[index] { patch.forget(notAfterMicros: written) }
            if patch.isEmpty {
                state.patches[id] = nil
            } else {
                state.patches[id] = patch
                patches[index] = patch
            }
        }
        let items = Set(state.rows.keys).union(patches.keys)
        guard items.count <= maximumItems else {
            throw CatalogOverlayError.tooManyItems(items.count, limit: maximumItems)
        }
        state.items = items
        guard !items.isEmpty else {
            published.withLock { $0 = nil }
            logger?.debug("catalog overlay: none; generation \(served.generation.number) holds the whole catalog")
            return
        }
        state.version += 1
        let overlay = CatalogOverlay(
            served: served,
            version: state.version,
            rows: state.rows,
            newItemIDs: state.newItemIDs,
            patches: patches
        )
        published.withLock { $0 = overlay }
        logger?.debug(
            "catalog overlay: \(items.count) items (\(overlay.newItems.count) new since training) over generation \(overlay.generationNumber), version \(overlay.version)"
        )
    }

    // MARK: TRACK item_updated

    /// Runs `body` (a TRACK request with `item_updated` events) alone among such requests.
    func admittingItemUpdates<T>(_ body: () throws -> T) rethrows -> T {
        try admitting.withLock { _ in try body() }
    }

    /// Why an `item_updated` event for `itemID` cannot be taken now, or `nil`. `pending` holds the items
    /// already taken from the same request (counted against the limit), and gets this one.
    func problem(itemID: String, served: ServedRecommender?, pending: inout Set<Int>) -> String? {
        guard let served else { return "item_id: no generation with a recommender is loaded to apply it to" }
        guard let index = served.itemIDs.row(for: itemID) ?? overlay(for: served)?.newItemIndex(itemID).map(Int.init)
        else {
            return
                "item_id '\(itemID.prefix(64))' is not in the served catalog; import it with `aampectl import catalog`"
        }
        let held = state.withLock { $0.items }
        if held.contains(index) || pending.contains(index) { return nil }
        guard held.count + pending.count < maximumItems else {
            return
                "item_id: the catalog overlay holds \(maximumItems) items, its limit (Limits.maximumCatalogOverlayItems); train the recommender to fold the catalog in"
        }
        pending.insert(index)
        return nil
    }

    /// Adds accepted patches and publishes the new overlay at once; `rebuilds` false stages them only
    /// (the log's replay at start, which ``refresh()`` follows).
    func record(
        _ patches: [(itemID: String, patch: CatalogPatch)],
        served: ServedRecommender?,
        rebuilds: Bool = true
    ) {
        guard !patches.isEmpty else { return }
        state.withLock { state in
            for (id, patch) in patches { state.patches[id, default: CatalogPatch()].merge(patch) }
            guard rebuilds, let served, state.generation == served.generation.number.rawValue else { return }
            // The common case, on the event loop: the published overlay plus these items' whole patches.
            // TRACK checked the limit before logging.
            if let overlay = self.overlay(for: served) {
                var changed: [Int: CatalogPatch] = [:]
                for (id, _) in patches {
                    guard let index = served.itemIDs.row(for: id) ?? overlay.newItemIndex(id).map(Int.init),
                        let patch = state.patches[id]
                    else { continue }
                    changed[index] = patch
                    state.items.insert(index)
                }
                state.version += 1
                let updated = overlay.updating(changed, version: state.version, model: served.model)
                published.withLock { $0 = updated }
                logger?.debug(
                    "catalog overlay: \(state.items.count) items over generation \(updated.generationNumber), version \(updated.version) (TRACK)"
                )
                return
            }
            do {
                try rebuild(&state, served: served)
            } catch {
                // TRACK checked the limit before logging; only a refresh racing it gets here.
                logger?.error("catalog overlay not rebuilt: \(error)")
            }
        }
    }

    /// The patch an `item_updated` event's properties describe, or why they describe none. Properties:
    /// `price` (a decimal number, at least 0), and one of `in_stock` (true or false), `stock` (a whole
    /// number; 0 is out of stock) and `availability` (`in_stock`, `out_of_stock` or `unknown`). Others
    /// are kept in the log and ignored here.
    static func patch(_ properties: [String: String], atMicros: Int64) -> Result<CatalogPatch, PatchProblem> {
        var patch = CatalogPatch()
        if let text = properties["price"] {
            guard let price = Double(text.trimmingCharacters(in: .whitespaces)), price.isFinite, price >= 0 else {
                return .failure(PatchProblem("properties.price '\(text.prefix(64))' is not a number of at least 0"))
            }
            patch.price = price
            patch.priceAtMicros = atMicros
        }
        let stockKeys = ["in_stock", "stock", "availability"].filter { properties[$0] != nil }
        if stockKeys.count > 1 {
            return .failure(
                PatchProblem("properties: \(stockKeys.joined(separator: ", ")) all give the stock; send one")
            )
        }
        if let key = stockKeys.first, let text = properties[key] {
            let value = text.trimmingCharacters(in: .whitespaces).lowercased()
            let availability: ItemCatalog.Availability?
            switch key {
            case "in_stock":
                availability =
                    ["true", "1", "yes"].contains(value)
                    ? .inStock
                    : ["false", "0", "no"].contains(value)
                        ? .outOfStock : nil
            case "stock":
                availability = Int(value).flatMap { $0 < 0 ? nil : ($0 > 0 ? .inStock : .outOfStock) }
            default:
                switch value {
                case "in_stock", "instock": availability = .inStock
                case "out_of_stock", "outofstock": availability = .outOfStock
                case "unknown": availability = .unknown
                default: availability = nil
                }
            }
            guard let availability else {
                let expected =
                    key == "in_stock"
                    ? "true or false"
                    : key == "stock" ? "a whole number of at least 0" : "in_stock, out_of_stock or unknown"
                return .failure(PatchProblem("properties.\(key) '\(text.prefix(64))' is not \(expected)"))
            }
            patch.availability = availability
            patch.availabilityAtMicros = atMicros
        }
        guard !patch.isEmpty else {
            return .failure(PatchProblem("item_updated needs a property price, in_stock, stock or availability"))
        }
        return .success(patch)
    }

    /// Why an `item_updated` event's properties are refused, for its TRACK rejection.
    struct PatchProblem: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// Why the catalog overlay was not rebuilt.
enum CatalogOverlayError: Error, CustomStringConvertible {
    /// The rows and patches name more items than the limit (`Limits.maximumCatalogOverlayItems`).
    case tooManyItems(Int, limit: Int)

    var description: String {
        switch self {
        case .tooManyItems(let count, let limit):
            "the catalog changes since the served generation cover \(count) items, more than the overlay's limit of \(limit) (Limits.maximumCatalogOverlayItems); train the recommender to fold them into a generation"
        }
    }
}

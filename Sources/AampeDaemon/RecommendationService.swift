internal import AampeCore
internal import AampeLearning
internal import AampeProtocol
internal import AampeSegments
import Foundation

/// RECOMMEND, SIMILAR_ITEMS and TRACK: translates requests from external ids to the live model's
/// indices, scores with the generation's engine plus the real-time state, and translates back.
///
/// Every call reads the live recommender once and uses it to the end, so a generation swap in the middle
/// of a request is harmless.
final class RecommendationService: Sendable {
    let generations: GenerationManager
    let realtime: RealtimeState
    let log: RealtimeLog?
    /// Event-triggered campaigns: every TRACK event (and every replayed one) is shown to them.
    let triggers: RealtimeTriggers?
    /// Catalog changes since the generation: imported rows and TRACK `item_updated` patches.
    let freshness: CatalogFreshness?
    let clock: @Sendable () -> Timestamp
    /// The `retry_after_millis` of UNAVAILABLE while no generation with a recommender is loaded.
    let unavailableRetryAfterMillis: UInt32

    init(
        generations: GenerationManager,
        realtime: RealtimeState,
        log: RealtimeLog?,
        unavailableRetryAfterMillis: UInt32 = DaemonConfiguration.defaultRetryAfterMillis,
        clock: @escaping @Sendable () -> Timestamp = { .now() },
        triggers: RealtimeTriggers? = nil,
        freshness: CatalogFreshness? = nil
    ) {
        self.triggers = triggers
        self.freshness = freshness
        self.generations = generations
        self.realtime = realtime
        self.log = log
        self.unavailableRetryAfterMillis = unavailableRetryAfterMillis
        self.clock = clock
    }

    private func served() throws(ProtocolError) -> ServedRecommender {
        guard let served = generations.view(ServedRecommender.self) else {
            throw ProtocolError(
                code: .unavailable,
                message: "no generation with a recommender is loaded; run `aampectl train recommender`",
                retryAfterMillis: unavailableRetryAfterMillis
            )
        }
        return served
    }

    // MARK: RECOMMEND

    func recommend(_ request: Aampe_V1_RecommendRequest) throws(ProtocolError) -> Aampe_V1_RecommendResponse {
        let answer = try recommendation(request)
        var response = Aampe_V1_RecommendResponse()
        response.generation = answer.served.generation.number.rawValue
        response.isKnownUser = answer.isKnown
        response.items = answer.items.map { Self.message($0, answer.served, answer.overlay) }
        return response
    }

    /// RECOMMEND's answer as the serialized `RecommendResponse`, written by ``RecommendResponseEncoder``:
    /// what the request handler sends.
    func recommendSerialized(_ request: Aampe_V1_RecommendRequest) throws(ProtocolError) -> [UInt8] {
        try recommendation(request).serialized()
    }

    /// An answer before it becomes a message: the items, whether the user (or item) is known, and the
    /// generation that answered.
    struct Answer {
        var items: [RecommendedItem]
        var isKnown: Bool
        var served: ServedRecommender
        /// The catalog overlay the answer was filtered with, which names the items new since training.
        var overlay: CatalogOverlay?

        func serialized() -> [UInt8] {
            RecommendResponseEncoder.encode(
                items,
                generation: served.generation.number.rawValue,
                isKnown: isKnown,
                itemIDs: served.itemIDs,
                overlay: overlay
            )
        }
    }

    private func recommendation(_ request: Aampe_V1_RecommendRequest) throws(ProtocolError) -> Answer {
        // PROTOCOL.md's check order: the body (INVALID_REQUEST) before the operation (UNAVAILABLE).
        try Self.checkCount(request.count)
        try Self.checkID(request.userID, field: "user_id", allowEmpty: true)
        try Self.checkLists(
            request.filter,
            [("exclude_items", request.excludeItems), ("context_items", request.contextItems)]
        )
        let served = try served()
        let overlay = freshness?.overlay(for: served)
        let now = clock().secondsSinceEpoch
        let model = served.model

        var options = RecommendationOptions(count: Int(request.count), nowSeconds: now)
        options.filter = Self.filter(request.filter, served, overlay)
        options.excludeItems = request.excludeItems.compactMap { Self.itemIndex($0, served, overlay) }
        options.excludeSeen = request.hasExcludeSeen ? request.excludeSeen : true
        options.cooldownSeconds = Int64(request.cooldownDays) * 86_400
        options.repeatAfterSeconds = Int64(model.settings.repeatAfterDays) * 86_400

        let userRow = request.userID.isEmpty ? nil : served.userIDs.row(for: request.userID)
        let state = request.userID.isEmpty ? nil : realtime.user(request.userID)
        let context = request.contextItems.compactMap { Self.itemIndex($0, served, overlay) }
        // A trained user with nothing real-time and no context is answered from the generation's served
        // list when it can be, without scoring: the same answer, as the engine's tests check.
        if let userRow, state == nil, context.isEmpty,
            let items = served.engine.recommendFromServedList(user: userRow, options: options, overlay: overlay)
        {
            noteRecommended(items, request: request, atSeconds: now)
            return Answer(items: items, isKnown: model.hasHistory(userRow), served: served, overlay: overlay)
        }
        var history = userRow.map { model.history(of: $0) } ?? []
        if let state { Self.merge(state.items, into: &history, served: served) }
        let recommended = state?.recommended.map { (item: $0.item, atSeconds: $0.atSeconds) } ?? []

        let items = served.engine.recommend(
            history: history,
            context: context,
            recentlyRecommended: recommended,
            options: options,
            overlay: overlay
        )
        noteRecommended(items, request: request, atSeconds: now)
        return Answer(items: items, isKnown: !history.isEmpty, served: served, overlay: overlay)
    }

    /// Remembers what a request with a cool-down was answered, for the user's next requests.
    private func noteRecommended(_ items: [RecommendedItem], request: Aampe_V1_RecommendRequest, atSeconds: Int64) {
        if request.cooldownDays > 0 && !request.userID.isEmpty {
            realtime.noteRecommended(user: request.userID, items: items.map(\.item), atSeconds: atSeconds)
        }
    }

    /// Adds real-time items newer than the generation to the trained history: weights add up, the latest
    /// times win. Items the generation does not know yet are left out (they have no neighbours); they are
    /// in the log and join the model at the next import and training.
    static func merge(_ items: [RealtimeState.Item], into history: inout [HistoryEntry], served: ServedRecommender) {
        let newest = served.model.newestTimestampSeconds
        for item in items where item.timeSeconds > newest {
            guard let row = served.itemIDs.row(for: item.itemID) else { continue }
            let index = UInt32(row)
            let time = UInt32(clamping: max(0, item.timeSeconds))
            if let at = history.firstIndex(where: { $0.item == index }) {
                history[at].weight += item.weight
                history[at].lastSeenSeconds = max(history[at].lastSeenSeconds, time)
                if item.isPurchase { history[at].lastPurchaseSeconds = max(history[at].lastPurchaseSeconds, time) }
            } else {
                history.insert(
                    HistoryEntry(
                        item: index,
                        weight: item.weight,
                        lastSeenSeconds: time,
                        lastPurchaseSeconds: item.isPurchase ? time : 0
                    ),
                    at: 0
                )
            }
        }
    }

    // MARK: SIMILAR_ITEMS

    func similarItems(_ request: Aampe_V1_SimilarItemsRequest) throws(ProtocolError) -> Aampe_V1_SimilarItemsResponse {
        let answer = try similarity(request)
        var response = Aampe_V1_SimilarItemsResponse()
        response.generation = answer.served.generation.number.rawValue
        response.isKnownItem = answer.isKnown
        response.items = answer.items.map { Self.message($0, answer.served, answer.overlay) }
        return response
    }

    /// SIMILAR_ITEMS' answer as the serialized `SimilarItemsResponse` (the same fields as RECOMMEND's).
    func similarItemsSerialized(_ request: Aampe_V1_SimilarItemsRequest) throws(ProtocolError) -> [UInt8] {
        try similarity(request).serialized()
    }

    private func similarity(_ request: Aampe_V1_SimilarItemsRequest) throws(ProtocolError) -> Answer {
        try Self.checkCount(request.count)
        try Self.checkID(request.itemID, field: "item_id", allowEmpty: false)
        try Self.checkLists(request.filter, [])
        let served = try served()
        let overlay = freshness?.overlay(for: served)
        var options = RecommendationOptions(count: Int(request.count), nowSeconds: clock().secondsSinceEpoch)
        options.filter = Self.filter(request.filter, served, overlay)
        // An item new since training has no neighbours yet: trending, then popular (the documented
        // cold-start path for new items). Not NOT_FOUND: a product page for a new item still wants
        // suggestions, and catalog items arrive between trainings; is_known_item tells the two apart.
        let row = served.itemIDs.row(for: request.itemID)
        options.backfill = row == nil ? [.trending, .popular] : [.popular]
        // An item the overlay added is not suggested for itself.
        if row == nil, let new = overlay?.newItemIndex(request.itemID) { options.excludeItems = [new] }
        let items = served.engine.similarItems(to: row.map(UInt32.init), options: options, overlay: overlay)
        return Answer(items: items, isKnown: row != nil, served: served, overlay: overlay)
    }

    // MARK: TRACK

    func track(_ request: Aampe_V1_TrackRequest) throws -> Aampe_V1_TrackResponse {
        // Requests that change the catalog run one at a time, from the overlay's limit check to its
        // rebuild, so that two of them cannot pass the limit together.
        if let freshness, request.events.contains(where: { $0.event == CatalogFreshness.itemUpdatedEvent }) {
            return try freshness.admittingItemUpdates { try trackEvents(request) }
        }
        return try trackEvents(request)
    }

    private func trackEvents(_ request: Aampe_V1_TrackRequest) throws -> Aampe_V1_TrackResponse {
        guard request.events.count <= Limits.maximumTrackEventsPerRequest else {
            throw ProtocolError(
                code: .invalidRequest,
                message:
                    "events: \(request.events.count) events, more than the limit of \(Limits.maximumTrackEventsPerRequest)"
            )
        }
        // While the log cannot sync, nothing is acknowledged as if it were durable (see RealtimeLog).
        try log?.checkAcceptingWrites()
        let now = clock()
        let served = generations.view(ServedRecommender.self)
        let settings = served?.model.settings ?? RecommenderSettings()
        var response = Aampe_V1_TrackResponse()
        var accepted: [LoggedTrackEvent] = []
        var patches: [(itemID: String, patch: CatalogPatch)] = []
        var pendingItems: Set<Int> = []
        for (index, event) in request.events.enumerated() {
            var patch: CatalogPatch? = nil
            var reason = Self.problem(event, now: now)
            if reason == nil && event.event == CatalogFreshness.itemUpdatedEvent {
                let at = event.timestampMicros == 0 ? now.rawValue : event.timestampMicros
                switch CatalogFreshness.patch(event.properties, atMicros: at) {
                case .failure(let problem): reason = problem.reason
                case .success(let parsed):
                    patch = parsed
                    reason = freshness?.problem(itemID: event.itemID, served: served, pending: &pendingItems)
                }
            }
            if let reason {
                var rejection = Aampe_V1_TrackRejection()
                rejection.index = UInt32(index)
                rejection.reason = reason
                response.rejected.append(rejection)
                continue
            }
            let key = event.idempotencyKey.isEmpty ? "rt-" + UUID().uuidString.lowercased() : event.idempotencyKey
            guard realtime.rememberKey(key) else {
                response.duplicates += 1
                continue
            }
            if let patch { patches.append((event.itemID, patch)) }
            accepted.append(
                LoggedTrackEvent(
                    messageID: key,
                    userID: event.userID,
                    event: event.event,
                    itemID: event.itemID.isEmpty ? nil : event.itemID,
                    timestamp: event.timestampMicros == 0 ? now : Timestamp(rawValue: event.timestampMicros),
                    value: event.hasValue ? event.value : nil,
                    properties: event.properties
                )
            )
        }
        // Logged before the state changes and before the answer: an acknowledged event is in the kernel.
        if let log, !accepted.isEmpty {
            do {
                try log.append(Array(accepted.map { $0.jsonLine() }.joined().utf8))
            } catch {
                realtime.forgetKeys(accepted.map(\.messageID))
                throw error
            }
        }
        for event in accepted where event.event != CatalogFreshness.itemUpdatedEvent {
            apply(event, settings: settings)
        }
        freshness?.record(patches, served: served)
        response.accepted = UInt32(accepted.count)
        return response
    }

    /// Updates the real-time state with one logged event (TRACK, or replay at start). An `item_updated`
    /// event changes the catalog, not a user: replayed, it is staged in the catalog overlay (rebuilt by
    /// the refresh that follows the replay).
    func apply(_ event: LoggedTrackEvent, settings: RecommenderSettings) {
        if event.event == CatalogFreshness.itemUpdatedEvent {
            // Staged without a rebuild: replay is followed by a refresh, which prunes and builds once.
            if let itemID = event.itemID,
                case .success(let patch) = CatalogFreshness.patch(event.properties, atMicros: event.timestamp.rawValue)
            {
                freshness?.record([(itemID, patch)], served: nil, rebuilds: false)
            }
            return
        }
        triggers?.observe(
            userID: event.userID,
            event: event.event,
            at: event.timestamp,
            itemID: event.itemID,
            value: event.value,
            properties: event.properties
        )
        guard let itemID = event.itemID, let weight = settings.weight(event: event.event, value: event.value) else {
            return
        }
        realtime.record(
            user: event.userID,
            item: RealtimeState.Item(
                itemID: itemID,
                weight: weight,
                timeSeconds: event.timestamp.secondsSinceEpoch,
                isPurchase: RecommenderSettings.purchaseEvents.contains(event.event)
            )
        )
    }

    /// Replays every log file in `folder` into the real-time state; returns events replayed and lines
    /// skipped (a torn last line after a crash). A file that cannot be read throws, naming it: starting
    /// without it would silently drop events that TRACK acknowledged.
    func replay(folder: String) throws -> (events: Int, skipped: Int) {
        let settings = generations.view(ServedRecommender.self)?.model.settings ?? RecommenderSettings()
        var events = 0
        var skipped = 0
        for path in try RealtimeLog.files(in: folder) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw RealtimeLogError(failure: FileIOError(path: path, operation: "read", code: errno))
            }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
                guard let event = LoggedTrackEvent.parse(line) else {
                    skipped += 1
                    continue
                }
                _ = realtime.rememberKey(event.messageID)
                apply(event, settings: settings)
                events += 1
            }
        }
        return (events, skipped)
    }

    /// Why a TRACK event is refused, or `nil`.
    static func problem(_ event: Aampe_V1_TrackEvent, now: Timestamp) -> String? {
        let isItemUpdate = event.event == CatalogFreshness.itemUpdatedEvent
        // An item_updated event describes an item; a user is optional (the catalog service sending it).
        if event.userID.isEmpty && !isItemUpdate { return "user_id is empty" }
        if isItemUpdate && event.itemID.isEmpty { return "item_id is empty (item_updated names the item that changed)" }
        if event.userID.utf8.count > Limits.maximumExternalIDBytes {
            return "user_id is longer than \(Limits.maximumExternalIDBytes) bytes"
        }
        if event.event.isEmpty { return "event is empty" }
        if event.event.utf8.count > Limits.maximumEventNameBytes {
            return "event is longer than \(Limits.maximumEventNameBytes) bytes"
        }
        if event.itemID.utf8.count > Limits.maximumExternalIDBytes {
            return "item_id is longer than \(Limits.maximumExternalIDBytes) bytes"
        }
        if event.idempotencyKey.utf8.count > Limits.maximumExternalIDBytes {
            return "idempotency_key is longer than \(Limits.maximumExternalIDBytes) bytes"
        }
        if event.timestampMicros != 0 {
            if event.timestampMicros < Limits.earliestEventTimestampMicros {
                return "timestamp_micros is before 2000-01-01"
            }
            if event.timestampMicros > now.rawValue + Limits.maximumTrackTimestampAheadMicros {
                return
                    "timestamp_micros is more than \(Limits.maximumTrackTimestampAheadMicros / 3_600_000_000) hours ahead of the server's clock"
            }
        }
        if event.hasValue && !event.value.isFinite { return "value is not a finite number" }
        if event.properties.count > Limits.maximumTrackProperties {
            return
                "properties has \(event.properties.count) entries, more than the limit of \(Limits.maximumTrackProperties)"
        }
        for (key, value) in event.properties
        where key.utf8.count > Limits.maximumTrackPropertyBytes || value.utf8.count > Limits.maximumTrackPropertyBytes {
            return "property '\(key.prefix(64))' is longer than \(Limits.maximumTrackPropertyBytes) bytes"
        }
        return nil
    }

    // MARK: Translation

    static func checkCount(_ count: UInt32) throws(ProtocolError) {
        guard count >= 1 && Int(count) <= Limits.maximumRecommendationCount else {
            throw ProtocolError(
                code: .invalidRequest,
                message: "count must be 1 to \(Limits.maximumRecommendationCount), not \(count)"
            )
        }
    }

    static func checkID(_ id: String, field: String, allowEmpty: Bool) throws(ProtocolError) {
        if id.isEmpty && !allowEmpty { throw ProtocolError(code: .invalidRequest, message: "\(field) is empty") }
        if id.utf8.count > Limits.maximumExternalIDBytes {
            throw ProtocolError(
                code: .invalidRequest,
                message: "\(field) is longer than \(Limits.maximumExternalIDBytes) bytes"
            )
        }
    }

    /// Every id of a list is at most `maximumExternalIDBytes` long: what the generation's dictionaries
    /// hold, so a longer one could match nothing, and ids are copied into the answer's work.
    static func checkIDs(_ ids: [String], field: String, indexed: Bool = true) throws(ProtocolError) {
        for (index, id) in ids.enumerated() where id.utf8.count > Limits.maximumExternalIDBytes {
            let name = indexed ? "\(field)[\(index)]" : field
            throw ProtocolError(
                code: .invalidRequest,
                message: "\(name) is \(id.utf8.count) bytes, longer than the limit of \(Limits.maximumExternalIDBytes)"
            )
        }
    }

    /// Checks the filter's lists and the request's other lists (`(field name, ids)`): their entries
    /// together (an attribute condition counts 1 for its name plus its values), then each id's length.
    static func checkLists(
        _ filter: Aampe_V1_ItemFilter,
        _ lists: [(field: String, ids: [String])]
    ) throws(ProtocolError) {
        let entries =
            lists.reduce(0) { $0 + $1.ids.count } + filter.categories.count
            + filter.attributes.reduce(0) { $0 + 1 + $1.values.count }
        guard entries <= Limits.maximumRequestListEntries else {
            let fields = (["filter.categories", "filter.attributes"] + lists.map(\.field)).joined(separator: ", ")
            throw ProtocolError(
                code: .invalidRequest,
                message:
                    "\(fields): \(entries) entries together, more than the limit of \(Limits.maximumRequestListEntries)"
            )
        }
        for (field, ids) in lists { try checkIDs(ids, field: field) }
        try checkIDs(filter.categories, field: "filter.categories")
        for (index, condition) in filter.attributes.enumerated() {
            try checkIDs([condition.name], field: "filter.attributes[\(index)].name", indexed: false)
            try checkIDs(condition.values, field: "filter.attributes[\(index)].values")
        }
        if filter.hasMinimumPrice && filter.hasMaximumPrice && filter.minimumPrice > filter.maximumPrice {
            throw ProtocolError(
                code: .invalidRequest,
                message:
                    "filter.minimum_price \(filter.minimumPrice) is above filter.maximum_price \(filter.maximumPrice)"
            )
        }
    }

    /// The filter in model terms. Unknown names match nothing, so a filter for a category no item has
    /// returns no items rather than ignoring the condition.
    static func filter(
        _ message: Aampe_V1_ItemFilter,
        _ served: ServedRecommender,
        _ overlay: CatalogOverlay? = nil
    ) -> ItemFilter {
        var filter = ItemFilter()
        if !message.categories.isEmpty {
            filter.categories = message.categories.compactMap {
                served.categoryIndex($0) ?? overlay?.extraCategoryIndex($0)
            }
        }
        // The catalog import lowercases attribute names, so a name matches whatever its case; values are
        // compared exactly.
        filter.attributeConditions = message.attributes.map { condition in
            let name = condition.name.lowercased()
            return condition.values.compactMap {
                served.attributeIndex(name: name, value: $0) ?? overlay?.extraAttributeIndex(name: name, value: $0)
            }.sorted()
        }
        filter.inStockOnly = message.inStockOnly
        if message.hasMinimumPrice { filter.minimumPrice = message.minimumPrice }
        if message.hasMaximumPrice { filter.maximumPrice = message.maximumPrice }
        return filter
    }

    /// The dense index of an item id: the generation's, or the overlay's for an item new since training.
    static func itemIndex(_ id: String, _ served: ServedRecommender, _ overlay: CatalogOverlay?) -> UInt32? {
        served.itemIDs.row(for: id).map(UInt32.init) ?? overlay?.newItemIndex(id)
    }

    static func message(
        _ item: RecommendedItem,
        _ served: ServedRecommender,
        _ overlay: CatalogOverlay? = nil
    ) -> Aampe_V1_Recommendation {
        var message = Aampe_V1_Recommendation()
        message.itemID =
            Int(item.item) < served.itemIDs.count
            ? served.itemIDs.key(at: Int(item.item)) : (overlay?.newItemID(item.item) ?? "")
        message.score = Double(item.score)
        switch item.source {
        case .neighbour:
            message.source = .neighbour
            if let because = item.becauseOf { message.becauseOfItem = served.itemIDs.key(at: Int(because)) }
        case .popular: message.source = .popular
        case .trending: message.source = .trending
        }
        return message
    }
}

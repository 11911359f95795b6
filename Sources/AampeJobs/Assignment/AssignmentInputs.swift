import AampeContent
import AampeCore
import AampeEvents
import AampeLearning
import AampeSegments
import AampeStore
import Foundation

/// Everything an assignment run reads before it decides, read once: the applied content, profiles,
/// zones, the live generation's landscape, timing and recommender, the catalog for the items slot, and
/// the messages already planned (for caps).
struct AssignmentInputs {
    let directory: DataDirectory
    let content: Content
    let contentVersion: Int64
    /// User index → external id, for every user the store knows.
    let userIDs: [String]
    /// Event type index → name.
    let eventTypes: [String]
    let profiles: [Int: StoredProfile]
    /// With `onlyUsers`: their dense indices by external id (found in the one pass that selects them).
    let selectedUsers: [String: Int]
    let zones: UserZones
    let layout: TimeWindowLayout
    let landscape: ServedLandscape?
    let timing: ServedTiming?
    let recommender: ServedRecommender?
    let model: ServedModel?
    /// External item id → the catalog row, for the items slot.
    let catalog: [String: StoredCatalogItem]
    let generationNumber: UInt64?
    let events: EventStore
    let snapshot: EventStore.Snapshot

    /// Reads the inputs; with `onlyUsers` (external ids), only those users' profiles, for the daemon's
    /// real-time firings.
    init(
        directory: DataDirectory,
        store: Store,
        asOf: Timestamp,
        settings: AssignmentSettings,
        onlyUsers: Set<String>? = nil
    ) throws {
        self.directory = directory
        guard let latest = try ContentVersioning.latest(in: store) else {
            throw JobError(.noData(detail: "no content applied; run `aampectl content apply FOLDER` first"))
        }
        content = latest.content
        contentVersion = latest.version
        events = EventStore(dataDirectory: directory, store: store)
        snapshot = try events.snapshot()
        userIDs = snapshot.keys.userIDs
        eventTypes = snapshot.keys.eventTypes
        var selected: [String: Int] = [:]
        if let onlyUsers {
            for (index, id) in snapshot.keys.userIDs.enumerated() where onlyUsers.contains(id) { selected[id] = index }
            profiles = try store.ingestion.profiles(only: selected.values.sorted())
        } else {
            profiles = try store.ingestion.profiles()
        }
        selectedUsers = selected
        let horizonEnd = Timestamp(secondsSinceEpoch: asOf.secondsSinceEpoch + settings.horizonSeconds + 86_400)
        zones = try UserZones(
            userCount: userIDs.count,
            profileZones: profiles.compactMapValues { profile in
                profile.timeZone.flatMap { $0.isEmpty ? nil : $0 }
            },
            defaultZone: settings.defaultTimeZone,
            from: Timestamp(secondsSinceEpoch: asOf.secondsSinceEpoch - 14 * 86_400),
            to: horizonEnd
        )
        let generation = try GenerationStore(dataDirectory: directory).openCurrent()
        generationNumber = generation?.number.rawValue
        landscape = try generation.flatMap {
            $0.contains(model: ServedLandscape.model) ? try ServedLandscape(generation: $0) : nil
        }
        timing = try generation.flatMap {
            $0.contains(model: ServedTiming.model) ? try ServedTiming(generation: $0) : nil
        }
        recommender = try generation.flatMap {
            $0.contains(model: ServedRecommender.model) ? try ServedRecommender(generation: $0) : nil
        }
        model = try generation.flatMap {
            $0.contains(model: ServedModel.model) ? try ServedModel(generation: $0) : nil
        }
        layout = try timing?.manifest.settings.layout() ?? .standard
        var catalog: [String: StoredCatalogItem] = [:]
        for item in try store.ingestion.storedCatalogItems().values { catalog[item.externalID] = item }
        self.catalog = catalog
    }

    /// Each user's events of the types in `types`, by time, in `from ... to`: what triggers read.
    func events(
        ofTypes types: Set<UInt32>,
        from: Timestamp,
        to: Timestamp
    ) throws -> [Int: [(time: Timestamp, type: UInt32)]] {
        var byUser: [Int: [(time: Timestamp, type: UInt32)]] = [:]
        guard !types.isEmpty else { return byUser }
        var selected = snapshot
        selected.segments = snapshot.segments.filter { $0.maxTimestamp >= from && $0.minTimestamp <= to }
        try events.forEachSegment(of: selected) { batch, _, _ in
            for row in batch.timestampMicros.indices where types.contains(batch.eventTypes[row]) {
                let time = Timestamp(rawValue: batch.timestampMicros[row])
                guard time >= from, time <= to else { continue }
                byUser[Int(batch.users[row]), default: []].append((time, batch.eventTypes[row]))
            }
        }
        for user in byUser.keys {
            byUser[user]!.sort { $0.time < $1.time || ($0.time == $1.time && $0.type < $1.type) }
        }
        return byUser
    }

    /// One stored event, by who, when and what: how a trigger's firing names the event that fired it.
    struct EventKey: Hashable {
        var user: Int
        var time: Timestamp
        var type: UInt32
    }

    /// The variables (``ContentPreview/eventVariables(itemID:value:properties:)``) of each event in `keys`
    /// that is stored, reading only the segments whose time range holds one of them.
    func eventVariables(of keys: [EventKey]) throws -> [EventKey: [String: ViewValue]] {
        var variables: [EventKey: [String: ViewValue]] = [:]
        guard let first = keys.map(\.time).min(), let last = keys.map(\.time).max() else { return variables }
        let wanted = Set(keys)
        var selected = snapshot
        selected.segments = snapshot.segments.filter { $0.maxTimestamp >= first && $0.minTimestamp <= last }
        try events.forEachIndexedEvent(of: selected) { event in
            let key = EventKey(user: Int(event.user), time: event.timestamp, type: event.eventType)
            guard wanted.contains(key), variables[key] == nil else { return }
            variables[key] = ContentPreview.eventVariables(
                itemID: event.item == EventColumn.noItem ? nil : snapshot.keys.itemIDs[Int(event.item)],
                value: event.value.isNaN ? nil : event.value,
                properties: ContentPreview.parsedAttributes(try event.propertiesJSON())
            )
        }
        return variables
    }

    /// The dense index of one of the `onlyUsers` the inputs were read for, or `nil` for a user the store
    /// does not know.
    func userIndex(_ userID: String) -> Int? { selectedUsers[userID] }

    /// The event type index of `name`, or `nil` when no imported event has it.
    func eventType(_ name: String) -> UInt32? { eventTypes.firstIndex(of: name).map(UInt32.init) }

    /// The landscape cluster of `userID`, or `nil` when the landscape does not know them (or there is
    /// none).
    func cluster(of userID: String) -> Int? { landscape?.cluster(of: userID) }

    /// The landscape vector of the user at index `user`, or `nil` when the landscape does not know them
    /// (or there is none): the context an external policy decides on.
    func landscapeVector(of user: Int) throws -> [Float]? {
        guard let landscape, let row = landscape.userIDs.row(for: userIDs[user]) else { return nil }
        return try landscape.vectors.vector(at: row)
    }

    /// The cadence (messages per week) timing gives `userID`, or `nil` without timing for them.
    func cadence(of userID: String) throws -> Int? {
        guard let timing, let row = timing.userIDs.row(for: userID) else { return nil }
        return try timing.cadencePerWeek(atRow: row)
    }

    /// Up to `slot.count` recommended items for `userID` that pass the slot's filter, as catalog rows.
    func items(for userID: String, slot: RecommendationSlot, nowSeconds: Int64) -> [StoredCatalogItem] {
        guard let recommender, slot.count > 0 else { return [] }
        var options = RecommendationOptions(count: slot.count, nowSeconds: nowSeconds)
        var filter = ItemFilter()
        if !slot.categories.isEmpty { filter.categories = slot.categories.compactMap { recommender.categoryIndex($0) } }
        filter.attributeConditions = slot.attributes.sorted { $0.key < $1.key }.map { name, values in
            values.compactMap { recommender.attributeIndex(name: name.lowercased(), value: $0) }.sorted()
        }
        filter.inStockOnly = slot.isInStockOnly
        options.filter = filter
        let history = recommender.userIDs.row(for: userID).map { recommender.model.history(of: $0) } ?? []
        return recommender.engine.recommend(history: history, options: options).compactMap {
            catalog[recommender.itemIDs.key(at: Int($0.item))]
        }
    }
}

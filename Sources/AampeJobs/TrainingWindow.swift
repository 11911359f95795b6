import AampeCore
import AampeEvents
import AampeLearning
import AampeSegments
import AampeStore

/// What the landscape and timing jobs share before their own pass: one event snapshot, the reference
/// time their look-backs end at, and each user's time zone.
///
/// The reference time is `--as-of` when given, or else the newest stored event. Events after it are
/// ignored, so training with an earlier `--as-of` rebuilds the state of that day from the same data
/// directory, and a later one (such as now, a day after the last import) measures recency up to then.
struct TrainingWindow {
    /// The row of user `id` (dense index `user`) in a model's dictionary. The dictionaries only grow and
    /// never reuse an index, so row `user` is usually theirs; the id check guards that assumption rather
    /// than trusting it, and a lookup finds the rest.
    static func row(of id: String, at user: Int, in dictionary: DictionaryColumn) -> Int? {
        if user < dictionary.count, dictionary.key(at: user) == id { return user }
        return dictionary.row(for: id)
    }

    let events: EventStore
    let snapshot: EventStore.Snapshot
    let reference: Timestamp
    let earliest: Timestamp
    /// Each user's zone, from the profiles, with the default zone for the rest.
    let zones: UserZones

    /// Takes the snapshot and reads the users' zones (`defaultZone` for users without one). No stored
    /// event at or before `asOf` throws: there is nothing to train on.
    init(directory: DataDirectory, store: Store, asOf: Timestamp?, defaultZone: String) throws {
        events = EventStore(dataDirectory: directory, store: store)
        snapshot = try events.snapshot()
        let stored = snapshot.segments.filter { asOf == nil || $0.minTimestamp <= asOf! }
        guard let newest = stored.map(\.maxTimestamp).max(), let earliest = stored.map(\.minTimestamp).min() else {
            throw JobError(
                .noData(
                    detail: asOf.map { "no imported event at or before \($0.description)" }
                        ?? "no imported events; run `aampectl import events` first"
                )
            )
        }
        self.reference = asOf ?? newest
        self.earliest = earliest
        zones = try UserZones(
            userCount: snapshot.keys.userIDs.count,
            profileZones: try store.ingestion.timeZones(),
            defaultZone: defaultZone,
            from: earliest,
            to: reference
        )
    }

    /// Events in segments that start after the reference time, which no pass reads.
    var eventsInLaterSegments: Int {
        snapshot.segments.filter { $0.minTimestamp > reference }.reduce(0) { $0 + $1.rows }
    }

    /// Calls `body` with each segment holding events in `from ... reference`, reporting progress as
    /// "reading events".
    func read(
        from: Timestamp,
        progress: (@Sendable (String, Int, Int) -> Void)?,
        _ body: (EventStore.IndexedEvents) -> Void
    ) throws {
        try events.forEachSegment(of: segments(from: from)) { events, done, total in
            body(events)
            progress?("reading events", done, total)
        }
    }

    /// The segments with events in `from ... reference`, in manifest order.
    func segments(from: Timestamp) -> EventStore.Snapshot {
        var relevant = snapshot
        relevant.segments = snapshot.segments.filter { $0.maxTimestamp >= from && $0.minTimestamp <= reference }
        return relevant
    }
}

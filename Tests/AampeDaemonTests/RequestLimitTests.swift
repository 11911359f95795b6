import AampeCore
import AampeProtocol
import AampeSegments
import AampeTestSupport
import Logging
import Testing

@testable import AampeDaemon

/// Every RECOMMEND, SIMILAR_ITEMS and TRACK limit, at its value (accepted) and one past it (refused).
@Suite("RECOMMEND and TRACK limits")
struct RequestLimitTests {
    let now = Timestamp(rawValue: 1_790_000_000 * Timestamp.microsecondsPerSecond)

    func text(_ count: Int) -> String { String(repeating: "a", count: count) }

    func event() -> Aampe_V1_TrackEvent {
        var event = Aampe_V1_TrackEvent()
        event.userID = "u1"
        event.event = "view"
        event.itemID = "i1"
        return event
    }

    /// Why TRACK refuses an event with `field` set to `value`, or `nil`.
    func problem<Value>(_ field: WritableKeyPath<Aampe_V1_TrackEvent, Value>, _ value: Value) -> String? {
        var event = event()
        event[keyPath: field] = value
        return RecommendationService.problem(event, now: now)
    }

    func code(_ body: () throws(ProtocolError) -> Void) -> ErrorCode? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("count: 1 and maximumRecommendationCount are accepted; 0 and one more are INVALID_REQUEST")
    func count() {
        let limit = UInt32(Limits.maximumRecommendationCount)
        #expect(code { () throws(ProtocolError) in try RecommendationService.checkCount(1) } == nil)
        #expect(code { () throws(ProtocolError) in try RecommendationService.checkCount(limit) } == nil)
        #expect(code { () throws(ProtocolError) in try RecommendationService.checkCount(limit + 1) } == .invalidRequest)
        #expect(code { () throws(ProtocolError) in try RecommendationService.checkCount(0) } == .invalidRequest)
    }

    /// `count` distinct short ids.
    func ids(_ count: Int) -> [String] { (0..<count).map { "i\($0)" } }

    @Test("list entries: maximumRequestListEntries over all lists is accepted, one more refused")
    func listEntries() {
        let limit = Limits.maximumRequestListEntries
        var filter = Aampe_V1_ItemFilter()
        filter.categories = (0..<100).map { "c\($0)" }
        var condition = Aampe_V1_AttributeCondition()
        condition.name = "genre"
        condition.values = (0..<99).map { "v\($0)" }
        filter.attributes = [condition]
        // 100 categories + 1 attribute name + 99 values = 200; the other lists bring the rest.
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkLists(filter, [("exclude_items", ids(limit - 200))])
            } == nil
        )
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkLists(filter, [("exclude_items", ids(limit - 199))])
            } == .invalidRequest
        )
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkLists(
                    Aampe_V1_ItemFilter(),
                    [("exclude_items", ids(limit / 2)), ("context_items", ids(limit - limit / 2))]
                )
            } == nil
        )
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkLists(
                    Aampe_V1_ItemFilter(),
                    [("exclude_items", ids(limit / 2)), ("context_items", ids(limit - limit / 2 + 1))]
                )
            } == .invalidRequest
        )
    }

    @Test("user_id and item_id: maximumExternalIDBytes is accepted, one byte more refused")
    func requestIDs() {
        let limit = Limits.maximumExternalIDBytes
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkID(text(limit), field: "user_id", allowEmpty: true)
            } == nil
        )
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkID(text(limit + 1), field: "user_id", allowEmpty: true)
            } == .invalidRequest
        )
        #expect(
            code { () throws(ProtocolError) in
                try RecommendationService.checkID("", field: "item_id", allowEmpty: false)
            } == .invalidRequest
        )
    }

    @Test("SCORE: maximumScoreLabels labels and ids of maximumExternalIDBytes are accepted, one more refused")
    func scoreRequest() {
        func check(_ change: (inout Aampe_V1_ScoreRequest) -> Void) -> ErrorCode? {
            var request = Aampe_V1_ScoreRequest()
            request.userID = "u1"
            change(&request)
            return code { () throws(ProtocolError) in try ScoreOperation.check(request) }
        }
        let labels = Limits.maximumScoreLabels
        let id = Limits.maximumExternalIDBytes
        #expect(check { $0.labels = Array(repeating: "tone=fun", count: labels) } == nil)
        #expect(check { $0.labels = Array(repeating: "tone=fun", count: labels + 1) } == .invalidRequest)
        #expect(check { $0.labels = ["tone=fun", text(id)] } == nil)
        #expect(check { $0.labels = ["tone=fun", text(id + 1)] } == .invalidRequest)
        #expect(check { $0.goal = text(id) } == nil)
        #expect(check { $0.goal = text(id + 1) } == .invalidRequest)
        #expect(check { $0.userID = text(id) } == nil)
        #expect(check { $0.userID = text(id + 1) } == .invalidRequest)
        #expect(check { $0.userID = "" } == nil)  // an anonymous user gets the population's scores
    }

    @Test("TRACK event ids, name and idempotency key: at the limit accepted, one byte more rejected")
    func trackLengths() {
        let id = Limits.maximumExternalIDBytes
        let name = Limits.maximumEventNameBytes
        #expect(problem(\.userID, text(id)) == nil)
        #expect(problem(\.userID, text(id + 1)) != nil)
        #expect(problem(\.itemID, text(id)) == nil)
        #expect(problem(\.itemID, text(id + 1)) != nil)
        #expect(problem(\.idempotencyKey, text(id)) == nil)
        #expect(problem(\.idempotencyKey, text(id + 1)) != nil)
        #expect(problem(\.event, text(name)) == nil)
        #expect(problem(\.event, text(name + 1)) != nil)
    }

    @Test(
        "TRACK properties: maximumTrackProperties of maximumTrackPropertyBytes accepted; one more property or byte rejected"
    )
    func trackProperties() {
        let count = Limits.maximumTrackProperties
        let bytes = Limits.maximumTrackPropertyBytes
        let full = Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", "v") })
        #expect(problem(\.properties, full) == nil)
        #expect(problem(\.properties, full.merging(["extra": "v"]) { $1 }) != nil)
        #expect(problem(\.properties, [text(bytes): text(bytes)]) == nil)
        #expect(problem(\.properties, [text(bytes + 1): "v"]) != nil)
        #expect(problem(\.properties, ["k": text(bytes + 1)]) != nil)
    }

    @Test(
        "TRACK timestamps: 2000-01-01 and now + maximumTrackTimestampAheadMicros accepted; a microsecond outside rejected"
    )
    func trackTimes() {
        let latest = now.rawValue + Limits.maximumTrackTimestampAheadMicros
        #expect(problem(\.timestampMicros, Limits.earliestEventTimestampMicros) == nil)
        #expect(problem(\.timestampMicros, Limits.earliestEventTimestampMicros - 1) != nil)
        #expect(problem(\.timestampMicros, latest) == nil)
        #expect(
            problem(\.timestampMicros, latest + 1)
                == "timestamp_micros is more than 24 hours ahead of the server's clock"
        )
    }

    @Test("TRACK: maximumTrackEventsPerRequest events are accepted, one more refuses the request")
    func trackEventCount() throws {
        let folder = try TemporaryFolder(prefix: "aampe-track-limit")
        let service = RecommendationService(
            generations: GenerationManager(
                store: GenerationStore(folder: folder.child("generations")),
                pollIntervalMillis: 0,
                logger: Logger(label: "test"),
                registry: ModelRegistry()
            ),
            realtime: RealtimeState(),
            log: try RealtimeLog(folder: folder.child("realtime")),
            clock: { [now] in now }
        )
        var request = Aampe_V1_TrackRequest()
        request.events = (0..<Limits.maximumTrackEventsPerRequest).map { index in
            var event = event()
            event.idempotencyKey = "k\(index)"
            return event
        }
        #expect(try service.track(request).accepted == UInt32(Limits.maximumTrackEventsPerRequest))
        request.events.append(event())
        let error = try #require(throws: ProtocolError.self) { try service.track(request) }
        #expect(error.code == .invalidRequest)
    }
}

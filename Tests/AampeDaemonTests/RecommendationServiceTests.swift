import AampeCore
import AampeLearning
import AampeProtocol
import AampeSegments
import AampeTestSupport
import Logging
import Testing

@testable import AampeDaemon

/// RECOMMEND, SIMILAR_ITEMS and TRACK as the daemon runs them, without a socket: a generation trained
/// from four users (u0: A B, u1: A B C, u2: B C, u3: D) and a clock fixed a day after the events.
@Suite("recommendation operations")
struct RecommendationServiceTests {
    static let eventSeconds: Int64 = 1_793_491_200  // 2026-11-01T00:00:00Z

    /// A daemon's generation manager and recommendation service over a freshly trained generation.
    static func service(_ folder: TemporaryFolder, publish: Bool = true) throws -> RecommendationService {
        let store = GenerationStore(folder: folder.child("generations"))
        if publish {
            let histories: [[UInt32]] = [[0, 1], [0, 1, 2], [1, 2], [3]]
            var interactions: [Interaction] = []
            for (user, items) in histories.enumerated() {
                for item in items {
                    interactions.append(
                        Interaction(user: UInt32(user), item: item, weight: 1, timestampSeconds: eventSeconds)
                    )
                }
            }
            var settings = RecommenderSettings()
            settings.halfLifeDays = 0
            let trained = RecommenderTrainer.train(
                InteractionLog(interactions, userCount: 4, itemCount: 4),
                settings: settings
            )
            let builder = try store.begin()
            try RecommenderFiles.write(
                trained,
                catalog: ItemCatalog(itemCount: 4),
                itemIDs: ["A", "B", "C", "D"],
                userIDs: ["u0", "u1", "u2", "u3"],
                into: builder,
                trainedAt: "test"
            )
            try builder.publish()
        }
        var registry = ModelRegistry()
        registry.register(ServedRecommender.self)
        let manager = GenerationManager(
            store: store,
            pollIntervalMillis: 0,
            logger: Logger(label: "test"),
            registry: registry
        )
        try manager.reload()
        return RecommendationService(
            generations: manager,
            realtime: RealtimeState(),
            log: nil,
            unavailableRetryAfterMillis: 250,
            clock: { Timestamp(secondsSinceEpoch: eventSeconds + Timestamp.secondsPerDay) }
        )
    }

    static func recommend(_ service: RecommendationService, _ user: String) throws -> [String] {
        var request = Aampe_V1_RecommendRequest()
        request.userID = user
        request.count = 4
        return try service.recommend(request).items.map(\.itemID)
    }

    @Test("without a generation RECOMMEND is UNAVAILABLE with the configured retry hint")
    func unavailable() throws {
        let folder = try TemporaryFolder()
        let service = try Self.service(folder, publish: false)
        let error = try #require(throws: ProtocolError.self) { try Self.recommend(service, "u0") }
        #expect(error.code == .unavailable && error.retryAfterMillis == 250)
    }

    @Test("a known user gets the neighbours of their items, unseen first; an unknown user gets popular items")
    func recommendations() throws {
        let folder = try TemporaryFolder()
        let service = try Self.service(folder)
        // u0 saw A and B; C is their only co-occurring unseen item, then D from popularity.
        #expect(try Self.recommend(service, "u0") == ["C", "D"])
        // Nobody: popularity (B in 3 histories, A and C in 2, D in 1).
        #expect(try Self.recommend(service, "nobody").first == "B")
    }

    @Test("TRACK makes a user known at once and changes their next answer; the count limit holds at max + 1")
    func track() throws {
        let folder = try TemporaryFolder()
        let service = try Self.service(folder)
        var request = Aampe_V1_TrackRequest()
        var event = Aampe_V1_TrackEvent()
        event.userID = "newcomer"
        event.event = "purchase"
        event.itemID = "D"
        event.idempotencyKey = "k1"
        request.events = [event]
        #expect(try service.track(request).accepted == 1)
        var recommend = Aampe_V1_RecommendRequest()
        recommend.userID = "newcomer"
        recommend.count = 4
        let answer = try service.recommend(recommend)
        #expect(answer.isKnownUser)
        #expect(!answer.items.map(\.itemID).contains("D"))

        request.events = Array(repeating: event, count: Limits.maximumTrackEventsPerRequest + 1)
        let error = try #require(throws: ProtocolError.self) { try service.track(request) }
        #expect(error.code == .invalidRequest && error.message.contains("events:"))
    }
}

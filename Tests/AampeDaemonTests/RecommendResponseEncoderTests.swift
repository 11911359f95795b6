import AampeCore
import AampeLearning
import AampeProtocol
import AampeSegments
import AampeTestSupport
import SwiftProtobuf
import Testing

@testable import AampeDaemon

/// The hand-written RECOMMEND and SIMILAR_ITEMS encoder gives SwiftProtobuf's bytes for the same answers.
@Suite("RECOMMEND response encoder")
struct RecommendResponseEncoderTests {
    @Test("RECOMMEND and SIMILAR_ITEMS: the encoder's bytes are SwiftProtobuf's for the same request")
    func matchesServedAnswers() throws {
        let folder = try TemporaryFolder()
        let service = try RecommendationServiceTests.service(folder)
        for user in ["u0", "u1", "u2", "u3", "nobody", ""] {
            for count in [1, 2, 4, 10] as [UInt32] {
                for excludeSeen in [true, false] {
                    var request = Aampe_V1_RecommendRequest()
                    request.userID = user
                    request.count = count
                    request.excludeSeen = excludeSeen
                    if user.isEmpty { request.contextItems = ["A"] }
                    let expected: [UInt8] = try service.recommend(request).serializedBytes()
                    #expect(try service.recommendSerialized(request) == expected)
                }
            }
        }
        for item in ["A", "B", "D", "new-item"] {
            var request = Aampe_V1_SimilarItemsRequest()
            request.itemID = item
            request.count = 3
            let expected: [UInt8] = try service.similarItems(request).serializedBytes()
            #expect(try service.similarItemsSerialized(request) == expected)
        }
    }

    @Test("scores of 0, −0 and negative, every source, with and without because_of_item, known or not")
    func edgeCases() throws {
        let folder = try TemporaryFolder()
        let service = try RecommendationServiceTests.service(folder)
        let served = try #require(service.generations.view(ServedRecommender.self))
        let items = [
            RecommendedItem(item: 0, score: 0, source: .popular, becauseOf: nil),
            RecommendedItem(item: 1, score: -0.0, source: .trending, becauseOf: nil),
            RecommendedItem(item: 2, score: -3.5, source: .neighbour, becauseOf: 3),
            RecommendedItem(item: 3, score: 1e30, source: .neighbour, becauseOf: nil),
        ]
        for isKnown in [true, false] {
            for prefix in 0...items.count {
                let chosen = Array(items.prefix(prefix))
                var response = Aampe_V1_RecommendResponse()
                response.generation = served.generation.number.rawValue
                response.isKnownUser = isKnown
                response.items = chosen.map { RecommendationService.message($0, served) }
                let expected: [UInt8] = try response.serializedBytes()
                let encoded = RecommendResponseEncoder.encode(
                    chosen,
                    generation: served.generation.number.rawValue,
                    isKnown: isKnown,
                    itemIDs: served.itemIDs
                )
                #expect(encoded == expected)
                #expect(try Aampe_V1_RecommendResponse(serializedBytes: encoded) == response)
            }
        }
    }
}

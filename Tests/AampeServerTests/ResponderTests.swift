import AampeClient
import AampeProtocol
import AampeServer
import Foundation
import NIOCore
import Testing

/// Responses longer than the body limit: PROTOCOL.md promises that no frame's body exceeds the
/// `maximum_body_bytes` GREETING announced, so a long response is split into frames flagged MORE.
@Suite("Responder: responses over the body limit", .serialized)
struct ResponderTests {
    static let limit = 1024

    func request(_ id: UInt32, count: UInt32, itemID: String = "item") -> Frame {
        var request = Aampe_V1_SimilarItemsRequest()
        request.itemID = itemID
        request.count = count
        return Frame(header: FrameHeader(opcode: .similarItems, requestID: id), message: request)
    }

    /// The serialized size of `message`.
    static func size(_ message: Aampe_V1_SimilarItemsResponse) -> Int {
        Frame(header: FrameHeader(opcode: .similarItems, requestID: 1), message: message).body.readableBytes
    }

    /// The frames' bodies read as one message: protobuf parses concatenated messages as their merge.
    static func merged(_ frames: [Frame]) throws -> Aampe_V1_SimilarItemsResponse {
        var body = ByteBuffer()
        for frame in frames { body.writeImmutableBuffer(frame.body) }
        return try Frame(header: FrameHeader(opcode: .similarItems, requestID: 1), body: body).decodeBody()
    }

    /// Every frame answering `id`, up to the one without MORE.
    func frames(answering id: UInt32, on raw: RawConnection) throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try raw.receiveFrame(answering: id) {
            frames.append(frame)
            if !frame.header.flags.contains(.more) { break }
        }
        return frames
    }

    @Test(
        "a response over the limit is split between fields into frames of at most the limit; their merge is the response"
    )
    func split() async throws {
        var limits = ServerLimits.patient
        limits.maximumBodyBytes = Self.limit
        let server = try await TestServer(limits: limits)
        let raw = try server.raw()
        try raw.handshake()
        var asked = Aampe_V1_SimilarItemsRequest()
        asked.itemID = "item"
        asked.count = 200
        let expected = TestHandler.similarItems(asked)
        #expect(Self.size(expected) > 4 * Self.limit)

        raw.send(request(5, count: 200))
        let frames = try frames(answering: 5, on: raw)
        #expect(frames.count >= 5)
        #expect(frames.dropLast().allSatisfy { $0.header.flags.contains(.more) })
        #expect(frames.last?.header.flags.contains(.more) == false)
        for frame in frames {
            #expect(frame.body.readableBytes <= Self.limit)
            #expect(frame.header.status == .ok && frame.header.opcode == .similarItems)
            _ = try frame.decodeBody(as: Aampe_V1_SimilarItemsResponse.self)  // each piece is a whole message
        }
        #expect(try Self.merged(frames) == expected)

        // The Swift client merges the frames too.
        let client = server.client()
        var message = Aampe_V1_SimilarItemsRequest()
        message.itemID = "item"
        message.count = 200
        #expect(try await client.similarItems(message) == expected)
        await client.close()
        await server.stop()
    }

    /// An item id and count whose SIMILAR_ITEMS answer from ``TestHandler`` serializes to `size` bytes.
    func request(ofSize size: Int) -> (itemID: String, count: UInt32)? {
        for count in UInt32(1)...20 {
            for length in 1...300 {
                var asked = Aampe_V1_SimilarItemsRequest()
                asked.itemID = String(repeating: "x", count: length)
                asked.count = count
                if Self.size(TestHandler.similarItems(asked)) == size { return (asked.itemID, count) }
            }
        }
        return nil
    }

    @Test("a response of exactly the limit is one frame; one byte more is two")
    func atLimit() async throws {
        var limits = ServerLimits.patient
        limits.maximumBodyBytes = Self.limit
        let server = try await TestServer(limits: limits)
        let raw = try server.raw()
        try raw.handshake()
        let exact = try #require(request(ofSize: Self.limit))
        raw.send(request(6, count: exact.count, itemID: exact.itemID))
        let one = try frames(answering: 6, on: raw)
        #expect(one.count == 1 && one.first?.body.readableBytes == Self.limit)
        let over = try #require(request(ofSize: Self.limit + 1))
        raw.send(request(7, count: over.count, itemID: over.itemID))
        let two = try frames(answering: 7, on: raw)
        #expect(two.count == 2 && two.allSatisfy { $0.body.readableBytes <= Self.limit })
        #expect(two.first?.header.flags.contains(.more) == true)
        await server.stop()
    }
}

import AampeProtocol
import Foundation
import SwiftProtobuf
import Testing

@Suite("MessageSplitter")
struct MessageSplitterTests {
    /// A RECOMMEND answer of `count` items, every field set.
    func response(count: Int) -> Aampe_V1_RecommendResponse {
        var response = Aampe_V1_RecommendResponse()
        response.items = (0..<count).map { index in
            var item = Aampe_V1_Recommendation()
            item.itemID = "sku-\(index)"
            item.score = Double(index) + 0.5
            item.source = .neighbour
            item.becauseOfItem = "sku-origin"
            return item
        }
        response.generation = 42
        response.isKnownUser = true
        return response
    }

    func merged(_ bytes: [UInt8], _ ranges: [Range<Int>]) throws -> Aampe_V1_RecommendResponse {
        var message = Aampe_V1_RecommendResponse()
        for range in ranges { try message.merge(serializedBytes: Array(bytes[range])) }
        return message
    }

    @Test("a message of exactly the limit is one piece; at one byte less it is cut between fields")
    func maxAndOver() throws {
        let message = response(count: 30)
        let bytes: [UInt8] = try message.serializedBytes()
        #expect(try MessageSplitter.split(bytes, maximumBytes: bytes.count) == [0..<bytes.count])
        let ranges = try MessageSplitter.split(bytes, maximumBytes: bytes.count - 1)
        #expect(ranges.count == 2)
        #expect(try merged(bytes, ranges) == message)
    }

    @Test(
        "every piece fits, each is a whole message, and their merge in order is the message",
        arguments: [64, 100, 257, 1024]
    )
    func pieces(limit: Int) throws {
        let message = response(count: 200)
        let bytes: [UInt8] = try message.serializedBytes()
        let ranges = try MessageSplitter.split(bytes, maximumBytes: limit)
        #expect(ranges.count > 1)
        #expect(ranges.allSatisfy { !$0.isEmpty && $0.count <= limit })
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == bytes.count)
        for (previous, next) in zip(ranges, ranges.dropFirst()) { #expect(previous.upperBound == next.lowerBound) }
        for range in ranges { _ = try Aampe_V1_RecommendResponse(serializedBytes: Array(bytes[range])) }
        #expect(try merged(bytes, ranges) == message)
    }

    @Test("an empty message is one empty piece")
    func empty() throws {
        #expect(try MessageSplitter.split([], maximumBytes: 16) == [0..<0])
    }

    @Test("a field longer than the limit cannot be split: INTERNAL_ERROR naming the field")
    func fieldTooLong() throws {
        var message = Aampe_V1_RecommendResponse()
        var item = Aampe_V1_Recommendation()
        item.itemID = String(repeating: "x", count: 100)
        message.items = [item, item]
        message.generation = 1
        let bytes: [UInt8] = try message.serializedBytes()
        let error = #expect(throws: ProtocolError.self) { try MessageSplitter.split(bytes, maximumBytes: 64) }
        #expect(error?.code == .internalError)
        #expect(error?.message.contains("field 1") == true)
    }
}

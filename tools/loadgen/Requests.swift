// The requests the load generator sends, serialized once before the run.

import AampeProtocol
import Foundation
import NIOCore
import SwiftProtobuf

/// An operation the load generator can send.
enum LoadOperation: String, CaseIterable, Sendable {
    case ping
    case stats
    /// RECOMMEND for a user drawn uniformly from a `UserPool`; the body differs per request.
    case recommend
    /// SCORE for a user drawn the same way.
    case score

    /// Operations the protocol defines but the generator cannot build.
    static let definedButNotLoadable: Set<String> = [
        "similar_items", "similaritems", "track", "pull", "ack", "reload", "hello", "greeting",
    ]

    var opcode: Opcode {
        switch self {
        case .ping: .ping
        case .stats: .stats
        case .recommend: .recommend
        case .score: .score
        }
    }

    /// The serialized request body; for RECOMMEND, the request of the first user (the frames are built per
    /// request by `UserFrameWriter`); likewise for SCORE.
    func body(payloadBytes: Int, perUser: UserFrameWriter?) -> [UInt8] {
        switch self {
        case .ping:
            var request = Aampe_V1_PingRequest()
            request.payload = .init((0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            return try! request.serializedBytes()
        case .stats:
            return try! Aampe_V1_StatsRequest().serializedBytes()
        case .recommend, .score:
            guard let perUser, perUser.opcode == opcode else {
                preconditionFailure("a \(opcode.name) mix needs its UserFrameWriter")
            }
            return Array(perUser.body(user: 0, allocator: ByteBufferAllocator()).readableBytesView)
        }
    }
}

/// Every request of a run, pre-built: a whole frame per operation (request id 0, patched at send time)
/// for the raw codec, a header and body for the NIO codec, and the order in which operations are sent.
struct RequestPlan: Sendable {
    /// Header and body of each operation, request id 0.
    var frames: [[UInt8]]
    /// The body of each operation, as a buffer to share across `Frame`s.
    var bodies: [ByteBuffer]
    var opcodes: [Opcode]
    var names: [String]
    /// Operation indices in sending order, length a power of two; a connection walks it cyclically.
    var sequence: [UInt8]
    /// The index of RECOMMEND or SCORE (one of them per run) in the mix, or -1: its frames are built per
    /// request for a drawn user, not copied.
    var perUserIndex = -1
    var perUser: UserFrameWriter?

    init(mix: [MixEntry], payloadBytes: Int, perUser: UserFrameWriter?) {
        self.perUser = perUser
        let allocator = ByteBufferAllocator()
        frames = []
        bodies = []
        opcodes = []
        names = []
        for (index, entry) in mix.enumerated() {
            if entry.operation == .recommend || entry.operation == .score { perUserIndex = index }
            let body = entry.operation.body(payloadBytes: payloadBytes, perUser: perUser)
            var frame = allocator.buffer(capacity: FrameHeader.length + body.count)
            frame.writeFrameHeader(FrameHeader(opcode: entry.operation.opcode, requestID: 0), bodyLength: body.count)
            frame.writeBytes(body)
            frames.append(Array(frame.readableBytesView))
            var bodyBuffer = allocator.buffer(capacity: body.count)
            bodyBuffer.writeBytes(body)
            bodies.append(bodyBuffer)
            opcodes.append(entry.operation.opcode)
            names.append(entry.operation.rawValue)
        }
        // Smooth weighted round robin: operations interleave evenly in their proportions.
        let length = 1024
        let total = mix.reduce(0) { $0 + $1.weight }
        var current = [Double](repeating: 0, count: mix.count)
        sequence = []
        sequence.reserveCapacity(length)
        for _ in 0..<length {
            var best = 0
            for index in mix.indices {
                current[index] += mix[index].weight
                if current[index] > current[best] { best = index }
            }
            current[best] -= total
            sequence.append(UInt8(best))
        }
    }
}

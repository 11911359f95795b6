// The requests the load generator sends, serialized once before the run.

import AampeProtocol
import Foundation
import NIOCore
import SwiftProtobuf

/// An operation the load generator can send: one that aamped serves and that needs no data.
enum LoadOperation: String, CaseIterable, Sendable {
    case ping
    case stats

    /// Operations the protocol defines but the daemon does not serve (and the generator cannot build).
    static let definedButNotLoadable: Set<String> = [
        "recommend", "similar_items", "similaritems", "track", "score", "pull", "ack", "reload", "hello", "greeting",
    ]

    var opcode: Opcode {
        switch self {
        case .ping: .ping
        case .stats: .stats
        }
    }

    /// The serialized request body.
    func body(payloadBytes: Int) -> [UInt8] {
        switch self {
        case .ping:
            var request = Aampe_V1_PingRequest()
            request.payload = .init((0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            return try! request.serializedBytes()
        case .stats:
            return try! Aampe_V1_StatsRequest().serializedBytes()
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

    init(mix: [MixEntry], payloadBytes: Int) {
        let allocator = ByteBufferAllocator()
        frames = []
        bodies = []
        opcodes = []
        names = []
        for entry in mix {
            let body = entry.operation.body(payloadBytes: payloadBytes)
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

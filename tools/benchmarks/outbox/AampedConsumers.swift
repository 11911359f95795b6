import AampeClient
import AampeProtocol
import Foundation

/// C consumers of aamped, each on its own connection: PULL up to K messages, ACK them all delivered, until
/// a PULL comes back empty. Sequential per consumer (one request in flight), as RedisBench's are.
enum AampedConsumers {
    static func run(_ options: Options) async throws {
        let path = options.string("unix")
        let consumers = options.int("consumers")
        let batchSize = options.int("batch-size")
        let expected = options.int("expect")
        let started = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for consumer in 0..<consumers {
                group.addTask {
                    var configuration = AampeClient.Configuration(address: .unix(path: path))
                    configuration.clientName = "aampe-bench-outbox/\(consumer)"
                    configuration.requestTimeout = .seconds(60)
                    let client = AampeClient(configuration: configuration)
                    defer { Task { await client.close() } }
                    var acknowledged = 0
                    while true {
                        let pulled = try await client.pull(
                            consumer: "bench-\(consumer)",
                            maximum: batchSize,
                            leaseSeconds: 600
                        )
                        if pulled.messages.isEmpty { break }
                        let acks = pulled.messages.map { message in
                            var ack = Aampe_V1_Acknowledgement()
                            ack.messageID = message.messageID
                            ack.leaseToken = message.leaseToken
                            ack.status = .delivered
                            return ack
                        }
                        let answer = try await client.ack(acks)
                        guard answer.acknowledged == acks.count else {
                            throw BenchError.unexpected("ACK settled \(answer.acknowledged) of \(acks.count)")
                        }
                        acknowledged += acks.count
                    }
                    return acknowledged
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        let seconds = (ContinuousClock.now - started).seconds
        guard counts == expected else {
            throw BenchError.unexpected("acknowledged \(counts) messages, expected \(expected)")
        }
        print(
            "{\"system\":\"aamped\",\"consumers\":\(consumers),\"messages\":\(counts),\"seconds\":\(seconds),\"rate\":\(Double(counts) / seconds)}"
        )
    }
}

enum BenchError: Error, CustomStringConvertible {
    case unexpected(String)
    var description: String {
        switch self {
        case .unexpected(let text): text
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

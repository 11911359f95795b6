public import AampeProtocol
internal import Histogram
internal import NIOCore
import Synchronization

/// Counters and latency histograms per operation, plus connection counts, for STATS.
///
/// Every event loop records into its own ``Shard`` (a connection looks its loop's shard up once, when it
/// is added), and a snapshot merges the shards. So requests on different threads never touch the same
/// lock or cache line; a shard's lock is only ever contended by a STATS snapshot reading it.
public final class ServerStatistics: Sendable {
    struct Operation {
        var count: UInt64 = 0
        var errors: UInt64 = 0
        // Nanoseconds, 1 ns to 60 s, two significant digits (1 % resolution): ten times fewer buckets than
        // three digits, which keeps recording cheap and a STATS snapshot short.
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
    }

    /// One operation's figures.
    public struct OperationSnapshot: Sendable, Hashable {
        public var opcode: Opcode
        public var count: UInt64
        public var errors: UInt64
        public var p50Nanos: UInt64
        public var p99Nanos: UInt64
        public var p999Nanos: UInt64
        public var maxNanos: UInt64
    }

    /// One thread's figures of every operation, indexed by opcode; the last slot collects opcodes past
    /// the known ones (answered UNSUPPORTED_OPERATION), which no snapshot reports.
    final class Shard: Sendable {
        let operations: Mutex<[Operation]>

        init(slots: Int) { operations = Mutex([Operation](repeating: Operation(), count: slots)) }

        /// Counts one answered request.
        func record(_ opcode: Opcode, nanoseconds: UInt64, isError: Bool) {
            operations.withLock { operations in
                let slot = min(Int(opcode.rawValue), operations.count - 1)
                operations[slot].count += 1
                if isError { operations[slot].errors += 1 }
                _ = operations[slot].latency.record(max(1, min(nanoseconds, 60_000_000_000)))
            }
        }

        /// Counts the answers of one read burst, flushed at `now`, under one lock.
        func record(_ answers: [(opcode: Opcode, isError: Bool, receivedAt: NIODeadline)], flushedAt now: NIODeadline) {
            operations.withLock { operations in
                for answer in answers {
                    let slot = min(Int(answer.opcode.rawValue), operations.count - 1)
                    let nanoseconds = UInt64(max(0, (now - answer.receivedAt).nanoseconds))
                    operations[slot].count += 1
                    if answer.isError { operations[slot].errors += 1 }
                    _ = operations[slot].latency.record(max(1, min(nanoseconds, 60_000_000_000)))
                }
            }
        }
    }

    /// One slot per known opcode, indexed by its value, plus one for the rest.
    private let slotCount = Int(Opcode.all.map(\.rawValue).max() ?? 0) + 2
    private let shards = Mutex<[ObjectIdentifier: Shard]>([:])
    /// Where a connection records before it knows its event loop.
    let fallbackShard: Shard
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<UInt64>(0)
    let rejectedConnections = Atomic<UInt64>(0)
    /// When the server started, for uptime.
    public let startedAt: ContinuousClock.Instant

    public init() {
        fallbackShard = Shard(slots: slotCount)
        self.startedAt = .now
    }

    /// The shard of `eventLoop`'s thread, made on first use.
    func shard(for eventLoop: any EventLoop) -> Shard {
        let key = ObjectIdentifier(eventLoop)
        return shards.withLock { shards in
            if let shard = shards[key] { return shard }
            let shard = Shard(slots: slotCount)
            shards[key] = shard
            return shard
        }
    }

    /// The figures of every operation that has been called at least once, in opcode order.
    public func snapshot() -> [OperationSnapshot] {
        // Copy each shard under its lock, merge and compute outside them: requests recording meanwhile
        // never wait for the merge or the percentile scans.
        let copies = (shards.withLock { Array($0.values) } + [fallbackShard]).map { $0.operations.withLock { $0 } }
        return Opcode.all.compactMap { opcode in
            let slot = Int(opcode.rawValue)
            var merged = Operation()
            for copy in copies {
                merged.count += copy[slot].count
                merged.errors += copy[slot].errors
                merged.latency.add(copy[slot].latency)
            }
            guard merged.count > 0 else { return nil }
            return OperationSnapshot(
                opcode: opcode,
                count: merged.count,
                errors: merged.errors,
                p50Nanos: merged.latency.valueAtPercentile(50),
                p99Nanos: merged.latency.valueAtPercentile(99),
                p999Nanos: merged.latency.valueAtPercentile(99.9),
                maxNanos: merged.latency.max
            )
        }
    }

    /// Connections open now.
    public var currentConnections: Int { openConnections.load(ordering: .relaxed) }
    /// Connections accepted since start.
    public var totalAcceptedConnections: UInt64 { acceptedConnections.load(ordering: .relaxed) }
    /// Connections refused at the limit since start.
    public var totalRejectedConnections: UInt64 { rejectedConnections.load(ordering: .relaxed) }
    /// Time since start.
    public var uptime: Duration { ContinuousClock.now - startedAt }
}

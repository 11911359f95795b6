public import AampeProtocol
internal import Histogram
import Synchronization

/// Counters and latency histograms per operation, plus connection counts, for STATS.
///
/// Each operation has its own lock, so requests of different operations never contend.
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

    /// A lock around one operation's figures; a class so that the dictionary can hold it (a `Mutex`
    /// cannot be copied).
    final class LockedOperation: Sendable {
        let mutex = Mutex(Operation())
    }

    private let operations: [UInt16: LockedOperation]
    private let other = LockedOperation()
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<UInt64>(0)
    let rejectedConnections = Atomic<UInt64>(0)
    /// When the server started, for uptime.
    public let startedAt: ContinuousClock.Instant

    public init() {
        var operations: [UInt16: LockedOperation] = [:]
        for opcode in Opcode.all { operations[opcode.rawValue] = LockedOperation() }
        self.operations = operations
        self.startedAt = .now
    }

    func record(_ opcode: Opcode, nanoseconds: UInt64, isError: Bool) {
        let box = operations[opcode.rawValue] ?? other
        box.mutex.withLock { operation in
            operation.count += 1
            if isError { operation.errors += 1 }
            _ = operation.latency.record(max(1, min(nanoseconds, 60_000_000_000)))
        }
    }

    /// The figures of every operation that has been called at least once, in opcode order.
    public func snapshot() -> [OperationSnapshot] {
        Opcode.all.compactMap { opcode in
            // Copy under the lock, compute outside it: requests recording this operation never wait for
            // the percentile scans.
            let operation = operations[opcode.rawValue]!.mutex.withLock { $0 }
            guard operation.count > 0 else { return nil }
            return OperationSnapshot(
                opcode: opcode,
                count: operation.count,
                errors: operation.errors,
                p50Nanos: operation.latency.valueAtPercentile(50),
                p99Nanos: operation.latency.valueAtPercentile(99),
                p999Nanos: operation.latency.valueAtPercentile(99.9),
                maxNanos: operation.latency.max
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

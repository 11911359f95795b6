public import AampeCore

/// How many messages of each batch are in each state, read from the batch files and their journals
/// without a daemon: `aampectl outbox status`.
public struct OutboxStatus: Sendable {
    /// One batch's counts.
    public struct Batch: Sendable {
        /// The batch's number.
        public var batch: UInt32
        /// Messages per state.
        public var counts: MessageStateCounts
        /// The instant the counts describe: `at` when given, else the journal's latest record (`nil` for a
        /// batch never served).
        public var asOf: Timestamp?
    }

    /// Every batch, in ascending order.
    public var batches: [Batch]

    /// The counts summed over every batch.
    public var total: MessageStateCounts {
        batches.reduce(into: MessageStateCounts()) { total, batch in
            total.pending += batch.counts.pending
            total.leased += batch.counts.leased
            total.delivered += batch.counts.delivered
            total.failed += batch.counts.failed
            total.dead += batch.counts.dead
            total.expired += batch.counts.expired
        }
    }

    /// Reads every batch of `folder`. With `at`, each machine is brought forward to `at` (leases lapse,
    /// windows close) in memory only: nothing is written. `configuration` should be the daemon's
    /// (`maximumAttempts` decides whether a lapse kills a message).
    public static func read(
        _ folder: OutboxFolder,
        configuration: MessageStateMachine.Configuration = MessageStateMachine.Configuration(),
        at: Timestamp? = nil
    ) throws -> OutboxStatus {
        var batches: [Batch] = []
        for number in try folder.batches() {
            var machine = try folder.read(number, configuration: configuration)
            if let at { machine.expire(now: at) }
            let asOf = at ?? (machine.latestNow.rawValue == .min ? nil : machine.latestNow)
            batches.append(Batch(batch: number, counts: machine.counts, asOf: asOf))
        }
        return OutboxStatus(batches: batches)
    }
}

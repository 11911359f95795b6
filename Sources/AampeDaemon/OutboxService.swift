public import AampeCore
public import AampeOutbox
import Dispatch
public import Logging
public import ServiceLifecycle
import Synchronization

/// The outbox as aamped serves it: every batch under `outbox/`, each a mapped ``OutboxBatch`` with its
/// ``MessageStateMachine`` rebuilt from its journal, leased by PULL and settled by ACK, with every change
/// made durable by the ``OutboxCommitter`` before the request that made it is answered.
///
/// Batches are found at start, on RELOAD, and every `rescanIntervalMillis` (an assignment run renames
/// its `messages.seg` into place when it is whole, so a batch folder without one is skipped until then).
/// A batch that cannot be opened (a damaged file, a journal that does not replay) is logged and left out,
/// and the others are served.
///
/// All machines share one lock: a PULL takes the earliest window end over every batch, so it looks at
/// all of them. Content is read from the mapped batch files outside the lock.
public final class OutboxService: Service, Sendable {
    /// One served batch. A class so the lock's list holds references and machines mutate in place.
    ///
    /// `@unchecked Sendable`: `machine` is read and changed only under the service's lock, `journal` is
    /// written only by the committer's thread (requests hand it changes, never write it), and `batch` is
    /// an immutable mapping.
    final class ServedBatch: @unchecked Sendable {
        let batch: OutboxBatch
        var machine: MessageStateMachine
        let journal: OutboxJournalFile

        init(batch: OutboxBatch, machine: MessageStateMachine, journal: OutboxJournalFile) {
            self.batch = batch
            self.machine = machine
            self.journal = journal
        }
    }

    struct State {
        /// By batch number, in ascending order.
        var batches: [(number: UInt32, served: ServedBatch)] = []
        /// Batches that failed to open, with the error logged; logged again only if the error changes.
        var failedToOpen: [UInt32: String] = [:]
    }

    /// A leased message, with what is needed to answer it outside the lock.
    public struct LeasedMessage: Sendable {
        public var batch: OutboxBatch
        public var lease: MessageStateMachine.Lease
        public var id: OutboxMessageID { OutboxMessageID(batch: batch.batch, row: lease.message.rawValue) }
    }

    /// One acknowledgement to settle.
    public struct Acknowledgement: Sendable, Hashable {
        public var message: OutboxMessageID
        public var token: LeaseToken
        public var status: MessageStateMachine.AckStatus

        public init(message: OutboxMessageID, token: LeaseToken, status: MessageStateMachine.AckStatus) {
            self.message = message
            self.token = token
            self.status = status
        }
    }

    /// The outbox folder served.
    public let folder: OutboxFolder
    /// The clock PULL, ACK and expiry run on.
    public let clock: OutboxClock
    let configuration: MessageStateMachine.Configuration
    let rescanIntervalMillis: Int
    let logger: Logger
    let committer: OutboxCommitter
    let retirement: Retirement?
    private let state = Mutex(State())
    private let rescanning = Mutex<Void>(())

    /// Serves the batches in `folder` on `clock`. `sync` makes a journal durable (tests inject failures).
    public convenience init(
        folder: OutboxFolder,
        clock: OutboxClock,
        configuration: MessageStateMachine.Configuration = MessageStateMachine.Configuration(),
        rescanIntervalMillis: Int,
        logger: Logger,
        retirement: Retirement? = nil
    ) {
        self.init(
            folder: folder,
            clock: clock,
            configuration: configuration,
            rescanIntervalMillis: rescanIntervalMillis,
            logger: logger,
            retirement: retirement,
            sync: { file throws(OutboxError) in try file.sync() }
        )
    }

    init(
        folder: OutboxFolder,
        clock: OutboxClock,
        configuration: MessageStateMachine.Configuration,
        rescanIntervalMillis: Int,
        logger: Logger,
        retirement: Retirement? = nil,
        sync: @escaping @Sendable (OutboxJournalFile) throws(OutboxError) -> Void
    ) {
        self.retirement = retirement
        self.folder = folder
        self.clock = clock
        self.configuration = configuration
        self.rescanIntervalMillis = rescanIntervalMillis
        self.logger = logger
        self.committer = OutboxCommitter(sync: sync)
    }

    // MARK: Batches

    /// Opens every batch in the folder not served yet; returns how many were added. Blocks while mapping
    /// and replaying; call it off the event loops. Throws only when the folder cannot be listed.
    @discardableResult
    public func rescan() throws(OutboxError) -> Int {
        try rescanning.withLock { _ throws(OutboxError) -> Int in
            let numbers = try folder.batches()
            let served = Set(state.withLock { $0.batches.map(\.number) })
            var added = 0
            for number in numbers where !served.contains(number) {
                let opened: OutboxFolder.OpenedBatch
                do {
                    opened = try folder.open(number, configuration: configuration)
                } catch {
                    let message = "\(error)"
                    let isNew = state.withLock { state in
                        defer { state.failedToOpen[number] = message }
                        return state.failedToOpen[number] != message
                    }
                    if isNew { logger.error("outbox batch \(number) is not served: \(message)") }
                    continue
                }
                var machine = opened.machine
                let changes = machine.takeChanges()
                // A simulated clock restarted from its flag must not read earlier than the journal's last change.
                if machine.latestNow.rawValue != .min { clock.catchUp(to: machine.latestNow) }
                let batch = ServedBatch(batch: opened.batch, machine: machine, journal: opened.journal)
                state.withLock { state in
                    state.failedToOpen[number] = nil
                    state.batches.append((number, batch))
                    state.batches.sort { $0.number < $1.number }
                    committer.enqueue(changes, to: batch.journal)
                }
                added += 1
                let torn = opened.tornTailBytes > 0 ? ", cut a torn tail of \(opened.tornTailBytes) bytes" : ""
                logger.info(
                    "serving outbox batch \(number): \(opened.batch.count) messages, \(opened.replayedRecords) journal records replayed\(torn)"
                )
            }
            return added
        }
    }

    /// How many batches are served.
    public var batchCount: Int { state.withLock { $0.batches.count } }

    // MARK: Retirement

    /// When a settled batch leaves the outbox, and what must happen first.
    public struct Retirement: Sendable {
        /// How long after a batch's last window ended it is kept (for late repeats of an ACK).
        public var afterSeconds: Int64
        /// Called with the batches about to be deleted, once their journals are durable: the daemon folds
        /// their final statuses into the message log here. A throw keeps them, to be tried again.
        public var beforeDeleting: @Sendable ([UInt32]) throws -> Void

        public init(afterSeconds: Int64, beforeDeleting: @escaping @Sendable ([UInt32]) throws -> Void) {
            self.afterSeconds = afterSeconds
            self.beforeDeleting = beforeDeleting
        }
    }

    /// Stops serving and deletes every batch that is settled (``MessageStateMachine/isSettled(windowsEndedBy:)``)
    /// with its last window at least ``Retirement/afterSeconds`` ago, after the ``Retirement/beforeDeleting``
    /// hook; returns them. The journal replay at start and the message log's status sync read every
    /// batch left, so retiring keeps both bounded. A crash at any step leaves the batch served (and retired
    /// on a later pass) or a `<batch>.retired` folder, which this removes.
    @discardableResult
    public func retireSettled() throws -> [UInt32] {
        guard let retirement else { return [] }
        return try rescanning.withLock { _ throws -> [UInt32] in
            try folder.removeRetired()
            // 1. Closed windows expire, and every change is made durable, before the journals are read.
            let (candidates, ticket) = state.withLock { state -> ([UInt32], UInt64) in
                let now = clock.now()
                let cutoff = Timestamp(
                    rawValue: now.rawValue - retirement.afterSeconds * Timestamp.microsecondsPerSecond
                )
                for (_, served) in state.batches { served.machine.expire(now: now) }
                let ticket = journalChanges(&state)
                let settled = state.batches.filter { $0.served.machine.isSettled(windowsEndedBy: cutoff) }
                return (settled.map(\.number), ticket)
            }
            guard !candidates.isEmpty else { return [] }
            let durable = Mutex<Result<Void, OutboxError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            committer.whenDurable(ticket) { result in
                durable.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            if case .failure(let error)? = durable.withLock({ $0 }) { throw error }
            // 2. The final statuses are kept elsewhere (the message log) before the journals go.
            try retirement.beforeDeleting(candidates)
            // 3. Out of service, then off the disk. Nothing can change a settled batch, so the check of step 1
            // still holds; a repeated ACK after this answers UNKNOWN_MESSAGE.
            state.withLock { state in state.batches.removeAll { candidates.contains($0.number) } }
            for batch in candidates {
                try folder.retire(batch)
                logger.info("retired outbox batch \(batch): settled, its statuses in the message log")
            }
            return candidates
        }
    }

    // MARK: Operations

    /// Why an outbox operation was refused.
    public enum ServiceError: Error, Sendable {
        /// The journal failed earlier; nothing is served until a restart.
        case journalFailed(OutboxError)
    }

    /// Leases up to `maximum` due messages on `channels` to `consumer` for `leaseSeconds`, the earliest
    /// window end first over every batch (then the lower batch, then the lower row). The arguments are
    /// within their limits (the caller checked them). Returns the leases, the clock's now, and the ticket
    /// to wait on before answering.
    public func pull(
        consumer: String,
        maximum: Int,
        leaseSeconds: Int,
        channels: OutboxChannelSet
    ) throws -> (leases: [LeasedMessage], now: Timestamp, ticket: UInt64) {
        if let failure = committer.failed { throw ServiceError.journalFailed(failure) }
        return try state.withLock { state in
            let now = clock.now()
            var leases: [LeasedMessage] = []
            leases.reserveCapacity(maximum)
            if state.batches.count == 1, let only = state.batches.first?.served {
                for lease in try only.machine.pull(
                    consumer: consumer,
                    maximum: maximum,
                    leaseSeconds: leaseSeconds,
                    channels: channels,
                    now: now
                ) {
                    leases.append(LeasedMessage(batch: only.batch, lease: lease))
                }
            } else {
                // Several batches: take from the one whose next message ends first, up to the window end of
                // the runner-up's next message, then look again.
                while leases.count < maximum {
                    var best: (served: ServedBatch, end: Timestamp)?
                    var runnerUp: Timestamp?
                    for (_, served) in state.batches {
                        guard let end = served.machine.nextDueWindowEnd(channels: channels, now: now) else { continue }
                        if let current = best, current.end <= end {
                            runnerUp = min(runnerUp ?? end, end)
                        } else {
                            if let current = best { runnerUp = min(runnerUp ?? current.end, current.end) }
                            best = (served, end)
                        }
                    }
                    guard let best else { break }
                    let taken = try best.served.machine.pull(
                        consumer: consumer,
                        maximum: maximum - leases.count,
                        leaseSeconds: leaseSeconds,
                        channels: channels,
                        now: now,
                        windowEndingBy: runnerUp
                    )
                    for lease in taken { leases.append(LeasedMessage(batch: best.served.batch, lease: lease)) }
                }
            }
            let ticket = journalChanges(&state)
            return (leases, now, ticket)
        }
    }

    /// Settles each acknowledgement in order; returns each one's outcome and the ticket to wait on. Reasons
    /// are within their limit (the caller checked them).
    public func ack(
        _ acknowledgements: [Acknowledgement]
    ) throws -> (outcomes: [MessageStateMachine.AckOutcome], ticket: UInt64) {
        if let failure = committer.failed { throw ServiceError.journalFailed(failure) }
        return try state.withLock { state in
            let now = clock.now()
            var outcomes: [MessageStateMachine.AckOutcome] = []
            outcomes.reserveCapacity(acknowledgements.count)
            var lastBatch: (number: UInt32, served: ServedBatch)?
            for acknowledgement in acknowledgements {
                let number = acknowledgement.message.batch
                let served: ServedBatch?
                if let lastBatch, lastBatch.number == number {
                    served = lastBatch.served
                } else {
                    served = state.batches.first { $0.number == number }?.served
                    if let served { lastBatch = (number, served) }
                }
                guard let served else {
                    outcomes.append(.unknownMessage)
                    continue
                }
                outcomes.append(
                    try served.machine.ack(
                        message: MessageIndex(rawValue: acknowledgement.message.row),
                        token: acknowledgement.token,
                        status: acknowledgement.status,
                        now: now
                    )
                )
            }
            let ticket = journalChanges(&state)
            return (outcomes, ticket)
        }
    }

    /// Puts every dead message whose window is open back to pending (see
    /// ``MessageStateMachine/requeueDead(now:)``); returns the counts and the ticket to wait on.
    public func requeueDead() throws -> (requeued: Int, windowClosed: Int, ticket: UInt64) {
        if let failure = committer.failed { throw ServiceError.journalFailed(failure) }
        return state.withLock { state in
            let now = clock.now()
            var requeued = 0
            var windowClosed = 0
            for (_, served) in state.batches {
                let counts = served.machine.requeueDead(now: now)
                requeued += counts.requeued
                windowClosed += counts.windowClosed
            }
            return (requeued, windowClosed, journalChanges(&state))
        }
    }

    /// Messages per state over every batch, as of the clock's now.
    public func counts() -> MessageStateCounts {
        state.withLock { state in
            let now = clock.now()
            var total = MessageStateCounts()
            for (_, served) in state.batches {
                // Bringing the machines up to now may lapse leases and close windows: journaled like any change.
                served.machine.expire(now: now)
                let counts = served.machine.counts
                total.pending += counts.pending
                total.leased += counts.leased
                total.delivered += counts.delivered
                total.failed += counts.failed
                total.dead += counts.dead
                total.expired += counts.expired
            }
            _ = journalChanges(&state)
            return total
        }
    }

    /// Runs `completion` once the changes up to `ticket` are durable, or with the journal's failure.
    public func whenDurable(_ ticket: UInt64, _ completion: @escaping @Sendable (Result<Void, OutboxError>) -> Void) {
        committer.whenDurable(ticket, completion)
    }

    /// The failure that stopped the journal, if any.
    public var journalFailure: OutboxError? { committer.failed }

    /// Hands every machine's new changes to the committer; returns the ticket covering them.
    private func journalChanges(_ state: inout State) -> UInt64 {
        for (_, served) in state.batches {
            let changes = served.machine.takeChanges()
            if !changes.isEmpty { committer.enqueue(changes, to: served.journal) }
        }
        return committer.ticket()
    }

    // MARK: Service

    /// Rescans every `rescanIntervalMillis` until graceful shutdown, then syncs what is queued and stops the
    /// committer.
    public func run() async throws {
        if rescanIntervalMillis > 0 {
            try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(self.rescanIntervalMillis))
                    do {
                        try self.rescan()
                    } catch {
                        self.logger.error("cannot list the outbox folder: \(error)")
                    }
                    do {
                        try self.retireSettled()
                    } catch {
                        self.logger.error("cannot retire settled outbox batches, trying again later: \(error)")
                    }
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        committer.stop()
        if let failure = committer.failed { logger.error("the outbox journal failed: \(failure)") }
    }
}

internal import AampeCore
internal import AampeOutbox
import Foundation

/// Group commit for the outbox journals: requests queue their state changes, one thread writes whatever
/// is queued and `fdatasync`s each journal it wrote, and every request whose changes that sync covered
/// is answered.
///
/// ```
///  PULL/ACK (event loops)              committer thread
///  ─ change machines (under the        ─ take everything queued      ┐ one round; requests that arrive
///    outbox lock), enqueue(changes),   ─ write(2) it to the journals │ meanwhile queue for the next
///    ticket()                          ─ fdatasync each written one  │ round, so one sync covers all
///  ─ build the answer                  ─ durable = the round's       │ the records of the requests
///  ─ whenDurable(ticket) { send } ◀──     ticket; run the waiters    ┘ that waited on it
/// ```
///
/// A ticket is the number of enqueues so far when the request's changes were queued (a request that
/// changed nothing takes the current number too: what it answers may rest on changes still in flight,
/// such as a repeated ACK of a settlement being synced). Nothing waits on a timer: a round starts as soon
/// as the previous one ends and something is queued, so under load one sync covers every request that
/// arrived during the previous sync, and an idle daemon answers after one write and one sync.
///
/// **Failure is final.** When a write or a sync fails, Linux may already have dropped the dirty pages
/// and reported the error once (PostgreSQL's "fsyncgate"); a later sync that succeeds does not prove the
/// records reached the disk. So the committer stops: every waiting and later request fails with the
/// error, and the outbox answers `JOURNAL_FAILED` until aamped restarts and replays what is on disk.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`; the journal files are written
/// only by the committer thread once handed over.
final class OutboxCommitter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<Void, OutboxError>) -> Void

    private let condition = NSCondition()
    private var queued: [ObjectIdentifier: (file: OutboxJournalFile, changes: [MessageStateMachine.Change])] = [:]
    private var enqueued: UInt64 = 0
    private var durable: UInt64 = 0
    private var waiters: [(ticket: UInt64, completion: Completion)] = []
    private var failure: OutboxError?
    private var isStopping = false
    private var isStopped = false
    private var syncCount: UInt64 = 0
    private let sync: @Sendable (OutboxJournalFile) throws(OutboxError) -> Void

    /// A committer whose thread starts at once. `sync` makes a journal's appended records durable; tests
    /// inject failures through it.
    init(sync: @escaping @Sendable (OutboxJournalFile) throws(OutboxError) -> Void = { try $0.sync() }) {
        self.sync = sync
        let thread = Thread { [self] in run() }
        thread.name = "aamped-outbox-journal"
        thread.start()
    }

    /// Queues `changes` for `file`. Call with the outbox's lock held, so that each journal receives its
    /// machine's changes in the order the machine made them.
    func enqueue(_ changes: [MessageStateMachine.Change], to file: OutboxJournalFile) {
        guard !changes.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        guard failure == nil, !isStopped else { return }
        queued[ObjectIdentifier(file), default: (file, [])].changes.append(contentsOf: changes)
        enqueued += 1
        condition.signal()
    }

    /// The ticket that covers everything enqueued so far.
    func ticket() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return enqueued
    }

    /// The failure that stopped the committer, if one did.
    var failed: OutboxError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Syncs done since start.
    var syncs: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return syncCount
    }

    /// Runs `completion` once everything enqueued up to `ticket` is durable (at once if it is), or with the
    /// failure that stopped the committer. Runs on the committer's thread or the caller's.
    func whenDurable(_ ticket: UInt64, _ completion: @escaping Completion) {
        condition.lock()
        if let failure {
            condition.unlock()
            return completion(.failure(failure))
        }
        if ticket <= durable {
            condition.unlock()
            return completion(.success(()))
        }
        if isStopped {
            condition.unlock()
            return completion(.failure(Self.stoppedError))
        }
        waiters.append((ticket, completion))
        condition.unlock()
    }

    /// Writes and syncs what is queued, then stops the thread; later enqueues are dropped. Blocks until
    /// the last round is done.
    func stop() {
        condition.lock()
        isStopping = true
        condition.signal()
        while !isStopped { condition.wait() }
        condition.unlock()
    }

    /// What a request waiting on a committer that stopped at shutdown gets.
    static let stoppedError = OutboxError.file(
        FileIOError(path: "outbox journal", operation: "commit after shutdown", code: ECANCELED)
    )

    private func run() {
        condition.lock()
        while true {
            while queued.isEmpty && !isStopping { condition.wait() }
            if queued.isEmpty && isStopping { break }
            let round = queued
            queued = [:]
            let target = enqueued
            condition.unlock()

            var roundFailure: OutboxError?
            do throws(OutboxError) {
                for (file, changes) in round.values { try file.append(changes) }
                for (file, _) in round.values { try sync(file) }
            } catch {
                roundFailure = error
            }

            condition.lock()
            syncCount += UInt64(round.count)
            if let roundFailure {
                failure = roundFailure
                queued = [:]
            } else {
                durable = target
            }
            var ready: [Completion] = []
            waiters.removeAll { waiter in
                guard failure != nil || waiter.ticket <= durable else { return false }
                ready.append(waiter.completion)
                return true
            }
            let outcome: Result<Void, OutboxError> = failure.map { .failure($0) } ?? .success(())
            condition.unlock()
            for completion in ready { completion(outcome) }
            condition.lock()
            if failure != nil { break }
        }
        // Stopped, by request or by a failure: nobody may wait for a round that will never come.
        isStopped = true
        let abandoned = waiters.map(\.completion)
        waiters = []
        let outcome: Result<Void, OutboxError> = .failure(failure ?? Self.stoppedError)
        condition.broadcast()
        condition.unlock()
        for completion in abandoned { completion(outcome) }
    }
}

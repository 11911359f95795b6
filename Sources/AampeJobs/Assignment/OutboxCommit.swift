public import AampeCore
import AampeOutbox
import AampeSegments
public import AampeStore

/// How an assignment run makes its messages and its decisions appear together, so that a run killed at
/// any moment and run again gives the same outbox as one that was never interrupted.
///
/// 1. The messages are written as `outbox/<batch>.pending/messages.seg` (the segment writer itself
///    writes a temporary file, syncs it and renames it). The daemon serves only folders named by a bare
///    number, so nobody can PULL a pending batch.
/// 2. The decisions, each message's with its batch and row, are logged in one SQLite transaction. This is
///    the commit point.
/// 3. The folder is renamed to `outbox/<batch>` and the outbox folder synced: the daemon may serve it.
///
/// ``recover(directory:store:)``, run first by every assignment run, finishes what a killed run left: a
/// pending folder whose batch the log names is renamed into place (the kill came after step 2), and one
/// it does not name is removed once its run is over (the kill came before, so the log has none of its
/// decisions and the run is redone; its seeds depend only on the content, the data and the period, so it
/// decides the same). A pending folder of a run still going is left: batch runs write under the job lock, so
/// a batch run that holds it knows any other batch run's folder is abandoned, while the daemon's
/// real-time runs write without it and are abandoned only when the daemon starts or after an hour.
public enum OutboxCommit {
    /// What recovery did.
    public struct Recovery: Codable, Sendable, Hashable {
        /// Batches whose decisions were logged, renamed into place.
        public var finished: [Int64] = []
        /// Batches whose decisions were never logged, removed.
        public var discarded: [Int64] = []

        public init() {}
    }

    static let pendingSuffix = ".pending"

    /// The folder of batch `batch`.
    public static func folder(_ directory: DataDirectory, batch: Int64) -> String {
        directory.outboxPath + "/\(batch)"
    }

    /// The messages file of batch `batch`.
    public static func messagesPath(_ directory: DataDirectory, batch: Int64) -> String {
        folder(directory, batch: batch) + "/messages.seg"
    }

    /// Finishes or removes what interrupted runs left in `outbox/`.
    public static func recover(
        directory: DataDirectory,
        store: Store,
        caller: Caller = .batchRunHoldingLock
    ) throws
        -> Recovery
    {
        var recovery = Recovery()
        guard FileSystem.isDirectory(directory.outboxPath) else { return recovery }
        let pending = try FileSystem.list(directory.outboxPath).compactMap { name -> Int64? in
            guard name.hasSuffix(pendingSuffix) else { return nil }
            return Int64(name.dropLast(pendingSuffix.count))
        }
        guard !pending.isEmpty else { return recovery }
        let logged = Set(try store.messageLog.batches().map(\.batch))
        for batch in pending.sorted() {
            let path = folder(directory, batch: batch) + pendingSuffix
            if logged.contains(batch) {
                try FileSystem.rename(path, to: folder(directory, batch: batch))
                recovery.finished.append(batch)
            } else if try isAbandoned(batch, store: store, caller: caller) {
                try FileSystem.removeTree(path)
                recovery.discarded.append(batch)
            }
        }
        try FileSystem.fsync(path: directory.outboxPath, isDirectory: true)
        return recovery
    }

    /// Whether the run that writes pending batch `batch` is gone: it ended, or it has been running for
    /// over an hour (a killed run stays `running` in the history). The daemon's real-time triggers commit
    /// while batch runs may run, so a pending folder of a live run must be left alone.
    static func isAbandoned(_ batch: Int64, store: Store, caller: Caller) throws -> Bool {
        guard let run = try? store.runs.run(batch) else { return true }
        guard run.status == .running else { return true }
        if run.subject == AssignJob.realtimeSubject {
            // Only the daemon writes these; when it starts, none of its runs is live.
            return caller == .daemonStarting
                || Timestamp.now().secondsSinceEpoch - run.startedAt.secondsSinceEpoch > 3_600
        }
        // Batch runs hold the job lock while they write, so a batch run holding it knows any other is dead.
        return caller == .batchRunHoldingLock
    }

    /// Who recovers: a batch run (which holds the job lock) or the daemon as it starts.
    public enum Caller: Sendable {
        case batchRunHoldingLock
        case daemonStarting
    }

    /// Writes `records` as batch `batch` and logs `decisions`, in the order the type describes. With no
    /// records only the decisions are logged, and the result is `nil`.
    static func commit(
        records: [OutboxRecord],
        decisions: [LoggedDecision],
        batch: Int64,
        directory: DataDirectory,
        store: Store,
        createdAt: Timestamp
    ) throws -> Int64? {
        guard !records.isEmpty else {
            try store.messageLog.append(decisions, runID: batch)
            return nil
        }
        guard batch > 0, batch <= Int64(UInt32.max) else {
            throw JobError(
                .cannotWrite(path: directory.outboxPath, detail: "run id \(batch) does not fit a batch number")
            )
        }
        if !FileSystem.isDirectory(directory.outboxPath) {
            try FileSystem.makeDirectory(directory.outboxPath)
            try FileSystem.fsync(path: directory.path, isDirectory: true)
        }
        let pending = folder(directory, batch: batch) + pendingSuffix
        try FileSystem.removeTree(pending)
        try FileSystem.makeDirectory(pending)
        try OutboxBatch.write(records, to: pending + "/messages.seg", createdAt: createdAt)
        try FileSystem.fsync(path: pending, isDirectory: true)
        try FileSystem.fsync(path: directory.outboxPath, isDirectory: true)
        Failpoint.reach("assign.after-outbox-write")
        try store.messageLog.append(decisions, runID: batch)
        Failpoint.reach("assign.after-log-commit")
        try FileSystem.rename(pending, to: folder(directory, batch: batch))
        try FileSystem.fsync(path: directory.outboxPath, isDirectory: true)
        return batch
    }
}

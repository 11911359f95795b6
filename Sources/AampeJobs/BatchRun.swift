public import AampeCore
public import AampeStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every batch job does around its own work: take the data directory's job lock when it builds a
/// generation, record the run in the run history, and record how it ended.
///
/// The lock (`jobs.lock` in the data directory, an exclusive `flock`) keeps two jobs from building
/// generations at once: each carries over the models of the generation live when it starts, so two
/// concurrent trainings would each publish without the other's model. Jobs that only read (evaluation,
/// audiences) read a consistent snapshot through the event manifest and take no lock. flock belongs to
/// the open file, so a killed job releases it.
///
/// A job is one call: `try BatchRun.run(.train, subject: ..., directory: ..., buildsGeneration: true) {
/// context in ... }`. The body runs synchronously on the calling thread with the store opened for it and
/// returns its result with the counters the run history keeps; whatever it throws is recorded as the
/// run's failure and rethrown. The lock and the store live exactly as long as the call. A job that
/// publishes a generation does so inside the body, through ``GenerationPublisher``, so that it holds the
/// lock while it does. ``JobError/Reason/dataDirectoryBusy(lockPath:)`` means another such job holds the
/// lock: the call fails at once rather than waiting.
public enum BatchRun {
    /// The context a job's body gets.
    public struct Context {
        /// The data directory the job runs on.
        public let directory: DataDirectory
        /// The data directory's store, open for the length of the run.
        public let store: Store
        /// The run's id in the run history.
        public let runID: Int64
    }

    /// Runs `body` on `directory` as a run of `kind` about `subject`, holding the job lock if
    /// `buildsGeneration`. `body` returns its result and the counters to record. A failure is recorded
    /// and rethrown.
    public static func run<Result>(
        _ kind: RunKind,
        subject: String,
        directory: DataDirectory,
        buildsGeneration: Bool,
        _ body: (Context) throws -> (Result, RunCounters)
    ) throws -> Result {
        let lock = buildsGeneration ? try JobLock(directory: directory) : nil
        defer { withExtendedLifetime(lock) {} }
        let store = try directory.openStore()
        let runID = try store.runs.begin(kind, subject: subject)
        do {
            let (result, counters) = try body(Context(directory: directory, store: store, runID: runID))
            try store.runs.succeed(runID, counters: counters)
            return result
        } catch {
            do {
                try store.runs.fail(runID, error: "\(error)")
            } catch let recordError {
                throw JobError(.unrecorded(jobError: "\(error)", recordError: "\(recordError)"))
            }
            throw error
        }
    }
}

/// An exclusive lock on a data directory's batch jobs (or, with ``init(path:busy:)``, on another lock
/// file such as the pipeline's), held from creation to deinit.
final class JobLock {
    private let descriptor: Int32

    convenience init(directory: DataDirectory) throws {
        try self.init(path: directory.jobLockPath, busy: .dataDirectoryBusy(lockPath: directory.jobLockPath))
    }

    /// Takes the `flock` on `path` at once, or throws `busy` when another open file holds it.
    init(path: String, busy: JobError.Reason) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw JobError(.cannotWrite(path: path, detail: String(cString: strerror(errno))))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw JobError(busy)
        }
    }

    deinit { close(descriptor) }
}

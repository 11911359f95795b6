/// What stops a batch job: bad arguments a command could not check alone, a data directory in use, or
/// data that cannot give a result. Outside failures (SQLite, files) keep their own error types.
public struct JobError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the context to say so.
    public enum Reason: Sendable {
        /// Another job building a generation holds the data directory's lock.
        case dataDirectoryBusy(lockPath: String)
        /// An option's value cannot work with this data, such as an attribute no item has.
        case invalidOption(option: String, detail: String)
        /// The inputs leave nothing to compute on.
        case noData(detail: String)
        /// A file the job writes could not be written.
        case cannotWrite(path: String, detail: String)
        /// The job failed, and recording the failure in the run history failed too.
        case unrecorded(jobError: String, recordError: String)
        /// The assignment settings recorded by batch run `runID` do not decode.
        case invalidStoredSettings(runID: Int64, reason: String)
        /// Another pipeline pass holds the data directory's pipeline lock.
        case pipelineRunning(lockPath: String)
        /// The drop folder, or a file in it, cannot be listed or moved.
        case dropFolder(path: String, detail: String)
        /// Dropped files that could not be imported (read to the end); they were moved to `failed/`.
        case unreadableDropFiles([String])
        /// The last pipeline pass's report cannot be read.
        case pipelineReport(path: String, detail: String)
    }

    /// What went wrong.
    public var reason: Reason

    /// An error for `reason`.
    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// One line for the user, naming the option, path or lock; safe to log.
    public var description: String {
        switch reason {
        case .dataDirectoryBusy(let lockPath):
            "another training run is building a generation in this data directory (it holds \(lockPath)); try again when it ends"
        case .invalidOption(let option, let detail): "\(option): \(detail)"
        case .noData(let detail): detail
        case .cannotWrite(let path, let detail): "cannot write \(path): \(detail)"
        case .unrecorded(let jobError, let recordError):
            "\(jobError) (and the run history could not record the failure: \(recordError))"
        case .invalidStoredSettings(let runID, let reason):
            "the assignment settings recorded by run \(runID) (table assignment_settings) do not decode: \(reason)"
        case .pipelineRunning(let lockPath):
            "another pipeline pass is running on this data directory (it holds \(lockPath)); try again when it ends"
        case .dropFolder(let path, let detail): "drop folder \(path): \(detail)"
        case .unreadableDropFiles(let files):
            "\(files.count) dropped file\(files.count == 1 ? "" : "s") could not be imported (moved to failed/): "
                + files.joined(separator: "; ")
        case .pipelineReport(let path, let detail): "\(path): \(detail)"
        }
    }
}

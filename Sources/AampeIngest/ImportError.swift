/// Why an import could not read a file or finish.
///
/// Row-level problems are not errors: they are rejects, counted by ``RejectReason`` and written to the
/// quarantine file. An `ImportError` is about a whole file or the run, and its description names the
/// file and what failed, never row contents.
public enum ImportError: Error, Hashable, Sendable {
    /// The path does not exist, is not a regular file or folder, or cannot be read.
    case cannotRead(path: String, reason: String)
    /// The compressed stream is damaged at about `offset` decompressed bytes.
    case corruptInput(path: String, offset: Int64, reason: String)
    /// The file's layout could not be recognised or does not fit the chosen format.
    case unrecognizedFormat(path: String, reason: String)
    /// An option is invalid (a mapping to an unknown field, a bad delimiter).
    case invalidOption(name: String, reason: String)
    /// Another import holds the data directory's import lock.
    case importInProgress(lockPath: String)
    /// Writing the results failed.
    case cannotWrite(path: String, reason: String)
    /// The run failed, and recording the failure in the run history failed too.
    case unrecordedFailure(error: String, recordError: String)
}

extension ImportError: CustomStringConvertible {
    /// The path (or option) and what failed; safe to log, since it never quotes a row.
    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "\(path): cannot read: \(reason)"
        case .corruptInput(let path, let offset, let reason):
            "\(path): compressed input is damaged near byte \(offset) of its content: \(reason)"
        case .unrecognizedFormat(let path, let reason): "\(path): \(reason)"
        case .invalidOption(let name, let reason): "\(name): \(reason)"
        case .importInProgress(let lockPath):
            "another import is running on this data directory (it holds \(lockPath)); wait for it to finish"
        case .cannotWrite(let path, let reason): "\(path): cannot write: \(reason)"
        case .unrecordedFailure(let error, let recordError):
            "\(error) (and the run history could not record the failure: \(recordError))"
        }
    }
}

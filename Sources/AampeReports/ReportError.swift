/// Why a report could not be made. The description names the option, file or input and the reason.
public enum ReportError: Error, Hashable, Sendable {
    /// An option is out of its range: `name` is the option as the user spells it.
    case invalidOption(name: String, reason: String)
    /// The data directory has nothing to report on yet: `detail` says what to run first.
    case noData(detail: String)
    /// A file could not be written: `reason` is the system's text.
    case cannotWrite(path: String, reason: String)
}

extension ReportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidOption(let name, let reason): "--\(name): \(reason)"
        case .noData(let detail): "nothing to report: \(detail)"
        case .cannotWrite(let path, let reason): "\(path): cannot write: \(reason)"
        }
    }
}

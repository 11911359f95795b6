public import AampeCore
internal import Foundation

extension Timestamp {
    /// The current wall-clock time.
    public static func now() -> Timestamp {
        Timestamp(rawValue: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}

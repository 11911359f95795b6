import Foundation

/// JSON as the commands print it for scripts: sorted keys, so output is stable across runs.
enum JSONText {
    /// `value` as indented JSON.
    static func pretty(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

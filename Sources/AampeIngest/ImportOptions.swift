public import AampeCore
import Foundation

/// How text input is encoded.
public enum TextEncoding: String, Sendable, Codable, CaseIterable {
    case utf8 = "utf-8"
    /// ISO-8859-1, as MovieLens `u.item` is. Every byte is a character, converted to UTF-8 on read.
    case latin1
}

/// Settings of `aampectl import events`.
public struct EventImportOptions: Sendable {
    /// The layout, or `.auto` to decide per file.
    public var format: EventFormat = .auto
    /// The field delimiter of delimited text; `nil` decides from the file name (`.tsv`) or header line.
    public var delimiter: UInt8?
    /// Column names for delimited text without a header row, such as MovieLens `u.data`:
    /// `user_id,item_id,value,timestamp`. With columns given, the first line is data.
    public var columns: [String]?
    /// Where canonical fields come from: a column name, or a dotted key path in JSON.
    public var mapping: [CanonicalField: String] = [:]
    /// How the input text is encoded. Default UTF-8.
    public var encoding: TextEncoding = .utf8
    /// The event name of rows whose layout has no event column (Personalize without `EVENT_TYPE`,
    /// MovieLens ratings). Default `interaction`.
    public var defaultEventName = "interaction"
    /// Events with the same key this many days apart or closer are duplicates. Default 7, as Amplitude
    /// dedupes `insert_id`.
    public var dedupeHorizonDays: Int64 = 7
    /// How far past the run's start a timestamp may lie before it is rejected. Default one day, which
    /// covers clock skew and time-zone mistakes in client-side timestamps.
    public var futureToleranceSeconds: Int64 = 86_400
    /// The oldest event time accepted; earlier rows are rejected as `timestamp_too_old`, with a detail
    /// that names this setting (`--oldest-accepted`). Default 2000-01-01 (``Limits/earliestEventTimestampMicros``),
    /// because in app data an older time is nearly always a unit mistake or a zero default; historic data
    /// sets set it earlier, down to 1970-01-01 (``Limits/earliestSettableEventTimestampMicros``).
    public var oldestAccepted = Timestamp(rawValue: Limits.earliestEventTimestampMicros)
    /// The run's notion of now, for the future check. Tests pin it.
    public var now: Timestamp = .now()

    /// The defaults.
    public init() {}
}

/// Expands the paths given on the command line: files as given, folders recursively in name order
/// (skipping hidden entries). A path that does not exist is returned as an error, not thrown, so that
/// the other paths are still imported.
enum InputPaths {
    static func expand(_ paths: [String]) -> [(path: String, error: String?)] {
        var result: [(String, String?)] = []
        let fileManager = FileManager.default
        for path in paths {
            var isFolder: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isFolder) else {
                result.append((path, "no such file or folder"))
                continue
            }
            guard isFolder.boolValue else {
                result.append((path, nil))
                continue
            }
            guard let enumerator = fileManager.enumerator(atPath: path) else {
                result.append((path, "cannot list the folder"))
                continue
            }
            var files: [String] = []
            while let entry = enumerator.nextObject() as? String {
                let name = (entry as NSString).lastPathComponent
                if name.hasPrefix(".") {
                    if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
                        enumerator.skipDescendants()
                    }
                    continue
                }
                if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(entry) }
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            result.append(contentsOf: files.sorted().map { (base + "/" + $0, nil) })
        }
        return result
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

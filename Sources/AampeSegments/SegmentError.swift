/// Why reading or writing a segment file failed: which file, which column (when one is involved), and
/// which check failed.
///
/// The description never contains row values; it names structures, offsets and counts only.
public struct SegmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The segment file, or the generation folder.
    public var path: String
    /// The column involved, if any.
    public var column: String?
    /// The check that failed.
    public var reason: Reason

    /// Creates an error about `path` (and `column`) for `reason`.
    public init(path: String, column: String? = nil, reason: Reason) {
        self.path = path
        self.column = column
        self.reason = reason
    }

    /// The failed check.
    public enum Reason: Hashable, Sendable {
        /// A system call failed: `operation` and `strerror`'s text.
        case io(operation: String, message: String)
        /// The file is shorter than a header and a trailer.
        case tooShort(length: Int)
        /// A magic number is wrong: `structure` says which (header, directory, trailer).
        case badMagic(structure: String)
        /// The file's major version is not one this build reads.
        case unsupportedMajorVersion(found: UInt16, supported: UInt16)
        /// A structure's CRC-32C does not match its bytes.
        case checksumMismatch(structure: String)
        /// The trailer's recorded file length is not the file's length (truncated or appended to).
        case fileLengthMismatch(recorded: UInt64, actual: UInt64)
        /// The directory or a column part lies outside the file or overlaps the header or trailer.
        case outOfBounds(structure: String)
        /// A directory field has an impossible value.
        case malformedDirectory(field: String)
        /// A limit from `Limits` was exceeded.
        case limitExceeded(what: String, value: Int, limit: Int)
        /// The offsets of a variable-length column are not increasing, or point past its data.
        case badOffsets(row: Int)
        /// A value is invalid for its type (a bool byte other than 0 or 1, invalid UTF-8).
        case invalidValue(row: Int, expected: String)
        /// A zstd block failed to decompress or decompressed to the wrong size.
        case badBlock(block: Int, detail: String)
        /// The hash index of a dictionary column is inconsistent with its keys.
        case badHashIndex(slot: Int)
        /// No column of this name.
        case columnNotFound
        /// The column exists but has another type or codec than asked for.
        case typeMismatch(expected: String, found: String)
        /// Two columns of one file have the same name.
        case duplicateColumn
        /// A dictionary column received the same key twice.
        case duplicateKey(row: Int)
        /// A generation is missing, incomplete, or its pointer is malformed.
        case generation(detail: String)
    }

    /// The failed check in words, without the location.
    public var check: String { reason.text }

    public var description: String {
        let location = column.map { "\(path): column '\($0)'" } ?? path
        return "\(location): \(reason.text)"
    }
}

extension SegmentError.Reason {
    var text: String {
        switch self {
        case .io(let operation, let message): "\(operation) failed: \(message)"
        case .tooShort(let length): "file is \(length) bytes, too short for a header and a trailer"
        case .badMagic(let structure): "\(structure) magic is wrong; not a segment file or damaged"
        case .unsupportedMajorVersion(let found, let supported):
            "format major version \(found) is not supported (this build reads \(supported)); "
                + (found > supported ? "upgrade aamped" : "the file is from an incompatible old format")
        case .checksumMismatch(let structure): "\(structure) checksum mismatch"
        case .fileLengthMismatch(let recorded, let actual):
            "file is \(actual) bytes but its trailer records \(recorded); truncated or appended to"
        case .outOfBounds(let structure): "\(structure) lies outside the file's data region"
        case .malformedDirectory(let field): "directory field \(field) has an impossible value"
        case .limitExceeded(let what, let value, let limit): "\(what) is \(value); the limit is \(limit)"
        case .badOffsets(let row): "offsets are not increasing within the data at row \(row)"
        case .invalidValue(let row, let expected): "row \(row) is not a valid \(expected)"
        case .badBlock(let block, let detail): "block \(block): \(detail)"
        case .badHashIndex(let slot): "hash index slot \(slot) is inconsistent with the keys"
        case .columnNotFound: "no such column"
        case .typeMismatch(let expected, let found): "expected \(expected), found \(found)"
        case .duplicateColumn: "a column of this name was already written"
        case .duplicateKey(let row): "row \(row) repeats an earlier key; dictionary keys must be unique"
        case .generation(let detail): detail
        }
    }
}

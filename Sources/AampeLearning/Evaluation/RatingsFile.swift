import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ratings file in the MovieLens `u.data` layout, read into dense indices: the input of
/// `aampectl eval recommender`.
///
/// One row a line, four fields separated by tabs, no header:
///
/// ```
/// +---------+---------+--------+------------+
/// | user    | item    | rating | timestamp  |
/// +---------+---------+--------+------------+
/// | 196     | 242     | 3      | 881250949  |
/// +---------+---------+--------+------------+
///   string    string    number   Unix seconds
/// ```
///
/// - user, item: any non-empty UTF-8 text without tabs, at most `Limits.maximumExternalIDBytes` bytes.
///   They are ids to us, not numbers: `07` and `7` are different users.
/// - rating: a finite decimal number (`3`, `4.5`, `-1`, `2e0`); it becomes the interaction's weight.
/// - timestamp: whole seconds since 1970-01-01T00:00:00Z, digits only.
///
/// Lines end with `\n`; a `\r` before it is dropped, and the last line may lack its `\n`. Any other
/// blank line is an error, as is an empty file. The first bad row stops the read: an evaluation on a
/// silently shortened file would report numbers for data nobody chose.
public struct RatingsFile: Sendable {
    /// The users, indexed by the `user` of ``interactions``.
    public var users: ExternalIDs
    /// The items, indexed by the `item` of ``interactions``.
    public var items: ExternalIDs
    /// The rows in file order; weight is the rating.
    public var interactions: [Interaction]

    /// Reads the file at `path`, giving new users and items dense indices in first-seen order.
    ///
    /// To read a test file against a training file, pass the training file's tables:
    /// `RatingsFile(contentsOf: testPath, users: train.users, items: train.items)`. Every id the training
    /// file had keeps its index; an id it lacked gets the next free index, so `user >= train.users.count`
    /// (or `item >= train.items.count`) marks a cold-start user (item) that no model trained on that file
    /// can know. The returned tables are the training ones extended by those new ids.
    public init(
        contentsOf path: String,
        users: ExternalIDs = ExternalIDs(),
        items: ExternalIDs = ExternalIDs()
    ) throws(LearningError) {
        let bytes = try Self.readWholeFile(path, maximumBytes: Limits.maximumRatingsFileBytes)
        try self.init(parsing: bytes, path: path, users: users, items: items)
    }

    /// Parses `bytes` already in memory, with the rules of ``init(contentsOf:users:items:)``; `path` only
    /// names the input in errors.
    public init(
        parsing bytes: [UInt8],
        path: String,
        users: ExternalIDs = ExternalIDs(),
        items: ExternalIDs = ExternalIDs()
    ) throws(LearningError) {
        guard !bytes.isEmpty else { throw LearningError.emptyRatingsFile(path: path) }
        self.users = users
        self.items = items
        interactions = []
        var lineNumber = 0
        var lineStart = 0
        while lineStart < bytes.count {
            lineNumber += 1
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let row: Row
            switch Self.parseRow(bytes[lineStart..<newline]) {
            case .success(let parsed): row = parsed
            case .failure(let failure):
                throw LearningError.malformedRatings(
                    path: path,
                    line: lineNumber,
                    field: failure.field,
                    problem: failure.problem
                )
            }
            interactions.append(
                Interaction(
                    user: self.users.intern(row.user),
                    item: self.items.intern(row.item),
                    weight: row.rating,
                    timestampSeconds: row.timestamp
                )
            )
            lineStart = newline + 1
        }
    }

    /// Whether `firstLine` looks like a `u.data` row: four tab-separated fields, non-empty ids, a numeric
    /// rating and a timestamp of digits. Cheap enough to call on every input to pick a reader; a header
    /// line such as `user_id\titem_id\trating\ttimestamp` does not match.
    public static func looksLikeUData(firstLine: some StringProtocol) -> Bool {
        var bytes = Array(firstLine.utf8)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if case .success = parseRow(bytes[...]) { return true }
        return false
    }

    /// A field of a `u.data` row.
    public enum Field: String, Hashable, Sendable, CaseIterable {
        case user, item, rating, timestamp

        /// The field's 1-based column, as an editor shows it.
        public var position: Int {
            switch self {
            case .user: 1
            case .item: 2
            case .rating: 3
            case .timestamp: 4
            }
        }
    }

    /// What is wrong with a row or a field.
    public enum Problem: Hashable, Sendable {
        /// The row does not have exactly four tab-separated fields.
        case wrongFieldCount(found: Int)
        /// The field is empty.
        case empty
        /// An id is longer than the limit, in UTF-8 bytes.
        case tooLong(bytes: Int, limit: Int)
        /// An id is not valid UTF-8.
        case invalidUTF8
        /// The rating is not a finite decimal number.
        case notANumber
        /// The timestamp is not whole seconds since the epoch (digits only, at most 18 of them).
        case badTimestamp

        var text: String {
            switch self {
            case .wrongFieldCount(let found):
                "expected 4 tab-separated fields (user, item, rating, timestamp), found \(found)"
            case .empty: "is empty"
            case .tooLong(let bytes, let limit): "is \(bytes) bytes; the limit is \(limit)"
            case .invalidUTF8: "is not valid UTF-8"
            case .notANumber: "is not a finite decimal number"
            case .badTimestamp: "is not whole Unix seconds (digits only, at most 18)"
            }
        }
    }

    // MARK: Parsing

    private struct Row {
        var user: String
        var item: String
        var rating: Float
        var timestamp: Int64
    }

    private struct RowFailure: Error {
        var field: Field?
        var problem: Problem
    }

    private static func parseRow(_ line: ArraySlice<UInt8>) -> Result<Row, RowFailure> {
        var line = line
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
        guard fields.count == 4 else { return .failure(RowFailure(problem: .wrongFieldCount(found: fields.count))) }
        do throws(RowFailure) {
            let user = try parseID(fields[0], field: .user)
            let item = try parseID(fields[1], field: .item)
            let rating = try parseRating(fields[2])
            let timestamp = try parseTimestamp(fields[3])
            return .success(Row(user: user, item: item, rating: rating, timestamp: timestamp))
        } catch {
            return .failure(error)
        }
    }

    private static func parseID(_ bytes: ArraySlice<UInt8>, field: Field) throws(RowFailure) -> String {
        guard !bytes.isEmpty else { throw RowFailure(field: field, problem: .empty) }
        guard bytes.count <= Limits.maximumExternalIDBytes else {
            throw RowFailure(field: field, problem: .tooLong(bytes: bytes.count, limit: Limits.maximumExternalIDBytes))
        }
        // Decoding with replacement would let two different invalid ids collide in one index.
        guard let id = String(validating: bytes, as: UTF8.self) else {
            throw RowFailure(field: field, problem: .invalidUTF8)
        }
        return id
    }

    private static func parseRating(_ bytes: ArraySlice<UInt8>) throws(RowFailure) -> Float {
        guard !bytes.isEmpty else { throw RowFailure(field: .rating, problem: .empty) }
        // Swift's Float(String) also accepts `nan`, `inf` and hexadecimal floats; a rating is decimal.
        let isDecimal = bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        }
        guard isDecimal, bytes.count <= 64, let value = Float(String(decoding: bytes, as: UTF8.self)), value.isFinite
        else { throw RowFailure(field: .rating, problem: .notANumber) }
        return value
    }

    private static func parseTimestamp(_ bytes: ArraySlice<UInt8>) throws(RowFailure) -> Int64 {
        guard !bytes.isEmpty else { throw RowFailure(field: .timestamp, problem: .empty) }
        // 18 digits always fit in an Int64, so the loop below cannot overflow.
        guard bytes.count <= 18 else { throw RowFailure(field: .timestamp, problem: .badTimestamp) }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RowFailure(field: .timestamp, problem: .badTimestamp)
            }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    // MARK: Reading

    /// The whole file at `path`; larger than `maximumBytes` is an error, checked before reading.
    static func readWholeFile(_ path: String, maximumBytes: Int) throws(LearningError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw LearningError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw LearningError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw LearningError.cannotRead(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size <= maximumBytes else {
            throw LearningError.limitExceeded(
                path: path,
                what: "the ratings file size in bytes",
                value: size,
                limit: maximumBytes
            )
        }
        var failure: LearningError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let count = read(descriptor, buffer.baseAddress! + initialized, size - initialized)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = .cannotRead(path: path, reason: String(cString: strerror(errno)))
                    return
                }
                // The file shrank while we read it: keep what is there; the parser judges it.
                if count == 0 { return }
                initialized += count
            }
        }
        if let failure { throw failure }
        return bytes
    }
}

internal import AampeCore

/// The durable form of a ``MessageStateMachine``: every ``MessageStateMachine/Change`` as an append-only
/// binary record, and the replay that rebuilds the machine from them.
///
/// A journal file is a header and then records, all little-endian:
///
/// ```
/// header (24 bytes)
/// +--------+------+---------------------------------------------+
/// | offset | size | field                                       |
/// +--------+------+---------------------------------------------+
/// |      0 |    8 | magic "AAMPEOJ\n"                           |
/// |      8 |    4 | format version, UInt32: 1                   |
/// |     12 |    4 | message count of the outbox, UInt32         |
/// |     16 |    8 | FNV-1a 64 of bytes 0 ..< 16                 |
/// +--------+------+---------------------------------------------+
///
/// record (40 + n bytes)
/// +--------+------+---------------------------------------------+
/// | offset | size | field                                       |
/// +--------+------+---------------------------------------------+
/// |      0 |    1 | kind: 1 leased, 2 delivered, 3 failed,      |
/// |        |      | 4 retried, 5 lease lapsed, 6 dead, 7 expired|
/// |        |      | 8 requeued                                  |
/// |      1 |    1 | 0 (reserved)                                |
/// |      2 |    2 | n, UInt16: text length in bytes             |
/// |      4 |    4 | message index, UInt32                       |
/// |      8 |    8 | lease token, UInt64 (0 for 6, 7, 8)         |
/// |     16 |    8 | at: the change's Timestamp, Int64 micros    |
/// |     24 |    8 | lease until, Int64 micros (leased; else 0)  |
/// |     32 |    n | text, UTF-8: the consumer (leased) or the   |
/// |        |      | reason (failed, retried, dead); else empty  |
/// | 32 + n |    8 | FNV-1a 64 of bytes 0 ..< 32 + n             |
/// +--------+------+---------------------------------------------+
/// ```
///
/// Each record carries its own checksum, so a reader can tell where good data stops. The checksum is
/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/): it needs no table and no C target, so the
/// outbox depends on Core alone, and at tens of bytes a record it costs far less than the fsync the
/// record waits for. A random corruption passes it with probability 2⁻⁶⁴; unlike CRC-32C it does not
/// promise to catch every short burst, which the version field leaves room to change.
///
/// ## Damage
///
/// A crash in the middle of an append leaves a *torn tail*: a final record cut short, or with a bad
/// checksum and nothing after it, or a bad record followed only by zero bytes (a file system can extend a
/// file before the data reaches the disk, so a crash can leave a record's first bytes and then zeros). Decoding reports a torn tail and stops before it; the
/// appender cuts it off before writing more. Damage anywhere else is corruption, and decoding throws
/// ``OutboxError/corruptRecord(offset:_:)`` with the byte offset of the bad record.
///
/// Group commit (many records per `fdatasync`) is the caller's: ``OutboxJournalFile`` appends and syncs
/// when asked.
public enum OutboxJournal {
    /// The header's magic bytes.
    public static let magic: [UInt8] = Array("AAMPEOJ\n".utf8)
    /// The format version this code writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The header's length in bytes.
    public static let headerBytes = 24
    /// A record's length in bytes without its text.
    public static let recordOverheadBytes = 40

    /// The header of a journal for an outbox of `messageCount` messages.
    public static func header(messageCount: Int) -> [UInt8] {
        precondition(messageCount >= 0 && messageCount <= Int(UInt32.max), "message count \(messageCount)")
        var bytes = magic
        bytes.appendLittleEndian(formatVersion)
        bytes.appendLittleEndian(UInt32(messageCount))
        bytes.appendLittleEndian(fnv1a64(bytes[...]))
        return bytes
    }

    /// Appends `change`'s record to `bytes`.
    ///
    /// The machine only makes changes whose texts are within their limits, so a longer text here is a
    /// caller's bug.
    public static func encode(_ change: MessageStateMachine.Change, into bytes: inout [UInt8]) {
        let kind: UInt8
        var token: UInt64 = 0
        var until: Int64 = 0
        var text = ""
        switch change {
        case .leased(_, let consumer, let leaseToken, let leaseUntil, _):
            (kind, token, until, text) = (1, leaseToken.rawValue, leaseUntil.rawValue, consumer)
        case .delivered(_, let leaseToken, _): (kind, token) = (2, leaseToken.rawValue)
        case .failed(_, let leaseToken, let reason, _): (kind, token, text) = (3, leaseToken.rawValue, reason)
        case .retried(_, let leaseToken, let reason, _): (kind, token, text) = (4, leaseToken.rawValue, reason)
        case .leaseLapsed(_, let leaseToken, _): (kind, token) = (5, leaseToken.rawValue)
        case .dead(_, let reason, _): (kind, text) = (6, reason)
        case .expired: kind = 7
        case .requeued: kind = 8
        }
        let utf8 = Array(text.utf8)
        precondition(utf8.count <= maximumTextBytes, "journal text of \(utf8.count) bytes")
        let start = bytes.count
        bytes.append(kind)
        bytes.append(0)
        bytes.appendLittleEndian(UInt16(utf8.count))
        bytes.appendLittleEndian(change.message.rawValue)
        bytes.appendLittleEndian(token)
        bytes.appendLittleEndian(UInt64(bitPattern: change.at.rawValue))
        bytes.appendLittleEndian(UInt64(bitPattern: until))
        bytes.append(contentsOf: utf8)
        bytes.appendLittleEndian(fnv1a64(bytes[start...]))
    }

    /// The records of `changes`, one after another.
    public static func encode(_ changes: [MessageStateMachine.Change]) -> [UInt8] {
        var bytes: [UInt8] = []
        for change in changes { encode(change, into: &bytes) }
        return bytes
    }

    /// A journal read back: its records, and where the good data ends.
    public struct Decoded: Hashable, Sendable {
        /// The outbox's message count from the header.
        public var messageCount: Int
        /// Every intact record, with its byte offset in the file, in order.
        public var records: [(offset: Int, change: MessageStateMachine.Change)] {
            zip(offsets, changes).map { ($0, $1) }
        }
        /// The records' changes, in order.
        public var changes: [MessageStateMachine.Change]
        /// Each record's byte offset, in step with ``changes``.
        public var offsets: [Int]
        /// The length of the header and the intact records: where the next record should be appended.
        public var validByteCount: Int
        /// How many bytes of a torn final record follow the intact ones; 0 if none.
        public var tornTailBytes: Int

        /// Whether the journal ended in a torn record (a crash mid-append).
        public var hasTornTail: Bool { tornTailBytes > 0 }
    }

    /// Reads a whole journal file's bytes. Throws on a bad header or a corrupt record before the end; a
    /// torn tail is reported in the result.
    public static func decode(_ bytes: [UInt8]) throws(OutboxError) -> Decoded {
        let messageCount = try decodeHeader(bytes)
        var decoded = Decoded(
            messageCount: messageCount,
            changes: [],
            offsets: [],
            validByteCount: headerBytes,
            tornTailBytes: 0
        )
        var offset = headerBytes
        while offset < bytes.count {
            switch decodeRecord(bytes, at: offset, messageCount: messageCount) {
            case .record(let change, let length):
                decoded.changes.append(change)
                decoded.offsets.append(offset)
                offset += length
                decoded.validByteCount = offset
            case .torn:
                decoded.tornTailBytes = bytes.count - offset
                return decoded
            case .bad(let detail, let length):
                // Torn if nothing but zeros follows the bad record (or follows its start, when its header
                // is too damaged to give its length).
                let end = min(bytes.count, offset + (length ?? 0))
                if bytes[end...].allSatisfy({ $0 == 0 }) {
                    decoded.tornTailBytes = bytes.count - offset
                    return decoded
                }
                throw .corruptRecord(offset: offset, detail)
            }
        }
        return decoded
    }

    /// Rebuilds the machine of an outbox of `messages` from its journal's bytes: a fresh machine, then
    /// every record's change, each checked against the state the ones before it left. Also returns the
    /// decoded journal, whose ``Decoded/validByteCount`` the appender resumes at.
    ///
    /// The machine's clock ends at the latest record's instant, with every timed transition due by then
    /// applied. Changes the replay had to make itself (transitions due by then that were not journaled
    /// before a crash) are waiting in ``MessageStateMachine/takeChanges()``.
    public static func replay(
        _ bytes: [UInt8],
        messages: [OutboxMessage],
        configuration: MessageStateMachine.Configuration = MessageStateMachine.Configuration()
    ) throws(OutboxError) -> (machine: MessageStateMachine, journal: Decoded) {
        let decoded = try decode(bytes)
        guard decoded.messageCount == messages.count else {
            throw .journalMessageCountMismatch(journal: decoded.messageCount, outbox: messages.count)
        }
        var machine = try MessageStateMachine(messages: messages, configuration: configuration)
        for (offset, change) in zip(decoded.offsets, decoded.changes) {
            if let problem = machine.replay(change) {
                throw .inconsistentRecord(offset: offset, message: change.message.row, problem)
            }
        }
        machine.finishReplay()
        return (machine, decoded)
    }

    /// The longest text a record may hold: the longer of a consumer name and a reason.
    static let maximumTextBytes = max(Limits.maximumConsumerNameBytes, Limits.maximumAckReasonBytes)

    static func decodeHeader(_ bytes: [UInt8]) throws(OutboxError) -> Int {
        guard bytes.count >= headerBytes else {
            throw .invalidJournalHeader("\(bytes.count) bytes; a header is \(headerBytes)")
        }
        guard Array(bytes[0..<8]) == magic else { throw .invalidJournalHeader("not an outbox journal (bad magic)") }
        guard bytes.readLittleEndian(UInt64.self, at: 16) == fnv1a64(bytes[0..<16]) else {
            throw .invalidJournalHeader("checksum mismatch")
        }
        let version = bytes.readLittleEndian(UInt32.self, at: 8)
        guard version == formatVersion else {
            throw .invalidJournalHeader("format version \(version); this build reads \(formatVersion)")
        }
        return Int(bytes.readLittleEndian(UInt32.self, at: 12))
    }

    enum RecordResult {
        case record(MessageStateMachine.Change, length: Int)
        /// The record runs past the end of the bytes.
        case torn
        /// The record is damaged; `length` is its length if its header could say.
        case bad(String, length: Int?)
    }

    static func decodeRecord(_ bytes: [UInt8], at offset: Int, messageCount: Int) -> RecordResult {
        guard bytes.count - offset >= 4 else { return .torn }
        let kind = bytes[offset]
        let textBytes = Int(bytes.readLittleEndian(UInt16.self, at: offset + 2))
        guard (1...8).contains(kind), bytes[offset + 1] == 0, textBytes <= maximumTextBytes else {
            return .bad("kind \(kind), text of \(textBytes) bytes", length: nil)
        }
        let length = recordOverheadBytes + textBytes
        guard bytes.count - offset >= length else { return .torn }
        let checksumOffset = offset + length - 8
        guard bytes.readLittleEndian(UInt64.self, at: checksumOffset) == fnv1a64(bytes[offset..<checksumOffset])
        else { return .bad("checksum mismatch", length: length) }
        // Intact bytes; check the fields before trusting them.
        let index = bytes.readLittleEndian(UInt32.self, at: offset + 4)
        guard Int(index) < messageCount else {
            return .bad("message \(index) in an outbox of \(messageCount)", length: length)
        }
        let message = MessageIndex(rawValue: index)
        let token = LeaseToken(rawValue: bytes.readLittleEndian(UInt64.self, at: offset + 8))
        let at = Timestamp(rawValue: Int64(bitPattern: bytes.readLittleEndian(UInt64.self, at: offset + 16)))
        let until = Timestamp(rawValue: Int64(bitPattern: bytes.readLittleEndian(UInt64.self, at: offset + 24)))
        guard let text = String(validating: bytes[(offset + 32)..<checksumOffset], as: UTF8.self) else {
            return .bad("text is not UTF-8", length: length)
        }
        let hasToken = kind <= 5
        guard hasToken == (token.rawValue != 0) else { return .bad("kind \(kind) with token \(token)", length: length) }
        let change: MessageStateMachine.Change
        switch kind {
        case 1: change = .leased(message, consumer: text, token: token, until: until, at: at)
        case 2: change = .delivered(message, token: token, at: at)
        case 3: change = .failed(message, token: token, reason: text, at: at)
        case 4: change = .retried(message, token: token, reason: text, at: at)
        case 5: change = .leaseLapsed(message, token: token, at: at)
        case 6: change = .dead(message, reason: text, at: at)
        case 7: change = .expired(message, at: at)
        default: change = .requeued(message, at: at)
        }
        return .record(change, length: length)
    }

    /// 64-bit FNV-1a (offset basis 14695981039346656037, prime 1099511628211).
    static func fnv1a64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for byte in 0..<MemoryLayout<T>.size { value |= T(self[offset + byte]) << (8 * byte) }
        return value
    }
}

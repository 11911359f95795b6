public import AampeCore
public import AampeSegments

/// One message of an assignment run, as the run writes it and a PULL hands it out: who gets what, on
/// which channel, in which send window, and how the policy chose it.
public struct OutboxRecord: Hashable, Sendable {
    /// One rendered field of the message (`title`, `body`, `subject`, `html_body`, `deep_link`, …).
    public struct Field: Hashable, Sendable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// The recipient's external user id.
    public var user: String
    public var campaign: String
    public var formula: String
    /// The variant's index among the formula's variants.
    public var variant: Int
    /// The variant's labels, `set=label` each.
    public var labels: [String]
    public var channel: OutboxChannel
    /// Where the channel sends it: a device token, an email address, a phone number; empty for in-app.
    public var address: String
    /// Every rendered field, in the formula's order.
    public var fields: [Field]
    /// The recommended items the message names, by external item id, in rank order.
    public var items: [String]
    /// The send window in UTC: sendable from `windowStart` until just before `windowEnd`.
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    /// The probability the policy gave this choice.
    public var propensity: Double
    /// `preferential` or `conditioned`.
    public var mode: String
    /// The weekly window index (0 ..< 35 in the standard layout) of the send window, in the user's time.
    public var weeklyWindow: Int

    public init(
        user: String,
        campaign: String,
        formula: String,
        variant: Int,
        labels: [String],
        channel: OutboxChannel,
        address: String,
        fields: [Field],
        items: [String],
        windowStart: Timestamp,
        windowEnd: Timestamp,
        propensity: Double,
        mode: String,
        weeklyWindow: Int
    ) {
        self.user = user
        self.campaign = campaign
        self.formula = formula
        self.variant = variant
        self.labels = labels
        self.channel = channel
        self.address = address
        self.fields = fields
        self.items = items
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.propensity = propensity
        self.mode = mode
        self.weeklyWindow = weeklyWindow
    }

    /// The text of the field `name`, or nil.
    public func text(of name: String) -> String? { fields.first { $0.name == name }?.text }

    /// The message's subject line: the `subject` field, else the `title`; empty for an SMS.
    public var subject: String { text(of: "subject") ?? text(of: "title") ?? "" }
    /// The message's main text: the `body` field, else the email's `text_body`.
    public var body: String { text(of: "body") ?? text(of: "text_body") ?? "" }

    /// What the state machine needs of the message.
    public var stateMachineMessage: OutboxMessage {
        OutboxMessage(windowStart: windowStart, windowEnd: windowEnd, channel: channel)
    }
}

/// The messages of one assignment run, as an immutable segment file (`outbox/<batch>/messages.seg`).
///
/// An assignment run writes its messages once; the daemon maps the file and keeps only lease and ACK
/// state in memory (``MessageStateMachine``), journaled next to it (`outbox/<batch>/journal`). A message is
/// named on the wire by its ``OutboxMessageID``: the batch and its row.
///
/// Columns, one row per message, in the order the run decided them:
///
/// | column | type | codec | what |
/// |---|---|---|---|
/// | `user` | utf8 | RAW | the recipient's external id |
/// | `campaign`, `formula` | utf8 | RAW | names |
/// | `variant` | u32 | RAW | the variant's index |
/// | `labels` | bytes | RAW | ``OutboxBatch/encodeStrings(_:)`` of the `set=label` strings |
/// | `channel` | u8 | RAW | ``OutboxChannel`` |
/// | `address` | utf8 | RAW | device token, email address, phone number |
/// | `fields` | bytes | RAW | ``OutboxBatch/encodeStrings(_:)`` of name, text, name, text, … |
/// | `items` | bytes | RAW | ``OutboxBatch/encodeStrings(_:)`` of the item ids |
/// | `window_start`, `window_end` | i64 | RAW | micros since the epoch, UTC |
/// | `propensity` | f64 | RAW | |
/// | `mode` | u8 | RAW | 1 preferential, 2 conditioned |
/// | `weekly_window` | u16 | RAW | the window's index in the user's week |
///
/// Everything is RAW: PULL reads any row at random at hundreds of thousands of messages a second, and a
/// batch is read a few times at most before it is retired.
public final class OutboxBatch: Sendable {
    /// The file's segment kind.
    public static let kind = SegmentKind.outbox
    /// The batch's number: the assignment run's id.
    public let batch: UInt32
    public let reader: SegmentReader
    /// How many messages the batch holds.
    public let count: Int

    let users: BytesColumn
    let campaigns: BytesColumn
    let formulas: BytesColumn
    let variants: ScalarColumn<UInt32>
    let labels: BytesColumn
    let channels: ScalarColumn<UInt8>
    let addresses: BytesColumn
    let fields: BytesColumn
    let items: BytesColumn
    let windowStarts: ScalarColumn<Int64>
    let windowEnds: ScalarColumn<Int64>
    let propensities: ScalarColumn<Double>
    let modes: ScalarColumn<UInt8>
    let weeklyWindows: ScalarColumn<UInt16>

    /// Opens the batch file at `path`. Throws if it is not an outbox segment or a column is missing or
    /// of another type or length.
    public init(path: String, batch: UInt32) throws {
        self.batch = batch
        reader = try SegmentReader(path: path)
        guard reader.header.kind == Self.kind else {
            throw OutboxError.invalidBatch(path: path, "a \(reader.header.kind) segment, not an outbox batch")
        }
        users = try reader.bytesColumn("user")
        count = users.count
        campaigns = try reader.bytesColumn("campaign")
        formulas = try reader.bytesColumn("formula")
        variants = try reader.scalarColumn("variant")
        labels = try reader.bytesColumn("labels")
        channels = try reader.scalarColumn("channel")
        addresses = try reader.bytesColumn("address")
        fields = try reader.bytesColumn("fields")
        items = try reader.bytesColumn("items")
        windowStarts = try reader.scalarColumn("window_start")
        windowEnds = try reader.scalarColumn("window_end")
        propensities = try reader.scalarColumn("propensity")
        modes = try reader.scalarColumn("mode")
        weeklyWindows = try reader.scalarColumn("weekly_window")
        let counts = [
            campaigns.count, formulas.count, variants.count, labels.count, channels.count, addresses.count,
            fields.count, items.count, windowStarts.count, windowEnds.count, propensities.count, modes.count,
            weeklyWindows.count,
        ]
        if let bad = counts.first(where: { $0 != count }) {
            throw OutboxError.invalidBatch(
                path: path,
                "columns of \(count) and \(bad) rows; each needs one per message"
            )
        }
        for row in 0..<count {
            guard OutboxChannel(rawValue: try channels.value(at: row)) != nil else {
                throw OutboxError.invalidBatch(path: path, "column 'channel', row \(row): unknown channel")
            }
        }
    }

    /// The message at `row`.
    public func record(at row: Int) throws -> OutboxRecord {
        let pairs = try OutboxBatch.decodeStrings(fields.bytes(at: row))
        var recordFields: [OutboxRecord.Field] = []
        var index = 0
        while index + 1 < pairs.count {
            recordFields.append(OutboxRecord.Field(name: pairs[index], text: pairs[index + 1]))
            index += 2
        }
        return OutboxRecord(
            user: try users.string(at: row),
            campaign: try campaigns.string(at: row),
            formula: try formulas.string(at: row),
            variant: Int(try variants.value(at: row)),
            labels: try OutboxBatch.decodeStrings(labels.bytes(at: row)),
            channel: OutboxChannel(rawValue: try channels.value(at: row)) ?? .push,
            address: try addresses.string(at: row),
            fields: recordFields,
            items: try OutboxBatch.decodeStrings(items.bytes(at: row)),
            windowStart: Timestamp(rawValue: try windowStarts.value(at: row)),
            windowEnd: Timestamp(rawValue: try windowEnds.value(at: row)),
            propensity: try propensities.value(at: row),
            mode: try modes.value(at: row) == 1 ? "preferential" : "conditioned",
            weeklyWindow: Int(try weeklyWindows.value(at: row))
        )
    }

    /// What the state machine needs of every message, in row order.
    public func stateMachineMessages() throws -> [OutboxMessage] {
        try (0..<count).map { row in
            OutboxMessage(
                windowStart: Timestamp(rawValue: try windowStarts.value(at: row)),
                windowEnd: Timestamp(rawValue: try windowEnds.value(at: row)),
                channel: OutboxChannel(rawValue: try channels.value(at: row)) ?? .push
            )
        }
    }

    /// Writes `records` as a batch file at `path` (through a temporary file renamed into place, so the
    /// file either exists whole or not at all) and syncs it.
    ///
    /// Throws ``OutboxError/invalidWindow(message:windowStart:windowEnd:)`` for a window that does not end
    /// after it starts, ``OutboxError/tooManyMessages(count:)`` past `UInt32.max` rows, and the segment
    /// writer's errors.
    public static func write(_ records: [OutboxRecord], to path: String, createdAt: Timestamp) throws {
        guard records.count <= Int(UInt32.max) else { throw OutboxError.tooManyMessages(count: records.count) }
        for (row, record) in records.enumerated() where record.windowEnd <= record.windowStart {
            throw OutboxError.invalidWindow(message: row, windowStart: record.windowStart, windowEnd: record.windowEnd)
        }
        let writer = try SegmentWriter(path: path, kind: kind, createdAt: createdAt)
        try writer.writeStringColumn("user", values: records.lazy.map(\.user))
        try writer.writeStringColumn("campaign", values: records.lazy.map(\.campaign))
        try writer.writeStringColumn("formula", values: records.lazy.map(\.formula))
        try writer.writeColumn("variant", values: records.map { UInt32(clamping: $0.variant) })
        try writer.writeBytesColumn("labels", values: records.lazy.map { encodeStrings($0.labels) })
        try writer.writeColumn("channel", values: records.map(\.channel.rawValue))
        try writer.writeStringColumn("address", values: records.lazy.map(\.address))
        try writer.writeBytesColumn(
            "fields",
            values: records.lazy.map { encodeStrings($0.fields.flatMap { [$0.name, $0.text] }) }
        )
        try writer.writeBytesColumn("items", values: records.lazy.map { encodeStrings($0.items) })
        try writer.writeColumn("window_start", values: records.map(\.windowStart.rawValue))
        try writer.writeColumn("window_end", values: records.map(\.windowEnd.rawValue))
        try writer.writeColumn("propensity", values: records.map(\.propensity))
        try writer.writeColumn("mode", values: records.map { $0.mode == "preferential" ? UInt8(1) : 2 })
        try writer.writeColumn("weekly_window", values: records.map { UInt16(clamping: $0.weeklyWindow) })
        _ = try writer.finish()
    }

    /// A list of strings as bytes: a u32 little-endian count, then per string a u32 little-endian length
    /// and its UTF-8. No escaping, so any text round-trips.
    public static func encodeStrings(_ strings: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + strings.reduce(0) { $0 + 4 + $1.utf8.count })
        func append(_ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        append(UInt32(strings.count))
        for string in strings {
            append(UInt32(string.utf8.count))
            bytes.append(contentsOf: string.utf8)
        }
        return bytes
    }

    /// The strings ``encodeStrings(_:)`` wrote; throws on bytes it could not have written.
    public static func decodeStrings(_ bytes: [UInt8]) throws -> [String] {
        func malformed() -> OutboxError {
            OutboxError.invalidBatch(path: "outbox batch", "a string list is cut short or runs past its value")
        }
        func read(_ offset: Int) throws -> UInt32 {
            guard offset + 4 <= bytes.count else { throw malformed() }
            return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        let count = Int(try read(0))
        var offset = 4
        var strings: [String] = []
        strings.reserveCapacity(min(count, bytes.count / 4))
        for _ in 0..<count {
            let length = Int(try read(offset))
            offset += 4
            guard length <= bytes.count - offset else { throw malformed() }
            strings.append(String(decoding: bytes[offset..<offset + length], as: UTF8.self))
            offset += length
        }
        guard offset == bytes.count else { throw malformed() }
        return strings
    }
}

/// A message's name on the wire: its batch in the high 32 bits, its row in the low 32.
public struct OutboxMessageID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(batch: UInt32, row: UInt32) { rawValue = UInt64(batch) << 32 | UInt64(row) }

    public var batch: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var row: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    public var description: String { String(rawValue) }
}

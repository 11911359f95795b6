internal import AampeCore
internal import AampeOutbox

/// Writes a `PullResponse`'s protobuf bytes straight from the leased messages' columns in the mapped
/// batch file, without building `OutboxRecord` or `Aampe_V1_OutboxMessage` values first.
///
/// Measured with tools/bench-outbox (perf, 4 consumers): building the generated messages and serializing
/// them through SwiftProtobuf's visitors took 59 % of aamped's CPU per PULL of 1,000 (the size of each
/// nested message is computed, then the message is visited again to encode it), and reading each row into
/// an `OutboxRecord` (a dozen allocations) took another 20 % once that was gone. The wire format of these
/// two messages is small and fixed, so this writes it directly, in field-number order and leaving out
/// fields equal to their default, exactly as SwiftProtobuf does: `PullResponseEncoderTests` checks the
/// bytes against SwiftProtobuf's for varied records, and the client parses them with SwiftProtobuf.
///
/// > Protocol Buffers encoding guide: "a varint-encoded ... tag = (field_number << 3) | wire_type";
/// > wire types 0 VARINT (int32, int64, uint32, uint64), 1 I64 (double), 2 LEN (string, bytes, embedded
/// > messages, packed repeated fields). Negative int64 values take ten bytes.
struct PullResponseEncoder {
    private(set) var bytes: [UInt8] = []
    private var scratch: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        scratch.reserveCapacity(1024)
    }

    /// Appends one `OutboxMessage` (field 1 of `PullResponse`) from `row`'s columns in place (the same
    /// content ``OutboxBatch/record(at:)`` reads: `subject` is the first `subject` field, else the first
    /// `title`; `body` the first `body`, else the first `text_body`; a name without a text is dropped).
    mutating func append(id: OutboxMessageID, lease: MessageStateMachine.Lease, row: OutboxBatch.RawRow) throws {
        scratch.removeAll(keepingCapacity: true)
        Self.varintField(1, id.rawValue, into: &scratch)
        Self.varintField(2, lease.token.rawValue, into: &scratch)
        Self.bytesField(3, row.user, into: &scratch)
        Self.bytesField(4, row.campaign, into: &scratch)
        Self.bytesField(5, row.formula, into: &scratch)
        Self.stringField(6, row.channel.name, into: &scratch)
        Self.bytesField(7, row.address, into: &scratch)
        var pairs: [(name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer)] = []
        var name: UnsafeRawBufferPointer?
        try OutboxBatch.forEachString(in: row.fields) { string in
            if let pending = name {
                pairs.append((pending, string))
                name = nil
            } else {
                name = string
            }
        }
        func first(_ wanted: StaticString) -> UnsafeRawBufferPointer? {
            let key = UnsafeRawBufferPointer(start: wanted.utf8Start, count: wanted.utf8CodeUnitCount)
            return pairs.first { $0.name.elementsEqual(key) }?.text
        }
        if let subject = first("subject") ?? first("title") { Self.bytesField(8, subject, into: &scratch) }
        if let body = first("body") ?? first("text_body") { Self.bytesField(9, body, into: &scratch) }
        Self.varintField(10, UInt64(bitPattern: row.windowStart.rawValue), into: &scratch)
        Self.varintField(11, UInt64(bitPattern: row.windowEnd.rawValue), into: &scratch)
        Self.varintField(12, UInt64(UInt32(clamping: lease.attempt)), into: &scratch)
        Self.varintField(13, UInt64(bitPattern: lease.until.rawValue), into: &scratch)
        Self.varintField(14, UInt64(row.variant), into: &scratch)
        try OutboxBatch.forEachString(in: row.labels) { Self.bytesField(15, $0, always: true, into: &scratch) }
        for pair in pairs {
            var length = 0
            if !pair.name.isEmpty { length += Self.lengthOfBytesField(1, pair.name) }
            if !pair.text.isEmpty { length += Self.lengthOfBytesField(2, pair.text) }
            Self.tag(16, wireType: 2, into: &scratch)
            Self.varint(UInt64(length), into: &scratch)
            Self.bytesField(1, pair.name, into: &scratch)
            Self.bytesField(2, pair.text, into: &scratch)
        }
        try OutboxBatch.forEachString(in: row.items) { Self.bytesField(17, $0, always: true, into: &scratch) }
        if row.propensity.bitPattern != 0 {
            Self.tag(18, wireType: 1, into: &scratch)
            withUnsafeBytes(of: row.propensity.bitPattern.littleEndian) { scratch.append(contentsOf: $0) }
        }
        Self.stringField(19, row.mode, into: &scratch)
        Self.tag(1, wireType: 2, into: &bytes)
        Self.varint(UInt64(scratch.count), into: &bytes)
        bytes.append(contentsOf: scratch)
    }

    /// Appends `now_micros` (field 2), last, as SwiftProtobuf orders it; returns the bytes.
    mutating func finish(nowMicros: Int64) -> [UInt8] {
        Self.varintField(2, UInt64(bitPattern: nowMicros), into: &bytes)
        return bytes
    }

    // MARK: Wire format

    static func tag(_ field: UInt64, wireType: UInt64, into out: inout [UInt8]) {
        varint(field << 3 | wireType, into: &out)
    }

    static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func varintLength(_ value: UInt64) -> Int {
        var length = 1
        var value = value
        while value >= 0x80 {
            length += 1
            value >>= 7
        }
        return length
    }

    /// A varint field, left out when 0 (proto3's default).
    static func varintField(_ field: UInt64, _ value: UInt64, into out: inout [UInt8]) {
        guard value != 0 else { return }
        tag(field, wireType: 0, into: &out)
        varint(value, into: &out)
    }

    /// A string field, left out when empty.
    static func stringField(_ field: UInt64, _ text: String, into out: inout [UInt8]) {
        let count = text.utf8.count
        guard count > 0 else { return }
        tag(field, wireType: 2, into: &out)
        varint(UInt64(count), into: &out)
        out.append(contentsOf: text.utf8)
    }

    /// A length-delimited field of raw bytes, left out when empty unless `always`.
    static func bytesField(
        _ field: UInt64,
        _ value: UnsafeRawBufferPointer,
        always: Bool = false,
        into out: inout [UInt8]
    ) {
        guard !value.isEmpty || always else { return }
        tag(field, wireType: 2, into: &out)
        varint(UInt64(value.count), into: &out)
        out.append(contentsOf: value)
    }

    static func lengthOfBytesField(_ field: UInt64, _ value: UnsafeRawBufferPointer) -> Int {
        varintLength(field << 3 | 2) + varintLength(UInt64(value.count)) + value.count
    }
}

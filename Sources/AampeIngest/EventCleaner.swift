import AampeCore

/// The fields of one event record, as views into the input window or a record arena.
struct EventFields {
    var user: UnsafeRawBufferPointer?
    var event: UnsafeRawBufferPointer?
    var timestamp: UnsafeRawBufferPointer?
    var item: UnsafeRawBufferPointer?
    var value: UnsafeRawBufferPointer?
    var isValueNotANumber = false
    var key: UnsafeRawBufferPointer?
    var properties: UnsafeRawBufferPointer?
}

/// The checks of one event, and its dedupe hash, that need no shared state (no dictionary, no dedupe
/// index), so that they can run on a parser thread.
struct EventCleaner: Sendable {
    /// A row that passed: its parsed timestamp and value, and the 128-bit hash its fingerprint is
    /// made of (the day is added when the row is stored).
    struct Cleaned {
        var timestamp: Int64
        var value: Double
        var hashHigh: UInt64
        var hashLow: UInt64
    }

    struct Rejected: Error {
        var reason: RejectReason
        var detail: String?
    }

    let earliestMicros: Int64
    let latestMicros: Int64
    let futureToleranceSeconds: Int64
    /// The event name of rows without one.
    let defaultEventName: [UInt8]

    init(options: EventImportOptions) {
        precondition(
            options.oldestAccepted.rawValue >= Limits.earliestSettableEventTimestampMicros,
            "the caller checks --oldest-accepted against Limits.earliestSettableEventTimestampMicros"
        )
        earliestMicros = options.oldestAccepted.rawValue
        latestMicros = options.now.rawValue + options.futureToleranceSeconds * Timestamp.microsecondsPerSecond
        futureToleranceSeconds = options.futureToleranceSeconds
        defaultEventName = Array(options.defaultEventName.utf8)
    }

    static func quoted(_ bytes: UnsafeRawBufferPointer?, limit: Int = 80) -> String {
        guard let bytes else { return "nothing" }
        let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        return "\"" + text + (bytes.count > limit ? "…" : "") + "\""
    }

    /// Checks `fields` in the order the reasons are documented and returns the cleaned values or the
    /// first reason to reject. `scratch` is reused between calls.
    @inline(__always)
    func clean(_ fields: EventFields, scratch: inout [UInt8]) -> Result<Cleaned, Rejected> {
        guard let user = fields.user, !user.isEmpty else { return .failure(Rejected(reason: .missingUserID)) }
        guard user.count <= Limits.maximumExternalIDBytes else {
            return .failure(
                Rejected(
                    reason: .idTooLong,
                    detail: "user id of \(user.count) bytes; the limit is \(Limits.maximumExternalIDBytes)"
                )
            )
        }
        if let event = fields.event {
            guard !event.isEmpty else { return .failure(Rejected(reason: .emptyEventName)) }
            guard event.count <= Limits.maximumEventNameBytes else {
                return .failure(
                    Rejected(
                        reason: .eventNameTooLong,
                        detail: "event name of \(event.count) bytes; the limit is \(Limits.maximumEventNameBytes)"
                    )
                )
            }
        }
        guard let timestampBytes = fields.timestamp, !timestampBytes.isEmpty else {
            return .failure(Rejected(reason: .unparsableTimestamp, detail: "no timestamp"))
        }
        guard let timestamp = TimestampParsing.parse(timestampBytes) else {
            return .failure(
                Rejected(reason: .unparsableTimestamp, detail: "\(Self.quoted(timestampBytes)) is not a timestamp")
            )
        }
        guard timestamp.rawValue >= earliestMicros else {
            return .failure(
                Rejected(
                    reason: .timestampTooOld,
                    detail:
                        "\(timestamp) is before the oldest accepted time, --oldest-accepted \(Timestamp(rawValue: earliestMicros))"
                )
            )
        }
        guard timestamp.rawValue <= latestMicros else {
            return .failure(
                Rejected(
                    reason: .timestampInFuture,
                    detail: "\(timestamp) is more than \(futureToleranceSeconds) s after the run started"
                )
            )
        }
        if fields.isValueNotANumber {
            return .failure(Rejected(reason: .notANumber, detail: "the value is not a number"))
        }
        var value = Double.nan
        if let valueBytes = fields.value, !valueBytes.isEmpty {
            guard let parsed = NumberParsing.double(valueBytes) else {
                return .failure(
                    Rejected(reason: .notANumber, detail: "value \(Self.quoted(valueBytes)) is not a number")
                )
            }
            value = parsed
        }
        if let item = fields.item, item.count > Limits.maximumExternalIDBytes {
            return .failure(
                Rejected(
                    reason: .idTooLong,
                    detail: "item id of \(item.count) bytes; the limit is \(Limits.maximumExternalIDBytes)"
                )
            )
        }
        // The dedupe hash: of (user, source key) where the source has an idempotency key, and of (user,
        // event name, timestamp, item, value) where it has none. Names and ids, not dense indices, so
        // that hashes do not depend on dictionary order.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: user)
        scratch.append(0x1F)
        if let key = fields.key, !key.isEmpty {
            scratch.append(UInt8(ascii: "k"))
            scratch.append(contentsOf: key)
        } else {
            scratch.append(UInt8(ascii: "c"))
            if let event = fields.event {
                scratch.append(contentsOf: event)
            } else {
                scratch.append(contentsOf: defaultEventName)
            }
            scratch.append(0x1F)
            withUnsafeBytes(of: timestamp.rawValue.littleEndian) { scratch.append(contentsOf: $0) }
            if let item = fields.item { scratch.append(contentsOf: item) }
            scratch.append(0x1F)
            withUnsafeBytes(of: (value.isNaN ? UInt64.max : value.bitPattern).littleEndian) {
                scratch.append(contentsOf: $0)
            }
        }
        return scratch.withUnsafeBytes { bytes in
            .success(
                Cleaned(
                    timestamp: timestamp.rawValue,
                    value: value,
                    hashHigh: ByteHash.hash(bytes, seed: 0x6b65_7931),
                    hashLow: ByteHash.hash(bytes, seed: 0x6b65_7932)
                )
            )
        }
    }
}

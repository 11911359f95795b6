public import AampeSegments

/// The columns of an event segment file (kind `events`), one row per accepted event. The importer writes
/// them and every reader reads them by these names, so the names exist here once.
///
/// | column        | type  | codec | meaning                                                        |
/// |---------------|-------|-------|----------------------------------------------------------------|
/// | `timestamp`   | i64   | ZSTD  | microseconds since the epoch, UTC                              |
/// | `user`        | u32   | ZSTD  | dense user index (`user_keys`)                                 |
/// | `event_type`  | u32   | ZSTD  | dense event-type index (`event_types`)                         |
/// | `item`        | u32   | ZSTD  | dense item index (`item_keys`), or 0xFFFFFFFF for none         |
/// | `value`       | f64   | ZSTD  | revenue, rating or other value, or NaN for none                |
/// | `key_high`    | u64   | RAW   | dedupe fingerprint, high 64 bits of hash                       |
/// | `key_low`     | u64   | RAW   | 32 more bits of hash, then the UTC day in the low 32 bits      |
/// | `source_line` | u64   | ZSTD  | line number in the source file (`event_sources`)               |
/// | `properties`  | bytes | ZSTD  | other properties as a JSON object, or empty                    |
///
/// `proto-spec/segment-format.md` lists the same columns for readers in other languages.
public enum EventColumn: String, CaseIterable, Sendable {
    case timestamp
    case user
    case eventType = "event_type"
    case item
    case value
    case keyHigh = "key_high"
    case keyLow = "key_low"
    case sourceLine = "source_line"
    case properties

    /// The column's codec. The fingerprints are RAW because every import scans them whole for dedupe;
    /// everything else is cold history and compresses well.
    public var codec: ColumnCodec {
        switch self {
        case .keyHigh, .keyLow: .raw
        default: .zstd
        }
    }

    /// The `item` of an event without an item.
    public static let noItem = UInt32.max
}

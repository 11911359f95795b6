/// Why an input row was not accepted. The raw values are stable: they appear in summaries, in
/// `--json` output, in the `runs` counters (`rejected.<reason>`) and in quarantine files.
public enum RejectReason: String, Sendable, Codable, CaseIterable, Comparable {
    /// No user id, or an empty one (Amplitude: neither `user_id` nor `device_id`).
    case missingUserID = "missing_user_id"
    /// A user or item id longer than ``Limits/maximumExternalIDBytes``.
    case idTooLong = "id_too_long"
    /// No timestamp, or one in no known form.
    case unparsableTimestamp = "unparsable_timestamp"
    /// Before the oldest accepted time: `--oldest-accepted`, by default 2000-01-01T00:00:00Z.
    case timestampTooOld = "timestamp_too_old"
    /// Later than the run's start plus the future tolerance.
    case timestampInFuture = "timestamp_in_future"
    /// No event name, or an empty one.
    case emptyEventName = "empty_event_name"
    /// An event name longer than ``Limits/maximumEventNameBytes``.
    case eventNameTooLong = "event_name_too_long"
    /// A new event name when the data directory already has ``Limits/maximumEventTypes``.
    case tooManyEventTypes = "too_many_event_types"
    /// A record longer than ``Limits/maximumImportRecordBytes``.
    case lineTooLong = "line_too_long"
    /// Bytes that are not UTF-8 (with `--encoding utf-8`, the default).
    case invalidUTF8 = "invalid_utf8"
    /// A line that is not one valid JSON object.
    case malformedJSON = "malformed_json"
    /// A record that breaks CSV quoting, or has a different number of fields than the header.
    case malformedCSV = "malformed_csv"
    /// A value, price or rating that is not a number.
    case notANumber = "not_a_number"
    /// A Segment call other than track, page, screen and identify (group, alias).
    case unsupportedCall = "unsupported_call"
    /// A profile or catalog field that fails its check (country code, language tag, time zone, flag).
    case invalidField = "invalid_field"
    /// A profile or catalog row without an id.
    case missingID = "missing_id"

    /// Orders reasons by name, so reports list them the same way every time.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

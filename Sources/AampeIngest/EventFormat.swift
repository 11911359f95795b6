import Foundation

/// The layouts `aampectl import events` reads.
public enum EventFormat: String, Sendable, Codable, CaseIterable {
    /// Decide per file from its name and first record, and say why.
    case auto
    /// Delimited text (CSV, TSV, MovieLens `u.data`) with aamped's canonical column names, any header
    /// through `--map`, or no header through `--columns`.
    case csv
    /// JSON objects with aamped's canonical keys (`user_id`, `event`, `timestamp`, ...).
    case json
    /// Segment spec calls: `track`, `page`, `screen` become events, `identify` updates profiles.
    case segment
    /// Mixpanel raw export: `event` and `properties.{distinct_id, time, $insert_id}`.
    case mixpanel
    /// Amplitude export: `user_id` or `device_id`, `event_type`, `event_time`, `insert_id`.
    case amplitude
    /// Amazon Personalize interactions CSV: `USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE,EVENT_VALUE]`.
    case personalize

    /// Whether records are delimited text rather than JSON.
    var isTabular: Bool { self == .csv || self == .personalize }
}

/// The fields of a normalized event, as named in `--map`, `--columns` and the canonical layouts.
public enum CanonicalField: String, Sendable, CaseIterable {
    case userID = "user_id"
    case event = "event"
    case timestamp = "timestamp"
    case itemID = "item_id"
    case value = "value"
    /// The source's idempotency key.
    case eventID = "event_id"
    /// A JSON object of other properties (JSON layouts); delimited layouts keep unmapped columns.
    case properties = "properties"

    /// Other names a header may use for this field, compared case-insensitively, in preference order.
    var headerAliases: [String] {
        switch self {
        case .userID: ["user_id", "userid", "user", "distinct_id", "customer_id"]
        case .event: ["event", "event_name", "event_type", "name"]
        case .timestamp: ["timestamp", "time", "ts", "event_time", "date"]
        case .itemID: ["item_id", "itemid", "item", "product_id", "sku"]
        case .value: ["value", "revenue", "rating", "amount", "event_value"]
        case .eventID: ["event_id", "message_id", "messageid", "insert_id", "id"]
        case .properties: ["properties"]
        }
    }
}

/// Where each canonical field of a JSON layout is, as key paths tried in order.
struct JSONLayout {
    var user: [[String]]
    var event: [[String]]
    var timestamp: [[String]]
    var item: [[String]]
    var value: [[String]]
    var key: [[String]]
    var properties: [[String]]

    static func paths(_ text: String...) -> [[String]] {
        text.map { $0.split(separator: ".").map(String.init) }
    }

    static func of(_ format: EventFormat) -> JSONLayout {
        switch format {
        case .segment:
            JSONLayout(
                user: paths("userId", "anonymousId"),
                event: paths("event"),
                timestamp: paths("timestamp", "originalTimestamp", "sentAt", "receivedAt"),
                item: paths("properties.product_id", "properties.item_id"),
                value: paths("properties.revenue", "properties.value"),
                key: paths("messageId"),
                properties: paths("properties")
            )
        case .mixpanel:
            // Mixpanel's key names start with `$`, so they are split by hand rather than by `paths`.
            JSONLayout(
                user: [["properties", "distinct_id"]],
                event: [["event"]],
                timestamp: [["properties", "time"]],
                item: [["properties", "product_id"], ["properties", "item_id"]],
                value: [["properties", "revenue"], ["properties", "value"]],
                key: [["properties", "$insert_id"]],
                properties: [["properties"]]
            )
        case .amplitude:
            JSONLayout(
                user: [["user_id"], ["device_id"]],
                event: [["event_type"]],
                timestamp: [["event_time"], ["client_event_time"]],
                item: [["event_properties", "product_id"], ["event_properties", "item_id"]],
                value: [["revenue"], ["event_properties", "revenue"], ["event_properties", "value"]],
                key: [["insert_id"], ["$insert_id"]],
                properties: [["event_properties"]]
            )
        default:
            JSONLayout(
                user: paths("user_id", "userId"),
                event: paths("event", "event_name", "event_type"),
                timestamp: paths("timestamp", "time"),
                item: paths("item_id", "itemId", "product_id"),
                value: paths("value"),
                key: paths("event_id", "message_id", "messageId", "insert_id", "id"),
                properties: paths("properties")
            )
        }
    }

    /// Replaces the paths of fields named in `mapping` (`canonical → dotted.path`).
    mutating func apply(_ mapping: [CanonicalField: String]) {
        for (field, source) in mapping {
            let path = [source.split(separator: ".").map(String.init)]
            switch field {
            case .userID: user = path
            case .event: event = path
            case .timestamp: timestamp = path
            case .itemID: item = path
            case .value: value = path
            case .eventID: key = path
            case .properties: properties = path
            }
        }
    }
}

/// How a file was recognised: its format, its record framing, and the reason, which `import` prints.
public struct FormatDetection: Hashable, Sendable, Codable {
    /// How records are cut out of the bytes.
    public enum Framing: String, Sendable, Codable {
        /// Delimited text records.
        case delimited
        /// One JSON value per line (JSONL, NDJSON).
        case jsonLines = "json_lines"
        /// One JSON array of objects.
        case jsonArray = "json_array"
    }

    /// The layout the fields are read as.
    public var format: EventFormat
    /// How records are framed.
    public var framing: Framing
    /// The field delimiter of delimited text.
    public var delimiter: UInt8?
    /// Why this format, in words, such as `header has USER_ID, ITEM_ID and TIMESTAMP`.
    public var reason: String
}

enum FormatDetector {
    /// Decides the framing and format of the file at `path` from its name and its first bytes.
    static func detect(
        path: String,
        firstBytes: UnsafeRawBufferPointer,
        requested: EventFormat,
        delimiter: UInt8?,
        hasExplicitColumns: Bool
    ) throws(ImportError) -> FormatDetection {
        var name = path.lowercased()
        if name.hasSuffix(".zst") { name.removeLast(4) }
        let firstByte = firstBytes.first {
            !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF)
        }
        let looksJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        let isJSONName = name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json")
        let isJSON: Bool
        switch requested {
        case .csv, .personalize: isJSON = false
        case .json, .segment, .mixpanel, .amplitude: isJSON = true
        case .auto: isJSON = isJSONName || (!name.hasSuffix(".csv") && !name.hasSuffix(".tsv") && looksJSON)
        }
        if isJSON {
            let framing: FormatDetection.Framing = firstByte == UInt8(ascii: "[") ? .jsonArray : .jsonLines
            if requested != .auto {
                return FormatDetection(
                    format: requested,
                    framing: framing,
                    delimiter: nil,
                    reason: "--format \(requested.rawValue)"
                )
            }
            return try detectJSON(path: path, firstBytes: firstBytes, framing: framing)
        }
        // Delimited text: the delimiter from the option, the extension, or the header line.
        let firstLineEnd = firstBytes.firstIndex(of: UInt8(ascii: "\n")) ?? firstBytes.count
        let firstLine = UnsafeRawBufferPointer(rebasing: firstBytes[0..<firstLineEnd])
        let chosenDelimiter: UInt8
        var delimiterReason = ""
        if let delimiter {
            chosenDelimiter = delimiter
        } else if name.hasSuffix(".tsv") || name.hasSuffix(".tab") {
            chosenDelimiter = 0x09
            delimiterReason = ", tab-delimited (.tsv)"
        } else {
            let candidates: [UInt8] = [UInt8(ascii: ","), 0x09, UInt8(ascii: ";"), UInt8(ascii: "|")]
            let counts = candidates.map { candidate in firstLine.reduce(0) { $0 + ($1 == candidate ? 1 : 0) } }
            let best = counts.indices.max { counts[$0] < counts[$1] }!
            chosenDelimiter = counts[best] > 0 ? candidates[best] : UInt8(ascii: ",")
            if chosenDelimiter != UInt8(ascii: ",") {
                delimiterReason =
                    ", \(chosenDelimiter == 0x09 ? "tab" : "'\(Character(Unicode.Scalar(chosenDelimiter)))'")-delimited (most frequent in the first line)"
            }
        }
        if requested == .csv || requested == .personalize {
            return FormatDetection(
                format: requested,
                framing: .delimited,
                delimiter: chosenDelimiter,
                reason: "--format \(requested.rawValue)\(delimiterReason)"
            )
        }
        // Personalize's schemas spell their columns in upper case; aamped's own layout is lower case, so
        // the comparison is case-sensitive.
        let header = String(decoding: firstLine, as: UTF8.self)
        let names = Set(
            header.split(separator: Character(Unicode.Scalar(chosenDelimiter))).map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"\r"))
            }
        )
        if !hasExplicitColumns, names.contains("USER_ID"), names.contains("ITEM_ID"), names.contains("TIMESTAMP") {
            return FormatDetection(
                format: .personalize,
                framing: .delimited,
                delimiter: chosenDelimiter,
                reason: "header has USER_ID, ITEM_ID and TIMESTAMP (Amazon Personalize interactions)\(delimiterReason)"
            )
        }
        let why =
            hasExplicitColumns
            ? "--columns given" : (name.hasSuffix(".csv") || name.hasSuffix(".tsv") ? "file name" : "not JSON")
        return FormatDetection(
            format: .csv,
            framing: .delimited,
            delimiter: chosenDelimiter,
            reason: "delimited text (\(why))\(delimiterReason)"
        )
    }

    private static func detectJSON(
        path: String,
        firstBytes: UnsafeRawBufferPointer,
        framing: FormatDetection.Framing
    ) throws(ImportError) -> FormatDetection {
        // Look at the first object: the first line, or the first element of the array.
        var scanner = JSONScanner()
        var start =
            firstBytes.firstIndex { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) } ?? firstBytes.count
        if framing == .jsonArray {
            start += 1
            while start < firstBytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(firstBytes[start]) { start += 1 }
        }
        let rest = UnsafeRawBufferPointer(rebasing: firstBytes[start...])
        do {
            if framing == .jsonArray {
                _ = try scanner.parsePrefix(rest)
            } else {
                let end = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.count
                try scanner.parse(UnsafeRawBufferPointer(rebasing: rest[0..<end]))
            }
        } catch {
            return FormatDetection(
                format: .json,
                framing: framing,
                delimiter: nil,
                reason: "JSON, but the first record does not parse (\(error.reason)); read with aamped's canonical keys"
            )
        }
        let properties = scanner.member("properties")
        if scanner.member("messageId") != nil
            || (scanner.member("type") != nil
                && (scanner.member("userId") != nil || scanner.member("anonymousId") != nil))
        {
            return FormatDetection(
                format: .segment,
                framing: framing,
                delimiter: nil,
                reason: "first record has messageId/type/userId (Segment spec)"
            )
        }
        if let properties, scanner.member("distinct_id", parent: properties) != nil {
            return FormatDetection(
                format: .mixpanel,
                framing: framing,
                delimiter: nil,
                reason: "first record has event and properties.distinct_id (Mixpanel export)"
            )
        }
        if scanner.member("event_type") != nil, scanner.member("user_id") != nil || scanner.member("device_id") != nil {
            return FormatDetection(
                format: .amplitude,
                framing: framing,
                delimiter: nil,
                reason: "first record has event_type and user_id/device_id (Amplitude export)"
            )
        }
        return FormatDetection(
            format: .json,
            framing: framing,
            delimiter: nil,
            reason: "JSON without a known export's keys; read with aamped's canonical keys"
        )
    }
}

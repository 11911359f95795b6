import AampeCore
import AampeEvents
import AampeIngest
import Testing

/// One stored event as a test expects it: ids and names resolved, properties as stored.
struct EventRow: Hashable, Sendable, CustomStringConvertible {
    var user: String
    var event: String
    var timestamp: Timestamp
    var item: String?
    var value: Double?
    /// The stored properties JSON, exactly; empty when the row has none.
    var properties: String

    init(
        _ user: String,
        _ event: String,
        _ timestamp: Timestamp,
        item: String? = nil,
        value: Double? = nil,
        properties: String = ""
    ) {
        self.user = user
        self.event = event
        self.timestamp = timestamp
        self.item = item
        self.value = value
        self.properties = properties
    }

    init(_ stored: StoredEvent) {
        self.init(
            stored.userID,
            stored.event,
            stored.timestamp,
            item: stored.itemID,
            value: stored.value,
            properties: stored.propertiesJSON
        )
    }

    var description: String {
        "\(user) \(event) \(timestamp.rawValue) item=\(item ?? "-") value=\(value.map { "\($0)" } ?? "-") \(properties)"
    }
}

/// The fixtures of one event layout (`Fixtures/<folder>/`) and what importing each must give.
struct FormatCase: Sendable, CustomTestStringConvertible {
    var folder: String
    var format: EventFormat
    var clean: String
    var duplicates: String
    var dirty: String
    /// Column names for a headerless layout (MovieLens `u.data`).
    var columns: [String]?
    var delimiter: UInt8?
    var isJSON: Bool

    /// The events the clean file must store, in file order.
    var cleanEvents: [EventRow]
    /// Segment `identify` calls in the clean file (profile updates, not events).
    var cleanProfileUpdates: Int64 = 0

    var duplicatesAccepted: Int64
    var duplicatesDropped: Int64

    /// The dirty file's accepted rows, and its rejects by physical line, one per reason the layout can hit.
    var dirtyAccepted: Int64
    var dirtyRejects: [ExpectedReject]
    /// A valid row of the layout, appended after the generated oversized row to show that reading goes on.
    var goodRow: String

    var testDescription: String { folder }

    func path(_ file: String) -> String { folder + "/" + file }

    /// Import options for this layout, `now` pinned.
    func options(format requested: EventFormat? = nil) -> EventImportOptions {
        var options = ImportHarness.options(format: requested ?? format)
        options.columns = columns
        options.delimiter = delimiter
        return options
    }
}

extension FormatCase {
    /// Every event layout. Each dirty file has one row per reason its layout can hit: delimited layouts
    /// have `malformed_csv` where JSON layouts have `malformed_json`, layouts without an event column
    /// (MovieLens) cannot have event-name rejects, and Segment adds `unsupported_call` and, through
    /// `identify`, `invalid_field`. `line_too_long` is appended by the test.
    static let all: [FormatCase] = [csv, json, segment, mixpanel, amplitude, personalize, movieLens]

    static let csv = FormatCase(
        folder: "csv",
        format: .csv,
        clean: "clean.csv",
        duplicates: "duplicates.csv",
        dirty: "dirty.csv",
        isJSON: false,
        cleanEvents: [
            EventRow("u1", "view", t0, item: "i1", properties: #"{"platform":"ios"}"#),
            EventRow(
                "u1",
                "add_to_cart",
                t0Plus(seconds: 60),
                item: "i1",
                value: 1,
                properties: #"{"platform":"ios"}"#
            ),
            EventRow(
                "u1",
                "purchase",
                t0Plus(seconds: 120),
                item: "i1",
                value: 19.99,
                properties: #"{"platform":"ios"}"#
            ),
            EventRow("u2", "view", t0Plus(seconds: 180), item: "i2", properties: #"{"platform":"android"}"#),
            EventRow("u2", "view", t0Plus(seconds: 240), item: "i3"),
            EventRow("u3", "open", t0Plus(seconds: 300), properties: #"{"platform":"web"}"#),
        ],
        duplicatesAccepted: 5,
        duplicatesDropped: 4,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(3, .missingUserID), ExpectedReject(5, .idTooLong), ExpectedReject(6, .unparsableTimestamp),
            ExpectedReject(7, .timestampTooOld), ExpectedReject(8, .timestampInFuture),
            ExpectedReject(9, .emptyEventName),
            ExpectedReject(10, .eventNameTooLong), ExpectedReject(11, .invalidUTF8), ExpectedReject(12, .malformedCSV),
            ExpectedReject(13, .notANumber),
        ],
        goodRow: "u3,view,2026-11-01T12:02:00Z,i1,,g3"
    )

    static let json = FormatCase(
        folder: "json",
        format: .json,
        clean: "clean.jsonl",
        duplicates: "duplicates.jsonl",
        dirty: "dirty.jsonl",
        isJSON: true,
        cleanEvents: [
            EventRow("u1", "view", t0, item: "i1", properties: #"{"platform":"ios"}"#),
            EventRow("u1", "purchase", t0Plus(seconds: 60), item: "i1", value: 19.99),
            EventRow("u2", "view", t0Plus(seconds: 120), item: "i2"),
            EventRow("u3", "open", t0Plus(seconds: 180)),
            EventRow("u3", "rate", t0Plus(seconds: 240), item: "i3", value: 4.5),
        ],
        duplicatesAccepted: 4,
        duplicatesDropped: 4,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(2, .missingUserID), ExpectedReject(4, .idTooLong), ExpectedReject(5, .unparsableTimestamp),
            ExpectedReject(6, .timestampTooOld), ExpectedReject(7, .timestampInFuture),
            ExpectedReject(8, .emptyEventName),
            ExpectedReject(9, .eventNameTooLong), ExpectedReject(10, .invalidUTF8), ExpectedReject(11, .malformedJSON),
            ExpectedReject(12, .notANumber),
        ],
        goodRow: #"{"user_id":"u3","event":"view","timestamp":"2026-11-01T12:02:00Z","event_id":"g3"}"#
    )

    static let segment = FormatCase(
        folder: "segment",
        format: .segment,
        clean: "clean.jsonl",
        duplicates: "duplicates.jsonl",
        dirty: "dirty.jsonl",
        isJSON: true,
        cleanEvents: [
            EventRow("u1", "Product Viewed", t0, item: "i1", properties: #"{"product_id":"i1"}"#),
            EventRow(
                "u1",
                "Order Completed",
                t0Plus(seconds: 60),
                item: "i1",
                value: 25.5,
                properties: #"{"product_id":"i1","revenue":25.5}"#
            ),
            EventRow("anon-1", "page", t0Plus(seconds: 120), properties: #"{"path":"/"}"#),
            EventRow("u2", "screen", t0Plus(seconds: 180)),
            EventRow("u2", "Signed Up", t0Plus(seconds: 300)),
        ],
        cleanProfileUpdates: 1,
        duplicatesAccepted: 4,
        duplicatesDropped: 4,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(2, .missingUserID), ExpectedReject(3, .idTooLong), ExpectedReject(4, .unparsableTimestamp),
            ExpectedReject(5, .timestampTooOld), ExpectedReject(6, .timestampInFuture),
            ExpectedReject(7, .emptyEventName),
            ExpectedReject(8, .eventNameTooLong), ExpectedReject(9, .invalidUTF8), ExpectedReject(10, .malformedJSON),
            ExpectedReject(11, .notANumber), ExpectedReject(12, .unsupportedCall), ExpectedReject(13, .invalidField),
        ],
        goodRow: #"{"type":"track","messageId":"g3","userId":"u3","event":"Viewed","timestamp":"2026-11-01T12:02:00Z"}"#
    )

    static let mixpanel = FormatCase(
        folder: "mixpanel",
        format: .mixpanel,
        clean: "clean.jsonl",
        duplicates: "duplicates.jsonl",
        dirty: "dirty.jsonl",
        isJSON: true,
        cleanEvents: [
            EventRow(
                "u1",
                "view",
                t0,
                item: "i1",
                properties: #"{"distinct_id":"u1","time":1793534400,"$insert_id":"m1","product_id":"i1","$os":"iOS"}"#
            ),
            EventRow(
                "u1",
                "purchase",
                t0Plus(seconds: 60),
                item: "i1",
                value: 9.5,
                properties:
                    #"{"distinct_id":"u1","time":1793534460000,"$insert_id":"m2","product_id":"i1","revenue":9.5}"#
            ),
            EventRow(
                "u2",
                "open",
                t0Plus(seconds: 120.5),
                properties: #"{"distinct_id":"u2","time":1793534520.5,"$insert_id":"m3"}"#
            ),
        ],
        duplicatesAccepted: 4,
        duplicatesDropped: 3,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(2, .missingUserID), ExpectedReject(3, .idTooLong), ExpectedReject(4, .unparsableTimestamp),
            ExpectedReject(5, .timestampTooOld), ExpectedReject(6, .timestampInFuture),
            ExpectedReject(7, .emptyEventName),
            ExpectedReject(8, .eventNameTooLong), ExpectedReject(9, .invalidUTF8), ExpectedReject(10, .malformedJSON),
            ExpectedReject(11, .notANumber),
        ],
        goodRow: #"{"event":"view","properties":{"distinct_id":"u3","time":1793534520,"$insert_id":"g3"}}"#
    )

    static let amplitude = FormatCase(
        folder: "amplitude",
        format: .amplitude,
        clean: "clean.jsonl",
        duplicates: "duplicates.jsonl",
        dirty: "dirty.jsonl",
        isJSON: true,
        cleanEvents: [
            EventRow("u1", "view", t0Plus(seconds: 0.123), item: "i1", properties: #"{"product_id":"i1"}"#),
            EventRow("d2", "view", t0Plus(seconds: 60)),
            EventRow(
                "u1",
                "purchase",
                t0Plus(seconds: 120),
                item: "i2",
                value: 12.5,
                properties: #"{"product_id":"i2"}"#
            ),
            EventRow("d3", "open", t0Plus(seconds: 180)),
        ],
        duplicatesAccepted: 4,
        duplicatesDropped: 4,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(2, .missingUserID), ExpectedReject(3, .idTooLong), ExpectedReject(4, .unparsableTimestamp),
            ExpectedReject(5, .timestampTooOld), ExpectedReject(6, .timestampInFuture),
            ExpectedReject(7, .emptyEventName),
            ExpectedReject(8, .eventNameTooLong), ExpectedReject(9, .invalidUTF8), ExpectedReject(10, .malformedJSON),
            ExpectedReject(11, .notANumber),
        ],
        goodRow: #"{"user_id":"u3","event_type":"view","event_time":"2026-11-01 12:02:00.000000","insert_id":"g3"}"#
    )

    static let personalize = FormatCase(
        folder: "personalize",
        format: .personalize,
        clean: "clean.csv",
        duplicates: "duplicates.csv",
        dirty: "dirty.csv",
        isJSON: false,
        cleanEvents: [
            EventRow("u1", "click", t0, item: "i1"),
            EventRow("u1", "purchase", t0Plus(seconds: 60), item: "i2", value: 29.99),
            EventRow("u2", "rating", t0Plus(seconds: 120), item: "i1", value: 4),
        ],
        duplicatesAccepted: 4,
        duplicatesDropped: 3,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(3, .missingUserID), ExpectedReject(4, .idTooLong), ExpectedReject(5, .unparsableTimestamp),
            ExpectedReject(6, .timestampTooOld), ExpectedReject(7, .timestampInFuture),
            ExpectedReject(8, .emptyEventName),
            ExpectedReject(9, .eventNameTooLong), ExpectedReject(10, .invalidUTF8), ExpectedReject(11, .malformedCSV),
            ExpectedReject(12, .notANumber),
        ],
        goodRow: "u3,i1,1793534520,click,"
    )

    /// MovieLens 100K `u.data`: `user item rating timestamp`, tab-separated, no header, no event column.
    static let movieLens = FormatCase(
        folder: "movielens",
        format: .csv,
        clean: "u.data",
        duplicates: "duplicates.data",
        dirty: "dirty.data",
        columns: ["user_id", "item_id", "value", "timestamp"],
        delimiter: 0x09,
        isJSON: false,
        cleanEvents: [
            EventRow("196", "interaction", t0, item: "242", value: 3),
            EventRow("186", "interaction", t0Plus(seconds: 60), item: "302", value: 3),
            EventRow("22", "interaction", t0Plus(seconds: 120), item: "377", value: 1),
        ],
        duplicatesAccepted: 3,
        duplicatesDropped: 2,
        dirtyAccepted: 2,
        dirtyRejects: [
            ExpectedReject(2, .missingUserID), ExpectedReject(3, .idTooLong), ExpectedReject(4, .unparsableTimestamp),
            ExpectedReject(5, .timestampTooOld), ExpectedReject(6, .timestampInFuture), ExpectedReject(7, .invalidUTF8),
            ExpectedReject(8, .malformedCSV), ExpectedReject(9, .notANumber),
        ],
        goodRow: "3\t1\t5\t1793534520"
    )
}

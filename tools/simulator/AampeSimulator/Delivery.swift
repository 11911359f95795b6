import Foundation

/// One message a messaging service delivered to a simulated user: a due outbox message as
/// `aampectl outbox pull` prints it, plus `delivered_at`, the moment it reached the user.
///
/// One JSON object a line:
///
/// ```
/// {"message_id":"4294967296","lease_token":"17","user":"u0000001","campaign":"weekly_picks",
///  "formula":"picks_email","variant":3,"labels":["tone=plain","value_proposition=discount"],
///  "channel":"email","address":"...","subject":"...","body":"...","items":["i000123"],
///  "window_start":"2026-10-30T07:00:00Z","window_end":"2026-10-30T10:00:00Z","attempt":1,
///  "delivered_at":"2026-10-30T07:12:00Z"}
/// ```
///
/// | field                      | required | meaning                                                   |
/// |----------------------------|----------|-----------------------------------------------------------|
/// | message_id                 | yes      | outbox message id, a decimal uint64 (string or number)    |
/// | lease_token                | yes      | echoed in the ack                                         |
/// | user                       | yes      | the user id of `users.csv`                                |
/// | campaign                   | yes      | a campaign of `content/campaigns.yaml` (sets the goal)    |
/// | labels                     | yes      | `set=label` of the copy, at most one per label set        |
/// | channel                    | yes      | email, sms or push                                        |
/// | delivered_at               | yes      | UTC, on the day being simulated, within the window        |
/// | window_start, window_end   | no       | the send window; `delivered_at` must lie in it            |
/// | items                      | no       | item ids of `catalog.csv` the message recommends          |
/// | attempt                    | no       | delivery attempt, 1 when missing                          |
/// | formula, variant, address, subject, body | no | read and ignored                               |
///
/// Any other field is an error: a typo must not silently change what the simulation means.
public struct Delivery: Sendable, Equatable {
    public var messageID: UInt64
    /// The message id as it was written, echoed in the ack.
    public var messageIDText: String
    public var leaseToken: String
    public var user: String
    public var campaign: String
    public var labels: [String]
    public var channel: String
    public var items: [String]
    public var attempt: Int
    /// UTC seconds.
    public var deliveredAtSeconds: Int64
    public var windowStartSeconds: Int64?
    public var windowEndSeconds: Int64?
    /// 1-based line in the input, for errors.
    public var line: Int

    public init(
        messageID: UInt64,
        leaseToken: String,
        user: String,
        campaign: String,
        labels: [String],
        channel: String,
        items: [String] = [],
        attempt: Int = 1,
        deliveredAtSeconds: Int64,
        windowStartSeconds: Int64? = nil,
        windowEndSeconds: Int64? = nil,
        line: Int
    ) {
        self.messageID = messageID
        messageIDText = String(messageID)
        self.leaseToken = leaseToken
        self.user = user
        self.campaign = campaign
        self.labels = labels
        self.channel = channel
        self.items = items
        self.attempt = attempt
        self.deliveredAtSeconds = deliveredAtSeconds
        self.windowStartSeconds = windowStartSeconds
        self.windowEndSeconds = windowEndSeconds
        self.line = line
    }

    static let requiredFields = ["message_id", "lease_token", "user", "campaign", "labels", "channel", "delivered_at"]
    static let knownFields: Set<String> = Set(requiredFields).union([
        "formula", "variant", "address", "subject", "body", "items", "window_start", "window_end", "attempt",
        "lease_until", "fields", "propensity", "mode",
    ])

    /// Parses JSON lines; blank lines are skipped. Errors name `path`, the line and the field.
    public static func parse(_ bytes: [UInt8], path: String) throws(SimulatorError) -> [Delivery] {
        var deliveries: [Delivery] = []
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            func fail(_ field: String, _ reason: String) -> SimulatorError {
                .invalidInput(path: path, line: lineNumber, field: field, reason: reason)
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw fail("(line)", "not a JSON object")
            }
            for key in object.keys.sorted() where !knownFields.contains(key) {
                throw fail(key, "unknown field (expected one of \(knownFields.sorted().joined(separator: ", ")))")
            }
            for key in requiredFields where object[key] == nil { throw fail(key, "missing") }
            func text(_ key: String) throws(SimulatorError) -> String? {
                guard let value = object[key] else { return nil }
                guard let string = value as? String else { throw fail(key, "not a string") }
                return string
            }
            func texts(_ key: String) throws(SimulatorError) -> [String] {
                guard let value = object[key] else { return [] }
                guard let strings = value as? [String] else { throw fail(key, "not an array of strings") }
                return strings
            }
            func time(_ key: String) throws(SimulatorError) -> Int64? {
                guard let value = try text(key) else { return nil }
                guard let seconds = parseUTCSeconds(value) else {
                    throw fail(key, "\"\(value)\" is not a UTC time such as 2026-10-30T07:12:00Z")
                }
                return seconds
            }
            let idText: String
            if let string = object["message_id"] as? String {
                idText = string
            } else if let number = object["message_id"] as? NSNumber, !(object["message_id"] is Bool) {
                idText = number.stringValue
            } else {
                throw fail("message_id", "not a decimal string or number")
            }
            guard let messageID = UInt64(idText) else { throw fail("message_id", "\"\(idText)\" is not a uint64") }
            var attempt = 1
            if let value = object["attempt"] {
                guard let number = value as? Int, number >= 1 else { throw fail("attempt", "not a positive integer") }
                attempt = number
            }
            if let value = object["variant"], !(value is Int) { throw fail("variant", "not an integer") }
            for key in ["formula", "address", "subject", "body"] { _ = try text(key) }
            var delivery = Delivery(
                messageID: messageID,
                leaseToken: try text("lease_token")!,
                user: try text("user")!,
                campaign: try text("campaign")!,
                labels: try texts("labels"),
                channel: try text("channel")!,
                items: try texts("items"),
                attempt: attempt,
                deliveredAtSeconds: try time("delivered_at")!,
                windowStartSeconds: try time("window_start"),
                windowEndSeconds: try time("window_end"),
                line: lineNumber
            )
            delivery.messageIDText = idText
            if let start = delivery.windowStartSeconds, delivery.deliveredAtSeconds < start {
                throw fail("delivered_at", "before window_start")
            }
            if let end = delivery.windowEndSeconds, delivery.deliveredAtSeconds >= end {
                throw fail("delivered_at", "not before window_end")
            }
            deliveries.append(delivery)
        }
        return deliveries
    }
}

/// The messaging service's answer for one delivery line: delivered, or failed with a reason.
public struct Ack: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case delivered
        case failed(reason: String)
    }

    public var messageIDText: String
    public var leaseToken: String
    public var status: Status

    /// `{"message_id":"…","lease_token":"…","status":"delivered"}`, or with `"status":"failed","reason":"…"`.
    public var jsonLine: String {
        var line = "{\"message_id\":\(jsonString(messageIDText)),\"lease_token\":\(jsonString(leaseToken)),"
        switch status {
        case .delivered: line += "\"status\":\"delivered\"}"
        case .failed(let reason): line += "\"status\":\"failed\",\"reason\":\(jsonString(reason))}"
        }
        return line
    }
}

/// `text` as a JSON string literal. AampeCore's `JSONText.quoted` does the same; the simulator library
/// imports no engine target, so that it shares no code with the engine it tests.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// UTC seconds of `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, or nil.
func parseUTCSeconds(_ text: String) -> Int64? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[10] == UInt8(ascii: "T"),
        bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
        let day = CivilDate.epochDay(parsing: String(decoding: bytes[0..<10], as: UTF8.self))
    else { return nil }
    func number(_ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
        }
        return value
    }
    guard let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19), hour < 24,
        minute < 60, second < 60
    else { return nil }
    if bytes.count > 20 {
        // Fractions of a second are allowed and dropped.
        guard bytes[19] == UInt8(ascii: "."), bytes.count > 21, number(20..<(bytes.count - 1)) != nil else {
            return nil
        }
    }
    return Int64(day * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of UTC seconds.
func utcText(seconds: Int64) -> String {
    let day = Int((Double(seconds) / 86_400).rounded(.down))
    let rest = Int(seconds) - day * 86_400
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(CivilDate.text(epochDay: day))T\(two(rest / 3_600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
}

import AampeCore
public import AampeProtocol
internal import Foundation

/// The JSON lines `aampectl outbox pull` prints and `aampectl outbox ack` reads, one object a line, so a
/// shell pipeline or the simulator can pull, send and ack without a protobuf library.
///
/// A pulled message (keys in this order; ids and tokens are decimal strings, since JSON numbers lose
/// precision past 2^53; instants are ISO-8601 in UTC, with microseconds only when they have a fraction):
///
/// ```json
/// {"message_id":"4294967296","lease_token":"1","lease_until":"2026-10-30T00:05:00Z","attempt":1,
///  "user":"u1","campaign":"cart","formula":"nudge","variant":3,"labels":["tone=plain"],"channel":"email",
///  "address":"u1@example.com","subject":"Hi","body":"Your cart","fields":{"subject":"Hi","body":"Your cart"},
///  "items":["i1"],"window_start":"2026-10-30T00:00:00Z","window_end":"2026-10-30T03:00:00Z",
///  "propensity":0.25,"mode":"conditioned"}
/// ```
///
/// An acknowledgement: `{"message_id":"…","lease_token":"…","status":"delivered"|"failed"|"retry","reason":"…"}`
/// (`reason` optional). Its result: `{"message_id":"…","lease_token":"…","code":0,"result":"acknowledged"}`,
/// where `result` is `acknowledged`, `already_acknowledged`, or the error code's name in lower case
/// (`stale_lease`, `lease_expired`, `conflicting_ack`, `unknown_message`) with a `message`.
public enum OutboxJSONLines {
    /// Why an acknowledgement line was refused: its line number (from 1) and the reason.
    public struct LineError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// `message` as one JSON line, without the newline.
    public static func line(for message: Aampe_V1_OutboxMessage) -> String {
        var members: [String] = []
        members.append("\"message_id\":\(quoted(String(message.messageID)))")
        members.append("\"lease_token\":\(quoted(String(message.leaseToken)))")
        members.append("\"lease_until\":\(quoted(instant(message.leaseUntilMicros)))")
        members.append("\"attempt\":\(message.attempt)")
        members.append("\"user\":\(quoted(message.userID))")
        members.append("\"campaign\":\(quoted(message.campaign))")
        members.append("\"formula\":\(quoted(message.formula))")
        members.append("\"variant\":\(message.variant)")
        members.append("\"labels\":[\(message.labels.map(quoted).joined(separator: ","))]")
        members.append("\"channel\":\(quoted(message.channel))")
        members.append("\"address\":\(quoted(message.address))")
        members.append("\"subject\":\(quoted(message.subject))")
        members.append("\"body\":\(quoted(message.body))")
        let fields = message.fields.map { "\(quoted($0.name)):\(quoted($0.text))" }
        members.append("\"fields\":{\(fields.joined(separator: ","))}")
        members.append("\"items\":[\(message.items.map(quoted).joined(separator: ","))]")
        members.append("\"window_start\":\(quoted(instant(message.windowStartMicros)))")
        members.append("\"window_end\":\(quoted(instant(message.windowEndMicros)))")
        // JSON has no NaN or infinity; a propensity is a probability, so anything else is written as null.
        members.append("\"propensity\":\(message.propensity.isFinite ? "\(message.propensity)" : "null")")
        members.append("\"mode\":\(quoted(message.mode))")
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Parses one acknowledgement line; `number` (from 1) names it in errors.
    public static func acknowledgement(
        fromLine text: Substring,
        number: Int
    ) throws(LineError)
        -> Aampe_V1_Acknowledgement
    {
        func fail(_ reason: String) -> LineError { LineError(line: number, reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        func decimal(_ key: String) throws(LineError) -> UInt64 {
            if let text = object[key] as? String, let value = UInt64(text) { return value }
            if let number = object[key] as? NSNumber, let value = UInt64(exactly: number.doubleValue),
                value < 1 << 53
            {
                return value
            }
            throw fail("\(key): expected a decimal string such as \"4294967296\"")
        }
        var acknowledgement = Aampe_V1_Acknowledgement()
        acknowledgement.messageID = try decimal("message_id")
        acknowledgement.leaseToken = try decimal("lease_token")
        switch object["status"] as? String {
        case "delivered": acknowledgement.status = .delivered
        case "failed": acknowledgement.status = .failed
        case "retry": acknowledgement.status = .retry
        default: throw fail("status: expected \"delivered\", \"failed\" or \"retry\"")
        }
        if let reason = object["reason"] {
            guard let text = reason as? String else { throw fail("reason: expected a string") }
            acknowledgement.reason = text
        }
        return acknowledgement
    }

    /// The result line of `acknowledgement`, without the newline.
    public static func resultLine(for acknowledgement: Aampe_V1_Acknowledgement, result: Aampe_V1_AckResult) -> String {
        let name: String
        if result.code == 0 {
            name = result.repeated ? "already_acknowledged" : "acknowledged"
        } else {
            name = ErrorCode(rawValue: result.code).name.lowercased()
        }
        var line =
            "{\"message_id\":\(quoted(String(acknowledgement.messageID))),\"lease_token\":\(quoted(String(acknowledgement.leaseToken))),\"code\":\(result.code),\"result\":\(quoted(name))"
        if result.code != 0 { line += ",\"message\":\(quoted(result.message))" }
        return line + "}"
    }

    /// An instant as ISO-8601 UTC: whole seconds when it has no fraction, else microseconds.
    public static func instant(_ micros: Int64) -> String {
        let timestamp = Timestamp(rawValue: micros)
        return micros % Timestamp.microsecondsPerSecond == 0 ? timestamp.description : timestamp.iso8601Microseconds
    }

    /// `text` as a JSON string.
    public static func quoted(_ text: String) -> String { JSONText.quoted(text) }
}

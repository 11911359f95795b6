/// ISO-8601 / RFC 3339 text, read without Foundation, so that every target can parse what
/// ``Timestamp/iso8601Microseconds`` and ``Timestamp/description`` write.
public enum ISO8601 {
    /// What a text denotes: an instant, or a local time in a named zone that someone with a time-zone
    /// database must resolve (an RFC 9557 suffix such as `[Europe/Paris]` without an offset).
    public enum Parsed: Hashable, Sendable {
        case instant(Timestamp)
        case zoned(localSecondsSinceEpoch: Int64, microseconds: Int, zoneName: String)
    }

    /// Parses `YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]]][Z|z|(+|-)HH[[:]MM]][[Zone/Name]]`. Without an
    /// offset or zone the time is UTC. A fraction is kept to the microsecond, a leap second lands on :59
    /// (POSIX time has none). `nil` when the text is not in this form or names an impossible date.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed? {
        let count = bytes.count
        @inline(__always) func digits(_ at: Int, _ width: Int) -> Int? {
            guard at + width <= count else { return nil }
            var value = 0
            for index in at..<(at + width) {
                let digit = bytes[index] &- 48
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard count >= 10, let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = digits(8, 2)
        else { return nil }
        let date = CivilDate(year: Int64(year), month: month, day: day)
        guard date.isValid else { return nil }
        var offset = 10
        var secondOfDay = 0
        var micros = 0
        var zoneSeconds: Int? = nil
        var zoneName: String? = nil
        if offset < count,
            bytes[offset] == UInt8(ascii: "T") || bytes[offset] == UInt8(ascii: "t")
                || bytes[offset] == UInt8(ascii: " ")
        {
            offset += 1
            guard let hour = digits(offset, 2), offset + 2 < count, bytes[offset + 2] == UInt8(ascii: ":"),
                let minute = digits(offset + 3, 2), hour < 24, minute < 60
            else { return nil }
            offset += 5
            var second = 0
            if offset < count, bytes[offset] == UInt8(ascii: ":") {
                guard let value = digits(offset + 1, 2), value < 61 else { return nil }
                second = min(value, 59)  // a leap second lands on :59, as POSIX time has none
                offset += 3
                if offset < count, bytes[offset] == UInt8(ascii: ".") || bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    var fractionDigits = 0
                    while offset < count, bytes[offset] &- 48 < 10 {
                        if fractionDigits < 6 {
                            micros = micros * 10 + Int(bytes[offset] &- 48)
                            fractionDigits += 1
                        }
                        offset += 1
                    }
                    guard fractionDigits > 0 else { return nil }
                    for _ in fractionDigits..<6 { micros *= 10 }
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if offset < count {
                let sign = bytes[offset]
                if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                    zoneSeconds = 0
                    offset += 1
                } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                    guard let hours = digits(offset + 1, 2), hours < 24 else { return nil }
                    offset += 3
                    var minutes = 0
                    if offset < count, bytes[offset] == UInt8(ascii: ":") {
                        guard let value = digits(offset + 1, 2), value < 60 else { return nil }
                        minutes = value
                        offset += 3
                    } else if let value = digits(offset, 2) {
                        guard value < 60 else { return nil }
                        minutes = value
                        offset += 2
                    }
                    let magnitude = hours * 3600 + minutes * 60
                    zoneSeconds = sign == UInt8(ascii: "-") ? -magnitude : magnitude
                }
            }
            if offset < count, bytes[offset] == UInt8(ascii: "[") {
                guard bytes[count - 1] == UInt8(ascii: "]"), count - offset > 2 else { return nil }
                zoneName = String(
                    decoding: UnsafeRawBufferPointer(rebasing: bytes[(offset + 1)..<(count - 1)]),
                    as: UTF8.self
                )
                offset = count
            }
        }
        guard offset == count else { return nil }
        let localSeconds = date.daysSinceEpoch * Timestamp.secondsPerDay + Int64(secondOfDay)
        if zoneSeconds == nil, let zoneName {
            return .zoned(localSecondsSinceEpoch: localSeconds, microseconds: micros, zoneName: zoneName)
        }
        let utcSeconds = localSeconds - Int64(zoneSeconds ?? 0)
        return .instant(Timestamp(rawValue: utcSeconds * Timestamp.microsecondsPerSecond + Int64(micros)))
    }
}

extension Timestamp {
    /// The instant an ISO-8601 text with an offset, `Z` or no zone (UTC) denotes, such as what
    /// ``iso8601Microseconds`` writes; `nil` for anything else, including a named zone.
    public init?(iso8601 text: String) {
        var text = text
        let parsed = text.withUTF8 { ISO8601.parse(UnsafeRawBufferPointer($0)) }
        guard case .instant(let instant) = parsed else { return nil }
        self = instant
    }
}

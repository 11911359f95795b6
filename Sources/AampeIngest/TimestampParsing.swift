public import AampeCore
internal import Foundation

/// Reads event timestamps in the forms exports use.
///
/// **Numbers** are Unix time. The unit is recognised by magnitude, because every plausible event time
/// (years 2000 to 5000) falls in a different range for each unit:
///
/// | integer part          | read as       | example              |
/// |-----------------------|---------------|----------------------|
/// | below 10^11           | seconds       | `1700000000`, `1700000000.25` |
/// | 10^11 to below 10^14  | milliseconds  | `1700000000250`      |
/// | 10^14 to below 10^17  | microseconds  | `1700000000250000`   |
/// | 10^17 and above       | nanoseconds   | `1700000000250000000`|
///
/// A fraction is kept to the microsecond. **Text** is ISO-8601 / RFC 3339: `2026-11-01T12:34:56Z`,
/// `2026-11-01T12:34:56.789+01:00`, `+0100` or `+01`, a space instead of `T` (Amplitude), and
/// `2026-11-01` alone (midnight). Without an offset the time is UTC, as Amplitude and Mixpanel exports
/// write it; an RFC 9557 zone suffix such as `2026-11-01T12:00:00[Europe/Paris]` applies that IANA zone.
public enum TimestampParsing {
    /// The instant `bytes` denotes, or `nil` if it is not a timestamp in a known form.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Timestamp? {
        guard let first = bytes.first else { return nil }
        if first &- 48 < 10 {
            // `YYYY-` marks a date; anything else that starts with a digit is a number.
            if bytes.count >= 10, bytes[4] == UInt8(ascii: "-") { return parseISO8601(bytes) }
            return parseNumber(bytes)
        }
        return nil
    }

    /// Unix time in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.
    static func parseNumber(_ bytes: UnsafeRawBufferPointer) -> Timestamp? {
        var integer: Int64 = 0
        var offset = 0
        let count = bytes.count
        while offset < count, bytes[offset] &- 48 < 10 {
            guard offset < 19 else { return nil }
            integer = integer * 10 + Int64(bytes[offset] &- 48)
            offset += 1
        }
        // Fraction digits, scaled to a numerator over 10^fractionDigits (at most nine are kept).
        var fraction: Int64 = 0
        var fractionDigits = 0
        if offset < count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard offset < count else { return nil }
            while offset < count, bytes[offset] &- 48 < 10 {
                if fractionDigits < 9 {
                    fraction = fraction * 10 + Int64(bytes[offset] &- 48)
                    fractionDigits += 1
                }
                offset += 1
            }
        }
        // Scientific notation (`1.7e9`), as some JSON encoders write large numbers.
        if offset < count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            guard let value = NumberParsing.double(bytes), value >= 0, value < 9e18 else { return nil }
            return fromUnitless(integer: Int64(value), fraction: 0, fractionDigits: 0,
                                fractionalValue: value - value.rounded(.down))
        }
        guard offset == count else { return nil }
        return fromUnitless(integer: integer, fraction: fraction, fractionDigits: fractionDigits, fractionalValue: nil)
    }

    private static func fromUnitless(
        integer: Int64,
        fraction: Int64,
        fractionDigits: Int,
        fractionalValue: Double?
    ) -> Timestamp? {
        // Microseconds per unit, for the unit this magnitude implies.
        let unitMicros: Int64
        let divisor: Int64
        switch integer {
        case ..<100_000_000_000: (unitMicros, divisor) = (1_000_000, 1)
        case ..<100_000_000_000_000: (unitMicros, divisor) = (1_000, 1)
        case ..<100_000_000_000_000_000: (unitMicros, divisor) = (1, 1)
        default: (unitMicros, divisor) = (1, 1_000)
        }
        var micros = divisor == 1 ? integer * unitMicros : integer / divisor
        if let fractionalValue {
            micros += Int64((fractionalValue * Double(unitMicros)).rounded(.down))
        } else if fractionDigits > 0 {
            var scale: Int64 = 1
            for _ in 0..<fractionDigits { scale *= 10 }
            micros += fraction * unitMicros / scale / divisor
        }
        return Timestamp(rawValue: micros)
    }

    /// `YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)fraction]]][Z|z|(+|-)HH[[:]MM]][[Zone/Name]]`.
    static func parseISO8601(_ bytes: UnsafeRawBufferPointer) -> Timestamp? {
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
        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = digits(8, 2)
        else { return nil }
        let date = CivilDate(year: Int64(year), month: month, day: day)
        guard date.isValid else { return nil }
        var offset = 10
        var secondOfDay = 0
        var micros = 0
        var zoneSeconds: Int? = nil
        var zoneName: String? = nil
        if offset < count, bytes[offset] == UInt8(ascii: "T") || bytes[offset] == UInt8(ascii: "t")
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
                zoneName = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(offset + 1)..<(count - 1)]), as: UTF8.self)
                offset = count
            }
        }
        guard offset == count else { return nil }
        let localSeconds = date.daysSinceEpoch * Timestamp.secondsPerDay + Int64(secondOfDay)
        if zoneSeconds == nil, let zoneName {
            guard let zone = TimeZone(identifier: zoneName) else { return nil }
            // The offset in force at that local time: take the offset at the instant read as UTC, then
            // correct once (exact except within the hour of a transition).
            let guess = Date(timeIntervalSince1970: TimeInterval(localSeconds))
            let first = zone.secondsFromGMT(for: guess)
            let adjusted = Date(timeIntervalSince1970: TimeInterval(localSeconds - Int64(first)))
            zoneSeconds = zone.secondsFromGMT(for: adjusted)
        }
        let utcSeconds = localSeconds - Int64(zoneSeconds ?? 0)
        return Timestamp(rawValue: utcSeconds * Timestamp.microsecondsPerSecond + Int64(micros))
    }
}

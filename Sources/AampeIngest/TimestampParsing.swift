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
            return fromUnitless(
                integer: Int64(value),
                fraction: 0,
                fractionDigits: 0,
                fractionalValue: value - value.rounded(.down)
            )
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

    /// ISO-8601 text (``ISO8601/parse(_:)``), with a named zone resolved through Foundation's time-zone
    /// database.
    static func parseISO8601(_ bytes: UnsafeRawBufferPointer) -> Timestamp? {
        switch ISO8601.parse(bytes) {
        case .instant(let instant): return instant
        case .zoned(let localSeconds, let micros, let zoneName):
            guard let zone = TimeZone(identifier: zoneName) else { return nil }
            // The offset in force at that local time: take the offset at the instant read as UTC, then
            // correct once (exact except within the hour of a transition).
            let guess = Date(timeIntervalSince1970: TimeInterval(localSeconds))
            let first = zone.secondsFromGMT(for: guess)
            let adjusted = Date(timeIntervalSince1970: TimeInterval(localSeconds - Int64(first)))
            let zoneSeconds = zone.secondsFromGMT(for: adjusted)
            let utcSeconds = localSeconds - Int64(zoneSeconds)
            return Timestamp(rawValue: utcSeconds * Timestamp.microsecondsPerSecond + Int64(micros))
        case nil: return nil
        }
    }
}

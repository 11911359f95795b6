#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers from raw bytes without making a `String`.
enum NumberParsing {
    /// Powers of ten that a `Double` holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// A finite number written as `[+-]digits[.digits][(e|E)[+-]digits]`, or `nil`.
    ///
    /// Up to 15 significant digits and a small exponent are computed exactly by one multiplication or
    /// division of two exact doubles (correctly rounded, as Clinger's fast path shows); anything else goes
    /// through `strtod`.
    @inline(__always)
    static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
        guard count > 0, count <= 64 else { return count == 0 ? nil : slowDouble(bytes) }
        var offset = 0
        var isNegative = false
        let first = bytes[0]
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            isNegative = first == UInt8(ascii: "-")
            offset = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDigit = false
        while offset < count, case let byte = bytes[offset], byte &- 48 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(byte &- 48)
            if mantissa != 0 { digits += 1 }
            sawDigit = true
            offset += 1
        }
        if offset < count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            while offset < count, case let byte = bytes[offset], byte &- 48 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(byte &- 48)
                if mantissa != 0 { digits += 1 }
                fractionDigits += 1
                sawDigit = true
                offset += 1
            }
        }
        guard sawDigit else { return nil }
        if offset < count {
            // An exponent, or trailing garbage: let strtod decide (it rejects garbage below).
            return slowDouble(bytes)
        }
        guard digits <= 15, fractionDigits <= 22 else { return slowDouble(bytes) }
        let value = Double(mantissa) / exactPowersOfTen[fractionDigits]
        return isNegative ? -value : value
    }

    private static func slowDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count <= 512 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count + 1)
        for (index, byte) in bytes.enumerated() {
            // strtod accepts hex, inf and nan, and skips leading spaces; JSON and CSV numbers do not.
            guard
                byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
                    || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte &- 48 < 10
            else { return nil }
            text[index] = CChar(bitPattern: byte)
        }
        return text.withUnsafeBufferPointer { buffer -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end - UnsafeMutablePointer(mutating: buffer.baseAddress!) == bytes.count, value.isFinite
            else { return nil }
            return value
        }
    }

    /// A non-negative integer of only digits (at most 18 of them), or `nil`.
    @inline(__always)
    static func unsigned(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            let digit = byte &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }
}

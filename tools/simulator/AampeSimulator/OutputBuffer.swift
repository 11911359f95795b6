/// A growable byte buffer for formatting dump lines without intermediate strings.
///
/// The simulator writes about 10^8 lines for a large world, so lines are built byte by byte here
/// rather than through `String` interpolation, which would allocate per field.
final class OutputBuffer {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        bytes = .allocate(capacity: self.capacity)
    }

    deinit { bytes.deallocate() }

    var isEmpty: Bool { count == 0 }

    func removeAll() { count = 0 }

    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBytes.update(from: bytes, count: count)
        bytes.deallocate()
        bytes = newBytes
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        bytes[count] = byte
        count += 1
    }

    @inline(__always)
    func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    func append(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserve(raw.count)
        (bytes + count).update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count)
        count += raw.count
    }

    @inline(__always)
    func append(_ array: [UInt8]) {
        array.withUnsafeBytes { append($0) }
    }

    /// Appends `self[range]` again (for a retried line), or another buffer's bytes.
    func appendCopy(of range: Range<Int>, from source: OutputBuffer) {
        reserve(range.count)
        // `reserve` may have moved our own storage; read the source's pointer after it.
        (bytes + count).update(from: source.bytes + range.lowerBound, count: range.count)
        count += range.count
    }

    /// Non-negative decimal, zero-padded to `width` digits.
    @inline(__always)
    func appendDecimal(_ value: Int, width: Int = 1) {
        var digits = 1
        var limit = 10
        while value >= limit && digits < 19 {
            digits += 1
            limit &*= 10
        }
        let total = max(width, digits)
        reserve(total)
        var remaining = value
        var position = count + total - 1
        for _ in 0..<total {
            bytes[position] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
            remaining /= 10
            position -= 1
        }
        count += total
    }

    /// Cents as a decimal amount with two fraction digits, `1299` → `12.99`.
    @inline(__always)
    func appendCents(_ cents: Int) {
        appendDecimal(cents / 100)
        append(UInt8(ascii: "."))
        appendDecimal(cents % 100, width: 2)
    }

    /// A value with three fraction digits (for truth files), `-0.1234` → `-0.123`.
    func appendFixed3(_ value: Double) {
        var scaled = Int((value * 1000).rounded())
        if scaled < 0 {
            append(UInt8(ascii: "-"))
            scaled = -scaled
        }
        appendDecimal(scaled / 1000)
        append(UInt8(ascii: "."))
        appendDecimal(scaled % 1000, width: 3)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `digits` lowercase hex digits of `value`, most significant first.
    @inline(__always)
    func appendHex(_ value: UInt64, digits: Int) {
        reserve(digits)
        Self.hexDigits.withUnsafeBufferPointer { table in
            for index in 0..<digits {
                let shift = UInt64((digits - 1 - index) * 4)
                bytes[count + index] = table[Int((value >> shift) & 0xF)]
            }
        }
        count += digits
    }

    /// Counts `extra` bytes written straight into the space ``reserve(_:)`` made after the current end.
    func advance(by extra: Int) {
        precondition(count + extra <= capacity)
        count += extra
    }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    subscript(index: Int) -> UInt8 { bytes[index] }
}

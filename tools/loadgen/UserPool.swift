// The user ids RECOMMEND requests are drawn from: one flat byte arena, loaded once before the run.

import Foundation

/// External user ids, stored back to back with their offsets, so that a request copies one id with one
/// `memcpy` and a million ids cost their bytes plus 4 bytes each.
///
/// `@unchecked Sendable`: the memory is written in `init` and only read afterwards, by every connection of
/// a run, until the pool is freed.
final class UserPool: @unchecked Sendable {
    /// The most ids a pool holds: the simulator's limit on users.
    static let maximumUsers = 50_000_000
    /// The longest id, in UTF-8 bytes: aamped's limit on external ids (`Limits.maximumExternalIDBytes`).
    static let maximumIDBytes = 1024
    /// The largest users file read: offsets are 32-bit.
    static let maximumFileBytes = Int(UInt32.max)

    /// Every id's bytes, back to back. Raw memory: the send path copies from it without retaining an
    /// array or checking bounds.
    let bytes: UnsafeMutablePointer<UInt8>
    /// `offsets[i] ..< offsets[i + 1]` are the bytes of id i; `count + 1` entries.
    let offsets: UnsafeMutablePointer<UInt32>
    /// The number of ids.
    let count: Int
    /// Where the ids came from, for the report.
    let source: String
    /// The length of the longest id.
    let longestIDBytes: Int

    private init(bytes: [UInt8], offsets: [UInt32], source: String) {
        precondition(offsets.count >= 2 && Int(offsets.last!) == bytes.count)
        self.bytes = .allocate(capacity: max(bytes.count, 1))
        self.bytes.initialize(from: bytes, count: bytes.count)
        self.offsets = .allocate(capacity: offsets.count)
        self.offsets.initialize(from: offsets, count: offsets.count)
        self.count = offsets.count - 1
        self.source = source
        var longest = 0
        for index in 0..<count { longest = max(longest, Int(offsets[index + 1] - offsets[index])) }
        self.longestIDBytes = longest
    }

    deinit {
        bytes.deallocate()
        offsets.deallocate()
    }

    /// The id at `index`, as text (for messages and checks, not the hot path).
    func id(at index: Int) -> String {
        precondition(index >= 0 && index < count)
        let start = Int(offsets[index])
        return String(
            decoding: UnsafeBufferPointer(start: bytes + start, count: Int(offsets[index + 1]) - start),
            as: UTF8.self
        )
    }

    /// Reads one id a line. Lines are trimmed of spaces, tabs and a trailing CR; empty lines are skipped.
    static func load(file path: String) throws -> UserPool {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw UsageError("--users-file: cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count <= maximumFileBytes else {
            throw UsageError("--users-file: \(path) has \(data.count) bytes; at most \(maximumFileBytes) are read")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count)
        var offsets: [UInt32] = [0]
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var line = 1
            var start = 0
            let count = raw.count
            while start < count {
                var end = start
                while end < count && raw[end] != 10 { end += 1 }
                var first = start
                var last = end
                while first < last && (raw[first] == 32 || raw[first] == 9) { first += 1 }
                while last > first && (raw[last - 1] == 32 || raw[last - 1] == 9 || raw[last - 1] == 13) { last -= 1 }
                if last > first {
                    guard last - first <= maximumIDBytes else {
                        throw UsageError(
                            "--users-file: line \(line) of \(path) has an id of \(last - first) bytes; at most \(maximumIDBytes)"
                        )
                    }
                    guard offsets.count <= maximumUsers else {
                        throw UsageError("--users-file: \(path) has more than \(maximumUsers) ids")
                    }
                    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[first..<last]))
                    offsets.append(UInt32(bytes.count))
                }
                start = end + 1
                line += 1
            }
        }
        guard offsets.count > 1 else { throw UsageError("--users-file: \(path) holds no user ids") }
        return UserPool(bytes: bytes, offsets: offsets, source: path)
    }

    /// Makes ids `0 ..< count` from a pattern with one `%d` or `%0Nd`, such as `u%07d`.
    static func generate(pattern: UserPattern, count: Int) -> UserPool {
        precondition(count >= 1 && count <= maximumUsers, "checked by Options")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * (pattern.prefix.count + pattern.suffix.count + max(pattern.width, 8)))
        var offsets: [UInt32] = [0]
        offsets.reserveCapacity(count + 1)
        var digits = [UInt8](repeating: 0, count: 20)
        for number in 0..<count {
            bytes.append(contentsOf: pattern.prefix)
            var value = number
            var length = 0
            repeat {
                digits[length] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                length += 1
            } while value > 0
            if length < pattern.width {
                bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: pattern.width - length))
            }
            for index in stride(from: length - 1, through: 0, by: -1) { bytes.append(digits[index]) }
            bytes.append(contentsOf: pattern.suffix)
            offsets.append(UInt32(bytes.count))
        }
        return UserPool(bytes: bytes, offsets: offsets, source: "\(pattern.text) for 0 ..< \(count)")
    }
}

/// `PREFIX%dSUFFIX` or `PREFIX%0NdSUFFIX`: user ids made from a number, as `printf` would.
struct UserPattern: Sendable {
    var text: String
    var prefix: [UInt8]
    var suffix: [UInt8]
    /// Zero-padded to this many digits (0: no padding).
    var width: Int

    /// Parses the pattern, refusing anything but exactly one `%d` or `%0Nd` (N from 1 to 20) and `%%`.
    init(parsing text: String) throws {
        self.text = text
        let bytes = Array(text.utf8)
        var prefix: [UInt8] = []
        var suffix: [UInt8] = []
        var width: Int?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                if width == nil { prefix.append(byte) } else { suffix.append(byte) }
                index += 1
                continue
            }
            if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "%") {
                if width == nil { prefix.append(byte) } else { suffix.append(byte) }
                index += 2
                continue
            }
            guard width == nil else {
                throw UsageError("--users-pattern: \"\(text)\" has more than one %d; give exactly one")
            }
            var end = index + 1
            var digits = 0
            while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") {
                digits = digits * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                end += 1
                guard digits <= 20 else { break }
            }
            let padded = end > index + 1
            guard end < bytes.count, bytes[end] == UInt8(ascii: "d"),
                !padded || (bytes[index + 1] == UInt8(ascii: "0") && digits >= 1 && digits <= 20)
            else {
                throw UsageError(
                    "--users-pattern: \"\(text)\": expected %d or %0Nd with N from 1 to 20 (such as u%07d)"
                )
            }
            width = padded ? digits : 0
            index = end + 1
        }
        guard let width else {
            throw UsageError("--users-pattern: \"\(text)\" has no %d; give one, such as u%07d")
        }
        guard prefix.count + suffix.count + max(width, 20) <= UserPool.maximumIDBytes else {
            throw UsageError("--users-pattern: ids would be longer than \(UserPool.maximumIDBytes) bytes")
        }
        self.prefix = prefix
        self.suffix = suffix
        self.width = width
    }
}

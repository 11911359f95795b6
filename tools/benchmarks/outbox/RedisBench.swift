import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The Redis Streams side of the benchmark: one stream, one consumer group, XREADGROUP COUNT K and XACK,
/// over blocking Unix-socket connections speaking RESP2 (https://redis.io/docs/latest/develop/reference/protocol-spec/).
enum RedisBench {
    static let stream = "outbox"
    static let group = "senders"

    /// XADDs `--count` entries with BenchBatch's fields, pipelined 1,000 at a time, then creates the group.
    static func load(_ options: Options) throws {
        let connection = try RESPConnection(path: options.string("unix"))
        let count = options.int("count")
        var row = 0
        while row < count {
            let end = min(row + 1_000, count)
            var commands: [[String]] = []
            for index in row..<end {
                let user = "user-\(index)"
                commands.append([
                    "XADD", stream, "*", "user", user, "campaign", "spring-sale-2026", "formula",
                    "trail-runner-restock",
                    "variant", String(index % 24), "labels", "value_proposition=discount|tone=plain",
                    "channel", ["push", "email", "sms", "in_app"][index % 4], "address", user + "@example.com",
                    "subject", "Back in stock: Trail Runner 2",
                    "body",
                    "Hi \(user), the Trail Runner 2 you looked at is back in your size and 20% off until Sunday.",
                    "items", "sku-3307|sku-0412|sku-7781", "window_start", "1767254400000000",
                    "window_end", "1767427200000000", "propensity", "0.25", "mode", "conditioned",
                ])
            }
            try connection.send(commands)
            for _ in row..<end {
                if case .error(let message) = try connection.readReply() { throw BenchError.unexpected(message) }
            }
            row = end
        }
        try connection.send([["XGROUP", "CREATE", stream, group, "0"]])
        if case .error(let message) = try connection.readReply() { throw BenchError.unexpected(message) }
    }

    /// C consumer threads, each on its own connection: XREADGROUP COUNT K >, then XACK of every id, until
    /// XREADGROUP answers nothing.
    static func consume(_ options: Options) throws {
        let path = options.string("unix")
        let consumers = options.int("consumers")
        let batchSize = String(options.int("batch-size"))
        let expected = options.int("expect")
        let total = Mutex(0)
        let failure = Mutex<String?>(nil)
        let started = ContinuousClock.now
        var threads: [Thread] = []
        let done = DispatchGroup()
        for consumer in 0..<consumers {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                do {
                    let connection = try RESPConnection(path: path)
                    var acknowledged = 0
                    while true {
                        try connection.send([
                            [
                                "XREADGROUP", "GROUP", group, "bench-\(consumer)", "COUNT", batchSize, "STREAMS",
                                stream, ">",
                            ]
                        ])
                        let ids = try entryIDs(try connection.readReply())
                        if ids.isEmpty { break }
                        try connection.send([["XACK", stream, group] + ids])
                        guard case .integer(let count) = try connection.readReply(), count == ids.count else {
                            throw BenchError.unexpected("XACK did not acknowledge \(ids.count) entries")
                        }
                        acknowledged += ids.count
                    }
                    total.withLock { $0 += acknowledged }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
            threads.append(thread)
            thread.start()
        }
        done.wait()
        let seconds = (ContinuousClock.now - started).seconds
        if let message = failure.withLock({ $0 }) { throw BenchError.unexpected(message) }
        let count = total.withLock { $0 }
        guard count == expected else {
            throw BenchError.unexpected("acknowledged \(count) entries, expected \(expected)")
        }
        print(
            "{\"system\":\"redis\",\"consumers\":\(consumers),\"messages\":\(count),\"seconds\":\(seconds),\"rate\":\(Double(count) / seconds)}"
        )
    }

    /// The entry ids of an XREADGROUP reply: `*1 [ *2 [stream, *N [ *2 [id, *2k fields] ] ] ]`, or nil.
    static func entryIDs(_ reply: RESPValue) throws -> [String] {
        switch reply {
        case .array(nil), .bulk(nil): return []
        case .array(let streams?):
            guard case .array(let pair?) = streams.first, pair.count == 2, case .array(let entries?) = pair[1] else {
                throw BenchError.unexpected("unexpected XREADGROUP reply")
            }
            return try entries.map { entry in
                guard case .array(let parts?) = entry, case .bulk(let id?) = parts.first else {
                    throw BenchError.unexpected("unexpected XREADGROUP entry")
                }
                return String(decoding: id, as: UTF8.self)
            }
        case .error(let message): throw BenchError.unexpected(message)
        default: throw BenchError.unexpected("unexpected XREADGROUP reply")
        }
    }
}

/// A RESP2 value.
indirect enum RESPValue {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)
}

/// A blocking RESP2 connection over a Unix socket; not thread-safe (one per consumer thread).
final class RESPConnection {
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError.unexpected("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw BenchError.unexpected("connect \(path): errno \(errno)") }
    }

    deinit { close(descriptor) }

    /// Writes `commands` as RESP arrays of bulk strings, in one write where they fit.
    func send(_ commands: [[String]]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(commands.count * 64)
        for command in commands {
            out.append(contentsOf: "*\(command.count)\r\n".utf8)
            for argument in command {
                let utf8 = Array(argument.utf8)
                out.append(contentsOf: "$\(utf8.count)\r\n".utf8)
                out.append(contentsOf: utf8)
                out.append(13)
                out.append(10)
            }
        }
        var offset = 0
        while offset < out.count {
            let written = out[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                if errno == EINTR { continue }
                throw BenchError.unexpected("write: errno \(errno)")
            }
            offset += written
        }
    }

    /// Reads one reply.
    func readReply() throws -> RESPValue {
        let kind = try byte()
        // The line is read in place and turned into a value before the buffer is refilled.
        let (lineStart, lineEnd) = try readLine()
        switch kind {
        case UInt8(ascii: "+"): return .simple(String(decoding: buffer[lineStart..<lineEnd], as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: buffer[lineStart..<lineEnd], as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(integer(lineStart, lineEnd))
        case UInt8(ascii: "$"):
            let length = integer(lineStart, lineEnd)
            if length < 0 { return .bulk(nil) }
            try fill(length + 2)
            let value = Array(buffer[start..<start + length])
            start += length + 2
            return .bulk(value)
        case UInt8(ascii: "*"):
            let count = integer(lineStart, lineEnd)
            if count < 0 { return .array(nil) }
            var values: [RESPValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readReply()) }
            return .array(values)
        default: throw BenchError.unexpected("RESP type byte \(kind)")
        }
    }

    private func integer(_ from: Int, _ to: Int) -> Int {
        var value = 0
        var negative = false
        for index in from..<to {
            let digit = buffer[index]
            if digit == UInt8(ascii: "-") { negative = true } else { value = value * 10 + Int(digit &- 48) }
        }
        return negative ? -value : value
    }

    private func byte() throws -> UInt8 {
        try fill(1)
        defer { start += 1 }
        return buffer[start]
    }

    /// The range of the next line (without its CRLF), valid until the next refill.
    private func readLine() throws -> (Int, Int) {
        var scanned = start
        while true {
            while scanned + 1 < end {
                if buffer[scanned] == 13 && buffer[scanned + 1] == 10 {
                    let line = (start, scanned)
                    start = scanned + 2
                    return line
                }
                scanned += 1
            }
            let offset = scanned - start
            try fill(end - start + 1)
            scanned = start + offset
        }
    }

    /// Makes at least `count` unread bytes available.
    private func fill(_ count: Int) throws {
        if end - start >= count { return }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { pointer in
                _ = memmove(pointer.baseAddress!, pointer.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count + (1 << 20)) }
        while end - start < count {
            let received = buffer[end...].withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard received > 0 else {
                if received < 0 && errno == EINTR { continue }
                throw BenchError.unexpected("read: \(received == 0 ? "connection closed" : "errno \(errno)")")
            }
            end += received
        }
    }
}

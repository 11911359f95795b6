internal import AampeCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The append-only log of accepted TRACK events, `realtime/track-<start>-<pid>.jsonl`, one Segment
/// `track` JSON object a line, so `aampectl import realtime` (or `import events --format segment`)
/// reads it like any dump and dedupes it on `messageId` against the daily dumps.
///
/// Durability policy: each TRACK request's events are written with one `write(2)` before the response
/// is sent, so once a client has its answer the bytes are in the kernel: killing aamped (even with
/// SIGKILL) loses nothing acknowledged. `fdatasync` runs at most once a second while there is something
/// unsynced, and at shutdown, so a power loss or kernel crash can lose up to the last second of events.
///
/// The daemon holds an exclusive `flock` on its file while it runs; `aampectl import realtime` uses
/// that to tell the live file from closed ones it may remove.
final class RealtimeLog: @unchecked Sendable {
    // @unchecked: the descriptor is written under `writeLock`; `fdatasync` is safe beside writes.
    let path: String
    private let descriptor: Int32
    private let writeLock = Mutex<Void>(())
    private let unsynced = Atomic<Bool>(false)

    /// Opens a new log file in `folder`, creating the folder.
    init(folder: String, now: Timestamp = .now()) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stamp = now.description.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        path = folder + "/track-\(stamp)-\(getpid()).jsonl"
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw RealtimeLogError(path: path, operation: "open", code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            throw RealtimeLogError(path: path, operation: "flock", code: code)
        }
    }

    deinit {
        fdatasync(descriptor)
        close(descriptor)
    }

    /// Appends `bytes` (whole lines) with one write; retries short writes.
    func append(_ bytes: [UInt8]) throws {
        try writeLock.withLock { _ in
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw RealtimeLogError(path: path, operation: "write", code: errno)
                    }
                    offset += written
                }
            }
        }
        unsynced.store(true, ordering: .releasing)
    }

    /// `fdatasync`s when something was written since the last sync.
    func syncIfNeeded() {
        guard unsynced.exchange(false, ordering: .acquiringAndReleasing) else { return }
        fdatasync(descriptor)
    }

    /// Every log file in `folder`, oldest first (names start with the opening time).
    static func files(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix("track-") && $0.hasSuffix(".jsonl") }.sorted().map { folder + "/" + $0 }
    }
}

struct RealtimeLogError: Error, CustomStringConvertible {
    var path: String
    var operation: String
    var code: Int32
    var description: String { "\(path): \(operation) failed: \(String(cString: strerror(code)))" }
}

/// One accepted TRACK event, as logged and replayed.
struct LoggedTrackEvent: Sendable, Hashable {
    var messageID: String
    var userID: String
    var event: String
    var itemID: String?
    var timestamp: Timestamp
    var value: Double?
    var properties: [String: String]

    /// The Segment `track` line, with a trailing newline. The item goes to `properties.product_id` and the
    /// value to `properties.value`, where the segment importer reads them.
    func jsonLine() -> String {
        var line = "{\"type\":\"track\",\"messageId\":\(Self.quoted(messageID)),\"userId\":\(Self.quoted(userID)),\"event\":\(Self.quoted(event)),\"timestamp\":\(Self.quoted(timestamp.iso8601Microseconds)),\"properties\":{"
        var members: [String] = []
        if let itemID { members.append("\"product_id\":\(Self.quoted(itemID))") }
        if let value, value.isFinite { members.append("\"value\":\(value)") }
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) where key != "product_id" && key != "value" {
            members.append("\(Self.quoted(key)):\(Self.quoted(value))")
        }
        line += members.joined(separator: ",")
        line += "}}\n"
        return line
    }

    /// Parses a line written by ``jsonLine()``; `nil` for anything else (a torn last line after a crash).
    static func parse(_ line: Substring) -> LoggedTrackEvent? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let messageID = object["messageId"] as? String,
            let userID = object["userId"] as? String,
            let event = object["event"] as? String,
            let time = object["timestamp"] as? String,
            let timestamp = Timestamp(iso8601: time)
        else { return nil }
        var properties = (object["properties"] as? [String: Any]) ?? [:]
        let itemID = properties.removeValue(forKey: "product_id") as? String
        let value = (properties.removeValue(forKey: "value") as? NSNumber)?.doubleValue
        return LoggedTrackEvent(
            messageID: messageID, userID: userID, event: event, itemID: itemID, timestamp: timestamp, value: value,
            properties: properties.compactMapValues { $0 as? String }
        )
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

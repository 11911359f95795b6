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
/// When a sync fails (`EIO`, `ENOSPC`, ...), that promise no longer holds, so the log says so instead of
/// carrying on: ``syncIfNeeded()`` throws (the syncer logs it as an error), the failure is counted in
/// ``syncFailureCount``, and every ``append(_:)`` is refused with a ``RealtimeLogError`` (TRACK answers
/// `UNAVAILABLE`, nothing accepted) until a later sync succeeds. The syncer retries each second. Events
/// acknowledged in the second before the failure may not be on disk; the error in the daemon's log says
/// when that happened.
///
/// The daemon holds an exclusive `flock` on its file while it runs; `aampectl import realtime` uses
/// that to tell the live file from closed ones it may remove.
final class RealtimeLog: @unchecked Sendable {
    // @unchecked Sendable: every stored property is a `let`. Writes to the descriptor are serialized by
    // `writeLock`; `fdatasync` needs no lock, since the kernel orders it with concurrent writes; the sync
    // state is an `Atomic` flag, an `Atomic` counter and a `Mutex`. `deinit` closes the descriptor only
    // once no thread holds the log.
    let path: String
    private let descriptor: Int32
    private let writeLock = Mutex<Void>(())
    private let unsynced = Atomic<Bool>(false)
    /// The last sync's failure, until a sync succeeds.
    private let syncFailure = Mutex<FileIOError?>(nil)
    private let failedSyncs = Atomic<Int>(0)
    private let dataSync: @Sendable (_ descriptor: Int32, _ path: String) throws(FileIOError) -> Void

    /// Opens a new log file in `folder`, creating the folder. `dataSync` is the call that makes written
    /// bytes durable; tests inject failures through it.
    init(
        folder: String,
        now: Timestamp = .now(),
        dataSync: @escaping @Sendable (_ descriptor: Int32, _ path: String) throws(FileIOError) -> Void = FileIO
            .dataSync
    ) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stamp = now.description.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        path = folder + "/track-\(stamp)-\(getpid()).jsonl"
        self.dataSync = dataSync
        do throws(FileIOError) {
            descriptor = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_APPEND, permissions: 0o640)
        } catch {
            throw RealtimeLogError(failure: error)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            FileIO.closeAbandoned(descriptor)
            throw RealtimeLogError(failure: FileIOError(path: path, operation: "flock", code: code))
        }
    }

    deinit {
        // The syncer's last ``syncIfNeeded()`` at shutdown is where a failure is reported; by now nobody
        // is left to tell, and the descriptor is released either way.
        FileIO.closeAbandoned(descriptor)
    }

    /// Appends `bytes` (whole lines) with one write; retries short writes. Refused while the last sync
    /// failed.
    func append(_ bytes: [UInt8]) throws(RealtimeLogError) {
        try checkAcceptingWrites()
        let failure = writeLock.withLock { _ -> FileIOError? in
            do throws(FileIOError) {
                try FileIO.write(descriptor, bytes, path: path)
                return nil
            } catch {
                return error
            }
        }
        // A failed write may have written part of a line: it needs syncing like any other, and replay
        // skips the torn line.
        unsynced.store(true, ordering: .releasing)
        if let failure { throw RealtimeLogError(failure: failure) }
    }

    /// Throws when appends are refused because the last sync failed.
    func checkAcceptingWrites() throws(RealtimeLogError) {
        if let failure = syncFailure.withLock({ $0 }) {
            throw RealtimeLogError(failure: failure, isRefusedAfterSyncFailure: true)
        }
    }

    /// `fdatasync`s when something was written since the last sync, or when the last sync failed.
    /// Throws the failure, which also refuses appends until a later sync succeeds.
    func syncIfNeeded() throws(RealtimeLogError) {
        let isRetry = syncFailure.withLock { $0 != nil }
        guard unsynced.exchange(false, ordering: .acquiringAndReleasing) || isRetry else { return }
        do throws(FileIOError) {
            try dataSync(descriptor, path)
        } catch {
            syncFailure.withLock { $0 = error }
            failedSyncs.add(1, ordering: .relaxed)
            unsynced.store(true, ordering: .releasing)
            throw RealtimeLogError(failure: error)
        }
        syncFailure.withLock { $0 = nil }
    }

    /// Syncs that failed since the log was opened.
    var syncFailureCount: Int { failedSyncs.load(ordering: .relaxed) }

    /// Whether appends are refused because the last sync failed.
    var isRefusingWrites: Bool { syncFailure.withLock { $0 != nil } }

    /// Every log file in `folder`, oldest first (names start with the opening time). A folder that cannot
    /// be listed throws: replaying nothing would drop events that TRACK acknowledged.
    static func files(in folder: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        return names.filter { $0.hasPrefix("track-") && $0.hasSuffix(".jsonl") }.sorted().map { folder + "/" + $0 }
    }
}

/// Why the real-time log could not take or keep events.
struct RealtimeLogError: Error, CustomStringConvertible {
    /// The failed call (for a refusal, the sync that failed).
    var failure: FileIOError
    /// True when nothing was written because the last sync failed and none has succeeded since.
    var isRefusedAfterSyncFailure = false

    var description: String {
        isRefusedAfterSyncFailure
            ? "\(failure); writes are refused until a sync succeeds (retried each second)"
            : "\(failure)"
    }
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
        var line =
            "{\"type\":\"track\",\"messageId\":\(Self.quoted(messageID)),\"userId\":\(Self.quoted(userID)),\"event\":\(Self.quoted(event)),\"timestamp\":\(Self.quoted(timestamp.iso8601Microseconds)),\"properties\":{"
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
            messageID: messageID,
            userID: userID,
            event: event,
            itemID: itemID,
            timestamp: timestamp,
            value: value,
            properties: properties.compactMapValues { $0 as? String }
        )
    }

    static func quoted(_ text: String) -> String { JSONText.quoted(text) }
}

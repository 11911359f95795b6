import AampeCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes rejected rows to `quarantine/<run-id>.jsonl`, one JSON object per line:
///
/// ```json
/// {"file":"dump/2026-11-01.csv","line":17,"reason":"unparsable_timestamp","detail":"\"yesterday\" is not a timestamp","raw":"u1,open,yesterday"}
/// ```
///
/// `raw` is the record as read (invalid UTF-8 replaced by U+FFFD), and for `invalid_utf8` rejects
/// `raw_base64` holds the exact bytes. The file is created on the first reject, so a clean run leaves
/// none, and it is flushed and fsynced at each file's commit.
final class Quarantine {
    let path: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private(set) var count = 0

    init(path: String) {
        self.path = path
    }

    /// Adds one reject.
    func write(file: String, line: Int64, reason: RejectReason, detail: String?, raw: UnsafeRawBufferPointer) {
        // Keep the quarantine readable: a huge rejected record is cut at the record limit.
        let kept = UnsafeRawBufferPointer(rebasing: raw[0..<min(raw.count, Limits.maximumImportRecordBytes)])
        // The record's terminator (LF or CRLF) is not part of it.
        var end = kept.count
        while end > 0, kept[end - 1] == 0x0A || kept[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: kept[0..<end]), as: UTF8.self)
        var object: [String: Any] = ["file": file, "line": line, "reason": reason.rawValue, "raw": text]
        if let detail { object["detail"] = detail }
        if reason == .invalidUTF8 { object["raw_base64"] = Data(kept).base64EncodedString() }
        if raw.count > kept.count { object["raw_truncated_from_bytes"] = raw.count }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
            buffer.append(contentsOf: data)
            buffer.append(UInt8(ascii: "\n"))
        }
        count += 1
        if buffer.count > 1 << 20 { try? flush(sync: false) }
    }

    /// Writes buffered rejects, and with `sync` makes them durable.
    func flush(sync: Bool) throws(ImportError) {
        if !buffer.isEmpty {
            if handle == nil {
                guard FileManager.default.createFile(atPath: path, contents: nil) || FileManager.default.fileExists(atPath: path),
                    let opened = FileHandle(forWritingAtPath: path)
                else { throw ImportError.cannotWrite(path: path, reason: "cannot create the quarantine file") }
                handle = opened
                opened.seekToEndOfFile()
            }
            do {
                try handle?.write(contentsOf: buffer)
            } catch {
                throw ImportError.cannotWrite(path: path, reason: "\(error)")
            }
            buffer.removeAll(keepingCapacity: true)
        }
        if sync, let handle { _ = fsync(handle.fileDescriptor) }
    }

    deinit { try? handle?.close() }
}

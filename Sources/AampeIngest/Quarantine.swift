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
///
/// Rejects are buffered and written a megabyte at a time. A failed write or sync is never dropped: one
/// that happens while rejects are being added is kept and thrown by the next ``flush(sync:)``, which each
/// file's commit calls, so no file is committed while its rejects are lost.
final class Quarantine {
    let path: String
    private var descriptor: Int32 = -1
    private var buffer: [UInt8] = []
    private var deferredFailure: ImportError?
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
        // Strings and integers only, which JSONSerialization always encodes.
        if let data = try? JSONSerialization.data(
            withJSONObject: object,
            options: [.sortedKeys, .withoutEscapingSlashes]
        ) {
            buffer.append(contentsOf: data)
            buffer.append(UInt8(ascii: "\n"))
        }
        count += 1
        if buffer.count > 1 << 20 && deferredFailure == nil {
            do throws(ImportError) {
                try flush(sync: false)
            } catch {
                deferredFailure = error
            }
        }
    }

    /// Writes buffered rejects, and with `sync` makes them durable. Throws a failure kept from an earlier
    /// write too.
    func flush(sync: Bool) throws(ImportError) {
        if let deferredFailure { throw deferredFailure }
        do throws(FileIOError) {
            if !buffer.isEmpty {
                if descriptor < 0 { descriptor = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_APPEND) }
                try FileIO.write(descriptor, buffer, path: path)
                buffer.removeAll(keepingCapacity: true)
            }
            if sync, descriptor >= 0 { try FileIO.fsync(descriptor, path: path) }
        } catch {
            let failure = ImportError.cannotWrite(
                path: path,
                reason: "quarantine file: \(error.operation) failed: \(error.reason)"
            )
            deferredFailure = failure
            throw failure
        }
    }

    // Every reject was fsynced at its file's commit, or the run failed; the close adds nothing to either.
    deinit { if descriptor >= 0 { FileIO.closeAbandoned(descriptor) } }
}

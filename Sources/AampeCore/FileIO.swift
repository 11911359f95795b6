#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// `FileIO`'s own names shadow the C functions inside it; these reach the C ones.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func systemFsync(_ fd: Int32) -> Int32 { fsync(fd) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
private func systemDataSync(_ fd: Int32) -> Int32 {
    #if os(Linux)
    fdatasync(fd)
    #else
    fsync(fd)
    #endif
}

/// A failed file call: the file, the call, and the `errno` it failed with.
///
/// The description names the path, the call and `strerror`'s text, never file contents, so it is safe to
/// log.
public struct FileIOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file the call was about.
    public var path: String
    /// The call that failed: `open`, `write`, `fsync`, `fdatasync`, `close`.
    public var operation: String
    /// The `errno` value.
    public var code: Int32

    /// Creates an error for `operation` on `path` that failed with `code`.
    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// `strerror`'s text for ``code``.
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}

/// The calls that put bytes in a file and make them durable, each throwing a ``FileIOError`` that names
/// the path and the `errno` reason. Every target that writes files goes through these, so that no failed
/// write, sync or close goes unheard: a failed `fsync` means the bytes may not be on disk, and a caller
/// that promised durability must learn it.
///
/// `EINTR` is retried; short writes are continued.
public enum FileIO {
    /// Opens `path` with `flags` (`O_CLOEXEC` is added) and returns the descriptor.
    public static func open(_ path: String, flags: Int32, permissions: UInt32 = 0o644) throws(FileIOError) -> Int32 {
        while true {
            let fd = systemOpen(path, flags | O_CLOEXEC, mode_t(permissions))
            if fd >= 0 { return fd }
            if errno != EINTR { throw FileIOError(path: path, operation: "open", code: errno) }
        }
    }

    /// Writes all of `bytes` at the descriptor's offset.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileIOError) {
        var written = 0
        while written < bytes.count {
            let count = systemWrite(fd, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write", code: errno)
            }
            written += count
        }
    }

    /// Writes all of `bytes` at the descriptor's offset.
    public static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileIOError) {
        let result = bytes.withUnsafeBytes { buffer -> FileIOError? in
            do throws(FileIOError) {
                try write(fd, buffer, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let result { throw result }
    }

    /// Flushes the file's data and metadata to disk (`fsync(2)`).
    public static func fsync(_ fd: Int32, path: String) throws(FileIOError) {
        guard systemFsync(fd) == 0 else { throw FileIOError(path: path, operation: "fsync", code: errno) }
    }

    /// Flushes the file's data, and the metadata needed to read it back, to disk (`fdatasync(2)`; `fsync`
    /// where there is none).
    public static func dataSync(_ fd: Int32, path: String) throws(FileIOError) {
        guard systemDataSync(fd) == 0 else { throw FileIOError(path: path, operation: "fdatasync", code: errno) }
    }

    /// Closes the descriptor. A failure is thrown, because on some file systems (NFS) `close` is where a
    /// delayed write error shows; the descriptor is released either way and must not be closed again.
    public static func close(_ fd: Int32, path: String) throws(FileIOError) {
        guard systemClose(fd) == 0 else { throw FileIOError(path: path, operation: "close", code: errno) }
    }

    /// Writes `bytes` to a new file at `path` (replacing any), fsyncs and closes it.
    public static func writeDurably(_ path: String, bytes: [UInt8]) throws(FileIOError) {
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(FileIOError) {
            try write(fd, bytes, path: path)
            try fsync(fd, path: path)
        } catch {
            closeAbandoned(fd)
            throw error
        }
        try close(fd, path: path)
    }

    /// Replaces `path` with `bytes` atomically: a durable temporary file beside it, renamed over it. A
    /// crash leaves the old file or the whole new one, never part of it.
    public static func replaceAtomically(_ path: String, bytes: [UInt8]) throws(FileIOError) {
        let temporary = path + ".tmp"
        try writeDurably(temporary, bytes: bytes)
        guard systemRename(temporary, path) == 0 else {
            throw FileIOError(path: temporary, operation: "rename", code: errno)
        }
    }

    /// Closes a descriptor whose close error cannot change what the caller does next: a file being
    /// abandoned (removed after an earlier failure), a read-only descriptor, or a file whose data an
    /// earlier ``fsync(_:path:)`` already made durable.
    public static func closeAbandoned(_ fd: Int32) {
        _ = systemClose(fd)
    }
}

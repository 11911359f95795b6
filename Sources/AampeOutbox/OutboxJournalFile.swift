internal import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// `OutboxJournalFile.read` shadows the C function inside the type; this reaches the C one.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// An outbox journal file open for appending: ``append(_:)`` writes records, ``sync()`` makes everything
/// appended so far durable. Batching many appends per sync (group commit) is the caller's choice.
///
/// Not thread-safe: one owner appends.
public final class OutboxJournalFile {
    /// The file's path.
    public let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []

    /// Creates a new journal at `path` for an outbox of `messageCount` messages, with its header synced.
    /// Throws if the file exists.
    public static func create(path: String, messageCount: Int) throws(OutboxError) -> OutboxJournalFile {
        do throws(FileIOError) {
            let fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_APPEND)
            let file = OutboxJournalFile(path: path, descriptor: fd)
            try FileIO.write(fd, OutboxJournal.header(messageCount: messageCount), path: path)
            try FileIO.fsync(fd, path: path)
            return file
        } catch {
            throw .file(error)
        }
    }

    /// Opens the journal at `path` to append after its intact records: the file is cut to
    /// `validByteCount` (from ``OutboxJournal/replay(_:messages:configuration:)``), which drops a torn tail
    /// so that new records do not land after damage.
    public static func openForAppending(path: String, validByteCount: Int) throws(OutboxError) -> OutboxJournalFile {
        precondition(validByteCount >= OutboxJournal.headerBytes, "a journal is at least its header")
        do throws(FileIOError) {
            let fd = try FileIO.open(path, flags: O_WRONLY | O_APPEND)
            let file = OutboxJournalFile(path: path, descriptor: fd)
            guard ftruncate(fd, off_t(validByteCount)) == 0 else {
                throw FileIOError(path: path, operation: "ftruncate", code: errno)
            }
            try FileIO.fsync(fd, path: path)
            return file
        } catch {
            throw .file(error)
        }
    }

    /// Reads the whole file at `path`, for ``OutboxJournal/replay(_:messages:configuration:)``.
    public static func read(path: String) throws(OutboxError) -> [UInt8] {
        do throws(FileIOError) {
            let fd = try FileIO.open(path, flags: O_RDONLY)
            defer { FileIO.closeAbandoned(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw FileIOError(path: path, operation: "read", code: errno)
                }
                if count == 0 { return bytes }
                bytes.append(contentsOf: chunk[0..<count])
            }
        } catch {
            throw .file(error)
        }
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { FileIO.closeAbandoned(descriptor) }
    }

    /// Encodes `changes` and writes them at the end of the file (to the page cache; durable after
    /// ``sync()``).
    public func append(_ changes: [MessageStateMachine.Change]) throws(OutboxError) {
        precondition(descriptor >= 0, "append after close")
        buffer.removeAll(keepingCapacity: true)
        for change in changes { OutboxJournal.encode(change, into: &buffer) }
        do throws(FileIOError) {
            try FileIO.write(descriptor, buffer, path: path)
        } catch {
            throw .file(error)
        }
    }

    /// Makes every record appended so far durable (`fdatasync`).
    public func sync() throws(OutboxError) {
        precondition(descriptor >= 0, "sync after close")
        do throws(FileIOError) {
            try FileIO.dataSync(descriptor, path: path)
        } catch {
            throw .file(error)
        }
    }

    /// Syncs and closes the file; it cannot be appended to afterwards.
    public func close() throws(OutboxError) {
        try sync()
        let fd = descriptor
        descriptor = -1
        do throws(FileIOError) {
            try FileIO.close(fd, path: path)
        } catch {
            throw .file(error)
        }
    }
}

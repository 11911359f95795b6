internal import AampeCore
internal import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A data directory's `outbox/` folder: one folder per assignment run's batch, named by its number.
///
/// ```
/// outbox/
///   <batch>/messages.seg   the run's messages (OutboxBatch), written once, renamed into place whole
///   <batch>/journal        every lease and settlement of them (OutboxJournal), appended by aamped
/// ```
///
/// A folder without `messages.seg` is a run still writing (or one that crashed before its rename); it
/// is skipped until the file appears.
public struct OutboxFolder: Sendable {
    /// The `outbox/` folder's path.
    public let path: String

    /// The outbox folder at `path` (usually `DataDirectory.outboxPath`).
    public init(path: String) {
        self.path = path
    }

    /// The folder of batch `batch`.
    public func folder(of batch: UInt32) -> String { path + "/" + String(batch) }
    /// Batch `batch`'s messages.
    public func messagesPath(of batch: UInt32) -> String { folder(of: batch) + "/messages.seg" }
    /// Batch `batch`'s journal.
    public func journalPath(of batch: UInt32) -> String { folder(of: batch) + "/journal" }

    /// Deletes batch `batch`'s folder. It is first renamed to `<batch>.retired` in one step, so that a
    /// crash while deleting leaves a folder ``batches()`` never lists (a batch with its messages but
    /// without its journal would hand its messages out again); ``removeRetired()`` finishes such a folder.
    public func retire(_ batch: UInt32) throws(OutboxError) {
        let retired = folder(of: batch) + ".retired"
        guard rename(folder(of: batch), retired) == 0 else {
            throw .file(FileIOError(path: folder(of: batch), operation: "rename", code: errno))
        }
        try remove(retired)
    }

    /// Deletes every `<batch>.retired` folder a crash left half deleted.
    public func removeRetired() throws(OutboxError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            return
        }
        for name in names where name.hasSuffix(".retired") { try remove(path + "/" + name) }
    }

    private func remove(_ retired: String) throws(OutboxError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: retired)) ?? []
        for name in names where unlink(retired + "/" + name) != 0 && errno != ENOENT {
            throw .file(FileIOError(path: retired + "/" + name, operation: "unlink", code: errno))
        }
        guard rmdir(retired) == 0 || errno == ENOENT else {
            throw .file(FileIOError(path: retired, operation: "rmdir", code: errno))
        }
    }

    /// Every batch whose messages file exists, in ascending order. An absent `outbox/` folder has none;
    /// one that cannot be listed throws, since serving no batches would hide every message.
    public func batches() throws(OutboxError) -> [UInt32] {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return [] }
            throw .file(FileIOError(path: path, operation: "opendir", code: errno))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            names.append(
                withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
            )
        }
        // A batch folder is its number in canonical decimal ("7", not "07"), so one batch has one folder.
        return names.compactMap { name in
            guard let batch = UInt32(name), String(batch) == name else { return nil }
            return FileManager.default.fileExists(atPath: messagesPath(of: batch)) ? batch : nil
        }.sorted()
    }

    /// A batch opened for serving: its messages, its machine rebuilt from the journal, and the journal
    /// open for appending after its intact records.
    public struct OpenedBatch {
        public let batch: OutboxBatch
        public var machine: MessageStateMachine
        public let journal: OutboxJournalFile
        /// How many records the journal held.
        public let replayedRecords: Int
        /// How many bytes of a torn final record were cut off (a crash mid-append).
        public let tornTailBytes: Int
    }

    /// Opens batch `batch` for serving: maps its messages, replays its journal (creating an empty one,
    /// durably, when there is none), and opens the journal for appending. The changes replay had to make
    /// itself are waiting in the machine's `takeChanges()` for the caller to journal.
    public func open(
        _ batch: UInt32,
        configuration: MessageStateMachine.Configuration
    ) throws -> OpenedBatch {
        let messages = try OutboxBatch(path: messagesPath(of: batch), batch: batch)
        let journalPath = journalPath(of: batch)
        if !FileManager.default.fileExists(atPath: journalPath) {
            // Written whole under a temporary name and renamed, then the folder synced: a crash leaves no
            // journal (created again next time) or a whole header, never a torn one.
            do throws(FileIOError) {
                try FileIO.replaceAtomically(journalPath, bytes: OutboxJournal.header(messageCount: messages.count))
                try Self.syncFolder(folder(of: batch))
            } catch {
                throw OutboxError.file(error)
            }
        }
        let bytes = try OutboxJournalFile.read(path: journalPath)
        let (machine, decoded) = try OutboxJournal.replay(
            bytes,
            messages: try messages.stateMachineMessages(),
            configuration: configuration
        )
        let journal = try OutboxJournalFile.openForAppending(path: journalPath, validByteCount: decoded.validByteCount)
        return OpenedBatch(
            batch: messages,
            machine: machine,
            journal: journal,
            replayedRecords: decoded.changes.count,
            tornTailBytes: decoded.tornTailBytes
        )
    }

    /// Batch `batch`'s machine as its journal leaves it, read-only: for `aampectl outbox status`, which
    /// may run beside the daemon (a record the daemon is appending reads as a torn tail and is left out).
    /// A batch without a journal has never been served: every message pending.
    public func read(
        _ batch: UInt32,
        configuration: MessageStateMachine.Configuration
    ) throws -> MessageStateMachine {
        let messages = try OutboxBatch(path: messagesPath(of: batch), batch: batch)
        let journalPath = journalPath(of: batch)
        guard FileManager.default.fileExists(atPath: journalPath) else {
            return try MessageStateMachine(messages: try messages.stateMachineMessages(), configuration: configuration)
        }
        let bytes = try OutboxJournalFile.read(path: journalPath)
        return try OutboxJournal.replay(
            bytes,
            messages: try messages.stateMachineMessages(),
            configuration: configuration
        ).machine
    }

    /// `fsync` on a folder, so that a file created or renamed in it survives a crash.
    static func syncFolder(_ path: String) throws(FileIOError) {
        let fd = try FileIO.open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { FileIO.closeAbandoned(fd) }
        try FileIO.fsync(fd, path: path)
    }
}

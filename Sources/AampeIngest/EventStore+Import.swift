import AampeCore
import AampeEvents
import AampeStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EventStore {
    /// Deletes segment files (and temporary files) under `events/` that the manifest does not list:
    /// what a killed import wrote before its commit. Returns how many were removed.
    @discardableResult
    func removeUnlisted() throws -> Int {
        let listed = Set(try store.ingestion.eventSegments().map(\.path))
        let fileManager = FileManager.default
        guard let days = try? fileManager.contentsOfDirectory(atPath: dataDirectory.eventsPath) else { return 0 }
        var removed = 0
        for day in days where !day.hasPrefix(".") {
            let folder = dataDirectory.eventsPath + "/" + day
            guard let files = try? fileManager.contentsOfDirectory(atPath: folder) else { continue }
            for file in files where !listed.contains(day + "/" + file) {
                guard file.hasSuffix(".seg") || file.hasSuffix(".tmp") else { continue }
                if unlink(folder + "/" + file) == 0 { removed += 1 }
            }
        }
        return removed
    }

}

/// An exclusive lock on a data directory's imports (`events/.import.lock`), held for a whole run so that
/// two imports never assign the same dense index twice.
final class ImportLock {
    private let descriptor: Int32

    init(dataDirectory: DataDirectory) throws(ImportError) {
        let path = dataDirectory.eventsPath + "/.import.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImportError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw ImportError.importInProgress(lockPath: path)
        }
    }

    deinit { close(descriptor) }
}

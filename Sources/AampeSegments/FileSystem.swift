internal import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The enum's own `rename` and `link` shadow the C functions inside it; these reach the C ones.
private func systemRename(_ source: String, _ destination: String) -> Int32 { rename(source, destination) }
private func systemLink(_ source: String, _ destination: String) -> Int32 { link(source, destination) }

/// The few POSIX file operations segments and generations need, each throwing a ``SegmentError`` that
/// names the path and the failed call. Public for the other writers of durable folders (the outbox).
public enum FileSystem {
    static func error(_ path: String, _ operation: String, column: String? = nil) -> SegmentError {
        SegmentError(
            path: path,
            column: column,
            reason: .io(operation: operation, message: String(cString: strerror(errno)))
        )
    }

    /// A ``FileIO`` failure as this module's error.
    static func error(_ failure: FileIOError) -> SegmentError {
        SegmentError(path: failure.path, reason: .io(operation: failure.operation, message: failure.reason))
    }

    /// Runs `body`, turning a ``FileIO`` failure into a ``SegmentError`` that keeps its path and reason.
    static func io<T>(_ body: () throws(FileIOError) -> T) throws(SegmentError) -> T {
        do { return try body() } catch { throw self.error(error) }
    }

    /// Flushes a file's or a folder's data and metadata to disk.
    public static func fsync(path: String, isDirectory: Bool = false) throws {
        let fd = open(path, (isDirectory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { throw error(path, "open for fsync") }
        // A read-only descriptor: its close reports nothing about the data, the fsync does.
        defer { FileIO.closeAbandoned(fd) }
        try io { () throws(FileIOError) in try FileIO.fsync(fd, path: path) }
    }

    /// Renames atomically, replacing `destination` if it is a file.
    public static func rename(_ source: String, to destination: String) throws {
        guard systemRename(source, destination) == 0 else { throw error(source, "rename to \(destination)") }
    }

    /// Makes `destination` a second name (hard link) of the file at `source`.
    static func link(_ source: String, to destination: String) throws {
        guard systemLink(source, destination) == 0 else { throw error(source, "link to \(destination)") }
    }

    /// The size of the file at `path`, in bytes.
    static func size(_ path: String) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw error(path, "stat") }
        return Int64(info.st_size)
    }

    /// The parent folder of `path`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of `path`.
    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Whether something exists at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a folder.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a folder, excluding `.` and `..`.
    public static func list(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw error(path, "opendir") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates a folder (its parent must exist).
    public static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw error(path, "mkdir") }
    }

    /// Removes a file, or a folder and everything in it.
    public static func removeTree(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw error(path, "lstat")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw error(path, "rmdir") }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw error(path, "unlink") }
        }
    }

    /// The whole content of a small file.
    static func readSmallFile(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error(path, "open") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                throw error(path, "read")
            }
            if count == 0 { break }
            total += count
        }
        return Array(bytes.prefix(total))
    }

    /// Writes `bytes` to a new file at `path`, fsyncs and closes it.
    static func writeFileDurably(_ path: String, bytes: [UInt8]) throws {
        try io { () throws(FileIOError) in try FileIO.writeDurably(path, bytes: bytes) }
    }

    static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, path: String) throws {
        try io { () throws(FileIOError) in try FileIO.write(fd, bytes, path: path) }
    }

    static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws {
        try io { () throws(FileIOError) in try FileIO.write(fd, bytes, path: path) }
    }
}

/// Removes a writer's side file; failure only leaves a stray temporary file.
func unlinkSideFile(_ path: String) {
    unlink(path)
}

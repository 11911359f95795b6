import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the last reference goes.
///
/// `@unchecked Sendable`: the mapping is read-only and the file is immutable once sealed (segment files
/// are never rewritten in place), so any number of threads may read it. ARC keeps it mapped while any
/// column view or reader holds it.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystem.error(path, "open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileSystem.error(path, "fstat") }
        let length = Int(info.st_size)
        if UInt64(length) > Limits.maximumSegmentFileBytes {
            throw SegmentError(
                path: path,
                reason: .limitExceeded(what: "file size", value: length, limit: Int(Limits.maximumSegmentFileBytes))
            )
        }
        if length == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw FileSystem.error(path, "mmap")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: length)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

internal import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered, append-only output file that tracks its position and the CRC-32C of the part being
/// written.
///
/// Not `Sendable`: one writer owns it.
final class FileOutput {
    let path: String
    private(set) var fd: Int32
    /// Bytes handed to ``write(_:)`` so far, buffered or not.
    private(set) var position: UInt64 = 0
    private var buffer: [UInt8] = []
    private let bufferCapacity: Int
    private var partStart: UInt64 = 0
    private var partChecksum: UInt32 = 0

    init(path: String, bufferCapacity: Int) throws {
        self.path = path
        self.bufferCapacity = bufferCapacity
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.error(path, "create") }
        buffer.reserveCapacity(bufferCapacity)
    }

    deinit { closeFile() }

    /// Closes a file that is being abandoned (a side file, or a segment removed after a failure).
    func closeFile() {
        if fd >= 0 {
            FileIO.closeAbandoned(fd)
            fd = -1
        }
    }

    /// Closes a finished file, throwing if the close reports an error.
    func close() throws {
        guard fd >= 0 else { return }
        let closing = fd
        fd = -1
        try FileSystem.io { () throws(FileIOError) in try FileIO.close(closing, path: path) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        partChecksum = CRC32C.checksum(bytes, extending: partChecksum)
        position += UInt64(bytes.count)
        if buffer.count + bytes.count > bufferCapacity { try flush() }
        if bytes.count >= bufferCapacity {
            try FileSystem.writeAll(fd: fd, bytes: bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes zeros up to the next multiple of `partAlignment`, outside any part.
    func pad() throws {
        let remainder = Int(position % UInt64(partAlignment))
        if remainder != 0 { try write([UInt8](repeating: 0, count: partAlignment - remainder)) }
    }

    /// Pads to alignment and starts a part whose bytes are checksummed.
    func beginPart() throws {
        try pad()
        partStart = position
        partChecksum = 0
    }

    /// Ends the part begun last and describes it.
    func endPart() -> ColumnDescriptor.Part {
        ColumnDescriptor.Part(offset: partStart, length: position - partStart, checksum: partChecksum)
    }

    /// Writes `bytes` as a whole part and describes it.
    func writePart(_ bytes: UnsafeRawBufferPointer) throws -> ColumnDescriptor.Part {
        try beginPart()
        try write(bytes)
        return endPart()
    }

    /// Ends the part holding a ZSTD column's frames and writes its block table as the next part; returns
    /// them in directory order: table (part 0), frames (part 1).
    func endZstdParts(blockOffsets: [UInt64]) throws -> [ColumnDescriptor.Part] {
        let frames = endPart()
        let table = try blockOffsets.withUnsafeBytes { try writePart($0) }
        return [table, frames]
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileSystem.writeAll(fd: fd, bytes: buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Reserves `length` zero bytes as a part that the caller fills through a writable mapping, and
    /// returns that mapping. The caller finishes with ``endMappedPart(_:)``.
    func beginMappedPart(length: Int) throws -> MappedRegion {
        try beginPart()
        try flush()
        let start = position
        let end = start + UInt64(length)
        guard ftruncate(fd, off_t(end)) == 0 else { throw FileSystem.error(path, "ftruncate") }
        let region = try MappedRegion(fd: fd, path: path, offset: start, length: length, writable: true)
        position = end
        return region
    }

    /// Checksums a part filled through a mapping and describes it.
    func endMappedPart(_ region: MappedRegion) throws -> ColumnDescriptor.Part {
        let checksum = CRC32C.checksum(UnsafeRawBufferPointer(region.bytes))
        try region.sync()
        // The file's write offset must follow the mapped region for later buffered writes.
        guard lseek(fd, off_t(position), SEEK_SET) >= 0 else { throw FileSystem.error(path, "lseek") }
        return ColumnDescriptor.Part(offset: region.offset, length: UInt64(region.bytes.count), checksum: checksum)
    }

    /// A read-only view of bytes already written, for building an index from them.
    func mapWritten(offset: UInt64, length: Int) throws -> MappedRegion {
        try flush()
        return try MappedRegion(fd: fd, path: path, offset: offset, length: length, writable: false)
    }

    func fsync() throws {
        try flush()
        try FileSystem.io { () throws(FileIOError) in try FileIO.fsync(fd, path: path) }
    }
}

/// A mapping of part of an open file, at any offset (the page rounding is handled here).
final class MappedRegion {
    let offset: UInt64
    let bytes: UnsafeMutableRawBufferPointer
    private let mappingBase: UnsafeMutableRawPointer?
    private let mappingLength: Int
    private let path: String

    init(fd: Int32, path: String, offset: UInt64, length: Int, writable: Bool) throws {
        self.offset = offset
        self.path = path
        guard length > 0 else {
            bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            mappingBase = nil
            mappingLength = 0
            return
        }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let alignedOffset = offset / page * page
        let lead = Int(offset - alignedOffset)
        mappingLength = lead + length
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let base = mmap(nil, mappingLength, protection, MAP_SHARED, fd, off_t(alignedOffset)), base != MAP_FAILED
        else { throw FileSystem.error(path, "mmap") }
        mappingBase = base
        bytes = UnsafeMutableRawBufferPointer(start: base + lead, count: length)
    }

    func sync() throws {
        guard let mappingBase else { return }
        guard msync(mappingBase, mappingLength, MS_SYNC) == 0 else { throw FileSystem.error(path, "msync") }
    }

    deinit {
        if let mappingBase { munmap(mappingBase, mappingLength) }
    }
}

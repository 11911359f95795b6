import AampeCompression
import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one input file, plain or zstd-compressed (`.zst`), through a fixed-size window.
///
/// Record scanners look at ``available`` and either ``consume(_:)`` a complete record or ask for more
/// with ``fill()``, which moves the unconsumed tail to the front and reads behind it. The window holds
/// several records of the maximum size, so memory stays the same for a file of any size.
final class InputReader {
    let path: String
    let isCompressed: Bool
    /// The file's size on disk.
    let fileBytes: Int64
    private let descriptor: Int32
    private let window: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private(set) var isEndOfInput = false
    /// File bytes read so far (compressed bytes for `.zst`), for progress.
    private(set) var fileBytesRead: Int64 = 0
    /// Bytes handed to scanners so far (decompressed), for error positions.
    private(set) var consumedBytes: Int64 = 0

    private let decoder: ZstdStreamDecoder?
    private let compressed: UnsafeMutableRawBufferPointer?
    private var compressedStart = 0
    private var compressedEnd = 0
    private var isFileAtEnd = false

    /// Bytes one `read` asks for.
    static let readBytes = 1 << 20

    init(path: String) throws(ImportError) {
        self.path = path
        isCompressed = path.hasSuffix(".zst")
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ImportError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ImportError.cannotRead(path: path, reason: reason)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw ImportError.cannotRead(path: path, reason: "not a regular file")
        }
        fileBytes = Int64(status.st_size)
        // Room for two maximum records plus a read, so that a record that starts near the end of the
        // window always fits after compaction.
        window = .allocate(byteCount: 2 * Limits.maximumImportRecordBytes + 2 * Self.readBytes, alignment: 64)
        if isCompressed {
            do {
                decoder = try ZstdStreamDecoder()
            } catch {
                close(descriptor)
                window.deallocate()
                throw ImportError.cannotRead(path: path, reason: "\(error)")
            }
            compressed = .allocate(byteCount: Self.readBytes, alignment: 64)
        } else {
            decoder = nil
            compressed = nil
        }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit {
        close(descriptor)
        window.deallocate()
        compressed?.deallocate()
    }

    /// The bytes read and not yet consumed.
    @inline(__always)
    var available: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: window[start..<end])
    }

    /// Marks `count` bytes at the front of ``available`` as done.
    @inline(__always)
    func consume(_ count: Int) {
        assert(count <= end - start)
        start += count
        consumedBytes += Int64(count)
    }

    /// Reads more input behind what is available. Returns `false` once the input has ended (and then
    /// ``isEndOfInput`` is true).
    @discardableResult
    func fill() throws(ImportError) -> Bool {
        if isEndOfInput { return false }
        if start > 0 {
            let pending = end - start
            if pending > 0 { window.baseAddress!.copyMemory(from: window.baseAddress! + start, byteCount: pending) }
            start = 0
            end = pending
        }
        let room = window.count - end
        precondition(room > 0, "input window full: a scanner asked for more than a record's size")
        let produced = isCompressed ? try decompressMore(into: room) : try readMore(into: room)
        if produced == 0 {
            isEndOfInput = true
            return false
        }
        return true
    }

    private func readMore(into room: Int) throws(ImportError) -> Int {
        while true {
            let count = read(descriptor, window.baseAddress! + end, min(room, Self.readBytes))
            if count < 0 {
                if errno == EINTR { continue }
                throw ImportError.cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            end += count
            fileBytesRead += Int64(count)
            return count
        }
    }

    private func decompressMore(into room: Int) throws(ImportError) -> Int {
        guard let decoder, let compressed else { return 0 }
        while true {
            if compressedStart == compressedEnd && !isFileAtEnd {
                let count = read(descriptor, compressed.baseAddress!, compressed.count)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ImportError.cannotRead(path: path, reason: String(cString: strerror(errno)))
                }
                compressedStart = 0
                compressedEnd = count
                fileBytesRead += Int64(count)
                if count == 0 { isFileAtEnd = true }
            }
            if compressedStart == compressedEnd && isFileAtEnd {
                do {
                    try decoder.finish()
                } catch {
                    throw ImportError.corruptInput(
                        path: path,
                        offset: consumedBytes + Int64(end - start),
                        reason: "\(error)"
                    )
                }
                return 0
            }
            let input = UnsafeRawBufferPointer(rebasing: compressed[compressedStart..<compressedEnd])
            let output = UnsafeMutableRawBufferPointer(rebasing: window[end..<min(window.count, end + Self.readBytes)])
            let result: (consumed: Int, produced: Int)
            do {
                result = try decoder.decode(input, into: output)
            } catch {
                throw ImportError.corruptInput(
                    path: path,
                    offset: consumedBytes + Int64(end - start),
                    reason: "\(error)"
                )
            }
            compressedStart += result.consumed
            end += result.produced
            if result.produced > 0 { return result.produced }
        }
    }
}

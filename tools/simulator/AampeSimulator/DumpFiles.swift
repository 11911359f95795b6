import CZstd

/// The per-day dump files under `events/`, written in shard order so the bytes never depend on
/// scheduling. A file stays open while local days that can still add to it are simulated.
final class DumpFiles {
    private let folder: String
    private let settings: WorldSettings
    private let encoder: DumpEncoder
    private var descriptors: [Int: Int32] = [:]
    private var closedDays: Set<Int> = []
    private(set) var paths: [String] = []

    init(folder: String, settings: WorldSettings, encoder: DumpEncoder) {
        self.folder = folder
        self.settings = settings
        self.encoder = encoder
    }

    func fileName(day: Int, startEpochDay: Int) -> String {
        "\(CivilDate.text(epochDay: startEpochDay + day)).\(settings.format.fileExtension)\(settings.isCompressed ? ".zst" : "")"
    }

    /// Appends `bytes` (already compressed when the world is) to the dump of UTC day `day`.
    func append(day: Int, startEpochDay: Int, _ bytes: UnsafeRawBufferPointer) throws(SimulatorError) {
        let descriptor = try open(day: day, startEpochDay: startEpochDay)
        try writeAll(descriptor, bytes, path: folder + "/" + fileName(day: day, startEpochDay: startEpochDay))
    }

    /// Creates every dump in `days` that nothing was written to (a day without events still has a file).
    func createMissing(_ days: Range<Int>, startEpochDay: Int) throws(SimulatorError) {
        for day in days where descriptors[day] == nil && !closedDays.contains(day) {
            try open(day: day, startEpochDay: startEpochDay)
        }
    }

    @discardableResult
    func open(day: Int, startEpochDay: Int) throws(SimulatorError) -> Int32 {
        if let descriptor = descriptors[day] { return descriptor }
        precondition(!closedDays.contains(day), "a dump was reopened after it was complete")
        let path = folder + "/" + fileName(day: day, startEpochDay: startEpochDay)
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        descriptors[day] = descriptor
        paths.append(path)
        if let header = encoder.header {
            let raw = UnsafeRawBufferPointer(start: header.utf8Start, count: header.utf8CodeUnitCount)
            if settings.isCompressed {
                let frame = OutputBuffer(capacity: 256)
                try compressFrame(raw, into: frame, path: path)
                try frame.withUnsafeBytes { (bytes) throws(SimulatorError) in
                    try writeAll(descriptor, bytes, path: path)
                }
            } else {
                try writeAll(descriptor, raw, path: path)
            }
        }
        return descriptor
    }

    /// Closes the dumps of days before `day`: nothing more can reach them.
    func close(before day: Int) throws(SimulatorError) {
        for (openDay, descriptor) in descriptors where openDay < day {
            descriptors[openDay] = nil
            closedDays.insert(openDay)
            if Glibc.close(descriptor) != 0 { throw .io(path: folder, operation: "close", errno: errno) }
        }
    }

    private func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SimulatorError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            offset += written
        }
    }
}

/// Compresses `input` as one zstd frame appended to `output`. Dumps are sequences of frames, one per
/// shard's chunk, which any zstd reader decodes as one stream; it lets workers compress in parallel.
func compressFrame(_ input: UnsafeRawBufferPointer, into output: OutputBuffer, path: String) throws(SimulatorError) {
    let bound = ZSTD_compressBound(input.count)
    output.reserve(bound)
    let result = ZSTD_compress(output.bytes + output.count, bound, input.baseAddress, input.count, 3)
    if ZSTD_isError(result) != 0 { throw .compression(path: path, reason: String(cString: ZSTD_getErrorName(result))) }
    output.advance(by: result)
}

#if canImport(Glibc)
import Glibc
#endif

import AampeCore
import AampeLearning

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a ``FeatureMatrix`` as a NumPy `.npy` file (format 1.0, little-endian float32, C order), which
/// `numpy.load` reads without copying: the way benchmarks hand the exact matrix to a Python peer.
enum NumPyFile {
    static func write(_ matrix: FeatureMatrix, to path: String) throws {
        // The header is a Python dict literal padded with spaces so that the data starts on a 64-byte
        // boundary, ending in a newline (NEP 1).
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        let prefix = 6 + 2 + 2
        let padded = (prefix + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: padded - prefix - header.utf8.count - 1) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        do {
            let fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
            do {
                try FileIO.write(fd, bytes, path: path)
                try matrix.values.withUnsafeBytes { try FileIO.write(fd, $0, path: path) }
                try FileIO.close(fd, path: path)
            } catch {
                FileIO.closeAbandoned(fd)
                throw error
            }
        } catch {
            throw JobError(.cannotWrite(path: path, detail: "\(error)"))
        }
    }
}

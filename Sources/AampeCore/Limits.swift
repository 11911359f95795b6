/// Every limit aamped enforces, in one place.
///
/// A limit is checked with a thrown error at the trust boundary where outside data arrives (a file, a
/// frame, a row), and each one is tested at its value and one past it. Anything that needs a new bound
/// adds it here, with a comment that says what it protects and why the default is what it is.
public enum Limits {
    // MARK: Compression

    /// The most bytes one zstd decompression may produce.
    ///
    /// A frame header can claim any content size, and a crafted frame can expand a thousandfold, so
    /// nothing is decompressed without a ceiling. 256 MiB is far above any block the engine writes (a
    /// segment block is a few hundred KiB) and far below the machine's memory.
    public static let maximumDecompressedBytes = 256 * 1024 * 1024

    // MARK: Run history

    /// The longest error text kept in a run's history row, in UTF-8 bytes. Longer text is cut at a
    /// character boundary and marked with a trailing ellipsis.
    public static let maximumRunErrorTextBytes = 4 * 1024

    /// The most named counters one run may record (rows read, accepted, rejected by reason, ...).
    public static let maximumRunCounters = 64

    /// The longest counter name, in UTF-8 bytes.
    public static let maximumRunCounterNameBytes = 64

    // MARK: Data directory

    /// The longest data directory path, in UTF-8 bytes.
    ///
    /// The daemon's Unix socket lives inside the data directory, and `sockaddr_un.sun_path` holds 108
    /// bytes on Linux including the terminating NUL. `/aamped.sock` takes 12 of them.
    public static let maximumDataDirectoryPathBytes = 108 - 1 - "/aamped.sock".utf8.count
}

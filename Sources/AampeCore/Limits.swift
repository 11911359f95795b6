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

extension Limits {
    // MARK: Segment files

    /// The most columns in one segment file. A generation's widest file (the model) has a few dozen.
    public static let maximumSegmentColumns = 1024

    /// The longest column name, in UTF-8 bytes: what the directory entry's 63-byte name field holds.
    public static let maximumColumnNameBytes = 63

    /// The most rows in one column. Row numbers are dense indices, which are `UInt32`.
    public static let maximumColumnRows = Int(UInt32.max)

    /// The most `f32` elements in one vector row (an embedding, a landscape vector).
    public static let maximumVectorDimension = 4096

    /// The most rows in one ZSTD block.
    public static let maximumRowsPerBlock = 1 << 20

    /// The most bytes one ZSTD block may decompress to. This bounds what a single random access costs,
    /// and what a corrupt block-size field can make a reader allocate.
    public static let maximumBlockBytes = 64 * 1024 * 1024

    /// The longest key in a dictionary column (external user or item ids), in UTF-8 bytes.
    public static let maximumDictionaryKeyBytes = 1024

    /// The largest segment file, in bytes (1 TiB). Offsets are `u64`; this keeps them far from overflow.
    public static let maximumSegmentFileBytes: UInt64 = 1 << 40
}

// aampe-bench-segments: measures the segment format on seeded synthetic data, and writes the same arrays
// as raw little-endian files so that parquet_peer.py measures Parquet on exactly the same values in the
// same run. tools/bench-segments runs both and prints the combined table.
//
//   aampe-bench-segments --folder DIR [--rows 10000000] [--keys 1000000] [--items 100000] [--seed 42]
//                        [--samples 1000000] [--cold-samples 10000] [--repeats 7] [--write-repeats 5]
//
// Human lines go to stdout as each step ends; the last stdout line is one JSON object holding every
// figure. Units: MB = 10^6 bytes, GB = 10^9 bytes, latencies in nanoseconds of CLOCK_MONOTONIC.

import AampeCore
import AampeSegments

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Options

struct Options {
    var folder = ""
    var rows = 10_000_000
    /// Users in the event log, and keys in the dictionary benchmark.
    var keys = 1_000_000
    var items = 100_000
    var seed: UInt64 = 42
    /// Random single-row accesses per latency measurement.
    var samples = 1_000_000
    /// Random accesses with a block cache too small for the column: each miss decodes a whole block, so
    /// these are far slower and fewer are taken.
    var coldSamples = 10_000
    /// Repeats of each scan and memory-reference loop; the best and the median are reported.
    var repeats = 7
    /// Repeats of each timed file write.
    var writeRepeats = 5
    var days = 30

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ flag: String) -> String {
            index += 1
            guard index < arguments.count else { fail("\(flag) needs a value") }
            return arguments[index]
        }
        func number(_ flag: String) -> Int {
            let text = value(flag).replacingUnderscores()
            guard let parsed = Int(text), parsed > 0 else { fail("\(flag) needs a positive integer, got \(text)") }
            return parsed
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--folder": options.folder = value(argument)
            case "--rows": options.rows = number(argument)
            case "--keys": options.keys = number(argument)
            case "--items": options.items = number(argument)
            case "--seed": options.seed = UInt64(number(argument))
            case "--samples": options.samples = number(argument)
            case "--cold-samples": options.coldSamples = number(argument)
            case "--repeats": options.repeats = number(argument)
            case "--write-repeats": options.writeRepeats = number(argument)
            case "--days": options.days = number(argument)
            case "-h", "--help":
                print(
                    """
                    usage: aampe-bench-segments --folder DIR [--rows N] [--keys N] [--items N] [--seed S]
                           [--samples N] [--cold-samples N] [--repeats N] [--write-repeats N] [--days N]
                    """
                )
                exit(0)
            default:
                if argument.hasPrefix("-") || !options.folder.isEmpty { fail("unknown argument \(argument)") }
                options.folder = argument
            }
            index += 1
        }
        if options.folder.isEmpty { fail("a work folder is required (--folder DIR)") }
        return options
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

func fail(_ message: String) -> Never {
    // write(2) rather than fputs: the C `stderr` global is shared mutable state to Swift 6.
    let line = Array("aampe-bench-segments: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

/// Prints a human line at once, so a long run shows progress through a pipe.
func say(_ line: String) {
    print(line)
    fflush(nil)  // every stream; naming the C `stdout` global is refused by Swift 6 concurrency checking
}

// MARK: - Clock and statistics

/// CLOCK_MONOTONIC in nanoseconds, read straight from libc (the vDSO on Linux) so its own cost is small
/// and can be measured the same way as the work it times.
@inline(__always)
func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

func seconds(since start: UInt64) -> Double { Double(now() &- start) / 1e9 }

/// Times `body(i)` for each `i` in `0 ..< count` separately. Inlined so that the closure is inlined too:
/// the empty-body run then measures exactly the timer and loop cost that every other run carries.
@inline(__always)
func timeEach(_ count: Int, _ body: (Int) throws -> Void) rethrows -> [UInt64] {
    var samples = [UInt64](repeating: 0, count: count)
    try samples.withUnsafeMutableBufferPointer { out in
        for index in 0..<count {
            let start = now()
            try body(index)
            let end = now()
            out[index] = end &- start
        }
    }
    return samples
}

struct Latency {
    let count: Int
    let p50: UInt64
    let p99: UInt64
    let p999: UInt64
    let max: UInt64
    let mean: Double

    init(_ samples: [UInt64]) {
        precondition(!samples.isEmpty)
        let sorted = samples.sorted()
        func rank(_ fraction: Double) -> UInt64 {
            sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
        }
        count = sorted.count
        p50 = rank(0.5)
        p99 = rank(0.99)
        p999 = rank(0.999)
        max = sorted.last!
        mean = Double(sorted.reduce(0, &+)) / Double(sorted.count)
    }

    var json: JSON {
        .object([
            ("samples", .int(count)), ("p50_ns", .int(Int(p50))), ("p99_ns", .int(Int(p99))),
            ("p999_ns", .int(Int(p999))), ("max_ns", .int(Int(max))), ("mean_ns", .number(mean)),
        ])
    }

    var line: String { "p50 \(p50) ns, p99 \(p99) ns, p99.9 \(p999) ns, max \(max) ns (n=\(count))" }
}

/// Rates from repeated runs of the same work: the best and the median.
struct Rate {
    let best: Double
    let median: Double
    let all: [Double]

    init(_ rates: [Double]) {
        let sorted = rates.sorted()
        best = sorted.last!
        median =
            sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        all = rates
    }

    func json(_ unit: String) -> JSON {
        .object([
            ("best_\(unit)", .number(best)), ("median_\(unit)", .number(median)),
            ("runs_\(unit)", .array(all.map(JSON.number))),
        ])
    }
}

func format(_ value: Double, _ digits: Int = 2) -> String {
    var scaled = (value * pow(10, Double(digits))).rounded() / pow(10, Double(digits))
    if scaled == 0 { scaled = 0 }  // no "-0.0"
    return "\(scaled)"
}

// MARK: - JSON (ordered keys, no Foundation)

indirect enum JSON {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    var text: String {
        switch self {
        case .number(let value): return value.isFinite ? "\(value)" : "null"
        case .int(let value): return "\(value)"
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .string(let value): return JSON.quote(value)
        case .array(let values): return "[" + values.map(\.text).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

// MARK: - Seeded data

/// SplitMix64: tiny, fast, and the same sequence on every platform for a given seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// Zipf-like ranks over `count` ids by inverting the continuous power-law CDF (exponent `s`, s != 1), then
/// mapping rank to id through a seeded permutation: popular users and items are not the low ids, as in
/// real data where ids follow sign-up or catalogue order rather than popularity.
struct ZipfSampler {
    let count: Int
    let exponent: Double
    let span: Double
    let idOfRank: [UInt32]

    init(count: Int, exponent: Double, rng: inout SplitMix64) {
        precondition(exponent != 1 && count > 0 && count <= Int(UInt32.max))
        self.count = count
        self.exponent = exponent
        span = pow(Double(count + 1), 1 - exponent) - 1
        var ids = (0..<count).map { UInt32($0) }
        ids.shuffle(using: &rng)
        idOfRank = ids
    }

    func sample(_ rng: inout SplitMix64) -> UInt32 {
        let x = pow(1 + rng.unit() * span, 1 / (1 - exponent))
        return idOfRank[Swift.min(count - 1, Swift.max(0, Int(x) - 1))]
    }
}

/// A synthetic event log sorted by time: what one import of a month of messaging events looks like.
struct EventLog {
    var user: [UInt32] = []
    var timestamp: [Int64] = []
    var eventType: [UInt8] = []
    var item: [UInt32] = []

    /// Share of each event type, most common first (delivered, opened, clicked, viewed item, added to
    /// cart, purchased): a steep funnel, as in messaging data.
    static let typeWeights: [Double] = [0.50, 0.25, 0.12, 0.07, 0.04, 0.02]

    init(options: Options, rng: inout SplitMix64) {
        let rows = options.rows
        let users = ZipfSampler(count: options.keys, exponent: 1.1, rng: &rng)
        let items = ZipfSampler(count: options.items, exponent: 1.2, rng: &rng)
        var cumulative: [Double] = []
        var total = 0.0
        for weight in Self.typeWeights {
            total += weight
            cumulative.append(total)
        }
        let start = Timestamp(secondsSinceEpoch: 1_767_225_600)  // 2026-01-01T00:00:00Z
        let spanMicroseconds = Double(Int64(options.days) * Timestamp.secondsPerDay * Timestamp.microsecondsPerSecond)
        // Exponential gaps (a Poisson process) average out to the whole span: increasing, with jitter.
        let meanGap = spanMicroseconds / Double(rows)
        user.reserveCapacity(rows)
        timestamp.reserveCapacity(rows)
        eventType.reserveCapacity(rows)
        item.reserveCapacity(rows)
        var clock = Double(start.rawValue)
        for _ in 0..<rows {
            clock += -log(1 - rng.unit()) * meanGap
            timestamp.append(Int64(clock))
            user.append(users.sample(&rng))
            let draw = rng.unit() * total
            eventType.append(UInt8(cumulative.firstIndex { draw < $0 } ?? cumulative.count - 1))
            item.append(items.sample(&rng))
        }
    }
}

/// Model scores in (0, 1) at full f32 precision: a logistic of a Gaussian, as a scoring model emits.
/// Neither incompressible noise nor a few repeated values, so zstd has real work on both sides.
func makeScores(rows: Int, rng: inout SplitMix64) -> [Float] {
    var scores = [Float]()
    scores.reserveCapacity(rows)
    while scores.count < rows {
        // Box-Muller: two Gaussians per pair of uniforms.
        let radius = (-2 * log(1 - rng.unit())).squareRoot()
        let angle = 2 * Double.pi * rng.unit()
        scores.append(logistic(radius * cos(angle)))
        if scores.count < rows { scores.append(logistic(radius * sin(angle))) }
    }
    return scores
}

/// Squashes a standard Gaussian into a score, centred below one half as most propensities are.
func logistic(_ z: Double) -> Float { Float(1 / (1 + exp(-(1.5 * z - 1)))) }

// MARK: - Files

/// Writes `array` as raw little-endian bytes (the machine's order; checked at start), for numpy.fromfile.
func writeRaw<Element: BitwiseCopyable>(_ array: [Element], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw BenchError("create \(path): errno \(errno)") }
    defer { close(fd) }
    try array.withUnsafeBytes { bytes in
        var done = 0
        while done < bytes.count {
            let written = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw BenchError("write \(path): errno \(errno)") }
            done += written
        }
    }
}

func writeText(_ text: String, to path: String) throws {
    try writeRaw(Array(text.utf8), to: path)
}

func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : -1
}

/// The fraction of the file's pages resident in the page cache now, read with mincore(2), so the report
/// says whether a scan read memory or disk instead of assuming it.
func pageCacheResidency(_ path: String) -> Double? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    let length = fileSize(path)
    guard length > 0, let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else { return nil }
    defer { munmap(base, length) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var vector = [UInt8](repeating: 0, count: (length + page - 1) / page)
    guard mincore(base, length, &vector) == 0 else { return nil }
    return Double(vector.reduce(0) { $0 + Int($1 & 1) }) / Double(vector.count)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Kernels

/// Sums with four independent SIMD accumulators. A plain `total += value` loop is a chain of dependent
/// float adds, bound by add latency rather than by memory, and would understate every scan. The same
/// function (never inlined, so the same machine code) sums the file mapping, the decoded ZSTD blocks
/// and the heap reference array.
@inline(never)
func sum(_ values: UnsafeBufferPointer<Float>) -> Double {
    guard let start = values.baseAddress else { return 0 }
    let base = UnsafeRawPointer(start)
    let lanes = SIMD8<Float>.scalarCount
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var index = 0
    while index + 4 * lanes <= values.count {
        a0 += base.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        a1 += base.loadUnaligned(fromByteOffset: (index + lanes) * 4, as: SIMD8<Float>.self)
        a2 += base.loadUnaligned(fromByteOffset: (index + 2 * lanes) * 4, as: SIMD8<Float>.self)
        a3 += base.loadUnaligned(fromByteOffset: (index + 3 * lanes) * 4, as: SIMD8<Float>.self)
        index += 4 * lanes
    }
    var total = Double(((a0 + a1) + (a2 + a3)).sum())
    while index < values.count {
        total += Double(values[index])
        index += 1
    }
    return total
}

// MARK: - Benchmark steps

struct WriteResult {
    let rate: Rate
    let inputRate: Rate
    /// Medians of the two phases: writeColumn (encode, checksum, write into the page cache) and finish()
    /// (directory, fsync, rename, folder fsync), to show where the write time goes.
    let columnSeconds: Double
    let finishSeconds: Double
    let summary: SegmentSummary

    var json: JSON {
        .object([
            ("file_bytes", .int(summary.fileBytes)), ("file_rate", rate.json("mbps")),
            ("input_rate", inputRate.json("mbps")),
            ("median_write_column_seconds", .number(columnSeconds)), ("median_finish_seconds", .number(finishSeconds)),
        ])
    }
}

func median(_ values: [Double]) -> Double { Rate(values).median }

/// Writes one segment file holding `scores` as column "score", `repeats` times, timing SegmentWriter init
/// through finish() (which fsyncs the file and its folder).
func timeScoreWrite(_ scores: [Float], codec: ColumnCodec, path: String, repeats: Int) throws -> WriteResult {
    var rates: [Double] = []
    var inputRates: [Double] = []
    var columnPhase: [Double] = []
    var finishPhase: [Double] = []
    var last: SegmentSummary?
    for _ in 0..<repeats {
        let start = now()
        let writer = try SegmentWriter(path: path, kind: .scores)
        try writer.writeColumn("score", codec: codec, values: scores)
        let written = now()
        let summary = try writer.finish()
        let elapsed = seconds(since: start)
        columnPhase.append(Double(written &- start) / 1e9)
        finishPhase.append(elapsed - columnPhase.last!)
        rates.append(Double(summary.fileBytes) / elapsed / 1e6)
        inputRates.append(Double(scores.count * 4) / elapsed / 1e6)
        last = summary
    }
    return WriteResult(
        rate: Rate(rates),
        inputRate: Rate(inputRates),
        columnSeconds: median(columnPhase),
        finishSeconds: median(finishPhase),
        summary: last!
    )
}

/// A column ready to scan: the file opened fresh and the column taken (its first use checks its parts),
/// both outside any timed loop; `openSeconds` says how long that took.
struct ScanTarget {
    let column: ScalarColumn<Float>
    let openSeconds: Double
    var rates: [Double] = []
    var checksum = 0.0

    init(path: String) throws {
        let start = now()
        column = try SegmentReader(path: path).scalarColumn("score", as: Float.self)
        openSeconds = seconds(since: start)
    }

    /// One timed full scan summing every value; the rate is GB/s of decoded data.
    mutating func scanOnce() throws {
        var total = 0.0
        let start = now()
        try column.scan { total += sum($0) }
        rates.append(Double(column.count * 4) / seconds(since: start) / 1e9)
        checksum = total
    }
}

/// Times `body` once and returns GB/s over `bytes`.
func gigabytesPerSecond(_ bytes: Int, _ body: () -> Void) -> Double {
    let start = now()
    body()
    return Double(bytes) / seconds(since: start) / 1e9
}

func run() throws {
    let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
    guard 1.littleEndian == 1 else { throw BenchError("the raw array files assume a little-endian machine") }
    let runStart = now()
    let folder = options.folder
    var result: [(String, JSON)] = []
    var rng = SplitMix64(seed: options.seed)

    say(
        "aampe-bench-segments: rows \(options.rows), keys \(options.keys), items \(options.items), seed \(options.seed), folder \(folder)"
    )
    let writerDefaults = SegmentWriterConfiguration()
    let readerDefaults = SegmentReaderConfiguration()
    result.append(
        (
            "config",
            .object([
                ("rows", .int(options.rows)), ("keys", .int(options.keys)), ("items", .int(options.items)),
                ("seed", .int(Int(options.seed))), ("days", .int(options.days)), ("samples", .int(options.samples)),
                ("cold_samples", .int(options.coldSamples)), ("repeats", .int(options.repeats)),
                ("write_repeats", .int(options.writeRepeats)),
                ("zstd_level", .int(Int(writerDefaults.compressionLevel))),
                ("rows_per_block", .int(writerDefaults.rowsPerBlock)),
                ("block_cache_bytes_default", .int(readerDefaults.blockCacheBytes)),
                ("units", .string("MB = 1e6 bytes, GB = 1e9 bytes, ns of CLOCK_MONOTONIC")),
            ])
        )
    )

    // Data, generated once and shared with the Parquet side through raw files.
    var start = now()
    let scores = makeScores(rows: options.rows, rng: &rng)
    let events = EventLog(options: options, rng: &rng)
    let arrays: [(name: String, file: String, dtype: String, write: (String) throws -> Void)] = [
        ("score", "score.f32", "<f4", { try writeRaw(scores, to: $0) }),
        ("user", "user.u32", "<u4", { try writeRaw(events.user, to: $0) }),
        ("timestamp", "timestamp.i64", "<i8", { try writeRaw(events.timestamp, to: $0) }),
        ("event_type", "event_type.u8", "|u1", { try writeRaw(events.eventType, to: $0) }),
        ("item", "item.u32", "<u4", { try writeRaw(events.item, to: $0) }),
    ]
    for array in arrays { try array.write(folder + "/" + array.file) }
    let manifest = JSON.object([
        ("rows", .int(options.rows)), ("repeats", .int(options.repeats)), ("write_repeats", .int(options.writeRepeats)),
        ("zstd_level", .int(Int(writerDefaults.compressionLevel))),
        (
            "arrays",
            .array(
                arrays.map {
                    .object([("name", .string($0.name)), ("file", .string($0.file)), ("dtype", .string($0.dtype))])
                }
            )
        ),
    ])
    try writeText(manifest.text + "\n", to: folder + "/arrays.json")
    say("generated and wrote raw arrays in \(format(seconds(since: start))) s")

    // Write throughput of the f32 column.
    let rawPath = folder + "/score-raw.seg"
    let zstdPath = folder + "/score-zstd.seg"
    let rawWrite = try timeScoreWrite(scores, codec: .raw, path: rawPath, repeats: options.writeRepeats)
    let zstdWrite = try timeScoreWrite(scores, codec: .zstd, path: zstdPath, repeats: options.writeRepeats)
    for (label, write) in [("RAW", rawWrite), ("ZSTD", zstdWrite)] {
        say(
            "write f32 \(label): \(write.summary.fileBytes) bytes, best \(format(write.rate.best)) MB/s of file (median \(format(write.rate.median))), best \(format(write.inputRate.best)) MB/s of input; fsync included"
        )
        say(
            "  median phases: writeColumn \(format(write.columnSeconds * 1e3)) ms, finish (fsync, rename) \(format(write.finishSeconds * 1e3)) ms"
        )
    }
    let zstdScoreColumn = zstdWrite.summary.columns[0]
    result.append(
        (
            "write_f32",
            .object([("raw", rawWrite.json), ("zstd", zstdWrite.json)])
        )
    )

    // Sequential scans. The files were written moments ago, so they should be in the page cache;
    // mincore says whether they are.
    let rawResidency = pageCacheResidency(rawPath)
    let zstdResidency = pageCacheResidency(zstdPath)
    // The memory reference (the same summing kernel over the heap array of the same values, and a memcpy
    // of it) runs interleaved with the scans in every repeat, so that all see the same machine: the
    // page cache writing back what was just written, and whatever else shares the host.
    let columnBytes = options.rows * 4
    var rawScan = try ScanTarget(path: rawPath)
    var zstdScan = try ScanTarget(path: zstdPath)
    var heapRates: [Double] = []
    var copyRates: [Double] = []
    var heapChecksum = 0.0
    let copyTarget = UnsafeMutableRawPointer.allocate(byteCount: columnBytes, alignment: 64)
    defer { copyTarget.deallocate() }
    memset(copyTarget, 0, columnBytes)  // fault the pages in before timing
    for _ in 0..<options.repeats {
        heapRates.append(gigabytesPerSecond(columnBytes) { heapChecksum = scores.withUnsafeBufferPointer { sum($0) } })
        copyRates.append(
            gigabytesPerSecond(columnBytes) {
                scores.withUnsafeBytes { _ = memcpy(copyTarget, $0.baseAddress!, columnBytes) }
            }
        )
        try rawScan.scanOnce()
        try zstdScan.scanOnce()
    }
    let heapSum = Rate(heapRates)
    let copy = Rate(copyRates)
    say(
        "memory reference: heap-array sum best \(format(heapSum.best)) GB/s (median \(format(heapSum.median))), memcpy best \(format(copy.best)) GB/s copied (median \(format(copy.median)))"
    )
    result.append(
        (
            "memory_reference",
            .object([("heap_sum", heapSum.json("gbps")), ("memcpy", copy.json("gbps")), ("bytes", .int(columnBytes))])
        )
    )
    func residencyText(_ value: Double?) -> String {
        value.map { "\(format($0 * 100, 1)) % of pages in page cache" } ?? "page cache residency unknown"
    }
    say(
        "scan f32 RAW: best \(format(Rate(rawScan.rates).best)) GB/s (median \(format(Rate(rawScan.rates).median))); open + first-use check \(format(rawScan.openSeconds * 1e3)) ms untimed; \(residencyText(rawResidency))"
    )
    say(
        "scan f32 ZSTD: best \(format(Rate(zstdScan.rates).best)) GB/s decoded (median \(format(Rate(zstdScan.rates).median))); open + first-use check \(format(zstdScan.openSeconds * 1e3)) ms untimed; \(residencyText(zstdResidency))"
    )
    // The three sums read the same values; RAW and heap add them in the same order, ZSTD block by block.
    guard rawScan.checksum == heapChecksum, abs(zstdScan.checksum - heapChecksum) <= 1e-6 * abs(heapChecksum) + 1e-3
    else {
        throw BenchError("scan sums disagree: heap \(heapChecksum), RAW \(rawScan.checksum), ZSTD \(zstdScan.checksum)")
    }
    func scanJSON(_ scan: ScanTarget, _ residency: Double?) -> JSON {
        .object([
            ("rate", Rate(scan.rates).json("gbps")), ("sum", .number(scan.checksum)),
            ("open_and_check_ms", .number(scan.openSeconds * 1e3)),
            ("page_cache_resident_fraction", residency.map(JSON.number) ?? .null),
        ])
    }
    result.append(
        ("scan_f32", .object([("raw", scanJSON(rawScan, rawResidency)), ("zstd", scanJSON(zstdScan, zstdResidency))]))
    )

    // Random single-row access, each access timed alone. The timer's own cost is measured the same way
    // with an empty body and reported beside it; nothing is subtracted.
    let randomRows = (0..<options.samples).map { _ in Int.random(in: 0..<options.rows, using: &rng) }
    let timer = Latency(timeEach(options.samples) { _ in })
    say("timer overhead (empty body): \(timer.line)")
    var sink: Float = 0
    // Reference: the same rows of the heap array, timed the same way: what one random memory read costs
    // on this machine, with no format in between.
    let heapRandom = scores.withUnsafeBufferPointer { heap in
        Latency(timeEach(options.samples) { sink += heap[randomRows[$0]] })
    }
    say("random heap-array read (reference): \(heapRandom.line)")
    let rawReader = try SegmentReader(path: rawPath)
    let rawColumn = try rawReader.scalarColumn("score", as: Float.self)
    let rawRandom = Latency(try timeEach(options.samples) { sink += try rawColumn.value(at: randomRows[$0]) })
    say("random RAW value(at:): \(rawRandom.line)")
    // Batched: all accesses in one timed loop, so independent misses overlap; a throughput, not a latency.
    start = now()
    for row in randomRows { sink += try rawColumn.value(at: row) }
    let rawBatchedNs = Double(now() &- start) / Double(options.samples)
    say("random RAW batched (one timer around all, accesses overlap): \(format(rawBatchedNs, 1)) ns per access")

    let zstdReader = try SegmentReader(path: zstdPath)
    let zstdColumn = try zstdReader.scalarColumn("score", as: Float.self)
    let zstdRandom = Latency(try timeEach(options.samples) { sink += try zstdColumn.value(at: randomRows[$0]) })
    let warmStats = zstdReader.blockCacheStatistics
    let decodedBytes = options.rows * 4
    say(
        "random ZSTD value(at:), cache \(readerDefaults.blockCacheBytes) bytes for \(decodedBytes) decoded: \(zstdRandom.line); cache hits \(warmStats.hits), misses \(warmStats.misses)"
    )

    // A cache an eighth of the decoded column: most accesses miss and decode a whole block.
    var coldConfiguration = SegmentReaderConfiguration()
    coldConfiguration.blockCacheBytes = max(1, decodedBytes / 8)
    let coldReader = try SegmentReader(path: zstdPath, configuration: coldConfiguration)
    let coldColumn = try coldReader.scalarColumn("score", as: Float.self)
    let coldCount = min(options.coldSamples, options.samples)
    let coldRandom = Latency(try timeEach(coldCount) { sink += try coldColumn.value(at: randomRows[$0]) })
    let coldStats = coldReader.blockCacheStatistics
    say(
        "random ZSTD value(at:), cache \(coldConfiguration.blockCacheBytes) bytes: \(coldRandom.line); cache hits \(coldStats.hits), misses \(coldStats.misses)"
    )
    result.append(
        (
            "random_f32",
            .object([
                ("timer_overhead", timer.json),
                ("heap_reference", heapRandom.json),
                ("raw", rawRandom.json),
                ("raw_batched_mean_ns", .number(rawBatchedNs)),
                (
                    "zstd_warm",
                    .object([
                        ("latency", zstdRandom.json), ("cache_bytes", .int(readerDefaults.blockCacheBytes)),
                        ("decoded_column_bytes", .int(decodedBytes)), ("cache_hits", .int(warmStats.hits)),
                        ("cache_misses", .int(warmStats.misses)),
                    ])
                ),
                (
                    "zstd_cold",
                    .object([
                        ("latency", coldRandom.json), ("cache_bytes", .int(coldConfiguration.blockCacheBytes)),
                        ("cache_hits", .int(coldStats.hits)), ("cache_misses", .int(coldStats.misses)),
                    ])
                ),
                ("sink", .number(Double(sink))),
            ])
        )
    )

    // Dictionary lookups: every key once in shuffled order, plus absent keys of the same shape.
    let keys = (0..<options.keys).map { "user-\($0)" }
    let dictionaryPath = folder + "/users.seg"
    start = now()
    let dictionaryWriter = try SegmentWriter(path: dictionaryPath, kind: .landscape)
    try dictionaryWriter.writeDictionaryColumn("user_id", keys: keys)
    let dictionarySummary = try dictionaryWriter.finish()
    let dictionaryWriteSeconds = seconds(since: start)
    let absentCount = max(1, options.keys * 3 / 100)
    var lookups: [(key: String, row: Int32)] = keys.enumerated().map { ($0.element, Int32($0.offset)) }
    lookups += (0..<absentCount).map { ("user-\(options.keys + $0)", -1) }
    lookups.shuffle(using: &rng)
    let lookupKeys = lookups.map(\.key)
    let dictionaryReader = try SegmentReader(path: dictionaryPath)
    let dictionary = try dictionaryReader.dictionaryColumn("user_id")
    var found = [Int32](repeating: 0, count: lookups.count)
    let lookupTimes = found.withUnsafeMutableBufferPointer { out in
        timeEach(lookupKeys.count) { out[$0] = Int32(truncatingIfNeeded: dictionary.row(for: lookupKeys[$0]) ?? -1) }
    }
    let wrong = zip(found, lookups).filter { $0.0 != $0.1.row }.count
    guard wrong == 0 else { throw BenchError("\(wrong) dictionary lookups returned the wrong row") }
    let presentLatency = Latency(zip(lookupTimes, lookups).filter { $0.1.row >= 0 }.map(\.0))
    let absentLatency = Latency(zip(lookupTimes, lookups).filter { $0.1.row < 0 }.map(\.0))
    let allLatency = Latency(lookupTimes)
    say(
        "dictionary: \(options.keys) keys, \(dictionarySummary.fileBytes) bytes, written in \(format(dictionaryWriteSeconds * 1e3)) ms (fsync included)"
    )
    say("dictionary row(for:) all \(lookups.count): \(allLatency.line)")
    say("dictionary row(for:) present: \(presentLatency.line)")
    say("dictionary row(for:) absent: \(absentLatency.line)")
    result.append(
        (
            "dictionary",
            .object([
                ("keys", .int(options.keys)), ("absent", .int(absentCount)),
                ("file_bytes", .int(dictionarySummary.fileBytes)),
                ("write_seconds", .number(dictionaryWriteSeconds)), ("all", allLatency.json),
                ("present", presentLatency.json),
                ("absent_keys", absentLatency.json),
            ])
        )
    )

    // Compression of the event columns, all ZSTD, in one events segment.
    let eventsPath = folder + "/events.seg"
    start = now()
    let eventsWriter = try SegmentWriter(path: eventsPath, kind: .events)
    try eventsWriter.writeColumn("user", codec: .zstd, values: events.user)
    try eventsWriter.writeColumn("timestamp", codec: .zstd, values: events.timestamp)
    try eventsWriter.writeColumn("event_type", codec: .zstd, values: events.eventType)
    try eventsWriter.writeColumn("item", codec: .zstd, values: events.item)
    let eventsSummary = try eventsWriter.finish()
    let eventsSeconds = seconds(since: start)
    var columnsJSON: [(String, JSON)] = []
    var rawTotal = 0
    var storedTotal = 0
    // The f32 score column from its ZSTD file, then the four event columns.
    for column in [zstdScoreColumn] + eventsSummary.columns {
        let raw = column.rowCount * (column.type.rowWidth ?? 0)
        let stored = column.storedBytes
        say(
            "compression \(column.name) (\(column.type)): \(raw) raw -> \(stored) stored, ratio \(format(Double(raw) / Double(stored), 3))"
        )
        columnsJSON.append(
            (
                column.name,
                .object([
                    ("raw_bytes", .int(raw)), ("stored_bytes", .int(stored)),
                    ("ratio", .number(Double(raw) / Double(stored))),
                ])
            )
        )
        if column.name != "score" {
            rawTotal += raw
            storedTotal += stored
        }
    }
    say(
        "compression events (4 columns): \(rawTotal) raw -> \(storedTotal) stored (file \(eventsSummary.fileBytes)), ratio \(format(Double(rawTotal) / Double(storedTotal), 3)); written in \(format(eventsSeconds)) s"
    )
    result.append(
        (
            "compression",
            .object([
                ("columns", .object(columnsJSON)),
                ("events_raw_bytes", .int(rawTotal)), ("events_stored_bytes", .int(storedTotal)),
                ("events_file_bytes", .int(eventsSummary.fileBytes)),
                ("events_ratio", .number(Double(rawTotal) / Double(storedTotal))),
                ("events_write_seconds", .number(eventsSeconds)),
            ])
        )
    )

    let total = seconds(since: runStart)
    say("aamped side done in \(format(total, 1)) s")
    result.append(("seconds", .number(total)))
    print(JSON.object(result).text)
}

do {
    try run()
} catch {
    fail("\(error)")
}

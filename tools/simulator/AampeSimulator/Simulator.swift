import Dispatch
import Foundation

/// Generates a simulated app's world: daily event dumps, a users file, a catalog file, the hidden
/// truth and a summary of what was written.
///
/// ```
/// <out>/events/YYYY-MM-DD.jsonl[.zst]   one dump per UTC day (or .csv)
/// <out>/users.csv                       profiles: country, language, time zone, first name, channels
/// <out>/catalog.csv                     items: title, category, genres, price, stock
/// <out>/truth/                          hidden traits and the probability model; the engine never reads it
/// <out>/summary.json                    events per type per day and the dirt injected, by dump
/// ```
///
/// Users are simulated in shards of ``shardSize``, each with its own random stream per day, and
/// shards are written in order, so the output is the same for any number of threads.
public struct Simulator {
    public let settings: WorldSettings
    public let threads: Int

    /// Users per shard. Part of the output's definition: changing it changes the bytes.
    public static let shardSize = 2_048

    /// `threads` defaults to the number of cores.
    public init(settings: WorldSettings, threads: Int? = nil) {
        self.settings = settings
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Writes the world into `folder`, which must be empty or missing unless `isForced`.
    /// `progress` gets the number of local days finished and the total.
    public func generate(
        into folder: String,
        isForced: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> SimulationSummary {
        try settings.validate()
        try prepare(folder: folder, isForced: isForced)
        let world = World(settings: settings, threads: threads)
        try ProfileFiles.writeUsers(world: world, path: folder + "/users.csv", threads: threads)
        try ProfileFiles.writeCatalog(world: world, path: folder + "/catalog.csv")
        try createFolder(folder + "/events")
        let summary = try simulateDays(world: world, folder: folder, progress: progress)
        try Truth.write(world: world, folder: folder + "/truth", threads: threads)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try writeFile(folder + "/summary.json", Array(try encoder.encode(summary)) + [UInt8(ascii: "\n")])
        return summary
    }

    private func simulateDays(world: World, folder: String, progress: ((Int, Int) -> Void)?) throws -> SimulationSummary
    {
        let days = settings.days
        let start = world.startEpochDay
        let files = DumpFiles(folder: folder + "/events", settings: settings, encoder: world.encoder)
        let shardCount = (settings.users + Simulator.shardSize - 1) / Simulator.shardSize
        let batchSize = min(shardCount, threads * 4)
        // Two sets of buffers: workers fill one batch while this thread writes the previous one.
        let pools = (0..<2).map { _ in (0..<batchSize).map { _ in ShardDayOutput() } }
        let compressed = (0..<2).map { _ in
            (0..<batchSize).map { _ in (0..<ShardDayOutput.slots).map { _ in OutputBuffer(capacity: 1 << 16) } }
        }
        let failures = FailureBox()

        let kinds = Vocabulary.Event.allCases.count
        var events = Array(repeating: Array(repeating: 0, count: kinds), count: days)
        var revenue = Array(repeating: 0, count: days)
        var lines = Array(repeating: 0, count: days)
        var late = Array(repeating: 0, count: days)
        var duplicates = Array(repeating: 0, count: days)
        var malformed = Array(repeating: 0, count: days)
        var usersWithSessions = Array(repeating: 0, count: days)

        // Local day -1 reaches UTC day 0 from the west; local day `days` reaches the last UTC day from
        // the east. Lines for UTC days outside 0 ..< days are never written.
        struct Batch {
            var localDay: Int
            var firstShard: Int
            var count: Int
            var isLastOfDay: Bool
        }
        var batches: [Batch] = []
        for localDay in -1...days {
            for firstShard in stride(from: 0, to: shardCount, by: batchSize) {
                let count = min(batchSize, shardCount - firstShard)
                batches.append(
                    Batch(
                        localDay: localDay,
                        firstShard: firstShard,
                        count: count,
                        isLastOfDay: firstShard + count == shardCount
                    )
                )
            }
        }

        let simulate = { (batch: Batch, set: Int) in
            parallelFor(batch.count, threads: self.threads) { index in
                let output = pools[set][index]
                output.reset()
                let shard = batch.firstShard + index
                var simulator = DaySimulator(world: world, shard: shard, localDay: batch.localDay, output: output)
                simulator.run(
                    users: (shard * Simulator.shardSize)..<min(self.settings.users, (shard + 1) * Simulator.shardSize)
                )
                guard self.settings.isCompressed else { return }
                for slot in 0..<ShardDayOutput.slots {
                    compressed[set][index][slot].removeAll()
                    guard !output.buffers[slot].isEmpty else { continue }
                    do {
                        try output.buffers[slot].withUnsafeBytes { (raw) throws(SimulatorError) in
                            try compressFrame(raw, into: compressed[set][index][slot], path: folder + "/events")
                        }
                    } catch { failures.record(error) }
                }
            }
        }

        simulate(batches[0], 0)
        let ahead = DispatchGroup()
        for (number, batch) in batches.enumerated() {
            let set = number % 2
            if let failure = failures.first { throw failure }
            // Batches cover disjoint shards or later days, and each user's state belongs to its shard,
            // so simulating the next batch while this one is written changes nothing in the output.
            if number + 1 < batches.count {
                let next = batches[number + 1]
                let unchecked = UncheckedSendable(value: { simulate(next, 1 - set) })
                DispatchQueue.global().async(group: ahead) { unchecked.value() }
            }

            do {
                // Merge and write in shard order.
                let localDay = batch.localDay
                for index in 0..<batch.count {
                    let output = pools[set][index]
                    if (0..<days).contains(localDay) { usersWithSessions[localDay] += output.usersWithSessions }
                    for slot in 0..<ShardDayOutput.slots {
                        let day = localDay + ShardDayOutput.firstOffset + slot
                        let buffer = output.buffers[slot]
                        guard (0..<days).contains(day) else {
                            assert(buffer.isEmpty, "a line for a day outside the world")
                            continue
                        }
                        for kind in 0..<kinds { events[day][kind] += output.events[slot][kind] }
                        revenue[day] += output.revenueCents[slot]
                        late[day] += output.late[slot]
                        duplicates[day] += output.duplicates[slot]
                        malformed[day] += output.malformed[slot]
                        lines[day] += output.lines[slot]
                        guard !buffer.isEmpty else { continue }
                        let bytes = settings.isCompressed ? compressed[set][index][slot] : buffer
                        try bytes.withUnsafeBytes { (raw) throws(SimulatorError) in
                            try files.append(day: day, startEpochDay: start, raw)
                        }
                    }
                }
                if batch.isLastOfDay {
                    try files.close(before: localDay)
                    progress?(localDay + 2, days + 2)
                }
            } catch {
                // Let the batch in flight finish before its buffers go away.
                ahead.wait()
                throw error
            }
            ahead.wait()
        }
        if let failure = failures.first { throw failure }
        try files.createMissing(0..<days, startEpochDay: start)
        try files.close(before: days)

        var summary = SimulationSummary(settings: settings, files: [], days: [], totals: .init())
        summary.files = (0..<days).map { "events/" + files.fileName(day: $0, startEpochDay: start) }
        for day in 0..<days {
            var byName: [String: Int] = [:]
            // generate sends no messages, so the summary lists the organic events only.
            for kind in Vocabulary.Event.allCases where kind != .messageClicked {
                byName[kind.name] = events[day][kind.rawValue]
            }
            summary.days.append(
                .init(
                    date: CivilDate.text(epochDay: start + day),
                    events: byName,
                    revenue: centsText(revenue[day]),
                    lines: lines[day],
                    lateArrivals: late[day],
                    duplicates: duplicates[day],
                    malformed: malformed[day],
                    usersWithSessions: usersWithSessions[day]
                )
            )
            summary.totals.events += events[day].reduce(0, +)
            for (name, value) in byName { summary.totals.eventsByName[name, default: 0] += value }
            summary.totals.lines += lines[day]
            summary.totals.lateArrivals += late[day]
            summary.totals.duplicates += duplicates[day]
            summary.totals.malformed += malformed[day]
        }
        summary.totals.revenue = centsText(revenue.reduce(0, +))
        return summary
    }

    private func prepare(folder: String, isForced: Bool) throws {
        let manager = FileManager.default
        if let contents = try? manager.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            guard isForced else { throw SimulatorError.outputFolderNotEmpty(folder) }
            // Remove only what a previous run wrote.
            for name in ["events", "truth", "users.csv", "catalog.csv", "summary.json"] where contents.contains(name) {
                try manager.removeItem(atPath: folder + "/" + name)
            }
        }
        try createFolder(folder)
    }
}

/// Runs `body` for `0 ..< count` on up to `threads` threads and returns when all are done.
///
/// Callers guarantee that iterations touch disjoint state (each owns its shard's users and its own
/// buffers), which is why handing the non-Sendable closure to other threads is sound here.
func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    guard threads > 1, count > 1 else {
        for index in 0..<count { body(index) }
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let unchecked = UncheckedSendable(value: escapable)
        DispatchQueue.concurrentPerform(iterations: count) { unchecked.value($0) }
    }
}

/// Carries a non-Sendable value (a closure) to another thread.
///
/// `@unchecked Sendable`: nothing here makes that safe; each use must. The two uses are ``parallelFor``,
/// whose iterations touch disjoint shards, and the look-ahead simulation, which writes only the other
/// buffer set and is waited for before that set is read.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// The first error a worker hit; workers cannot throw out of `concurrentPerform`.
final class FailureBox: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var stored: (any Error)?

    func record(_ error: any Error) {
        lock.lock()
        if stored == nil { stored = error }
        lock.unlock()
    }

    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

func createFolder(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw SimulatorError.io(path: path, operation: "create", errno: errno)
    }
}

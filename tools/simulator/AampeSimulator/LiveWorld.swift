import Foundation

/// A world simulated one UTC day at a time, so that an engine can message its users in between: the
/// simulated app and, for the engine, its audience and messaging service.
///
/// ```
/// <world>/users.csv, catalog.csv        as generate writes them; users.csv is rewritten after each day,
///                                       without the consents users withdrew
/// <world>/events/YYYY-MM-DD.jsonl       the dump of each simulated day (or .csv, .zst)
/// <world>/truth/                        as generate writes it, plus sends.csv: one row per delivery
/// <world>/state/state.json              settings and per-user state (``LiveState``)
/// <world>/state/pending/YYYY-MM-DD      lines already simulated for a later day's dump
/// ```
///
/// A day: ``deliver(_:source:)`` takes the messages delivered that day (any number of calls) and
/// answers each with an ``Ack``; ``simulateDay()`` then writes the day's dump: organic events, and the
/// clicks and goal sessions of messages delivered that day and earlier whose time falls on it.
///
/// The organic part of dump `D` comes from local days `D − 5 … D + 1` (a user's local day reaches
/// three UTC days, and late and duplicate lines reach four more), so simulating UTC day `D` simulates
/// local day `D + 1` and keeps its lines for later dumps under `state/pending/`. Without deliveries,
/// stepping writes the same bytes as ``Simulator/generate(into:isForced:progress:)`` with the same
/// settings: same streams, same order.
///
/// Messages change the organic world in one way only: cannibalization removes organic goals (see
/// ``DaySimulator``), and the removed events still make their random draws. Message-driven sessions do
/// not move the user's last visit, so the organic world with messages is the world without them minus
/// the removed goals, which is what makes the incremental effect in `truth/sends.csv` exact.
public final class LiveWorld {
    public let folder: String
    public let settings: WorldSettings
    let world: World
    let threads: Int
    var state: LiveState
    var fatigue: [Int: FatigueHistory] = [:]
    /// Consent bits each user withdrew by opting out.
    var withdrawn: [UInt8]
    /// Events caused by today's deliveries, by UTC dump (origin: today).
    let responses = ShardDayOutput()
    var sendRows = OutputBuffer(capacity: 1 << 16)
    var today = DayReport()

    /// The next UTC day to simulate, `YYYY-MM-DD`.
    public var nextDate: String { CivilDate.text(epochDay: world.startEpochDay + state.nextDay) }
    /// The next day's first second, UTC seconds since 1970.
    public var nextDayStartSeconds: Int64 { Int64(world.startEpochDay + state.nextDay) * 86_400 }
    /// Whether every day of the world has been simulated.
    public var isFinished: Bool { state.nextDay >= settings.days }

    static let stateFolder = "state"
    static let pendingFolder = "state/pending"
    static let stateFile = "state/state.json"
    static let sendsFile = "truth/sends.csv"

    /// Creates a world in `folder` (empty or missing unless `isForced`): profiles, catalog, truth, and
    /// the local days before the first UTC day. The first ``simulateDay()`` then writes the start date.
    public static func create(
        in folder: String,
        settings: WorldSettings,
        isForced: Bool = false,
        threads: Int? = nil
    ) throws -> LiveWorld {
        try settings.validate()
        let manager = FileManager.default
        if let contents = try? manager.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            guard isForced else { throw SimulatorError.outputFolderNotEmpty(folder) }
            for name in ["events", "truth", "state", "users.csv", "catalog.csv", "summary.json"]
            where contents.contains(name) {
                try manager.removeItem(atPath: folder + "/" + name)
            }
        }
        let threadCount = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let world = World(settings: settings, threads: threadCount)
        try createFolder(folder + "/" + pendingFolder)
        try createFolder(folder + "/events")
        try ProfileFiles.writeUsers(world: world, path: folder + "/users.csv", threads: threadCount)
        try ProfileFiles.writeCatalog(world: world, path: folder + "/catalog.csv")
        try Truth.write(world: world, folder: folder + "/truth", threads: threadCount)
        let header = Array(SendsTable.header.utf8)
        try writeFile(folder + "/" + sendsFile, header)
        let population = world.population
        let state = LiveState(
            settings: settings,
            nextDay: 0,
            lastVisitDay: Data(copying: population.lastVisitDay),
            visitDebt: Data(copying: population.visitDebt),
            purchaseDebt: Data(copying: population.purchaseDebt),
            withdrawn: Data(count: settings.users),
            fatigue: [],
            sendsBytes: header.count,
            pendingBytes: [:]
        )
        let live = LiveWorld(folder: folder, world: world, state: state, threads: threadCount)
        // Local days -1 and 0 reach only dumps from the start date on: everything is pending.
        var pending = PendingFiles(folder: folder + "/" + pendingFolder, startEpochDay: world.startEpochDay)
        defer { pending.closeAll() }
        for localDay in -1...0 {
            try live.simulateOrganic(localDay: localDay) { day, bytes throws(SimulatorError) in
                try pending.append(day: day, bytes)
            }
        }
        try pending.flush()
        live.state.pendingBytes = pending.sizes
        try live.saveState()
        return live
    }

    /// Opens a world `create` made, at its next day.
    public convenience init(opening folder: String, threads: Int? = nil) throws {
        let path = folder + "/" + Self.stateFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError.invalidWorld(path: folder, reason: "no \(Self.stateFile): run aampe-sim init first")
        }
        let state: LiveState
        do {
            state = try JSONDecoder().decode(LiveState.self, from: data)
        } catch {
            throw SimulatorError.invalidWorld(path: path, reason: "damaged state: \(error)")
        }
        guard state.version == 1 else {
            throw SimulatorError.invalidWorld(path: path, reason: "state version \(state.version) is not 1")
        }
        try state.settings.validate()
        let threadCount = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let world = World(settings: state.settings, threads: threadCount)
        self.init(folder: folder, world: world, state: state, threads: threadCount)
        let population = world.population
        guard state.lastVisitDay.copy(into: population.lastVisitDay),
            state.visitDebt.copy(into: population.visitDebt),
            state.purchaseDebt.copy(into: population.purchaseDebt),
            state.withdrawn.count == population.count
        else {
            throw SimulatorError.invalidWorld(
                path: path,
                reason: "per-user state does not match \(population.count) users"
            )
        }
        withdrawn = Array(state.withdrawn)
        for user in 0..<population.count where withdrawn[user] != 0 { population.contact[user] &= ~withdrawn[user] }
        for record in state.fatigue {
            guard (0..<population.count).contains(record.user), record.seconds.count == record.choices.count else {
                throw SimulatorError.invalidWorld(path: path, reason: "fatigue of user \(record.user) is damaged")
            }
            fatigue[record.user] = FatigueHistory(sends: zip(record.seconds, record.choices).map { ($0, $1) })
        }
        try recoverFiles()
    }

    init(folder: String, world: World, state: LiveState, threads: Int) {
        self.folder = folder
        self.world = world
        self.settings = world.settings
        self.state = state
        self.threads = threads
        withdrawn = [UInt8](repeating: 0, count: world.settings.users)
    }

    /// Cuts `truth/sends.csv` and the pending files back to the sizes of the last complete day.
    private func recoverFiles() throws {
        try truncate(folder + "/" + Self.sendsFile, to: state.sendsBytes)
        let pendingPath = folder + "/" + Self.pendingFolder
        for name in try FileManager.default.contentsOfDirectory(atPath: pendingPath) {
            if let size = state.pendingBytes[name] {
                try truncate(pendingPath + "/" + name, to: size)
            } else {
                try FileManager.default.removeItem(atPath: pendingPath + "/" + name)
            }
        }
    }

    private func truncate(_ path: String, to size: Int) throws {
        guard Glibc.truncate(path, off_t(size)) == 0 else {
            throw SimulatorError.io(path: path, operation: "truncate", errno: errno)
        }
    }

    /// Simulates the next day: its organic events, the events of today's deliveries, and the dump.
    /// Also rewrites `users.csv` (withdrawn consents) and appends today's sends to `truth/sends.csv`.
    @discardableResult
    public func simulateDay() throws -> DayReport {
        let day = state.nextDay
        guard day < settings.days else {
            throw SimulatorError.invalidWorld(path: folder, reason: "all \(settings.days) days are simulated")
        }
        let start = world.startEpochDay
        let files = DumpFiles(folder: folder + "/events", settings: settings, encoder: world.encoder)
        let pendingPath = folder + "/" + Self.pendingFolder
        let ownPending = pendingPath + "/" + CivilDate.text(epochDay: start + day)
        var pending = PendingFiles(folder: pendingPath, startEpochDay: start)
        pending.sizes = state.pendingBytes
        defer { pending.closeAll() }
        try files.open(day: day, startEpochDay: start)
        if let earlier = FileManager.default.contents(atPath: ownPending), !earlier.isEmpty {
            try earlier.withUnsafeBytes { raw in try files.append(day: day, startEpochDay: start, raw) }
        }
        var report = today
        report.date = nextDate
        let sink = { (target: Int, bytes: UnsafeRawBufferPointer) throws(SimulatorError) in
            if target == day {
                try files.append(day: day, startEpochDay: start, bytes)
            } else {
                try pending.append(day: target, bytes)
            }
        }
        let organic = try simulateOrganic(localDay: day + 1, sink)
        report.removedVisits = organic.removedVisits
        report.removedPurchases = organic.removedPurchases
        // Today's message events, after the organic ones.
        for slot in 0..<ShardDayOutput.slots {
            let target = day + ShardDayOutput.firstOffset + slot
            let buffer = responses.buffers[slot]
            guard !buffer.isEmpty, target >= day, target < settings.days else {
                assert(buffer.isEmpty || target >= settings.days, "a message event before the day it answers")
                continue
            }
            try writeSlot(buffer, path: folder + "/events", target: target, sink)
        }
        try files.close(before: day + 1)
        try pending.flush()
        pending.sizes[CivilDate.text(epochDay: start + day)] = nil
        if FileManager.default.fileExists(atPath: ownPending) { try FileManager.default.removeItem(atPath: ownPending) }

        try ProfileFiles.writeUsers(world: world, path: folder + "/users.csv", threads: threads)
        let sendsPath = folder + "/" + Self.sendsFile
        guard let handle = FileHandle(forWritingAtPath: sendsPath) else {
            throw SimulatorError.io(path: sendsPath, operation: "open", errno: errno)
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(state.sendsBytes))
        try sendRows.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        try handle.synchronize()

        state.sendsBytes += sendRows.count
        state.pendingBytes = pending.sizes
        state.nextDay = day + 1
        try saveState()
        sendRows.removeAll()
        responses.reset()
        today = DayReport()
        return report
    }

    /// Compresses `buffer` when the world is compressed, then hands it to `sink`.
    private func writeSlot(
        _ buffer: OutputBuffer,
        path: String,
        target: Int,
        _ sink: (Int, UnsafeRawBufferPointer) throws(SimulatorError) -> Void
    ) throws(SimulatorError) {
        if settings.isCompressed {
            let frame = OutputBuffer(capacity: buffer.count / 2 + 64)
            try buffer.withUnsafeBytes { (raw) throws(SimulatorError) in try compressFrame(raw, into: frame, path: path)
            }
            try frame.withUnsafeBytes { (raw) throws(SimulatorError) in try sink(target, raw) }
        } else {
            try buffer.withUnsafeBytes { (raw) throws(SimulatorError) in try sink(target, raw) }
        }
    }

    /// What one local day's organic simulation removed for cannibalization.
    struct OrganicCounts {
        var removedVisits = 0
        var removedPurchases = 0
    }

    /// Simulates local day `localDay` for every user, in batches of shards, and hands each shard's lines
    /// for each UTC dump to `sink` in shard order, as ``Simulator`` writes them.
    @discardableResult
    func simulateOrganic(
        localDay: Int,
        _ sink: (Int, UnsafeRawBufferPointer) throws(SimulatorError) -> Void
    ) throws -> OrganicCounts {
        let shardCount = (settings.users + Simulator.shardSize - 1) / Simulator.shardSize
        let batchSize = min(shardCount, threads * 4)
        let outputs = (0..<batchSize).map { _ in ShardDayOutput() }
        var counts = OrganicCounts()
        for firstShard in stride(from: 0, to: shardCount, by: batchSize) {
            let count = min(batchSize, shardCount - firstShard)
            parallelFor(count, threads: threads) { index in
                let output = outputs[index]
                output.reset()
                let shard = firstShard + index
                var simulator = DaySimulator(world: self.world, shard: shard, localDay: localDay, output: output)
                simulator.run(
                    users: (shard * Simulator.shardSize)..<min(self.settings.users, (shard + 1) * Simulator.shardSize)
                )
            }
            for index in 0..<count {
                let output = outputs[index]
                counts.removedVisits += output.removedVisits
                counts.removedPurchases += output.removedPurchases
                for slot in 0..<ShardDayOutput.slots {
                    let day = localDay + ShardDayOutput.firstOffset + slot
                    let buffer = output.buffers[slot]
                    guard !buffer.isEmpty else { continue }
                    assert((0..<settings.days).contains(day), "a line for a day outside the world")
                    try writeSlot(buffer, path: folder + "/events", target: day, sink)
                }
            }
        }
        return counts
    }

    func saveState() throws {
        let population = world.population
        state.lastVisitDay = Data(copying: population.lastVisitDay)
        state.visitDebt = Data(copying: population.visitDebt)
        state.purchaseDebt = Data(copying: population.purchaseDebt)
        state.withdrawn = Data(withdrawn)
        state.fatigue = fatigue.keys.sorted().map { user in
            let sends = fatigue[user]!.sends
            return LiveState.Fatigue(user: user, seconds: sends.map(\.seconds), choices: sends.map(\.choice))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let path = folder + "/" + Self.stateFile
        do {
            try encoder.encode(state).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SimulatorError.io(path: path, operation: "write", errno: errno)
        }
    }
}

/// What one simulated day wrote and what its deliveries did.
public struct DayReport: Sendable, Equatable {
    public var date = ""
    /// Delivery lines answered, delivered and failed (by reason).
    public var deliveries = 0
    public var delivered = 0
    public var failures: [String: Int] = [:]
    public var clicks = 0
    /// Message-driven goal sessions, and those that replaced an organic goal (cannibalized).
    public var goals = 0
    public var cannibalized = 0
    public var optOuts = 0
    /// Organic goals removed on this day's simulated local day because earlier messages pulled them forward.
    public var removedVisits = 0
    public var removedPurchases = 0
}

/// Appends lines for later dumps to `state/pending/YYYY-MM-DD`, keeping each file's size.
struct PendingFiles {
    let folder: String
    let startEpochDay: Int
    var sizes: [String: Int] = [:]
    private var handles: [String: UnsafeMutablePointer<FILE>] = [:]

    init(folder: String, startEpochDay: Int) {
        self.folder = folder
        self.startEpochDay = startEpochDay
    }

    mutating func append(day: Int, _ bytes: UnsafeRawBufferPointer) throws(SimulatorError) {
        let name = CivilDate.text(epochDay: startEpochDay + day)
        let path = folder + "/" + name
        let handle: UnsafeMutablePointer<FILE>
        if let open = handles[name] {
            handle = open
        } else {
            guard let opened = fopen(path, "ab") else { throw .io(path: path, operation: "open", errno: errno) }
            handles[name] = opened
            handle = opened
        }
        if bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, handle) != bytes.count {
            throw .io(path: path, operation: "write", errno: errno)
        }
        sizes[name, default: 0] += bytes.count
    }

    /// Flushes and closes every file; an error here is a lost write.
    mutating func flush() throws(SimulatorError) {
        for (name, handle) in handles {
            handles[name] = nil
            let failed = fflush(handle) != 0
            let code = errno
            fclose(handle)
            if failed { throw .io(path: folder + "/" + name, operation: "write", errno: code) }
        }
    }

    /// Closes what is still open after an error.
    mutating func closeAll() {
        for handle in handles.values { fclose(handle) }
        handles = [:]
    }
}

#if canImport(Glibc)
import Glibc
#endif

public import AampeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `generations/` folder: numbered sets of learned segment files, and the `CURRENT` pointer that
/// names the live one.
///
/// ```
/// generations/
///   CURRENT        "7\n": the live generation, replaced atomically
///   6/             the previous generation, kept for rollback and for readers still on it
///   7/             the live generation
///     LOCK           empty; readers hold a shared flock on it while the generation is open
///     manifest.json  what the generation holds (``GenerationManifest``)
///     recommender/   one folder per model, holding that model's files (``GenerationFile``)
///       items.seg
///   8.tmp/         a training run still writing; never read
/// ```
///
/// A generation folder is immutable once published: files are written under `N.tmp/`, fsynced, listed
/// in the manifest, and the folder is renamed to `N/` before `CURRENT` names it. Nothing ever rewrites a file in a published
/// generation, so a mapping of it stays valid for as long as it is held.
public struct GenerationStore: Sendable {
    /// The `generations/` folder.
    public let folder: String
    /// How many of the newest published generations ``retireOld()`` keeps. Default 3. The current and
    /// the previous generation are kept whatever this says.
    public var retainedGenerations: Int

    /// The generations of a data directory.
    public init(dataDirectory: DataDirectory, retainedGenerations: Int = 3) {
        self.init(folder: dataDirectory.generationsPath, retainedGenerations: retainedGenerations)
    }

    /// The generations in `folder`.
    public init(folder: String, retainedGenerations: Int = 3) {
        precondition(retainedGenerations >= 0, "negative number of generations to retain")
        self.folder = folder
        self.retainedGenerations = retainedGenerations
    }

    /// Retires generations beyond the newest ``retainedGenerations``; see ``retire(keeping:)``.
    @discardableResult
    public func retireOld() throws -> RetirementReport {
        try retire(keeping: retainedGenerations)
    }

    var currentPointerPath: String { folder + "/CURRENT" }

    func path(of number: GenerationNumber) -> String { folder + "/\(number)" }

    /// The generation `CURRENT` names, or `nil` before the first publication.
    public func currentNumber() throws -> GenerationNumber? {
        guard FileSystem.exists(currentPointerPath) else { return nil }
        let bytes = try FileSystem.readSmallFile(currentPointerPath, limit: 32)
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt64(text) else {
            throw SegmentError(
                path: currentPointerPath,
                reason: .generation(detail: "does not hold a generation number")
            )
        }
        return GenerationNumber(rawValue: value)
    }

    /// Published generations, oldest first.
    public func publishedNumbers() throws -> [GenerationNumber] {
        guard FileSystem.isDirectory(folder) else { return [] }
        return try FileSystem.list(folder).compactMap(Self.publishedNumber(fromName:)).sorted()
    }

    static func publishedNumber(fromName name: String) -> GenerationNumber? {
        guard !name.isEmpty, name.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt64(name) else {
            return nil
        }
        return GenerationNumber(rawValue: value)
    }

    /// Starts a new generation, numbered one past every number in use (published, in progress or being
    /// retired), in `N.tmp/`.
    public func begin() throws -> GenerationBuilder {
        if !FileSystem.isDirectory(folder) { try FileSystem.makeDirectory(folder) }
        var highest: UInt64 = 0
        for name in try FileSystem.list(folder) {
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            if let value = UInt64(digits) { highest = max(highest, value) }
        }
        var number = GenerationNumber(rawValue: highest + 1)
        // Another trainer may take the same number between the listing and mkdir; the loser moves on.
        while true {
            let temporary = path(of: number) + ".tmp"
            if mkdir(temporary, 0o755) == 0 {
                let builder = GenerationBuilder(store: self, number: number, temporaryPath: temporary)
                try FileSystem.writeFileDurably(temporary + "/" + Generation.lockFileName, bytes: [])
                return builder
            }
            guard errno == EEXIST else { throw FileSystem.error(temporary, "mkdir") }
            number = number.next
        }
    }

    /// Opens the current generation, or returns `nil` before the first publication.
    public func openCurrent(
        configuration: SegmentReaderConfiguration = SegmentReaderConfiguration()
    ) throws -> Generation? {
        guard let number = try currentNumber() else { return nil }
        return try open(number, configuration: configuration)
    }

    /// Opens generation `number`: takes a shared lock that keeps it from being retired, and maps and
    /// validates every segment file in it.
    public func open(
        _ number: GenerationNumber,
        configuration: SegmentReaderConfiguration = SegmentReaderConfiguration()
    ) throws -> Generation {
        try Generation(number: number, path: path(of: number), configuration: configuration)
    }

    /// Deletes published generations beyond the newest `keeping`, except the current one, the one before
    /// it, and any that a process holds open.
    ///
    /// A holder is detected with the generation's `LOCK` file: every open ``Generation`` holds a shared
    /// `flock` on it, and retiring needs an exclusive one, taken without waiting. flock belongs to the
    /// open file, so a process killed with SIGKILL releases it, and a holder in this same process counts
    /// as a holder too. A retired folder is first renamed to `N.retiring`, so no new reader can open it,
    /// and then removed.
    @discardableResult
    public func retire(keeping: Int) throws -> RetirementReport {
        precondition(keeping >= 0, "negative number of generations to keep")
        var report = RetirementReport()
        let published = try publishedNumbers()
        let current = try currentNumber()
        let previous = current.flatMap { current in published.last { $0 < current } }
        let candidates = published.dropLast(keeping)
        for number in candidates where number != current && number != previous {
            let generationPath = path(of: number)
            let lock = openFile(generationPath + "/" + Generation.lockFileName)
            if lock >= 0 {
                guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                    close(lock)
                    report.held.append(number)
                    continue
                }
            }
            defer { if lock >= 0 { close(lock) } }
            let retiring = generationPath + ".retiring"
            try FileSystem.rename(generationPath, to: retiring)
            try FileSystem.removeTree(retiring)
            report.deleted.append(number)
        }
        // Leftovers of runs that were killed: unfinished `.tmp` folders are not removed here, because a
        // trainer may still be writing one; `.retiring` folders are always safe to finish removing.
        for name in try FileSystem.list(folder) where name.hasSuffix(".retiring") {
            try FileSystem.removeTree(folder + "/" + name)
        }
        try FileSystem.fsync(path: folder, isDirectory: true)
        return report
    }
}

/// What ``GenerationStore/retire(keeping:)`` did.
public struct RetirementReport: Hashable, Sendable {
    /// Generations removed.
    public var deleted: [GenerationNumber] = []
    /// Generations that were due for removal but are held open by some process.
    public var held: [GenerationNumber] = []
}

/// The steps of publishing a generation, in order. Tests stop a process after each one.
public enum PublishStep: Int, CaseIterable, Sendable {
    /// Every file in `N.tmp/` is fsynced.
    case syncedFiles
    /// `N.tmp/` itself is fsynced.
    case syncedFolder
    /// `N.tmp/` is renamed to `N/`.
    case renamedFolder
    /// `generations/` is fsynced, so the rename is durable.
    case syncedParentAfterRename
    /// `CURRENT.tmp` is written and fsynced.
    case wrotePointer
    /// `CURRENT.tmp` is renamed over `CURRENT`.
    case renamedPointer
    /// `generations/` is fsynced, so the new `CURRENT` is durable.
    case syncedParentAfterPointer
}

/// A generation being written, in `generations/N.tmp/`.
///
/// A training run writes its model's files at ``path(of:)``, carries the other models of the live
/// generation over with ``carryOver(from:replacing:)``, and publishes. Not `Sendable`: one run owns it.
public final class GenerationBuilder {
    /// The number it will be published under.
    public let number: GenerationNumber
    /// The folder being written.
    public let temporaryPath: String
    let store: GenerationStore
    private var isPublished = false
    /// Models this run writes.
    private var writtenModels: Set<String> = []
    /// Models linked in from an earlier generation, with their manifest entries.
    private var carriedModels: [String: GenerationManifest.Model] = [:]

    init(store: GenerationStore, number: GenerationNumber, temporaryPath: String) {
        self.store = store
        self.number = number
        self.temporaryPath = temporaryPath
    }

    /// Where to write `file`. Creates the model's folder on first use.
    public func path(of file: GenerationFile) throws -> String {
        precondition(
            carriedModels[file.model] == nil,
            "model '\(file.model)' is carried over; it cannot also be written"
        )
        let folder = temporaryPath + "/" + file.model
        if !writtenModels.contains(file.model) {
            if !FileSystem.isDirectory(folder) { try FileSystem.makeDirectory(folder) }
            writtenModels.insert(file.model)
        }
        return folder + "/" + file.name
    }

    /// Hard-links every model of `generation` except `replacing` (the models this run writes) into the
    /// new generation, so that training one model keeps what other runs published. Returns the names
    /// of the models carried over. Links cost no copy: published files are never rewritten.
    @discardableResult
    public func carryOver(from generation: Generation, replacing: Set<String>) throws -> [String] {
        var names: [String] = []
        for model in generation.manifest.models where !replacing.contains(model.name) {
            precondition(
                !writtenModels.contains(model.name),
                "model '\(model.name)' is written; it cannot also be carried over"
            )
            try FileSystem.makeDirectory(temporaryPath + "/" + model.name)
            for file in model.files {
                try FileSystem.link(generation.path + "/" + file.path, to: temporaryPath + "/" + file.path)
            }
            carriedModels[model.name] = model
            names.append(model.name)
        }
        return names
    }

    /// Makes the generation durable and live: list every file in `manifest.json`, fsync the files and
    /// folders, rename `N.tmp` to `N`, then point `CURRENT` at it (write a temporary pointer, fsync,
    /// rename, fsync the folder).
    ///
    /// Every segment file is opened and validated first, so a broken file is never published, and every
    /// file must sit in a model folder.
    @discardableResult
    public func publish(afterStep: (PublishStep) -> Void = { _ in }) throws -> GenerationNumber {
        precondition(!isPublished, "publish() called twice")
        var models: [GenerationManifest.Model] = []
        for name in try FileSystem.list(temporaryPath).sorted() where name != Generation.lockFileName {
            let folder = temporaryPath + "/" + name
            guard FileSystem.isDirectory(folder), GenerationManifest.isValidModelName(name) else {
                throw SegmentError(
                    path: folder,
                    reason: .generation(detail: "not a model folder; every file of a generation belongs to a model")
                )
            }
            if let carried = carriedModels[name] {
                models.append(carried)
                continue
            }
            var files: [GenerationManifest.File] = []
            for fileName in try FileSystem.list(folder).sorted() {
                let path = folder + "/" + fileName
                if fileName.hasSuffix(".tmp") {
                    throw SegmentError(path: path, reason: .generation(detail: "a writer did not finish"))
                }
                if fileName.hasSuffix(Generation.segmentSuffix) { _ = try SegmentReader(path: path) }
                let mapped = try MappedFile(path: path)
                files.append(
                    GenerationManifest.File(
                        path: name + "/" + fileName,
                        sizeBytes: Int64(mapped.bytes.count),
                        crc32c: CRC32C.checksum(mapped.bytes)
                    )
                )
            }
            models.append(GenerationManifest.Model(name: name, trainedInGeneration: number.rawValue, files: files))
        }
        let manifest = GenerationManifest(
            formatVersion: GenerationManifest.currentFormatVersion,
            generation: number.rawValue,
            publishedAt: Timestamp.now().description,
            models: models
        )
        try FileSystem.writeFileDurably(
            temporaryPath + "/" + GenerationManifest.fileName,
            bytes: try manifest.encoded()
        )
        for model in models {
            for file in model.files { try FileSystem.fsync(path: temporaryPath + "/" + file.path) }
            try FileSystem.fsync(path: temporaryPath + "/" + model.name, isDirectory: true)
        }
        afterStep(.syncedFiles)
        try FileSystem.fsync(path: temporaryPath, isDirectory: true)
        afterStep(.syncedFolder)
        let finalPath = store.path(of: number)
        try FileSystem.rename(temporaryPath, to: finalPath)
        afterStep(.renamedFolder)
        try FileSystem.fsync(path: store.folder, isDirectory: true)
        afterStep(.syncedParentAfterRename)
        let pointerTemporary = store.currentPointerPath + ".tmp"
        try FileSystem.writeFileDurably(pointerTemporary, bytes: Array("\(number)\n".utf8))
        afterStep(.wrotePointer)
        try FileSystem.rename(pointerTemporary, to: store.currentPointerPath)
        afterStep(.renamedPointer)
        try FileSystem.fsync(path: store.folder, isDirectory: true)
        afterStep(.syncedParentAfterPointer)
        isPublished = true
        return number
    }

    /// Removes the unpublished folder, for a training run that gives up.
    public func discard() throws {
        precondition(!isPublished, "discard() after publish()")
        try FileSystem.removeTree(temporaryPath)
    }
}

/// An open generation: the files its manifest lists, segment files mapped and validated, and a shared
/// lock that keeps it from being retired while held.
///
/// Hold it as long as its data is in use; when the last reference goes, its files are unmapped and the
/// lock is released. A newer publication does not disturb it.
public final class Generation: Sendable {
    static let lockFileName = "LOCK"
    static let segmentSuffix = ".seg"

    /// Its number.
    public let number: GenerationNumber
    /// Its folder.
    public let path: String
    /// What it holds.
    public let manifest: GenerationManifest
    /// Its segment files by path relative to the folder, such as `recommender/items.seg`.
    public let segments: [String: SegmentReader]
    private let lock: Int32

    init(number: GenerationNumber, path: String, configuration: SegmentReaderConfiguration) throws {
        self.number = number
        self.path = path
        let lock = openFile(path + "/" + Self.lockFileName)
        guard lock >= 0 else {
            throw SegmentError(
                path: path,
                reason: .generation(detail: "generation \(number) is missing or incomplete (no LOCK file)")
            )
        }
        guard flock(lock, LOCK_SH) == 0 else {
            let error = FileSystem.error(path, "flock")
            close(lock)
            throw error
        }
        self.lock = lock
        do {
            let manifest = try GenerationManifest.read(folder: path)
            guard manifest.generation == number.rawValue else {
                throw SegmentError(
                    path: path + "/" + GenerationManifest.fileName,
                    reason: .generation(detail: "lists generation \(manifest.generation), not \(number)")
                )
            }
            var segments: [String: SegmentReader] = [:]
            for file in manifest.files {
                let filePath = path + "/" + file.path
                let size = try FileSystem.size(filePath)
                guard size == file.sizeBytes else {
                    throw SegmentError(
                        path: filePath,
                        reason: .generation(detail: "\(size) bytes where the manifest lists \(file.sizeBytes)")
                    )
                }
                if file.path.hasSuffix(Self.segmentSuffix) {
                    segments[file.path] = try SegmentReader(path: filePath, configuration: configuration)
                }
            }
            self.manifest = manifest
            self.segments = segments
        } catch {
            close(lock)
            throw error
        }
    }

    deinit { close(lock) }

    /// Whether the generation holds `model`.
    public func contains(model: String) -> Bool {
        manifest.model(model) != nil
    }

    /// The absolute path of `file` in this generation.
    public func path(of file: GenerationFile) -> String {
        path + "/" + file.relativePath
    }

    /// The segment file `file`, or an error naming the generation and the file.
    public func segment(_ file: GenerationFile) throws -> SegmentReader {
        guard let segment = segments[file.relativePath] else {
            throw SegmentError(
                path: path(of: file),
                reason: .generation(detail: "generation \(number) has no such segment file")
            )
        }
        return segment
    }

    /// Checks every byte: each listed file's size and CRC-32C against the manifest, and each segment file
    /// whole (``SegmentReader/verify()``: every column's parts and every zstd frame), plus files in model
    /// folders that the manifest does not list. Returns every failure found, each naming the file (and
    /// the column, where a column failed); an empty result means the generation is intact.
    public func verify() -> [SegmentError] {
        var failures: [SegmentError] = []
        for file in manifest.files {
            let filePath = path + "/" + file.path
            if let reader = segments[file.path] {
                do { try reader.verify() } catch let error as SegmentError { failures.append(error) } catch {
                    failures.append(SegmentError(path: filePath, reason: .generation(detail: "\(error)")))
                }
            }
            do {
                let mapped = try MappedFile(path: filePath)
                if Int64(mapped.bytes.count) != file.sizeBytes {
                    failures.append(
                        SegmentError(
                            path: filePath,
                            reason: .generation(
                                detail: "\(mapped.bytes.count) bytes where the manifest lists \(file.sizeBytes)"
                            )
                        )
                    )
                } else if CRC32C.checksum(mapped.bytes) != file.crc32c {
                    failures.append(
                        SegmentError(
                            path: filePath,
                            reason: .checksumMismatch(structure: "whole file, against the manifest")
                        )
                    )
                }
            } catch let error as SegmentError {
                failures.append(error)
            } catch {
                failures.append(SegmentError(path: filePath, reason: .generation(detail: "\(error)")))
            }
        }
        let listed = Set(manifest.files.map(\.path))
        for model in manifest.models {
            let names: [String]
            do { names = try FileSystem.list(path + "/" + model.name) } catch let error as SegmentError {
                failures.append(error)
                continue
            } catch {
                failures.append(SegmentError(path: path + "/" + model.name, reason: .generation(detail: "\(error)")))
                continue
            }
            for name in names.sorted() where !listed.contains(model.name + "/" + name) {
                failures.append(
                    SegmentError(
                        path: path + "/" + model.name + "/" + name,
                        reason: .generation(detail: "not listed in the manifest")
                    )
                )
            }
        }
        return failures
    }
}

/// `open(2)` read-only; the types above have `open` methods of their own that shadow it.
private func openFile(_ path: String) -> Int32 {
    open(path, O_RDONLY | O_CLOEXEC)
}

import AampeCore
import AampeStore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeJobs

/// The pipeline's pass logic with steps of its own, so each rule is checked without training anything:
/// a failed step stops the pass, the lock keeps two passes apart, dropped files are moved, the report
/// is bounded.
@Suite("nightly pipeline: steps, failure, lock, drop folder, report")
struct NightlyPipelineTests {
    static func directory(_ folder: TemporaryFolder) throws -> DataDirectory {
        let directory = DataDirectory(path: folder.child("data"))
        _ = try directory.initialize()
        return directory
    }

    struct Boom: Error, CustomStringConvertible { var description: String { "boom: no data" } }

    static let instant = Timestamp(iso8601: "2026-12-03T02:30:00Z")!

    @Test("the first failing step fails the pass with its error; the steps after it are skipped, not run")
    func failureStopsThePass() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let ran = Counter()
        let steps = [
            PipelineStep("first") { _ in
                ran.add("first")
                return "did the first"
            },
            PipelineStep("second") { _ in
                ran.add("second")
                throw Boom()
            },
            PipelineStep("third") { _ in
                ran.add("third")
                return "did the third"
            },
        ]
        let report = try NightlyPipeline.run(
            directory: directory,
            drop: nil,
            files: [],
            trigger: "manual",
            settings: PipelineSettings(),
            steps: steps,
            now: { Self.instant }
        )
        #expect(ran.names == ["first", "second"])
        #expect(report.status == .failed)
        #expect(report.steps.map(\.status) == [.succeeded, .failed, .skipped])
        #expect(report.steps[0].summary == "did the first")
        #expect(report.failedStep?.name == "second" && report.failedStep?.error == "boom: no data")
        #expect(report.startedAt == "2026-12-03T02:30:00Z" && report.finishedAt == "2026-12-03T02:30:00Z")
        // What status reads is what the pass returned.
        #expect(try PipelineReport.read(directory) == report)
    }

    @Test("a pass asked to stop skips the steps it has not begun, and says it stopped")
    func stopping() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let ran = Counter()
        let steps = ["a", "b"].map { name in
            PipelineStep(name) { _ in
                ran.add(name)
                return name
            }
        }
        let report = try NightlyPipeline.run(
            directory: directory,
            drop: nil,
            files: [],
            trigger: "daily",
            settings: PipelineSettings(),
            steps: steps,
            shouldStop: { !ran.names.isEmpty }
        )
        #expect(ran.names == ["a"])
        #expect(report.status == .stopped && report.steps.map(\.status) == [.succeeded, .skipped])
    }

    @Test("a second pass while one holds pipeline.lock fails at once, naming the lock, and keeps the first's report")
    func lock() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let steps = [PipelineStep("only") { _ in "ok" }]
        _ = try NightlyPipeline.run(
            directory: directory,
            drop: nil,
            files: [],
            trigger: "manual",
            settings: PipelineSettings(),
            steps: steps
        )
        let before = try PipelineReport.read(directory)
        var held: JobLock? = try JobLock(path: directory.pipelineLockPath, busy: .pipelineRunning(lockPath: ""))
        let error = try #require(throws: JobError.self) {
            try NightlyPipeline.run(
                directory: directory,
                drop: nil,
                files: [],
                trigger: "arrival",
                settings: PipelineSettings(),
                steps: steps
            )
        }
        #expect(error.description.contains(directory.pipelineLockPath))
        #expect(try PipelineReport.read(directory) == before)
        #expect(held != nil)
        held = nil
        #expect(throws: Never.self) {
            _ = try NightlyPipeline.run(
                directory: directory,
                drop: nil,
                files: [],
                trigger: "arrival",
                settings: PipelineSettings(),
                steps: steps
            )
        }
    }

    @Test(
        "the standard steps on a data directory with no events: landscape fails for want of data, nothing is published"
    )
    func noData() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let report = try NightlyPipeline.run(
            directory: directory,
            drop: nil,
            files: [],
            trigger: "manual",
            settings: PipelineSettings()
        )
        #expect(
            report.steps.map(\.name) == ["import", "landscape", "timing", "recommender", "model", "assign", "report"]
        )
        #expect(report.steps.map(\.status) == [.succeeded, .failed, .skipped, .skipped, .skipped, .skipped, .skipped])
        #expect(report.failedStep?.error?.contains("no imported events") == true)
        #expect(try DataDirectoryStatus(directory: directory, store: directory.openStore()).currentGeneration == nil)
        // The failed training is in the run history as the job recorded it.
        let runs = try directory.openStore().runs.recent(limit: 5, kind: .train)
        #expect(runs.count == 1 && runs[0].status == .failed && runs[0].subject == "landscape")
    }

    @Test(
        "a manual training holding the job lock makes the pipeline's first training step fail at once, naming the lock"
    )
    func manualTrainingHoldsTheLock() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let drop = folder.child("drop")
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        try "user_id,event,timestamp\nu1,app_opened,2026-12-01T10:00:00Z\n".write(
            toFile: drop + "/events.csv",
            atomically: false,
            encoding: .utf8
        )
        let held = try JobLock(directory: directory)
        let report = try NightlyPipeline.run(
            directory: directory,
            drop: DropFolder(path: drop),
            files: try DropFolder(path: drop).list(),
            trigger: "daily",
            settings: PipelineSettings()
        )
        withExtendedLifetime(held) {}
        // The import takes the import lock, not the job lock, so it ran.
        #expect(report.steps.map(\.status) == [.succeeded, .failed, .skipped, .skipped, .skipped, .skipped, .skipped])
        #expect(report.failedStep?.name == "landscape")
        #expect(report.failedStep?.error?.contains(directory.jobLockPath) == true)
    }

    @Test("the drop folder lists events, users/ and catalog/, skips . and _ names and other folders")
    func listing() throws {
        let folder = try TemporaryFolder()
        let drop = folder.child("drop")
        for sub in ["users", "catalog", "processed/x", "other"] {
            try FileManager.default.createDirectory(atPath: drop + "/" + sub, withIntermediateDirectories: true)
        }
        for name in [
            "events.csv", "users/u.csv", "catalog/c.csv", ".partial.csv", "_SUCCESS", "processed/x/old.csv",
            "other/o.csv",
        ] {
            try "x\n".write(toFile: drop + "/" + name, atomically: false, encoding: .utf8)
        }
        let files = try DropFolder(path: drop).list()
        #expect(files.map(\.relativePath) == ["catalog/c.csv", "events.csv", "users/u.csv"])
        #expect(files.map(\.kind) == [.catalog, .events, .users])
        #expect(files.allSatisfy { $0.sizeBytes == 2 && $0.modifiedMicros > 0 })
        #expect(throws: JobError.self) { try DropFolder(path: folder.child("missing")).list() }
    }

    @Test("the import step moves a read file to processed/ and an unreadable one to failed/, then fails naming it")
    func importMovesFiles() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let drop = folder.child("drop")
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        try "user_id,event,timestamp\nu1,app_opened,2026-12-01T10:00:00Z\n".write(
            toFile: drop + "/good.csv",
            atomically: false,
            encoding: .utf8
        )
        // Not zstd at all: the reader refuses the whole file.
        try Data("not compressed".utf8).write(to: URL(fileURLWithPath: drop + "/bad.csv.zst"))
        let dropFolder = DropFolder(path: drop)
        let report = try NightlyPipeline.run(
            directory: directory,
            drop: dropFolder,
            files: try dropFolder.list(),
            trigger: "manual",
            settings: PipelineSettings(),
            steps: [PipelineStep("import", body: NightlyPipeline.importDrop)],
            now: { Self.instant }
        )
        let error = try #require(report.failedStep?.error)
        #expect(error.contains("bad.csv.zst") && !error.contains("good.csv"))
        let pass = "2026-12-03T02-30-00.000000Z"
        #expect(FileManager.default.fileExists(atPath: "\(drop)/processed/\(pass)/good.csv"))
        #expect(FileManager.default.fileExists(atPath: "\(drop)/failed/\(pass)/bad.csv.zst"))
        #expect(try dropFolder.list().isEmpty)
        // The good file's event was imported all the same.
        let runs = try directory.openStore().runs.recent(limit: 5, kind: .import)
        #expect(runs.first?.counters["accepted"] == 1)
    }

    @Test("status reads a report of maximumPipelineReportBytes and refuses one byte more")
    func reportLimit() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let report = PipelineReport(trigger: "manual", status: .succeeded, startedAt: "x", steps: [])
        let json = Array(try JSONEncoder().encode(report))
        let padding = Limits.maximumPipelineReportBytes - json.count
        try FileIO.replaceAtomically(directory.pipelineReportPath, bytes: json + Array(repeating: 0x20, count: padding))
        #expect(try PipelineReport.read(directory) == report)
        try FileIO.replaceAtomically(
            directory.pipelineReportPath,
            bytes: json + Array(repeating: 0x20, count: padding + 1)
        )
        let error = try #require(throws: JobError.self) { try PipelineReport.read(directory) }
        #expect(error.description.contains("pipeline.json") && error.description.contains("larger than"))
    }

    @Test("a pass imports at most maximumDropFilesPerPass files, the first in path order")
    func fileLimit() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let seen = Counter()
        for count in [Limits.maximumDropFilesPerPass, Limits.maximumDropFilesPerPass + 1] {
            let files = (0..<count).reversed().map { index in
                DropFolder.File(
                    path: String(format: "/drop/%05d.csv", index),
                    relativePath: String(format: "%05d.csv", index),
                    kind: .events,
                    sizeBytes: 1,
                    modifiedMicros: 1
                )
            }
            _ = try NightlyPipeline.run(
                directory: directory,
                drop: nil,
                files: files,
                trigger: "manual",
                settings: PipelineSettings(),
                steps: [
                    PipelineStep("count") { pass in
                        seen.add(pass.files.last!.relativePath)
                        return ""
                    }
                ]
            )
        }
        let last = String(format: "%05d.csv", Limits.maximumDropFilesPerPass - 1)
        #expect(seen.names == [last, last])
    }
}

/// Names recorded by steps, which run on the calling thread but are `@Sendable` closures.
final class Counter: @unchecked Sendable {
    // @unchecked: the one field is read and written under the lock.
    private let lock = NSLock()
    private var recorded: [String] = []
    func add(_ name: String) { lock.withLock { recorded.append(name) } }
    var names: [String] { lock.withLock { recorded } }
}

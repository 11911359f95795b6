import AampeCore
import AampeLearning
import AampeSegments
import AampeStore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeJobs

@Suite("batch runs: the job lock, the run record, publication with carry-over and retirement")
struct BatchRunTests {
    /// A fresh, initialized data directory.
    static func directory(_ folder: TemporaryFolder) throws -> DataDirectory {
        let directory = DataDirectory(path: folder.child("data"))
        _ = try directory.initialize()
        return directory
    }

    @Test("a training run while another holds the job lock stops at once, naming the lock, and records nothing")
    func busy() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        var held: JobLock? = try JobLock(directory: directory)
        let error = try #require(throws: JobError.self) {
            try TrainRecommenderJob.run(directory: directory, settings: RecommenderSettings())
        }
        #expect(error.description.contains(directory.jobLockPath))
        #expect(try directory.openStore().runs.recent(limit: 10).isEmpty)
        #expect(held != nil)
        held = nil
        // Released with its holder: the next run takes it.
        #expect(throws: Never.self) { _ = try JobLock(directory: directory) }
    }

    @Test("a job that fails is recorded as failed with its error; one that succeeds with its counters")
    func recorded() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        #expect(throws: Boom.self) {
            try BatchRun.run(.train, subject: "test", directory: directory, buildsGeneration: true) {
                _ -> (Int, RunCounters) in
                throw Boom()
            }
        }
        let value = try BatchRun.run(.evaluate, subject: "test", directory: directory, buildsGeneration: false) { _ in
            (42, RunCounters(["answers": 42]))
        }
        #expect(value == 42)
        let runs = try directory.openStore().runs.recent(limit: 10)
        #expect(runs.count == 2)
        let failed = try #require(runs.first { $0.kind == .train })
        #expect(failed.status == .failed && failed.error == "boom")
        let succeeded = try #require(runs.first { $0.kind == .evaluate })
        #expect(succeeded.status == .succeeded && succeeded.counters["answers"] == 42)
    }

    /// Publishes `model` with one file holding `value`.
    static func publish(_ directory: DataDirectory, model: String, value: UInt32) throws -> GenerationPublisher.Outcome
    {
        try GenerationPublisher.publish(model: model, in: directory) { builder in
            let writer = try SegmentWriter(
                path: builder.path(of: GenerationFile(model: model, name: "data.seg")),
                kind: .generic
            )
            try writer.writeColumn("value", values: [value])
            try writer.finish()
        }
    }

    @Test("each publication carries the other models over and retires generations beyond the newest 3")
    func publication() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        let first = try Self.publish(directory, model: "alpha", value: 1)
        #expect(first.generation == 1 && first.carriedOver.isEmpty)
        let second = try Self.publish(directory, model: "beta", value: 2)
        #expect(second.carriedOver == ["alpha"])
        var last = second
        for value in 3...6 { last = try Self.publish(directory, model: "alpha", value: UInt32(value)) }
        #expect(last.generation == 6 && last.carriedOver == ["beta"] && last.retirementError == nil)
        let store = GenerationStore(dataDirectory: directory)
        #expect(try store.publishedNumbers().map(\.rawValue) == [4, 5, 6])
        let live = try #require(try store.openCurrent())
        #expect(live.manifest.model("beta")?.trainedInGeneration == 2)
        #expect(live.manifest.model("alpha")?.trainedInGeneration == 6)
    }

    @Test("a model whose writer fails publishes nothing and leaves no folder behind")
    func failedWrite() throws {
        let folder = try TemporaryFolder()
        let directory = try Self.directory(folder)
        _ = try Self.publish(directory, model: "alpha", value: 1)
        struct Broken: Error {}
        #expect(throws: Broken.self) {
            try GenerationPublisher.publish(model: "beta", in: directory) { _ in throw Broken() }
        }
        let store = GenerationStore(dataDirectory: directory)
        #expect(try store.currentNumber()?.rawValue == 1)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.generationsPath).sorted() == ["1", "CURRENT"]
        )
    }
}

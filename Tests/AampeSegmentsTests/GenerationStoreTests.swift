import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeSegments

#if canImport(Glibc)
import Glibc
#endif

@Suite("Generations: publish, open, retire")
struct GenerationStoreTests {
    /// Writes a generation whose every value is its own number, so a reader can tell them apart.
    /// The one file the test generations hold.
    static let items = GenerationFile(model: "test", name: "items.seg")

    @discardableResult
    static func publishGeneration(
        _ store: GenerationStore,
        rows: Int = 1000,
        afterStep: (PublishStep) -> Void = { _ in }
    ) throws -> GenerationNumber {
        let builder = try store.begin()
        let value = UInt64(builder.number.rawValue)
        let writer = try SegmentWriter(path: builder.path(of: Self.items), kind: .items)
        try writer.writeColumn("generation", values: repeatElement(value, count: rows))
        try writer.writeColumn("cold", codec: .zstd, values: repeatElement(value * 10, count: rows))
        try writer.finish()
        return try builder.publish(afterStep: afterStep)
    }

    /// Reads every value of a generation and checks it against its number.
    static func check(_ generation: Generation) throws -> Bool {
        let segment = try generation.segment(Self.items)
        let hot = try segment.scalarColumn("generation", as: UInt64.self)
        let cold = try segment.scalarColumn("cold", as: UInt64.self)
        let number = generation.number.rawValue
        var isCorrect = hot.count > 0
        for row in 0..<hot.count {
            isCorrect = try isCorrect && hot.value(at: row) == number && cold.value(at: row) == number * 10
        }
        return isCorrect
    }

    @Test("before any publication there is no current generation")
    func empty() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        #expect(try store.currentNumber() == nil)
        #expect(try store.openCurrent() == nil)
        #expect(try store.publishedNumbers() == [])
    }

    @Test("publishing moves CURRENT, and each generation stays readable")
    func publishAndOpen() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        #expect(try Self.publishGeneration(store) == GenerationNumber(rawValue: 1))
        #expect(try Self.publishGeneration(store) == GenerationNumber(rawValue: 2))
        #expect(try store.currentNumber() == GenerationNumber(rawValue: 2))
        #expect(try store.publishedNumbers().map(\.rawValue) == [1, 2])
        let current = try #require(try store.openCurrent())
        #expect(current.number.rawValue == 2)
        #expect(try Self.check(current))
        #expect(try Self.check(store.open(GenerationNumber(rawValue: 1))))
        #expect(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: store.currentPointerPath)), as: UTF8.self)
                == "2\n"
        )
    }

    @Test("an unfinished writer or an abandoned build is never published")
    func unfinished() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        let builder = try store.begin()
        let writer = try SegmentWriter(
            path: builder.path(of: GenerationFile(model: "test", name: "a.seg")),
            kind: .generic
        )
        try writer.writeColumn("x", values: [UInt8(1)])
        #expect(throws: SegmentError.self) { try builder.publish() }
        #expect(try store.currentNumber() == nil)
        try builder.discard()
        #expect(try FileSystem.list(store.folder).isEmpty)
        _ = writer
    }

    @Test("a malformed CURRENT is an error naming the pointer file")
    func badPointer() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        try Self.publishGeneration(store)
        try Data("12abc\n".utf8).write(to: URL(fileURLWithPath: store.currentPointerPath))
        #expect(
            throws: SegmentError(
                path: store.currentPointerPath,
                reason: .generation(detail: "does not hold a generation number")
            )
        ) {
            try store.currentNumber()
        }
    }

    @Test("retiring keeps the newest N, the current and the previous one, and any held open")
    func retirement() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        for _ in 0..<5 { try Self.publishGeneration(store) }
        var held: Generation? = try store.open(GenerationNumber(rawValue: 2))
        let report = try store.retire(keeping: 0)
        // 5 is current and 4 previous: never deleted, even when keeping 0. 2 is held.
        #expect(report.deleted.map(\.rawValue) == [1, 3])
        #expect(report.held.map(\.rawValue) == [2])
        #expect(try store.publishedNumbers().map(\.rawValue) == [2, 4, 5])
        #expect(try Self.check(held!))
        held = nil
        #expect(try store.retire(keeping: 0).deleted.map(\.rawValue) == [2])
        #expect(try store.publishedNumbers().map(\.rawValue) == [4, 5])
        #expect(try Self.publishGeneration(store).rawValue == 6)
        #expect(try store.retire(keeping: 3).deleted.isEmpty)
    }

    @Test("a reader keeps reading generation N while N+1 and N+2 are published and N is retired")
    func concurrentReader() async throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        try Self.publishGeneration(store, rows: 20_000)
        let generation = try #require(try store.openCurrent())
        let stop = Flag()
        let reader = Task.detached { () throws -> Int in
            var passes = 0
            repeat {
                guard try Self.check(generation) else { return -1 }
                passes += 1
            } while !stop.isSet || passes < 3
            return passes
        }
        try Self.publishGeneration(store, rows: 20_000)
        try Self.publishGeneration(store, rows: 20_000)
        let report = try store.retire(keeping: 0)
        #expect(report.held == [generation.number])
        stop.set()
        let passes = try await reader.value
        #expect(passes >= 3, "every pass over generation 1 read its own values")
        #expect(try store.currentNumber()?.rawValue == 3)
    }

    @Test(
        "a process killed at any step of publishing leaves CURRENT on a complete generation",
        arguments: PublishStep.allCases
    )
    func crashDuringPublish(step: PublishStep) async throws {
        let folder = try TemporaryFolder()
        let generations = folder.child("generations")
        let store = GenerationStore(folder: generations)
        try Self.publishGeneration(store)
        let stepCode = step.rawValue
        await #expect(processExitsWith: .signal(SIGKILL)) {
            [generations = generations as String, stepCode = stepCode as Int] in
            let store = GenerationStore(folder: generations)
            try GenerationStoreTests.publishGeneration(store) { reached in
                if reached.rawValue == stepCode { kill(getpid(), SIGKILL) }
            }
        }
        let current = try #require(try store.currentNumber())
        let expected: UInt64 = step.rawValue >= PublishStep.renamedPointer.rawValue ? 2 : 1
        #expect(current.rawValue == expected)
        let generation = try store.open(current)
        #expect(try Self.check(generation))
        // A later run carries on from whatever the killed one left.
        #expect(try Self.publishGeneration(store).rawValue >= 3)
        #expect(try Self.check(try #require(try store.openCurrent())))
    }
}

/// A flag set by one task and read by another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

@Suite("Generations: retention setting")
struct GenerationRetentionTests {
    @Test("retireOld keeps exactly the configured number of newest generations")
    func retention() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"), retainedGenerations: 3)
        for _ in 0..<3 { try GenerationStoreTests.publishGeneration(store) }
        #expect(try store.retireOld().deleted.isEmpty)
        try GenerationStoreTests.publishGeneration(store)
        #expect(try store.retireOld().deleted.map(\.rawValue) == [1])
        #expect(try store.publishedNumbers().map(\.rawValue) == [2, 3, 4])
    }
}

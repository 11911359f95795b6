import AampeCore
import AampeSegments
import AampeTestSupport
import Logging
import Synchronization
import Testing

@testable import AampeDaemon

/// The registry of model views: one registration serves a model, and a view that fails its checks keeps
/// the whole generation out.
@Suite("generation manager: the registry of model views")
struct GenerationManagerTests {
    static let file = GenerationFile(model: "counter", name: "value.seg")

    /// A model view that reads one number, and refuses 13.
    struct CounterView: ModelView {
        static let model = "counter"
        let value: UInt32

        init(generation: Generation) throws {
            let segment = try generation.segment(GenerationManagerTests.file)
            value = try segment.scalarColumn("value", as: UInt32.self).value(at: 0)
            if value == 13 {
                throw SegmentError(
                    path: generation.path(of: GenerationManagerTests.file),
                    column: "value",
                    reason: .generation(detail: "13 is refused")
                )
            }
        }
    }

    /// A view of a model that no generation here holds.
    struct AbsentView: ModelView {
        static let model = "absent"
        init(generation: Generation) throws { Issue.record("built a view of a model the generation does not hold") }
    }

    static func publish(_ store: GenerationStore, _ value: UInt32) throws {
        let builder = try store.begin()
        let writer = try SegmentWriter(path: try builder.path(of: file), kind: .generic)
        try writer.writeColumn("value", values: [value])
        try writer.finish()
        try builder.publish()
    }

    @Test(
        "a registered view is built for each new generation, onLoad runs once per swap, and a refused view keeps the previous generation"
    )
    func registry() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        let loads = Mutex<[UInt32]>([])
        var registry = ModelRegistry()
        registry.register(CounterView.self) { view in loads.withLock { $0.append(view.value) } }
        registry.register(AbsentView.self)
        let manager = GenerationManager(
            store: store,
            pollIntervalMillis: 0,
            logger: Logger(label: "test"),
            registry: registry
        )

        #expect(try manager.reload().current == nil)
        #expect(manager.view(CounterView.self) == nil)
        try Self.publish(store, 7)
        #expect(try manager.reload().changed)
        #expect(manager.view(CounterView.self)?.value == 7)
        #expect(manager.view(AbsentView.self) == nil)
        #expect(try manager.reload().changed == false)

        try Self.publish(store, 13)
        let error = try #require(throws: SegmentError.self) { try manager.reload() }
        #expect(error.column == "value" && error.check == "13 is refused")
        #expect(manager.current?.number.rawValue == 1 && manager.view(CounterView.self)?.value == 7)

        try Self.publish(store, 8)
        #expect(try manager.reload().current?.rawValue == 3)
        #expect(manager.view(CounterView.self)?.value == 8)
        #expect(loads.withLock { $0 } == [7, 8])
    }
}

public import AampeCore
public import AampeSegments
public import Logging
public import ServiceLifecycle
import Synchronization

/// The models the daemon serves: one ``ModelView`` type per model, with what to do when a generation
/// with that model is swapped in. Adding a model to the daemon is one ``register(_:onLoad:)``.
///
/// Fill it before making the ``GenerationManager``, which takes a copy: registering afterwards changes
/// nothing the manager serves. Each model name may be registered once.
public struct ModelRegistry: Sendable {
    struct Entry: Sendable {
        let type: any ModelView.Type
        let build: @Sendable (Generation) throws -> any ModelView
        let onLoad: @Sendable (any ModelView) -> Void
    }
    private(set) var entries: [Entry] = []

    /// No models.
    public init() {}

    /// Serves `type`'s view of every generation that holds `type.model`; `onLoad` runs after such a
    /// generation is swapped in.
    public mutating func register<View: ModelView>(_ type: View.Type, onLoad: (@Sendable (View) -> Void)? = nil) {
        precondition(!entries.contains { $0.type.model == type.model }, "model '\(type.model)' registered twice")
        entries.append(
            Entry(
                type: type,
                build: { try View(generation: $0) },
                onLoad: { view in onLoad?(view as! View) }
            )
        )
    }
}

/// Keeps the live generation mapped, with a view per registered model, and swaps in a new one when
/// `generations/CURRENT` moves.
///
/// Requests read a view once and use it to the end; a swap replaces the reference for later requests,
/// and ARC unmaps the old generation when the last request using it finishes. So a reload fails no
/// request, and a generation whose files or any registered view fail their checks is never swapped in.
///
/// Use: register the served models in a ``ModelRegistry``, make the manager, and run it as a service
/// after the store is checked and before the server starts, so the first generation is loaded (or its
/// failure logged) by the time requests arrive. A request handler calls ``view(_:)`` once per request
/// and keeps the returned view to its end; a view that holds its ``Generation`` (as the recommender's
/// does) keeps it mapped and safe from retirement until then. ``reload()`` may be called from any thread
/// (RELOAD does, from the thread pool); reloads are serialized, and ``current`` and ``view(_:)`` never
/// wait for a reload's mapping.
public final class GenerationManager: Service, Sendable {
    private let store: GenerationStore
    private let pollIntervalMillis: Int
    private let logger: Logger
    private let registry: ModelRegistry
    private let loaded = Mutex<Loaded?>(nil)

    /// A mapped generation and the views built from it once, at load.
    struct Loaded: Sendable {
        var generation: Generation
        /// By the view type's `ObjectIdentifier`; only models the generation holds.
        var views: [ObjectIdentifier: any ModelView]
    }
    /// Serializes reloads, so that a RELOAD and the watcher never map the same generation twice.
    private let reloading = Mutex<Void>(())

    /// What a reload did.
    public struct ReloadOutcome: Sendable, Hashable {
        /// The generation loaded before the reload; `nil`: none was.
        public var previous: GenerationNumber?
        /// The generation loaded after it; `nil`: none is published yet.
        public var current: GenerationNumber?
        /// Whether the reload swapped in another generation.
        public var changed: Bool { previous != current }
    }

    /// Watches `store`, polling `CURRENT` every `pollIntervalMillis` (0: only on RELOAD), and serves the
    /// models in `registry`.
    public init(store: GenerationStore, pollIntervalMillis: Int, logger: Logger, registry: ModelRegistry) {
        self.store = store
        self.pollIntervalMillis = pollIntervalMillis
        self.logger = logger
        self.registry = registry
    }

    /// The live generation, or `nil` before the first publication.
    public var current: Generation? { loaded.withLock { $0?.generation } }

    /// The live generation's view of `type`'s model, or `nil` when no live generation holds it.
    public func view<View: ModelView>(_ type: View.Type) -> View? {
        loaded.withLock { $0?.views[ObjectIdentifier(type)] as? View }
    }

    /// The live generation's views of two models, read at once, so both come from the same generation.
    public func views<First: ModelView, Second: ModelView>(
        _ first: First.Type,
        _ second: Second.Type
    ) -> (First?, Second?) {
        loaded.withLock {
            ($0?.views[ObjectIdentifier(first)] as? First, $0?.views[ObjectIdentifier(second)] as? Second)
        }
    }

    /// Maps the generation `CURRENT` names if it is not the one loaded. On failure the loaded generation
    /// stays and the error says which file failed which check. Blocks while mapping; call it off the
    /// event loops.
    @discardableResult
    public func reload() throws -> ReloadOutcome {
        try reloading.withLock { _ in
            let previous = loaded.withLock { $0?.generation.number }
            guard let number = try store.currentNumber() else {
                return ReloadOutcome(previous: previous, current: previous)
            }
            guard number != previous else { return ReloadOutcome(previous: previous, current: previous) }
            let generation = try store.open(number)
            // A view that fails its checks keeps the whole generation out, as a bad segment does.
            var views: [ObjectIdentifier: any ModelView] = [:]
            for entry in registry.entries where generation.contains(model: entry.type.model) {
                views[ObjectIdentifier(entry.type)] = try entry.build(generation)
            }
            loaded.withLock { $0 = Loaded(generation: generation, views: views) }
            for entry in registry.entries {
                if let view = views[ObjectIdentifier(entry.type)] { entry.onLoad(view) }
            }
            let models = generation.manifest.models.map(\.name).joined(separator: ", ")
            logger.info("serving generation \(number) (models: \(models.isEmpty ? "none" : models))")
            return ReloadOutcome(previous: previous, current: number)
        }
    }

    /// Loads the current generation, then watches for new ones until graceful shutdown.
    public func run() async throws {
        do {
            try reload()
        } catch {
            logger.error("cannot load the current generation: \(error)")
        }
        guard pollIntervalMillis > 0 else {
            try? await gracefulShutdown()
            return
        }
        // Sleeping is cancelled by graceful shutdown, so stopping does not wait out a poll interval.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(self.pollIntervalMillis))
                do {
                    try self.reload()
                } catch {
                    self.logger.error("not reloading: \(error)")
                }
            }
        }
    }
}

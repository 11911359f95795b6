public import AampeCore
public import AampeLearning
public import AampeSegments
public import Logging
public import ServiceLifecycle
import Synchronization

/// Keeps the live generation mapped and swaps in a new one when `generations/CURRENT` moves.
///
/// Requests read ``current`` once and use that generation to the end; a swap replaces the reference
/// for later requests, and ARC unmaps the old generation when the last request using it finishes. So a
/// reload fails no request, and a generation that fails validation is never swapped in.
public final class GenerationManager: Service, Sendable {
    private let store: GenerationStore
    private let pollIntervalMillis: Int
    private let logger: Logger
    private let loaded = Mutex<Loaded?>(nil)

    /// A mapped generation and what the daemon built from it once, at load.
    public struct Loaded: Sendable {
        public var generation: Generation
        /// `nil` when the generation has no recommender files.
        public var recommender: ServedRecommender?
    }
    /// Serializes reloads, so that a RELOAD and the watcher never map the same generation twice.
    private let reloading = Mutex<Void>(())

    /// What a reload did.
    public struct ReloadOutcome: Sendable, Hashable {
        public var previous: GenerationNumber?
        public var current: GenerationNumber?
        public var changed: Bool { previous != current }
    }

    /// Called after a generation with a recommender is swapped in (the real-time state prunes what the
    /// new generation already holds).
    public let onRecommender: (@Sendable (ServedRecommender) -> Void)?

    /// Watches `store`, polling `CURRENT` every `pollIntervalMillis` (0: only on RELOAD).
    public init(store: GenerationStore, pollIntervalMillis: Int, logger: Logger, onRecommender: (@Sendable (ServedRecommender) -> Void)? = nil) {
        self.onRecommender = onRecommender
        self.store = store
        self.pollIntervalMillis = pollIntervalMillis
        self.logger = logger
    }

    /// The live generation, or `nil` before the first publication.
    public var current: Generation? { loaded.withLock { $0?.generation } }

    /// The live recommender, or `nil` before a generation with one is published.
    public var recommender: ServedRecommender? { loaded.withLock { $0?.recommender } }

    /// Maps the generation `CURRENT` names if it is not the one loaded. On failure the loaded generation
    /// stays and the error says which file failed which check. Blocks while mapping; call it off the
    /// event loops.
    @discardableResult
    public func reload() throws -> ReloadOutcome {
        try reloading.withLock { _ in
            let previous = loaded.withLock { $0?.generation.number }
            guard let number = try store.currentNumber() else { return ReloadOutcome(previous: previous, current: previous) }
            guard number != previous else { return ReloadOutcome(previous: previous, current: previous) }
            let generation = try store.open(number)
            // A recommender that fails its checks keeps the whole generation out, as a bad segment does.
            let recommender = RecommenderFiles.isPresent(in: generation) ? try ServedRecommender(generation: generation) : nil
            loaded.withLock { $0 = Loaded(generation: generation, recommender: recommender) }
            if let recommender { onRecommender?(recommender) }
            logger.info("serving generation \(number) (\(generation.segments.count) segment files)")
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

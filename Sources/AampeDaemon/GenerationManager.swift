public import AampeCore
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
    private let loaded = Mutex<Generation?>(nil)
    /// Serializes reloads, so that a RELOAD and the watcher never map the same generation twice.
    private let reloading = Mutex<Void>(())

    /// What a reload did.
    public struct ReloadOutcome: Sendable, Hashable {
        public var previous: GenerationNumber?
        public var current: GenerationNumber?
        public var changed: Bool { previous != current }
    }

    /// Watches `store`, polling `CURRENT` every `pollIntervalMillis` (0: only on RELOAD).
    public init(store: GenerationStore, pollIntervalMillis: Int, logger: Logger) {
        self.store = store
        self.pollIntervalMillis = pollIntervalMillis
        self.logger = logger
    }

    /// The live generation, or `nil` before the first publication.
    public var current: Generation? { loaded.withLock { $0 } }

    /// Maps the generation `CURRENT` names if it is not the one loaded. On failure the loaded generation
    /// stays and the error says which file failed which check. Blocks while mapping; call it off the
    /// event loops.
    @discardableResult
    public func reload() throws -> ReloadOutcome {
        try reloading.withLock { _ in
            let previous = loaded.withLock { $0?.number }
            guard let number = try store.currentNumber() else { return ReloadOutcome(previous: previous, current: previous) }
            guard number != previous else { return ReloadOutcome(previous: previous, current: previous) }
            let generation = try store.open(number)
            loaded.withLock { $0 = generation }
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

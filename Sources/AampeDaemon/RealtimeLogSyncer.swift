internal import Logging
internal import ServiceLifecycle

/// Syncs the real-time log to disk once a second while it has unsynced writes, and once more at shutdown:
/// the "at most one second" half of ``RealtimeLog``'s durability policy.
///
/// A failed sync is logged as an error each second it keeps failing; meanwhile the log refuses TRACK's
/// writes (see ``RealtimeLog``), and the first sync that succeeds again is logged too.
struct RealtimeLogSyncer: Service {
    let log: RealtimeLog
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                tick()
            }
        }
        tick()
    }

    /// One sync, with its outcome logged; returns whether the log is durable (nothing refused).
    @discardableResult
    func tick() -> Bool {
        let wasRefusing = log.isRefusingWrites
        do {
            try log.syncIfNeeded()
        } catch {
            logger.error(
                "real-time log sync failed, TRACK refused until a sync succeeds; events acknowledged in the last second may not be on disk: \(error)",
                metadata: ["failed-syncs": "\(log.syncFailureCount)"]
            )
            return false
        }
        if wasRefusing { logger.notice("real-time log sync succeeded again; TRACK accepted again") }
        return true
    }
}

internal import ServiceLifecycle

/// Syncs the real-time log to disk once a second while it has unsynced writes, and once more at shutdown:
/// the "at most one second" half of ``RealtimeLog``'s durability policy.
struct RealtimeLogSyncer: Service {
    let log: RealtimeLog

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                log.syncIfNeeded()
            }
        }
        log.syncIfNeeded()
    }
}

internal import AampeCore
internal import AampeJobs
internal import AampeLearning
internal import AampeOutbox
internal import AampeProtocol
internal import AampeSegments
internal import AampeServer
internal import AampeStore
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import ServiceLifecycle
internal import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `aamped`: wires the data directory, the generation manager and the protocol server together, and
/// runs them until SIGTERM or SIGINT.
///
/// Services start in dependency order (the store is checked first, then generations load, then the
/// server listens) and stop in reverse: the server drains before the generation watcher stops.
public enum Daemon {
    /// Runs the daemon until it is told to stop. Throws if it cannot start.
    public static func run(_ configuration: DaemonConfiguration) async throws {
        var logger = Logger(label: "aamped")
        logger.logLevel = configuration.logLevel

        // The store: refuse a folder that is not an initialized data directory, and migrate an old one.
        _ = try configuration.dataDirectory.openStore()

        var addresses: [BindAddress] = []
        if let path = configuration.unixSocketPath { addresses.append(.unix(path: path)) }
        if let tcp = configuration.tcpAddress {
            guard let address = BindAddress(tcp: tcp) else {
                throw ServerError.invalidAddress(tcp, reason: "expected HOST:PORT with a port from 0 to 65535")
            }
            addresses.append(address)
        }
        guard !addresses.isEmpty else { throw DaemonError.noListeners }
        let credentials = try configuration.tokenFile.map {
            try Credentials.load(tokenFile: $0, adminTokenFile: configuration.adminTokenFile)
        }
        var serverConfiguration = ServerConfiguration(
            addresses: addresses,
            credentials: credentials,
            serverVersion: AampeVersion.current,
            logger: logger
        )
        serverConfiguration.limits = configuration.limits
        serverConfiguration.shutdownGracePeriodMillis = configuration.shutdownGracePeriodMillis
        try serverConfiguration.validate()
        raiseOpenFileLimit(toAtLeast: configuration.limits.maximumConnections + 256, logger: logger)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: serverConfiguration.eventLoopThreads)
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()

        let statistics = ServerStatistics()
        let realtime = RealtimeState(maximumUsers: configuration.maximumRealtimeUsers)
        let freshness = CatalogFreshness(logger: logger) { [directory = configuration.dataDirectory] in
            try directory.openStore()
        }
        // Every model the daemon serves, and what a newly loaded view of it changes.
        var models = ModelRegistry()
        models.register(ServedRecommender.self) { [logger] served in
            realtime.prune(notAfterSeconds: served.model.newestTimestampSeconds)
            // The overlay drops what the new generation's catalog holds, and keeps what it does not.
            do { try freshness.refresh(served: served) } catch { logger.error("catalog overlay: \(error)") }
        }
        // SCORE reads the model, and the landscape places users the model does not know in a cluster.
        models.register(ServedModel.self)
        models.register(ServedLandscape.self)
        let generations = GenerationManager(
            store: GenerationStore(dataDirectory: configuration.dataDirectory),
            pollIntervalMillis: configuration.reloadPollMillis,
            logger: logger,
            registry: models
        )
        // Map the current generation before listening, so the first request is answered from it and the
        // real-time log replays with its event weights.
        do {
            try generations.reload()
        } catch {
            logger.error("cannot load the current generation: \(error)")
        }
        let clock = OutboxClock(simulatedStart: configuration.simulatedClock)
        if let start = configuration.simulatedClock {
            logger.notice("the outbox runs on a simulated clock, starting at \(start); CLOCK moves it")
        }
        let outbox = OutboxService(
            folder: OutboxFolder(path: configuration.dataDirectory.outboxPath),
            clock: clock,
            configuration: MessageStateMachine.Configuration(maximumAttempts: configuration.outboxMaximumAttempts),
            rescanIntervalMillis: configuration.outboxRescanMillis,
            logger: logger,
            retirement: configuration.outboxRetireAfterHours == 0
                ? nil
                : OutboxService.Retirement(afterSeconds: Int64(configuration.outboxRetireAfterHours) * 3_600) {
                    [directory = configuration.dataDirectory] batches in
                    // The journals hold the final statuses; the message log must have them before they go.
                    _ = try MessageLogSync.foldStatuses(
                        directory: directory,
                        store: try directory.openStore(),
                        only: Set(batches)
                    )
                }
        )
        // Real-time triggers: their timers are rebuilt from the real-time log's replay below, so the
        // content must be read first; a real-time run killed mid-commit is finished or discarded first.
        let triggers = RealtimeTriggers(
            directory: configuration.dataDirectory,
            clock: clock,
            outbox: outbox,
            logger: logger
        )
        do {
            let store = try configuration.dataDirectory.openStore()
            let recovery = try OutboxCommit.recover(
                directory: configuration.dataDirectory,
                store: store,
                caller: .daemonStarting
            )
            if !recovery.finished.isEmpty || !recovery.discarded.isEmpty {
                logger.notice(
                    "outbox batches of interrupted runs: finished \(recovery.finished), discarded \(recovery.discarded)"
                )
            }
            try triggers.refreshContent(store: store)
        } catch {
            logger.error("real-time triggers: cannot read the content or recover the outbox: \(error)")
        }
        let realtimeLog = try RealtimeLog(folder: configuration.dataDirectory.realtimePath)
        let recommendations = RecommendationService(
            generations: generations,
            realtime: realtime,
            log: realtimeLog,
            unavailableRetryAfterMillis: configuration.unavailableRetryAfterMillis,
            // TRACK stamps events on the daemon's one clock: the simulated one when the loop runs it, so
            // that trigger timers and the outbox agree on what time it is.
            clock: { clock.now() },
            triggers: triggers,
            freshness: freshness
        )
        let replayed = try recommendations.replay(folder: configuration.dataDirectory.realtimePath)
        if replayed.events > 0 || replayed.skipped > 0 {
            logger.info(
                "replayed \(replayed.events) real-time events from realtime/ (\(replayed.skipped) unreadable lines skipped)"
            )
        }
        // The replay staged TRACK item_updated patches; one refresh prunes them against the catalog and
        // publishes the overlay before the first request.
        do {
            try freshness.refresh(served: generations.view(ServedRecommender.self))
        } catch {
            logger.error("catalog overlay: \(error)")
        }
        // Every batch is mapped and replayed before listening, so the first PULL sees them all.
        try outbox.rescan()
        let handler = DaemonRequestHandler(
            generations: generations,
            statistics: statistics,
            threadPool: threadPool,
            serverVersion: AampeVersion.current,
            recommendations: recommendations,
            outbox: outbox,
            logger: logger,
            unavailableRetryAfterMillis: configuration.unavailableRetryAfterMillis
        )
        let server = try Server(
            configuration: serverConfiguration,
            handler: handler,
            statistics: statistics,
            group: group
        )
        var served: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: generations), .init(service: RealtimeLogSyncer(log: realtimeLog, logger: logger)),
            .init(service: outbox), .init(service: triggers),
        ]
        if let schedule = configuration.schedule {
            // The pipeline's passes run on the daemon's one clock (a simulated loop's too), and what they
            // publish and assign is served as soon as they end.
            let scheduler = PipelineScheduler(
                configuration: schedule,
                directory: configuration.dataDirectory,
                clock: { clock.now() },
                logger: logger,
                afterPass: { [logger] in
                    do { try outbox.rescan() } catch { logger.error("cannot list the outbox folder: \(error)") }
                    do { try generations.reload() } catch { logger.error("not reloading: \(error)") }
                }
            )
            served.append(.init(service: scheduler))
        }
        served.append(.init(service: server))
        let services = ServiceGroup(
            configuration: .init(
                services: served,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("aamped \(AampeVersion.current) starting on \(configuration.dataDirectory.path)")
        do {
            try await services.run()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        logger.info("aamped stopped")
    }

    /// Connections are file descriptors; lift the soft limit (often 1,024) toward the hard one.
    static func raiseOpenFileLimit(toAtLeast wanted: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = min(rlim_t(wanted), limit.rlim_max)
        if limit.rlim_cur < target {
            limit.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                logger.warning("could not raise the open file limit to \(target)")
            }
        }
        if Int(limit.rlim_cur) < wanted {
            logger.warning("open file limit \(limit.rlim_cur) is below maximumConnections + 256 (\(wanted))")
        }
    }
}

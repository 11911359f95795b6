import AampeCore
import AampeDaemon
import ArgumentParser
import Foundation
import Logging

/// `aamped`: serves recommendations, scores, real-time events and messages over the aamped protocol.
@main
struct AampedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aamped",
        abstract: "Serve an aamped data directory over the aamped protocol (Unix socket, and TCP when asked).",
        discussion: """
            Listens on aamped.sock in the data directory (mode 0660) unless --unix says otherwise, and on \
            TCP only with --tcp, which needs --token-file (mode 0600). Stops gracefully on SIGTERM or \
            SIGINT: no new requests, in-flight ones finish. Picks up a newly published generation on \
            RELOAD or within reloadPollMillis.
            """,
        version: AampeVersion.current
    )

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("The data directory. Default: $AAMPE_DATA_DIR, else ./aampe-data.", valueName: "path")
    )
    var dataDirectory: String?

    @Option(
        help: ArgumentHelp(
            "Unix socket path. Default: aamped.sock in the data directory; \"\" turns it off.",
            valueName: "path"
        )
    )
    var unix: String?

    @Option(
        help: ArgumentHelp("Also listen on TCP, such as 127.0.0.1:7420. Needs --token-file.", valueName: "host:port")
    )
    var tcp: String?

    @Option(help: ArgumentHelp("YAML settings file; flags override it.", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("File holding the client token (mode 0600).", valueName: "file")
    )
    var tokenFile: String?

    @Option(
        name: .customLong("admin-token-file"),
        help: ArgumentHelp("File holding the admin token (mode 0600).", valueName: "file")
    )
    var adminTokenFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(
        name: .customLong("simulated-clock"),
        help: ArgumentHelp(
            "Run the outbox (PULL, ACK, expiry) on a simulated clock starting at this instant, moved only by CLOCK; for the simulator's loop.",
            valueName: "ISO-8601"
        )
    )
    var simulatedClock: String?

    func run() async throws {
        let directory = DataDirectory.resolve(
            flag: dataDirectory,
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath
        )
        var settings = DaemonConfiguration(dataDirectory: directory)
        if let config { try settings.apply(file: config) }
        if let unix { settings.unixSocketPath = unix.isEmpty ? nil : unix }
        if let tcp { settings.tcpAddress = tcp }
        if let tokenFile { settings.tokenFile = tokenFile }
        if let adminTokenFile { settings.adminTokenFile = adminTokenFile }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError(
                    "--log-level: expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            settings.logLevel = level
        }
        if let simulatedClock {
            guard let instant = Timestamp(iso8601: simulatedClock) else {
                throw ValidationError("--simulated-clock: expected an ISO-8601 instant such as 2026-10-30T00:00:00Z")
            }
            settings.simulatedClock = instant
        }
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        try await Daemon.run(settings)
    }
}

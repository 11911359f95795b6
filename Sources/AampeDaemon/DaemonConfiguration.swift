public import AampeCore
public import AampeServer
internal import Foundation
public import Logging
internal import Yams

/// The daemon's settings: the command line's flags over the config file's values over the defaults.
///
/// The config file is YAML; every key is optional:
///
/// ```yaml
/// unix: /srv/aampe/aamped.sock     # default: aamped.sock in the data directory; "" turns it off
/// tcp: 0.0.0.0:7420                # default: off; needs tokenFile
/// tokenFile: /etc/aamped/token     # one token, mode 0600
/// adminTokenFile: /etc/aamped/admin-token
/// logLevel: info                   # trace, debug, info, notice, warning, error, critical
/// reloadPollMillis: 1000           # how often to look for a new generation; 0: only on RELOAD
/// shutdownGracePeriodMillis: 10000
/// simulatedClock: 2026-10-30T00:00:00Z  # default: off (the system clock); see OutboxClock
/// outbox:
///   rescanMillis: 5000             # how often to look for new batches in outbox/; 0: at start and RELOAD
///   maximumAttempts: 5             # leases per message before it is dead; 1 ... 10
/// limits:
///   maximumBodyBytes: 1048576
///   maximumInFlightRequests: 256
///   maximumConnections: 4096
///   handshakeTimeoutMillis: 5000
///   idleTimeoutMillis: 300000
///   maximumRealtimeUsers: 1000000  # users with real-time state; the least recently touched are evicted
/// schedule:                        # default: off; the nightly pipeline, see ScheduleConfiguration
///   drop: /srv/aampe/drop
/// ```
public struct DaemonConfiguration: Sendable {
    /// The data directory served: its store, generations and real-time log.
    public var dataDirectory: DataDirectory
    /// The Unix socket to listen on; `nil`: none. Default `aamped.sock` in the data directory.
    public var unixSocketPath: String?
    /// `HOST:PORT` to listen on over TCP; `nil` (the default): no TCP listener.
    public var tcpAddress: String?
    /// The file holding the client token (mode 0600); `nil`: no tokens, so only Unix-socket peers get in.
    /// Required with ``tcpAddress``.
    public var tokenFile: String?
    /// The file holding the admin token (RELOAD); `nil`: only Unix-socket peers running as the daemon's user
    /// or root get admin rights.
    public var adminTokenFile: String?
    /// The lowest level logged. Default `info`.
    public var logLevel: Logger.Level = .info
    /// Milliseconds between looks at `generations/CURRENT`; 0 or less: only on RELOAD. Default 1000.
    public var reloadPollMillis = 1000
    /// Milliseconds that shutdown waits for requests in flight before closing connections. Default 10 000.
    public var shutdownGracePeriodMillis = 10_000
    /// The server's limits (body size, connections, timeouts); see ``ServerLimits`` for the defaults.
    public var limits = ServerLimits()
    /// The most users with real-time state (see `RealtimeState`). Default ``Limits/maximumRealtimeUsers``.
    public var maximumRealtimeUsers = Limits.maximumRealtimeUsers
    /// The instant a simulated outbox clock starts at; `nil` (the default): the system clock.
    public var simulatedClock: Timestamp?
    /// Milliseconds between looks for new outbox batches; 0 or less: only at start and on RELOAD. Default
    /// 5,000: an assignment run's batch is served within seconds, and a listing of a few folders is cheap.
    public var outboxRescanMillis = 5_000
    /// Leases per outbox message before it is dead. Default 5; 1 ... ``Limits/maximumDeliveryAttempts``.
    public var outboxMaximumAttempts = 5
    /// Hours after a settled batch's last window ended before aamped deletes it (0: never); its statuses
    /// are folded into the message log first.
    public var outboxRetireAfterHours = 168
    /// When the daemon runs the nightly pipeline itself; `nil` (the default): never.
    public var schedule: ScheduleConfiguration?

    /// The `retry_after_millis` hint when waiting helps but no interval says how long: UNAVAILABLE while
    /// polling is off (a generation then arrives only with RELOAD) and a real-time log that cannot be
    /// written. A second: long enough not to hammer a daemon that is struggling, short for a collector.
    public static let defaultRetryAfterMillis: UInt32 = 1_000

    /// The `retry_after_millis` of UNAVAILABLE while no generation with a recommender is loaded: the reload
    /// poll interval, within which a newly published generation is picked up.
    public var unavailableRetryAfterMillis: UInt32 {
        reloadPollMillis > 0 ? UInt32(clamping: reloadPollMillis) : Self.defaultRetryAfterMillis
    }

    /// Defaults for `dataDirectory`: the Unix socket in it, no TCP.
    public init(dataDirectory: DataDirectory) {
        self.dataDirectory = dataDirectory
        self.unixSocketPath = dataDirectory.socketPath
    }

    /// The settings of the YAML file at `path` applied over these.
    public mutating func apply(file path: String) throws {
        // FileHandle reads special files too (such as /dev/null for "no settings").
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
            throw DaemonError.configuration(path: path, reason: "cannot read the file")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw DaemonError.configuration(path: path, reason: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let mapping = node.mapping else {
            throw DaemonError.configuration(path: path, reason: "the top level must be a mapping of settings")
        }
        for (key, value) in mapping {
            try apply(key: key, value: value, path: path)
        }
    }

    private mutating func apply(key: Node, value: Node, path: String) throws {
        let name = key.string ?? "?"
        func where_() -> String { "line \((key.mark?.line ?? 0)), setting '\(name)'" }
        func string() throws -> String {
            guard let text = value.string else {
                throw DaemonError.configuration(path: path, reason: "\(where_()): expected text")
            }
            return text
        }
        func integer() throws -> Int {
            guard let number = value.int else {
                throw DaemonError.configuration(path: path, reason: "\(where_()): expected an integer")
            }
            return number
        }
        switch name {
        case "unix":
            let text = try string()
            unixSocketPath = text.isEmpty ? nil : text
        case "tcp": tcpAddress = try string()
        case "tokenFile": tokenFile = try string()
        case "adminTokenFile": adminTokenFile = try string()
        case "logLevel":
            guard let level = Logger.Level(rawValue: try string()) else {
                throw DaemonError.configuration(
                    path: path,
                    reason:
                        "\(where_()): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            logLevel = level
        case "reloadPollMillis": reloadPollMillis = try integer()
        case "simulatedClock":
            let text = try string()
            guard let instant = Timestamp(iso8601: text) else {
                throw DaemonError.configuration(
                    path: path,
                    reason: "\(where_()): expected an ISO-8601 instant such as 2026-10-30T00:00:00Z"
                )
            }
            simulatedClock = instant
        case "outbox":
            guard let outboxMapping = value.mapping else {
                throw DaemonError.configuration(
                    path: path,
                    reason: "\(where_()): expected a mapping of outbox settings"
                )
            }
            for (outboxKey, outboxValue) in outboxMapping {
                let outboxName = outboxKey.string ?? "?"
                let line = outboxKey.mark?.line ?? 0
                guard let number = outboxValue.int else {
                    throw DaemonError.configuration(
                        path: path,
                        reason: "line \(line), outbox setting '\(outboxName)': expected an integer"
                    )
                }
                func inRange(_ range: ClosedRange<Int>, lower: String) throws -> Int {
                    guard range.contains(number) else {
                        throw DaemonError.configuration(
                            path: path,
                            reason:
                                "line \(line), outbox setting '\(outboxName)': \(number); it must be \(lower) ... \(range.upperBound)"
                        )
                    }
                    return number
                }
                switch outboxName {
                case "rescanMillis": outboxRescanMillis = number
                case "maximumAttempts":
                    outboxMaximumAttempts = try inRange(1...Limits.maximumDeliveryAttempts, lower: "1")
                case "retireAfterHours":
                    outboxRetireAfterHours = try inRange(0...Limits.maximumOutboxRetentionHours, lower: "0 (never)")
                default:
                    throw DaemonError.configuration(
                        path: path,
                        reason: "line \(line): unknown outbox setting '\(outboxName)'"
                    )
                }
            }
        case "shutdownGracePeriodMillis": shutdownGracePeriodMillis = try integer()
        case "schedule": schedule = try ScheduleConfiguration.parse(key: key, value: value, path: path)
        case "limits":
            guard let limitsMapping = value.mapping else {
                throw DaemonError.configuration(path: path, reason: "\(where_()): expected a mapping of limits")
            }
            for (limitKey, limitValue) in limitsMapping {
                let limitName = limitKey.string ?? "?"
                guard let number = limitValue.int else {
                    throw DaemonError.configuration(
                        path: path,
                        reason: "line \(limitKey.mark?.line ?? 0), limit '\(limitName)': expected an integer"
                    )
                }
                switch limitName {
                case "maximumBodyBytes": limits.maximumBodyBytes = number
                case "maximumInFlightRequests": limits.maximumInFlightRequests = number
                case "maximumConnections": limits.maximumConnections = number
                case "handshakeTimeoutMillis": limits.handshakeTimeoutMillis = number
                case "idleTimeoutMillis": limits.idleTimeoutMillis = number
                case "maximumRealtimeUsers":
                    guard number >= 1 else {
                        throw DaemonError.configuration(
                            path: path,
                            reason: "line \(limitKey.mark?.line ?? 0), limit '\(limitName)': must be at least 1"
                        )
                    }
                    maximumRealtimeUsers = number
                default:
                    throw DaemonError.configuration(
                        path: path,
                        reason: "line \(limitKey.mark?.line ?? 0): unknown limit '\(limitName)'"
                    )
                }
            }
        default:
            throw DaemonError.configuration(path: path, reason: "\(where_()): unknown setting")
        }
    }
}

/// Why the daemon could not start.
public enum DaemonError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The config file is unreadable or has a bad setting.
    case configuration(path: String, reason: String)
    /// Nothing to listen on.
    case noListeners

    /// The config file's path and the reason; safe to log.
    public var description: String {
        switch self {
        case .configuration(let path, let reason): "\(path): \(reason)"
        case .noListeners: "nothing to listen on: give --unix or --tcp"
        }
    }
}

public import AampeProtocol
public import Logging
internal import NIOCore

/// Everything a server needs to run, with documented defaults.
public struct ServerConfiguration: Sendable {
    /// Where to listen. The daemon listens on its data directory's Unix socket, and on TCP only when
    /// asked to.
    public var addresses: [BindAddress]
    /// Tokens for HELLO. Required for TCP.
    public var credentials: Credentials?
    /// Per-connection and per-server limits.
    public var limits: ServerLimits
    /// How long shutdown waits for in-flight requests before closing connections anyway. Default 10 s.
    public var shutdownGracePeriodMillis: Int = 10_000
    /// The `retry_after_millis` hint in TOO_MANY_IN_FLIGHT. Default 10 ms: a slot frees as soon as any of
    /// the connection's requests is answered, which takes microseconds to milliseconds.
    public var inFlightRetryAfterMillis: UInt32 = 10
    /// The `retry_after_millis` hint in TOO_MANY_CONNECTIONS. Default 1 s: connections live for seconds
    /// to hours, so a slot frees slowly, and a second keeps refused clients from hammering the listener.
    public var connectionsRetryAfterMillis: UInt32 = 1_000
    /// Threads serving connections. Default: one per core.
    public var eventLoopThreads: Int = System.coreCount
    /// The server's version string, announced in GREETING and STATS.
    public var serverVersion: String
    /// Where logs go.
    public var logger: Logger

    /// A configuration listening on `addresses`, with default limits.
    public init(addresses: [BindAddress], credentials: Credentials? = nil, serverVersion: String, logger: Logger) {
        self.addresses = addresses
        self.credentials = credentials
        self.limits = ServerLimits()
        self.serverVersion = serverVersion
        self.logger = logger
    }

    /// Throws unless the settings make sense together: TCP needs credentials, limits are positive.
    public func validate() throws {
        if addresses.contains(where: { if case .tcp = $0 { true } else { false } }), credentials == nil {
            throw ServerError.tcpWithoutCredentials
        }
        try limits.validate()
        if inFlightRetryAfterMillis == 0 || connectionsRetryAfterMillis == 0 {
            // PROTOCOL.md: 0 means "do not retry", which is wrong for a limit that frees up.
            throw ServerError.invalidSetting(
                name: "retryAfterMillis",
                reason: "the retry hints of TOO_MANY_IN_FLIGHT and TOO_MANY_CONNECTIONS must be positive"
            )
        }
        if shutdownGracePeriodMillis < 0 {
            throw ServerError.invalidSetting(name: "shutdownGracePeriodMillis", reason: "must not be negative")
        }
    }
}

/// The limits a server enforces. Each is checked where the data arrives and answered with the error code
/// PROTOCOL.md names for it.
public struct ServerLimits: Sendable, Hashable, Codable {
    /// The longest frame body accepted, in bytes. Default 1 MiB. Longer frames get FRAME_TOO_LARGE and
    /// the connection closes, before the body is buffered.
    public var maximumBodyBytes: Int = 1 << 20
    /// Requests in flight on one connection. Default 256. More get TOO_MANY_IN_FLIGHT.
    public var maximumInFlightRequests: Int = 256
    /// Open connections. Default 4,096. More get TOO_MANY_CONNECTIONS and are closed.
    public var maximumConnections: Int = 4096
    /// Time from connect to a successful HELLO. Default 5 s.
    public var handshakeTimeoutMillis: Int = 5_000
    /// Time a connection may sit with nothing in flight and no frame received. Default 300 s.
    public var idleTimeoutMillis: Int = 300_000

    /// The defaults.
    public init() {}

    func validate() throws {
        let checks: [(String, Int, ClosedRange<Int>)] = [
            ("maximumBodyBytes", maximumBodyBytes, 1...Int(UInt32.max)),
            ("maximumInFlightRequests", maximumInFlightRequests, 1...65_536),
            ("maximumConnections", maximumConnections, 1...1_000_000),
            ("handshakeTimeoutMillis", handshakeTimeoutMillis, 1...3_600_000),
            ("idleTimeoutMillis", idleTimeoutMillis, 1...86_400_000),
        ]
        for (name, value, range) in checks where !range.contains(value) {
            throw ServerError.invalidSetting(
                name: name,
                reason: "\(value) is outside \(range.lowerBound) ... \(range.upperBound)"
            )
        }
    }
}

internal import AampeProtocol
internal import NIOCore

/// What an authenticated connection may do.
public struct Session: Sendable, Hashable {
    /// A number unique within the server's lifetime, for logs.
    public var id: UInt64
    /// `"unix"` or `"tcp"`.
    public var transport: String
    /// Whether admin operations are allowed.
    public var isAdmin: Bool
    /// The client's self-description from HELLO.
    public var clientName: String
}

/// The rules of one connection, free of I/O so they can be tested with an injected clock: the handshake,
/// in-flight accounting, timeouts and draining at shutdown.
///
/// The connection handler feeds it events and carries out the `Action`s it returns.
struct ConnectionStateMachine {
    enum State {
        /// Connected; only HELLO is allowed until `handshakeDeadline`.
        case awaitingHello(handshakeDeadline: NIODeadline)
        /// HELLO succeeded.
        case ready(Session)
        /// Shutdown began: requests in flight finish, new ones are refused, and the connection closes when
        /// the last one is answered.
        case draining(Session?)
        case closed
    }

    /// What to do with a received frame.
    enum FrameAction: Equatable {
        /// Authenticate this HELLO, then call ``helloSucceeded(_:now:)`` or close.
        case authenticate
        /// Hand the request to the application.
        case dispatch(Session)
        /// Answer the frame with this error; close afterwards when the code says so.
        case reject(ErrorCode, String)
    }

    /// What to do when a timer fires.
    enum TimerAction: Equatable {
        /// Nothing is due; check again at the deadline.
        case rearm(NIODeadline)
        /// Send this error and close.
        case close(ErrorCode, String)
        /// The connection is closed; stop the timer.
        case stop
    }

    /// The newest HELLO version this server speaks; GREETING announces it, and a newer HELLO gets
    /// UNSUPPORTED_OPERATION_VERSION, as any other operation would.
    static let helloNewestVersion: UInt8 = 1

    private(set) var state: State
    private(set) var inFlight: Set<UInt32> = []
    private(set) var lastActivity: NIODeadline
    let limits: ServerLimits

    init(limits: ServerLimits, now: NIODeadline) {
        self.limits = limits
        self.lastActivity = now
        self.state = .awaitingHello(handshakeDeadline: now + .milliseconds(Int64(limits.handshakeTimeoutMillis)))
    }

    /// The checks of PROTOCOL.md's "Errors" section, steps 2 to 4, in its order; the connection handler
    /// makes steps 1 (the decoder) and 5 to 6 (dispatch).
    mutating func frameReceived(_ header: FrameHeader, now: NIODeadline) -> FrameAction {
        lastActivity = now
        if header.status != .ok || header.opcode == .greeting {
            return .reject(.unexpectedFrame, "clients send requests with status OK; \(header.opcode.name) is not one")
        }
        switch state {
        case .awaitingHello:
            guard header.opcode == .hello else {
                return .reject(.handshakeRequired, "\(header.opcode.name) before HELLO")
            }
            if header.requestID == 0 { return Self.reservedRequestID(header) }
            guard header.opcodeVersion >= 1 && header.opcodeVersion <= Self.helloNewestVersion else {
                return .reject(
                    .unsupportedOperationVersion,
                    "HELLO version \(header.opcodeVersion); this server serves 1 ... \(Self.helloNewestVersion)"
                )
            }
            return .authenticate
        case .ready(let session):
            if header.requestID == 0 { return Self.reservedRequestID(header) }
            if header.opcode == .hello { return .reject(.invalidRequest, "HELLO on an authenticated connection") }
            if inFlight.contains(header.requestID) {
                return .reject(.duplicateRequestID, "request id \(header.requestID) is still in flight")
            }
            if inFlight.count >= limits.maximumInFlightRequests {
                return .reject(
                    .tooManyInFlight,
                    "\(inFlight.count) requests in flight; the limit is \(limits.maximumInFlightRequests)"
                )
            }
            inFlight.insert(header.requestID)
            return .dispatch(session)
        case .draining:
            return .reject(.shuttingDown, "the server is shutting down")
        case .closed:
            return .reject(.shuttingDown, "the connection is closing")
        }
    }

    /// Request id 0 is the server's (GREETING, errors that answer no request), so an answer to it could
    /// not be told from those: refused, and the connection stays open.
    private static func reservedRequestID(_ header: FrameHeader) -> FrameAction {
        .reject(
            .invalidRequest,
            "request id 0 is reserved for the server; number requests from 1 (\(header.opcode.name))"
        )
    }

    mutating func helloSucceeded(_ session: Session, now: NIODeadline) {
        lastActivity = now
        if case .awaitingHello = state { state = .ready(session) }
    }

    /// Records the final frame of a response. Returns whether the connection should close now (it is
    /// draining and nothing is left in flight).
    mutating func responseCompleted(requestID: UInt32, now: NIODeadline) -> Bool {
        inFlight.remove(requestID)
        lastActivity = now
        if case .draining = state, inFlight.isEmpty { return true }
        return false
    }

    /// Starts draining. Returns whether the connection can close at once.
    mutating func beginDraining() -> Bool {
        switch state {
        case .awaitingHello: state = .draining(nil)
        case .ready(let session): state = .draining(session)
        case .draining, .closed: break
        }
        return inFlight.isEmpty
    }

    mutating func closed() {
        state = .closed
        inFlight.removeAll()
    }

    func timerFired(now: NIODeadline) -> TimerAction {
        switch state {
        case .awaitingHello(let deadline):
            if now >= deadline {
                return .close(.handshakeTimeout, "no HELLO within \(limits.handshakeTimeoutMillis) ms")
            }
            return .rearm(deadline)
        case .ready, .draining:
            let idleDeadline = lastActivity + .milliseconds(Int64(limits.idleTimeoutMillis))
            if !inFlight.isEmpty { return .rearm(now + .milliseconds(Int64(limits.idleTimeoutMillis))) }
            if now >= idleDeadline { return .close(.idleTimeout, "idle for \(limits.idleTimeoutMillis) ms") }
            return .rearm(idleDeadline)
        case .closed:
            return .stop
        }
    }
}

public import AampeCore

/// Tags an index into an outbox's messages.
public enum MessageKind: DenseIndexKind { public static let name = "message" }

/// A message's dense row index in its outbox: 0 ..< the number of messages.
public typealias MessageIndex = DenseIndex<MessageKind>

/// The claim a consumer holds on a leased message, which its ACK must carry.
///
/// Tokens come from one counter per ``MessageStateMachine``, so a message never gets the same token
/// twice, and a later lease always has a larger token. Zero is never a token.
public struct LeaseToken: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The token's number.
    public var rawValue: UInt64

    /// Wraps a token number.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// What the state machine needs of a message: its send window and its channel. The content lives
/// elsewhere (the assignment run's output); the machine only decides who may send what, and when.
public struct OutboxMessage: Hashable, Sendable {
    /// The first instant the message may be sent.
    public var windowStart: Timestamp
    /// The first instant the message may no longer be sent; after it, an unsent message expires.
    public var windowEnd: Timestamp
    /// The channel it goes out on.
    public var channel: OutboxChannel

    /// A message sendable from `windowStart` until just before `windowEnd`, on `channel`.
    public init(windowStart: Timestamp, windowEnd: Timestamp, channel: OutboxChannel) {
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.channel = channel
    }
}

/// Where a message is in its life.
///
/// ```
///             pull                  ack delivered
///  pending ─────────▶ leased ─────────────────────▶ delivered
///     ▲                │  │       ack failed
///     │ ack retry,     │  └───────────────────────▶ failed
///     │ lease lapsed   │
///     └────────────────┤  (no attempts left)
///                      └───────────────────────────▶ dead
///  pending ── window closes ─────────────────────────▶ expired
/// ```
///
/// `delivered`, `failed`, `dead` and `expired` are terminal: nothing moves a message out of them.
public enum MessageState: Hashable, Sendable {
    /// Waiting for its window, or for a PULL once the window is open.
    case pending
    /// Held by `consumer` under `token` until `until`; it is handed out again after that unless acked.
    case leased(consumer: String, token: LeaseToken, until: Timestamp)
    /// A consumer acked that it was sent.
    case delivered
    /// A consumer acked that it cannot be sent, for `reason` (a permanent failure).
    case failed(reason: String)
    /// Every attempt was spent; `lastReason` is the last retry's reason or `lease expired`.
    case dead(lastReason: String)
    /// Its window closed before it was delivered.
    case expired

    /// Whether nothing can change the state any more.
    public var isTerminal: Bool {
        switch self {
        case .pending, .leased: false
        case .delivered, .failed, .dead, .expired: true
        }
    }
}

/// How many messages are in each state, for `outbox status`.
public struct MessageStateCounts: Hashable, Sendable {
    /// Messages waiting for their window or for a PULL.
    public var pending = 0
    /// Messages under a live lease.
    public var leased = 0
    /// Messages acked as delivered.
    public var delivered = 0
    /// Messages acked as failed.
    public var failed = 0
    /// Messages that spent every attempt.
    public var dead = 0
    /// Messages whose window closed before delivery.
    public var expired = 0

    /// No messages.
    public init() {}

    /// Every message, whatever its state.
    public var total: Int { pending + leased + delivered + failed + dead + expired }
}

public import AampeCore

/// The state of every message of one outbox and the rules that move it: PULL leases due messages, ACK
/// settles them, and time lapses leases and closes windows. Pure: no I/O, and every call takes `now`.
///
/// ## Time
///
/// A message is *due* at `now` when its window is open (`windowStart <= now < windowEnd`) and it is
/// pending. Timed transitions happen at their own instant, not at the instant the machine notices them:
///
/// - a lease lapses at its `until`: the message is pending again, or `dead` ("lease expired") if it has
///   no attempts left, or `expired` if its window closed while it was leased;
/// - a pending message expires at its `windowEnd`, so it is never handed out late.
///
/// Every call (``pull(consumer:maximum:leaseSeconds:channels:now:)``, ``ack(message:token:status:now:)``,
/// ``expire(now:)``) first applies every timed transition due by its `now`. Because a transition's outcome
/// depends only on its own instant, applying them lazily on the next call or eagerly with a sweep gives
/// the same states; ``expire(now:)`` exists so that ``counts`` and ``state(of:)`` can be brought up to
/// date without a PULL or an ACK. The queries report the state as of the latest `now` seen.
///
/// The machine's clock never runs back: a `now` earlier than one already seen is read as the latest seen,
/// so a wall-clock step back cannot revive a lapsed lease or reopen a closed window.
///
/// ## Acknowledgements
///
/// An ACK names a message, the token of its lease and a status:
///
/// - with the message's latest token, under a live lease: ``AckOutcome/acknowledged``. `retry` puts the
///   message back to pending at once (or `dead` with the retry's reason if no attempts are left, or
///   `expired` if its window has closed).
/// - with the latest token after the lease lapsed, while nobody has leased the message again and it is
///   still pending: accepted as if the lease were live, since the consumer did the work.
/// - with the latest token after the lapse made the message terminal (`expired`, or `dead` "lease
///   expired"): ``AckOutcome/leaseExpired``, and nothing changes.
/// - repeating an ACK that succeeded, with the same token and the same kind of status:
///   ``AckOutcome/alreadyAcknowledged``, and nothing changes (a repeat's reason is not compared). With the
///   same token and another kind of status: ``AckOutcome/conflictingAcknowledgement``.
/// - with any other token: ``AckOutcome/staleLease`` (the message was leased again since, or the token
///   was never its). A repeat of a `retry` after the message was leased again is stale too: the first
///   retry counted.
/// - for an index outside the outbox: ``AckOutcome/unknownMessage``.
///
/// ## Durability
///
/// Every state change is also queued as a ``Change``; ``takeChanges()`` hands them out in order, and the
/// caller appends them to the ``OutboxJournal`` (leases before answering the PULL, settlements before
/// answering the ACK), from which ``OutboxJournal/replay(_:messages:configuration:)`` rebuilds the machine.
public struct MessageStateMachine: Sendable {
    /// The outbox's delivery settings.
    public struct Configuration: Hashable, Sendable {
        /// How many times a message may be leased before it is `dead`. Default 5;
        /// 1 ... ``Limits/maximumDeliveryAttempts``.
        public var maximumAttempts: Int

        /// Settings with `maximumAttempts` attempts per message.
        public init(maximumAttempts: Int = 5) {
            self.maximumAttempts = maximumAttempts
        }

        /// Throws if a setting is outside its limits.
        public func validate() throws(OutboxError) {
            let allowed = 1...Limits.maximumDeliveryAttempts
            guard allowed.contains(maximumAttempts) else {
                throw .outOfRange(field: "maximumAttempts", value: maximumAttempts, allowed: allowed)
            }
        }
    }

    /// A lease granted by ``MessageStateMachine/pull(consumer:maximum:leaseSeconds:channels:now:)``.
    public struct Lease: Hashable, Sendable {
        /// The leased message.
        public var message: MessageIndex
        /// The token its ACK must carry.
        public var token: LeaseToken
        /// When the lease lapses.
        public var until: Timestamp
        /// Which lease of the message this is: 1 on the first.
        public var attempt: Int

        /// A lease of `message` under `token` until `until`, its `attempt`-th.
        public init(message: MessageIndex, token: LeaseToken, until: Timestamp, attempt: Int) {
            self.message = message
            self.token = token
            self.until = until
            self.attempt = attempt
        }
    }

    /// What a consumer says happened to a leased message.
    public enum AckStatus: Hashable, Sendable {
        /// It was sent.
        case delivered
        /// It cannot be sent, ever (a bad address, an unsubscribed user): the message is `failed`.
        case failed(reason: String)
        /// It could not be sent now (a provider's rate limit): hand it out again.
        case retry(reason: String)
    }

    /// The answer to one ACK. Each case is stable, so the protocol can map it to a code.
    public enum AckOutcome: Hashable, Sendable {
        /// The ACK changed the message's state.
        case acknowledged
        /// The same ACK (token and kind of status) already succeeded; nothing changed.
        case alreadyAcknowledged
        /// The token is not the message's latest lease: it was leased again since. Nothing changed.
        case staleLease
        /// The lease lapsed and the message then expired or died before this ACK. Nothing changed.
        case leaseExpired
        /// An ACK with this token already settled the message with another kind of status.
        case conflictingAcknowledgement
        /// No message has this index.
        case unknownMessage
    }

    /// One state change of one message, as the journal records it. Each is a single step of the state
    /// diagram on ``MessageState``; a step that passes through pending (a lease lapsing into `expired`, a
    /// retry with no attempts left) is two changes.
    public enum Change: Hashable, Sendable {
        /// pending → leased. The message's attempts rise by one.
        case leased(MessageIndex, consumer: String, token: LeaseToken, until: Timestamp, at: Timestamp)
        /// leased (or pending after a lapse of this token) → delivered.
        case delivered(MessageIndex, token: LeaseToken, at: Timestamp)
        /// leased (or pending after a lapse of this token) → failed.
        case failed(MessageIndex, token: LeaseToken, reason: String, at: Timestamp)
        /// leased (or pending after a lapse of this token) → pending, by a retry ACK.
        case retried(MessageIndex, token: LeaseToken, reason: String, at: Timestamp)
        /// leased → pending: the lease lapsed, at its `until`.
        case leaseLapsed(MessageIndex, token: LeaseToken, at: Timestamp)
        /// pending → dead, with no attempts left.
        case dead(MessageIndex, reason: String, at: Timestamp)
        /// pending → expired: the window closed (at its end, or when a lease running past it lapsed).
        case expired(MessageIndex, at: Timestamp)
        /// dead → pending, by an operator's requeue while the window is open: the attempts start again from
        /// 0, and the tokens of earlier leases stay stale.
        case requeued(MessageIndex, at: Timestamp)

        /// The message the change is about.
        public var message: MessageIndex {
            switch self {
            case .leased(let index, _, _, _, _), .delivered(let index, _, _), .failed(let index, _, _, _),
                .retried(let index, _, _, _), .leaseLapsed(let index, _, _), .dead(let index, _, _),
                .expired(let index, _), .requeued(let index, _):
                index
            }
        }

        /// When the change happened.
        public var at: Timestamp {
            switch self {
            case .leased(_, _, _, _, let at), .delivered(_, _, let at), .failed(_, _, _, let at),
                .retried(_, _, _, let at), .leaseLapsed(_, _, let at), .dead(_, _, let at), .expired(_, let at),
                .requeued(_, let at):
                at
            }
        }
    }

    /// The reason a message that spent its last attempt on a lapsed lease is dead with.
    public static let leaseExpiredReason = "lease expired"

    /// The settings this machine runs with.
    public let configuration: Configuration

    let windowStarts: [Int64]
    let windowEnds: [Int64]
    /// The latest window end of any message (`Int64.min` for none).
    let latestWindowEnd: Int64
    let channels: [OutboxChannel]
    // Every message by window start (then index); `nextToOpen` is the first whose window had not opened at
    // `latestNow`. Messages only ever leave pending, so a message is queued when its window opens, once.
    let openingOrder: [UInt32]
    var nextToOpen = 0

    var slots: [Slot]
    var reasons: [UInt32: String] = [:]
    var consumerNames: [String] = []
    var consumerIDs: [String: UInt32] = [:]
    var openQueues: [MinimumHeap<OpenEntry>]
    var leaseQueue = MinimumHeap<LeaseEntry>()
    var nextToken: UInt64 = 1
    var stateCounts = MessageStateCounts()
    var changes: [Change] = []

    /// The latest `now` the machine has seen; its queries describe the outbox at this instant.
    public internal(set) var latestNow = Timestamp(rawValue: .min)

    /// An outbox of `messages`, all pending and never leased.
    public init(messages: [OutboxMessage], configuration: Configuration = Configuration()) throws(OutboxError) {
        try configuration.validate()
        guard messages.count <= Int(UInt32.max) else { throw .tooManyMessages(count: messages.count) }
        for (index, message) in messages.enumerated() where message.windowStart >= message.windowEnd {
            throw .invalidWindow(message: index, windowStart: message.windowStart, windowEnd: message.windowEnd)
        }
        self.configuration = configuration
        windowStarts = messages.map(\.windowStart.rawValue)
        windowEnds = messages.map(\.windowEnd.rawValue)
        latestWindowEnd = windowEnds.max() ?? .min
        channels = messages.map(\.channel)
        let starts = windowStarts
        openingOrder = (0..<UInt32(messages.count)).sorted { (starts[Int($0)], $0) < (starts[Int($1)], $1) }
        slots = Array(repeating: Slot(), count: messages.count)
        openQueues = Array(repeating: MinimumHeap(), count: OutboxChannel.allCases.count)
        stateCounts.pending = messages.count
    }

    // MARK: Queries

    /// The number of messages in the outbox.
    public var messageCount: Int { slots.count }

    /// Message `index`'s window and channel.
    public func message(_ index: MessageIndex) -> OutboxMessage {
        OutboxMessage(
            windowStart: Timestamp(rawValue: windowStarts[index.row]),
            windowEnd: Timestamp(rawValue: windowEnds[index.row]),
            channel: channels[index.row]
        )
    }

    /// Message `index`'s state as of ``latestNow``.
    public func state(of index: MessageIndex) -> MessageState {
        let slot = slots[index.row]
        switch slot.phase {
        case .pending: return .pending
        case .leased:
            return .leased(
                consumer: consumerNames[Int(slot.consumer)],
                token: LeaseToken(rawValue: slot.token),
                until: Timestamp(rawValue: slot.leaseUntil)
            )
        case .delivered: return .delivered
        case .failed: return .failed(reason: reasons[index.rawValue] ?? "")
        case .dead: return .dead(lastReason: reasons[index.rawValue] ?? "")
        case .expired: return .expired
        }
    }

    /// How many leases message `index` has been granted.
    public func attempts(of index: MessageIndex) -> Int { Int(slots[index.row].attempts) }

    /// How many messages are in each state, as of ``latestNow``.
    public var counts: MessageStateCounts { stateCounts }

    /// Whether nothing can change any more as of ``latestNow``: every message is delivered, failed, dead
    /// or expired, and every window ended at or before `cutoff` (so no dead message can be requeued, and
    /// a late repeat of an ACK is unlikely). Apply ``expire(now:)`` first, so closed windows count.
    public func isSettled(windowsEndedBy cutoff: Timestamp) -> Bool {
        stateCounts.pending == 0 && stateCounts.leased == 0 && latestWindowEnd <= cutoff.rawValue
    }

    // MARK: Events

    /// Leases up to `maximum` messages due at `now` on `channels` to `consumer` for `leaseSeconds`: the
    /// earliest window end first, then the lowest index. Each lease has a new token, and raises its
    /// message's attempts by one.
    ///
    /// Throws if `maximum` (1 ... ``Limits/maximumMessagesPerPull``), `leaseSeconds`
    /// (``Limits/minimumLeaseSeconds`` ... ``Limits/maximumLeaseSeconds``) or the consumer name's length
    /// (1 ... ``Limits/maximumConsumerNameBytes`` bytes) is out of range; nothing changes then.
    ///
    /// With `windowEndingBy`, only messages whose window ends at or before it are leased: a caller that
    /// serves several outboxes interleaves them in window order with ``nextDueWindowEnd(channels:now:)``.
    public mutating func pull(
        consumer: String,
        maximum: Int,
        leaseSeconds: Int,
        channels wanted: OutboxChannelSet = .all,
        now: Timestamp,
        windowEndingBy limit: Timestamp? = nil
    ) throws(OutboxError) -> [Lease] {
        try Self.check("maximum", maximum, 1...Limits.maximumMessagesPerPull)
        try Self.check("leaseSeconds", leaseSeconds, Limits.minimumLeaseSeconds...Limits.maximumLeaseSeconds)
        try Self.check("consumer name bytes", consumer.utf8.count, 1...Limits.maximumConsumerNameBytes)
        advance(to: now)
        let now = latestNow
        let until = now.adding(microseconds: Int64(leaseSeconds) * Timestamp.microsecondsPerSecond)
        var leases: [Lease] = []
        let limitRaw = limit?.rawValue ?? .max
        while leases.count < maximum, let index = takeEarliestOpen(channels: wanted, windowEndingBy: limitRaw) {
            let token = nextToken
            nextToken += 1
            apply(.leased(index, consumer: consumer, token: LeaseToken(rawValue: token), until: until, at: now))
            leases.append(
                Lease(message: index, token: LeaseToken(rawValue: token), until: until, attempt: attempts(of: index))
            )
        }
        return leases
    }

    /// Settles message `message`'s lease `token` with `status` at `now`; see "Acknowledgements" above.
    ///
    /// Throws if a failure or retry reason is longer than ``Limits/maximumAckReasonBytes`` bytes; nothing
    /// changes then.
    public mutating func ack(
        message: MessageIndex,
        token: LeaseToken,
        status: AckStatus,
        now: Timestamp
    ) throws(OutboxError) -> AckOutcome {
        switch status {
        case .delivered: break
        case .failed(let reason), .retry(let reason):
            try Self.check("reason bytes", reason.utf8.count, 0...Limits.maximumAckReasonBytes)
        }
        guard message.row < slots.count else { return .unknownMessage }
        advance(to: now)
        let now = latestNow
        let slot = slots[message.row]
        // A requeued message (pending with no attempts) has no lease that an ACK could settle.
        guard slot.token != 0, token.rawValue == slot.token, slot.attempts > 0 else { return .staleLease }
        if let earlier = slot.acknowledgement {
            return earlier == AckKind(status) ? .alreadyAcknowledged : .conflictingAcknowledgement
        }
        switch slot.phase {
        case .leased, .pending: break
        case .expired, .dead: return .leaseExpired
        case .delivered, .failed:
            assertionFailure("message \(message) settled without an acknowledgement")
            return .conflictingAcknowledgement
        }
        switch status {
        case .delivered:
            apply(.delivered(message, token: token, at: now))
        case .failed(let reason):
            apply(.failed(message, token: token, reason: reason, at: now))
        case .retry(let reason):
            apply(.retried(message, token: token, reason: reason, at: now))
            if slots[message.row].attempts >= configuration.maximumAttempts {
                apply(.dead(message, reason: reason, at: now))
            } else if now.rawValue >= windowEnds[message.row] {
                apply(.expired(message, at: now))
            }
        }
        return .acknowledged
    }

    /// Applies every timed transition due by `now`: lapsed leases and closed windows.
    public mutating func expire(now: Timestamp) {
        advance(to: now)
    }

    /// The window end of the message a PULL on `wanted` at `now` would lease first; `nil` when none is
    /// due. Applies every timed transition due by `now`, as a PULL would.
    public mutating func nextDueWindowEnd(channels wanted: OutboxChannelSet = .all, now: Timestamp) -> Timestamp? {
        advance(to: now)
        return earliestOpen(channels: wanted).map { Timestamp(rawValue: $0.entry.windowEnd) }
    }

    /// Puts every dead message whose window is still open at `now` back to pending, with its attempts
    /// reset, so that PULL hands it out again; an operator's decision after fixing what killed them (a
    /// provider's outage, a bad credential). Answers how many were requeued and how many stay dead because
    /// their window has closed.
    ///
    /// A requeued message keeps its latest token until it is leased again, and an ACK of that token (or
    /// any earlier one) is ``AckOutcome/staleLease``: the message has no lease since the requeue.
    public mutating func requeueDead(now: Timestamp) -> (requeued: Int, windowClosed: Int) {
        advance(to: now)
        let now = latestNow
        var requeued = 0
        var windowClosed = 0
        for row in slots.indices where slots[row].phase == .dead {
            if windowEnds[row] > now.rawValue {
                apply(.requeued(MessageIndex(row), at: now))
                requeued += 1
            } else {
                windowClosed += 1
            }
        }
        return (requeued, windowClosed)
    }

    /// The changes made since the last call, oldest first, for the journal.
    public mutating func takeChanges() -> [Change] {
        defer { changes.removeAll(keepingCapacity: true) }
        return changes
    }

    // MARK: Internals

    private static func check(_ field: String, _ value: Int, _ allowed: ClosedRange<Int>) throws(OutboxError) {
        guard allowed.contains(value) else { throw .outOfRange(field: field, value: value, allowed: allowed) }
    }

    mutating func intern(_ consumer: String) -> UInt32 {
        if let id = consumerIDs[consumer] { return id }
        let id = UInt32(consumerNames.count)
        consumerNames.append(consumer)
        consumerIDs[consumer] = id
        return id
    }

    /// Removes and returns the pending message with the earliest (window end, index) among `wanted`'s
    /// open queues, if its window ends at or before `limit`.
    private mutating func takeEarliestOpen(
        channels wanted: OutboxChannelSet,
        windowEndingBy limit: Int64
    ) -> MessageIndex? {
        guard let best = earliestOpen(channels: wanted), best.entry.windowEnd <= limit else { return nil }
        openQueues[best.queue].removeMinimum()
        return MessageIndex(rawValue: best.entry.index)
    }

    /// The queue and entry of the pending message with the earliest (window end, index) among `wanted`'s
    /// open queues, without taking it.
    private mutating func earliestOpen(channels wanted: OutboxChannelSet) -> (queue: Int, entry: OpenEntry)? {
        var best: (queue: Int, entry: OpenEntry)?
        for channel in OutboxChannel.allCases where wanted.contains(channel) {
            let queue = Int(channel.rawValue)
            // Entries of messages settled while pending (an ACK after a lapse) are dropped here.
            while let top = openQueues[queue].minimum, slots[Int(top.index)].phase != .pending {
                openQueues[queue].removeMinimum()
            }
            if let top = openQueues[queue].minimum, best.map({ top < $0.entry }) ?? true {
                best = (queue, top)
            }
        }
        return best
    }

    /// Moves the clock to `now` (if it is later) and applies every timed transition due by then.
    mutating func advance(to now: Timestamp) {
        if now > latestNow { latestNow = now }
        let now = latestNow.rawValue
        while nextToOpen < openingOrder.count, windowStarts[Int(openingOrder[nextToOpen])] <= now {
            let index = openingOrder[nextToOpen]
            nextToOpen += 1
            if slots[Int(index)].phase == .pending { enqueueOpen(index) }
        }
        while let lease = leaseQueue.minimum, lease.until <= now {
            leaseQueue.removeMinimum()
            let slot = slots[Int(lease.index)]
            guard slot.phase == .leased, slot.token == lease.token else { continue }
            let index = MessageIndex(rawValue: lease.index)
            let at = Timestamp(rawValue: lease.until)
            apply(.leaseLapsed(index, token: LeaseToken(rawValue: lease.token), at: at))
            if slot.attempts >= configuration.maximumAttempts {
                apply(.dead(index, reason: Self.leaseExpiredReason, at: at))
            } else if lease.until >= windowEnds[Int(lease.index)] {
                apply(.expired(index, at: at))
            } else {
                enqueueOpen(lease.index)
            }
        }
        for queue in openQueues.indices {
            while let top = openQueues[queue].minimum, top.windowEnd <= now {
                openQueues[queue].removeMinimum()
                guard slots[Int(top.index)].phase == .pending else { continue }
                apply(.expired(MessageIndex(rawValue: top.index), at: Timestamp(rawValue: top.windowEnd)))
            }
        }
    }

    mutating func enqueueOpen(_ index: UInt32) {
        openQueues[Int(channels[Int(index)].rawValue)].insert(
            OpenEntry(windowEnd: windowEnds[Int(index)], index: index)
        )
    }

    /// Makes `change`, which the caller has checked is allowed, and queues it for the journal. The
    /// queues are the caller's business.
    mutating func apply(_ change: Change) {
        let row = change.message.row
        let before = slots[row].phase
        switch change {
        case .leased(_, let consumer, let token, let until, _):
            assert(before == .pending)
            slots[row].consumer = intern(consumer)
            slots[row].phase = .leased
            slots[row].token = token.rawValue
            slots[row].leaseUntil = until.rawValue
            slots[row].attempts += 1
            slots[row].acknowledgement = nil
            leaseQueue.insert(LeaseEntry(until: until.rawValue, index: UInt32(row), token: token.rawValue))
        case .delivered:
            slots[row].phase = .delivered
            slots[row].acknowledgement = .delivered
        case .failed(_, _, let reason, _):
            slots[row].phase = .failed
            slots[row].acknowledgement = .failed
            reasons[UInt32(row)] = reason
        case .retried:
            slots[row].phase = .pending
            slots[row].acknowledgement = .retry
            if before == .leased, windowEnds[row] > latestNow.rawValue { enqueueOpen(UInt32(row)) }
        case .leaseLapsed:
            assert(before == .leased)
            slots[row].phase = .pending
        case .dead(_, let reason, _):
            assert(before == .pending)
            slots[row].phase = .dead
            reasons[UInt32(row)] = reason
        case .expired:
            assert(before == .pending)
            slots[row].phase = .expired
        case .requeued:
            assert(before == .dead)
            slots[row].phase = .pending
            slots[row].attempts = 0
            slots[row].acknowledgement = nil
            reasons[UInt32(row)] = nil
            if windowStarts[row] <= latestNow.rawValue, windowEnds[row] > latestNow.rawValue {
                enqueueOpen(UInt32(row))
            }
        }
        stateCounts[before] -= 1
        stateCounts[slots[row].phase] += 1
        changes.append(change)
    }
}

/// One message's mutable state, packed.
struct Slot: Sendable, Equatable {
    var leaseUntil: Int64 = 0
    /// The latest lease's token; 0 if the message was never leased.
    var token: UInt64 = 0
    var consumer: UInt32 = 0
    var phase: Phase = .pending
    var attempts: UInt8 = 0
    /// How the latest lease was acked, if it was.
    var acknowledgement: AckKind?
}

enum Phase: UInt8, Sendable {
    case pending, leased, delivered, failed, dead, expired
}

enum AckKind: UInt8, Sendable {
    case delivered, failed, retry

    init(_ status: MessageStateMachine.AckStatus) {
        switch status {
        case .delivered: self = .delivered
        case .failed: self = .failed
        case .retry: self = .retry
        }
    }
}

extension MessageStateCounts {
    subscript(phase: Phase) -> Int {
        get {
            switch phase {
            case .pending: pending
            case .leased: leased
            case .delivered: delivered
            case .failed: failed
            case .dead: dead
            case .expired: expired
            }
        }
        set {
            switch phase {
            case .pending: pending = newValue
            case .leased: leased = newValue
            case .delivered: delivered = newValue
            case .failed: failed = newValue
            case .dead: dead = newValue
            case .expired: expired = newValue
            }
        }
    }
}

import AampeCore
import AampeOutbox
import AampeTestSupport
import Testing

/// Instants in whole seconds from an arbitrary origin, so that windows and leases read as small numbers.
func at(_ seconds: Int64) -> Timestamp { Timestamp(secondsSinceEpoch: 1_000_000 + seconds) }

func message(_ start: Int64, _ end: Int64, _ channel: OutboxChannel = .push) -> OutboxMessage {
    OutboxMessage(windowStart: at(start), windowEnd: at(end), channel: channel)
}

func index(_ row: Int) -> MessageIndex { MessageIndex(row) }

@Suite("Message state machine")
struct MessageStateMachineTests {
    func machine(_ messages: [OutboxMessage], maximumAttempts: Int = 3) throws -> MessageStateMachine {
        try MessageStateMachine(messages: messages, configuration: .init(maximumAttempts: maximumAttempts))
    }

    func pull(
        _ machine: inout MessageStateMachine,
        _ now: Int64,
        maximum: Int = 100,
        leaseSeconds: Int = 10,
        channels: OutboxChannelSet = .all,
        consumer: String = "c"
    ) throws -> [MessageStateMachine.Lease] {
        try machine.pull(
            consumer: consumer,
            maximum: maximum,
            leaseSeconds: leaseSeconds,
            channels: channels,
            now: at(now)
        )
    }

    @Test("a lease that lapses makes the message due again, with a new token and one more attempt")
    func expiryAndRedelivery() throws {
        var machine = try machine([message(0, 1000)])
        let first = try pull(&machine, 5)
        #expect(first.map(\.message) == [index(0)])
        #expect(first[0].attempt == 1 && first[0].until == at(15))
        #expect(machine.state(of: index(0)) == .leased(consumer: "c", token: first[0].token, until: at(15)))
        #expect(try pull(&machine, 14).isEmpty)
        let second = try pull(&machine, 15, consumer: "d")
        #expect(second.map(\.message) == [index(0)])
        #expect(second[0].token != first[0].token && second[0].attempt == 2)
        #expect(machine.attempts(of: index(0)) == 2)
        #expect(machine.state(of: index(0)) == .leased(consumer: "d", token: second[0].token, until: at(25)))
    }

    @Test("expiry by a sweep and lazily at the next pull give the same states, counts and changes")
    func lazyAndSweptExpiryAgree() throws {
        let messages = [message(0, 20), message(0, 1000), message(50, 60)]
        var lazy = try machine(messages)
        var swept = try machine(messages)
        _ = try pull(&lazy, 1, maximum: 1)
        _ = try pull(&swept, 1, maximum: 1)
        swept.expire(now: at(30))
        swept.expire(now: at(70))
        _ = try pull(&swept, 100)
        _ = try pull(&lazy, 100)
        #expect(lazy.takeChanges() == swept.takeChanges())
        #expect(lazy.counts == swept.counts)
        for row in 0..<3 { #expect(lazy.state(of: index(row)) == swept.state(of: index(row))) }
        #expect(lazy.state(of: index(0)) == .expired)
        #expect(lazy.state(of: index(2)) == .expired)
    }

    @Test("the last attempt's lapsed lease makes the message dead with \"lease expired\"")
    func attemptsToDead() throws {
        var machine = try machine([message(0, 1000)], maximumAttempts: 2)
        #expect(try pull(&machine, 0).count == 1)
        #expect(try pull(&machine, 10).count == 1)
        #expect(try pull(&machine, 20).isEmpty)
        #expect(machine.state(of: index(0)) == .dead(lastReason: MessageStateMachine.leaseExpiredReason))
        #expect(machine.attempts(of: index(0)) == 2)
        #expect(machine.counts.dead == 1 && machine.counts.total == 1)
    }

    @Test("a retry on the last attempt makes the message dead with the retry's reason")
    func retryToDead() throws {
        var machine = try machine([message(0, 1000)], maximumAttempts: 1)
        let lease = try #require(try pull(&machine, 0).first)
        let outcome = try machine.ack(
            message: lease.message,
            token: lease.token,
            status: .retry(reason: "429"),
            now: at(1)
        )
        #expect(outcome == .acknowledged)
        #expect(machine.state(of: index(0)) == .dead(lastReason: "429"))
    }

    @Test("a retry puts the message back to pending at once, and the next pull leases it again")
    func retryAck() throws {
        var machine = try machine([message(0, 1000)])
        let lease = try #require(try pull(&machine, 0).first)
        #expect(
            try machine.ack(message: index(0), token: lease.token, status: .retry(reason: "busy"), now: at(1))
                == .acknowledged
        )
        #expect(machine.state(of: index(0)) == .pending)
        let again = try pull(&machine, 1)
        #expect(again.map(\.attempt) == [2])
    }

    @Test("an ACK with the token of an earlier lease is stale and changes nothing")
    func staleToken() throws {
        var machine = try machine([message(0, 1000)])
        let first = try #require(try pull(&machine, 0).first)
        let second = try #require(try pull(&machine, 10).first)
        #expect(try machine.ack(message: index(0), token: first.token, status: .delivered, now: at(11)) == .staleLease)
        #expect(machine.state(of: index(0)) == .leased(consumer: "c", token: second.token, until: at(20)))
        let never = LeaseToken(rawValue: 999)
        #expect(try machine.ack(message: index(0), token: never, status: .delivered, now: at(11)) == .staleLease)
        #expect(
            try machine.ack(message: index(1), token: second.token, status: .delivered, now: at(11)) == .unknownMessage
        )
        #expect(
            try machine.ack(message: index(0), token: second.token, status: .delivered, now: at(11)) == .acknowledged
        )
    }

    @Test("repeating a successful ACK answers alreadyAcknowledged; another status with the token conflicts")
    func idempotentAck() throws {
        var machine = try machine([message(0, 1000), message(0, 1000)])
        let leases = try pull(&machine, 0)
        #expect(
            try machine.ack(message: index(0), token: leases[0].token, status: .delivered, now: at(1)) == .acknowledged
        )
        _ = machine.takeChanges()
        #expect(
            try machine.ack(message: index(0), token: leases[0].token, status: .delivered, now: at(2))
                == .alreadyAcknowledged
        )
        #expect(
            try machine.ack(message: index(0), token: leases[0].token, status: .failed(reason: "x"), now: at(2))
                == .conflictingAcknowledgement
        )
        #expect(
            try machine.ack(message: index(1), token: leases[1].token, status: .retry(reason: "a"), now: at(1))
                == .acknowledged
        )
        // The clock never runs back: the ACK "at 1" happens at 2, the latest instant seen.
        #expect(machine.takeChanges() == [.retried(index(1), token: leases[1].token, reason: "a", at: at(2))])
        #expect(
            try machine.ack(message: index(1), token: leases[1].token, status: .retry(reason: "b"), now: at(2))
                == .alreadyAcknowledged
        )
        #expect(machine.takeChanges().isEmpty)
        #expect(machine.state(of: index(0)) == .delivered)
    }

    @Test("an ACK after the lease lapsed is accepted while nobody leased the message again")
    func ackAfterLapse() throws {
        var machine = try machine([message(0, 1000), message(0, 30)])
        let leases = try pull(&machine, 0)
        // Message 1's window ends first, so it was leased first.
        #expect(leases.map(\.message) == [index(1), index(0)])
        #expect(
            try machine.ack(message: index(0), token: leases[1].token, status: .delivered, now: at(12)) == .acknowledged
        )
        #expect(machine.state(of: index(0)) == .delivered)
        // Message 1's lease lapsed at 10 and its window closed at 30: too late.
        #expect(
            try machine.ack(message: index(1), token: leases[0].token, status: .delivered, now: at(31)) == .leaseExpired
        )
        #expect(machine.state(of: index(1)) == .expired)
        #expect(try pull(&machine, 31).isEmpty)
    }

    @Test("a message whose window has not opened is not pulled; it is pulled from its window start")
    func windowNotOpen() throws {
        var machine = try machine([message(100, 200)])
        #expect(try pull(&machine, 99).isEmpty)
        #expect(machine.state(of: index(0)) == .pending)
        #expect(try pull(&machine, 100).map(\.message) == [index(0)])
    }

    @Test("a message whose window closed expires and is never pulled late")
    func windowClosed() throws {
        var machine = try machine([message(0, 100), message(0, 100)])
        #expect(try pull(&machine, 99, maximum: 1).count == 1)
        #expect(try pull(&machine, 100).isEmpty)
        #expect(machine.state(of: index(1)) == .expired)
        #expect(machine.counts.expired == 1 && machine.counts.leased == 1)
        let changes = machine.takeChanges()
        #expect(changes.last == .expired(index(1), at: at(100)))
    }

    @Test(
        "a message leased when its window closes stays leased, may still be delivered, and expires when the lease lapses"
    )
    func leasedAcrossWindowEnd() throws {
        var machine = try machine([message(0, 100), message(0, 100), message(0, 100)])
        let leases = try pull(&machine, 95)
        #expect(
            try machine.ack(message: index(0), token: leases[0].token, status: .delivered, now: at(101))
                == .acknowledged
        )
        #expect(machine.state(of: index(1)) == .leased(consumer: "c", token: leases[1].token, until: at(105)))
        #expect(
            try machine.ack(message: index(2), token: leases[2].token, status: .retry(reason: "r"), now: at(102))
                == .acknowledged
        )
        #expect(machine.state(of: index(2)) == .expired)
        #expect(try pull(&machine, 105).isEmpty)
        #expect(machine.state(of: index(1)) == .expired)
        #expect(
            machine.counts
                == {
                    var c = MessageStateCounts()
                    c.delivered = 1
                    c.expired = 2
                    return c
                }()
        )
    }

    @Test("a pull takes only the channels it asks for")
    func channelFilter() throws {
        var machine = try machine([message(0, 100, .email), message(0, 50, .sms), message(0, 10, .push)])
        #expect(
            try pull(&machine, 0, channels: OutboxChannelSet([.email, .sms])).map(\.message) == [index(1), index(0)]
        )
        #expect(try pull(&machine, 0, channels: OutboxChannelSet([.email])).isEmpty)
        #expect(try pull(&machine, 0).map(\.message) == [index(2)])
        #expect(OutboxChannel(name: "in_app") == .inApp && OutboxChannel(name: "fax") == nil)
    }

    @Test("leases go out by earliest window end, then lowest index, across channels")
    func ordering() throws {
        let messages = [
            message(0, 300, .push), message(0, 100, .email), message(0, 200, .push), message(0, 100, .push),
            message(0, 100, .sms),
        ]
        var machine = try machine(messages)
        #expect(try pull(&machine, 0).map(\.message.row) == [1, 3, 4, 2, 0])
    }

    @Test("a pull leases at most its maximum, and the rest wait for the next pull")
    func maximumPerPull() throws {
        var machine = try machine((0..<5).map { _ in message(0, 100) })
        #expect(try pull(&machine, 0, maximum: 2).map(\.message.row) == [0, 1])
        #expect(try pull(&machine, 0, maximum: 2).map(\.message.row) == [2, 3])
        #expect(try pull(&machine, 0, maximum: 2).map(\.message.row) == [4])
        #expect(machine.counts.leased == 5)
    }

    @Test("a clock that steps back is read as the latest seen")
    func clockNeverRunsBack() throws {
        var machine = try machine([message(0, 100)])
        let lease = try #require(try pull(&machine, 50).first)
        #expect(try pull(&machine, 0).isEmpty)
        #expect(machine.latestNow == at(50))
        #expect(lease.until == at(60))
    }

    @Test("limits: each setting and request value is accepted at its bound and refused one past it")
    func limits() throws {
        #expect(throws: Never.self) {
            try MessageStateMachine(messages: [], configuration: .init(maximumAttempts: Limits.maximumDeliveryAttempts))
        }
        #expect(throws: OutboxError.self) {
            try MessageStateMachine(
                messages: [],
                configuration: .init(maximumAttempts: Limits.maximumDeliveryAttempts + 1)
            )
        }
        #expect(throws: OutboxError.self) {
            try MessageStateMachine(messages: [], configuration: .init(maximumAttempts: 0))
        }
        #expect(throws: OutboxError.self) { try MessageStateMachine(messages: [message(5, 5)]) }
        var machine = try machine((0..<(Limits.maximumMessagesPerPull + 1)).map { _ in message(0, 100) })
        let longest = String(repeating: "n", count: Limits.maximumConsumerNameBytes)
        #expect(throws: OutboxError.self) { try pull(&machine, 0, maximum: Limits.maximumMessagesPerPull + 1) }
        #expect(throws: OutboxError.self) { try pull(&machine, 0, maximum: 0) }
        #expect(throws: OutboxError.self) { try pull(&machine, 0, leaseSeconds: Limits.maximumLeaseSeconds + 1) }
        #expect(throws: OutboxError.self) { try pull(&machine, 0, leaseSeconds: Limits.minimumLeaseSeconds - 1) }
        #expect(throws: OutboxError.self) { try pull(&machine, 0, consumer: longest + "n") }
        #expect(throws: OutboxError.self) { try pull(&machine, 0, consumer: "") }
        #expect(machine.counts.leased == 0)
        let leases = try pull(
            &machine,
            0,
            maximum: Limits.maximumMessagesPerPull,
            leaseSeconds: Limits.maximumLeaseSeconds,
            consumer: longest
        )
        #expect(leases.count == Limits.maximumMessagesPerPull)
        #expect(leases[0].until == at(Int64(Limits.maximumLeaseSeconds)))
        let short = try pull(&machine, 0, leaseSeconds: Limits.minimumLeaseSeconds)
        #expect(short.count == 1)
        let reason = String(repeating: "r", count: Limits.maximumAckReasonBytes)
        #expect(throws: OutboxError.self) {
            try machine.ack(
                message: index(0),
                token: leases[0].token,
                status: .failed(reason: reason + "r"),
                now: at(1)
            )
        }
        #expect(
            try machine.ack(message: index(0), token: leases[0].token, status: .failed(reason: reason), now: at(1))
                == .acknowledged
        )
        #expect(machine.state(of: index(0)) == .failed(reason: reason))
    }

    @Test("settled: every message delivered, failed, dead or expired, and every window ended by the cutoff")
    func settled() throws {
        var machine = try machine([message(0, 100), message(0, 200)], maximumAttempts: 1)
        #expect(!machine.isSettled(windowsEndedBy: at(1_000)), "pending messages")
        let leases = try pull(&machine, 1)
        #expect(!machine.isSettled(windowsEndedBy: at(1_000)), "leased messages")
        #expect(
            try machine.ack(message: leases[0].message, token: leases[0].token, status: .delivered, now: at(2))
                == .acknowledged
        )
        // The other lease lapses on its only attempt: dead, a final state once its window has ended.
        machine.expire(now: at(50))
        #expect(machine.counts.dead == 1 && machine.counts.delivered == 1)
        #expect(!machine.isSettled(windowsEndedBy: at(199)), "a window still open at the cutoff")
        #expect(machine.isSettled(windowsEndedBy: at(200)), "the last window ends at the cutoff")
        // Never pulled: expired when its window closes.
        var unpulled = try self.machine([message(0, 100)])
        unpulled.expire(now: at(99))
        #expect(!unpulled.isSettled(windowsEndedBy: at(1_000)))
        unpulled.expire(now: at(100))
        #expect(unpulled.counts.expired == 1 && unpulled.isSettled(windowsEndedBy: at(100)))
    }
}

import AampeCore
import AampeOutbox
import AampeTestSupport
import Testing

/// What the daemon added to the machine: requeueing dead messages, and the window-end bound that lets it
/// interleave several batches in window order.
@Suite("Message state machine: requeue and interleaving")
struct MessageStateMachineRequeueTests {
    @Test("requeue puts dead messages with an open window back to pending with fresh attempts; old tokens are stale")
    func requeue() throws {
        var machine = try MessageStateMachine(
            messages: [message(0, 100), message(0, 30), message(0, 100)],
            configuration: .init(maximumAttempts: 1)
        )
        let leases = try machine.pull(consumer: "c", maximum: 3, leaseSeconds: 10, now: at(0))
        #expect(leases.count == 3)
        // Row 0 dies by a retry on its last attempt, row 1 by a lapse; row 2 is delivered.
        let token0 = try #require(leases.first { $0.message == index(0) }?.token)
        let token1 = try #require(leases.first { $0.message == index(1) }?.token)
        let token2 = try #require(leases.first { $0.message == index(2) }?.token)
        #expect(
            try machine.ack(message: index(0), token: token1, status: .retry(reason: "busy"), now: at(1)) == .staleLease
        )
        #expect(
            try machine.ack(message: index(0), token: token0, status: .retry(reason: "busy"), now: at(1))
                == .acknowledged
        )
        #expect(try machine.ack(message: index(2), token: token2, status: .delivered, now: at(1)) == .acknowledged)
        machine.expire(now: at(40))
        #expect(machine.counts.dead == 2)
        _ = machine.takeChanges()

        // At 40, row 1's window (ending at 30) has closed: it stays dead.
        let result = machine.requeueDead(now: at(40))
        #expect(result.requeued == 1 && result.windowClosed == 1)
        #expect(machine.state(of: index(0)) == .pending)
        #expect(machine.attempts(of: index(0)) == 0)
        #expect(machine.takeChanges() == [.requeued(index(0), at: at(40))])
        // The lease before the requeue is stale, and the message is handed out again as a first attempt.
        #expect(try machine.ack(message: index(0), token: token0, status: .delivered, now: at(41)) == .staleLease)
        let again = try machine.pull(consumer: "d", maximum: 3, leaseSeconds: 10, now: at(41))
        #expect(again.map(\.message) == [index(0)])
        #expect(again[0].attempt == 1 && again[0].token > token2)
    }

    @Test("a requeue is journaled and replays to the same machine; an ACK of a pre-requeue token does not replay")
    func requeueReplays() throws {
        let messages = [message(0, 100)]
        var machine = try MessageStateMachine(messages: messages, configuration: .init(maximumAttempts: 1))
        let lease = try #require(try machine.pull(consumer: "c", maximum: 1, leaseSeconds: 10, now: at(0)).first)
        machine.expire(now: at(20))
        _ = machine.requeueDead(now: at(20))
        var journal = OutboxJournal.header(messageCount: 1)
        for change in machine.takeChanges() { OutboxJournal.encode(change, into: &journal) }
        let (replayed, _) = try OutboxJournal.replay(
            journal,
            messages: messages,
            configuration: .init(maximumAttempts: 1)
        )
        #expect(replayed.state(of: index(0)) == .pending)
        #expect(replayed.attempts(of: index(0)) == 0)

        var forged = journal
        OutboxJournal.encode(.delivered(index(0), token: lease.token, at: at(21)), into: &forged)
        #expect(throws: OutboxError.self) {
            try OutboxJournal.replay(forged, messages: messages, configuration: .init(maximumAttempts: 1))
        }
    }

    @Test("nextDueWindowEnd and windowEndingBy take messages in window order up to a bound, ties included")
    func windowBound() throws {
        var machine = try MessageStateMachine(messages: [
            message(0, 50), message(0, 20), message(0, 30), message(0, 30),
        ])
        #expect(machine.nextDueWindowEnd(now: at(1)) == at(20))
        let upTo30 = try machine.pull(consumer: "c", maximum: 10, leaseSeconds: 5, now: at(1), windowEndingBy: at(30))
        #expect(upTo30.map(\.message) == [index(1), index(2), index(3)])
        #expect(machine.nextDueWindowEnd(now: at(1)) == at(50))
        #expect(
            try machine.pull(consumer: "c", maximum: 10, leaseSeconds: 5, now: at(1), windowEndingBy: at(49)).isEmpty
        )
        #expect(machine.nextDueWindowEnd(channels: OutboxChannelSet([.email]), now: at(1)) == nil)
    }
}

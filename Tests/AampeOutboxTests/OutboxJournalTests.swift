import AampeCore
import AampeOutbox
import AampeTestSupport
import Testing

/// A seeded run of pulls, ACKs and clock steps over a small outbox, checking the machine's invariants
/// after every step, and its journal.
struct RandomRun {
    var messages: [OutboxMessage]
    var machine: MessageStateMachine
    var journal: [UInt8]
    var now: Int64 = 0

    init(seed: UInt64, messageCount: Int = 60, steps: Int = 3_000) throws {
        var random = SplitMix64(state: seed)
        messages = (0..<messageCount).map { _ in
            let start = Int64.random(in: 0..<400, using: &random)
            return message(
                start,
                start + Int64.random(in: 1..<300, using: &random),
                OutboxChannel.allCases.randomElement(using: &random)!
            )
        }
        machine = try MessageStateMachine(messages: messages, configuration: .init(maximumAttempts: 3))
        journal = OutboxJournal.header(messageCount: messageCount)
        var held: [MessageStateMachine.Lease] = []
        var settled: Set<MessageIndex> = []
        for _ in 0..<steps {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<3:
                let wanted = OutboxChannelSet(rawValue: UInt8.random(in: 1...15, using: &random))
                let leases = try machine.pull(
                    consumer: "c\(Int.random(in: 0..<3, using: &random))",
                    maximum: Int.random(in: 1...5, using: &random),
                    leaseSeconds: Int.random(in: 1...20, using: &random),
                    channels: wanted,
                    now: at(now)
                )
                for lease in leases {
                    #expect(!settled.contains(lease.message), "a settled message was leased")
                    #expect(wanted.contains(messages[lease.message.row].channel))
                    #expect(
                        messages[lease.message.row].windowStart <= at(now)
                            && at(now) < messages[lease.message.row].windowEnd
                    )
                }
                held += leases
            case 3..<7 where !held.isEmpty:
                let lease = held.remove(at: Int.random(in: 0..<held.count, using: &random))
                let status: MessageStateMachine.AckStatus =
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: .delivered
                    case 1: .failed(reason: "bounced")
                    default: .retry(reason: "busy")
                    }
                let before = machine.state(of: lease.message)
                let outcome = try machine.ack(message: lease.message, token: lease.token, status: status, now: at(now))
                if before.isTerminal { #expect(machine.state(of: lease.message) == before) }
                if case .leased(_, let token, let until) = before, token == lease.token, until > at(now) {
                    #expect(outcome == .acknowledged)
                }
            default:
                now += Int64.random(in: 0...6, using: &random)
            }
            for change in machine.takeChanges() { OutboxJournal.encode(change, into: &journal) }
            for row in 0..<messageCount {
                let state = machine.state(of: MessageIndex(row))
                #expect(machine.attempts(of: MessageIndex(row)) <= 3)
                if settled.contains(MessageIndex(row)) { #expect(state.isTerminal, "a terminal state was left") }
                if state.isTerminal { settled.insert(MessageIndex(row)) }
                if case .leased(_, _, let until) = state { #expect(until > machine.latestNow) }
            }
            #expect(machine.counts.total == messageCount)
        }
    }
}

@Suite("Message state machine, randomized, and its journal")
struct OutboxJournalTests {
    @Test("thousands of seeded pulls, ACKs and clock steps keep the invariants", arguments: [1, 2, 3] as [UInt64])
    func randomized(seed: UInt64) throws {
        let run = try RandomRun(seed: seed)
        // No two live leases on one message: each leased message has exactly one live token, and the
        // leased count is the number of messages whose state says leased.
        let leased = (0..<run.messages.count).filter {
            if case .leased = run.machine.state(of: MessageIndex($0)) { true } else { false }
        }
        #expect(leased.count == run.machine.counts.leased)
        #expect(run.machine.counts.delivered + run.machine.counts.failed > 0)
    }

    @Test("replaying the journal of a random run gives an identical machine")
    func roundTrip() throws {
        var run = try RandomRun(seed: 7)
        var (replayed, decoded) = try OutboxJournal.replay(
            run.journal,
            messages: run.messages,
            configuration: .init(maximumAttempts: 3)
        )
        #expect(!decoded.hasTornTail && decoded.validByteCount == run.journal.count)
        #expect(replayed.takeChanges().isEmpty)
        run.machine.expire(now: at(run.now))
        replayed.expire(now: at(run.now))
        #expect(replayed.counts == run.machine.counts)
        for row in 0..<run.messages.count {
            #expect(replayed.state(of: MessageIndex(row)) == run.machine.state(of: MessageIndex(row)))
            #expect(replayed.attempts(of: MessageIndex(row)) == run.machine.attempts(of: MessageIndex(row)))
        }
        // Both hand out the same next leases, with tokens the original never used.
        let later = at(run.now + 1)
        let a = try run.machine.pull(consumer: "z", maximum: 100, leaseSeconds: 5, now: later)
        let b = try replayed.pull(consumer: "z", maximum: 100, leaseSeconds: 5, now: later)
        #expect(a == b)
    }

    @Test("a torn final record is reported and ignored, and the appender cuts it off")
    func tornTail() throws {
        let run = try RandomRun(seed: 11, steps: 300)
        let folder = try TemporaryFolder()
        let path = folder.child("outbox.journal")
        let file = try OutboxJournalFile.create(path: path, messageCount: run.messages.count)
        let decodedWhole = try OutboxJournal.decode(run.journal)
        try file.append(decodedWhole.changes)
        try file.sync()
        try file.close()
        #expect(try OutboxJournalFile.read(path: path) == run.journal)
        // Cut into the last record, then fill a cut with zeros: both are torn tails.
        let lastOffset = try #require(decodedWhole.offsets.last)
        for torn in [
            Array(run.journal[..<(run.journal.count - 3)]),
            run.journal[..<(lastOffset + 5)] + [UInt8](repeating: 0, count: 100),
        ] {
            let decoded = try OutboxJournal.decode(torn)
            #expect(decoded.hasTornTail)
            #expect(decoded.validByteCount == lastOffset)
            #expect(decoded.changes == Array(decodedWhole.changes.dropLast()))
        }
        // A flipped byte in the final record (its checksum fails and nothing follows) is torn too.
        var flipped = run.journal
        flipped[flipped.count - 1] ^= 1
        #expect(try OutboxJournal.decode(flipped).tornTailBytes == run.journal.count - lastOffset)
        // The appender resumes after the intact records.
        try FileIO.writeDurably(path, bytes: Array(run.journal[..<(run.journal.count - 3)]))
        let (_, journal) = try OutboxJournal.replay(
            try OutboxJournalFile.read(path: path),
            messages: run.messages,
            configuration: .init(maximumAttempts: 3)
        )
        let appender = try OutboxJournalFile.openForAppending(path: path, validByteCount: journal.validByteCount)
        try appender.append([decodedWhole.changes.last!])
        try appender.close()
        #expect(try OutboxJournalFile.read(path: path) == run.journal)
    }

    @Test("a corrupt record in the middle throws, naming its byte offset")
    func corruptMiddle() throws {
        let run = try RandomRun(seed: 13, steps: 300)
        let decoded = try OutboxJournal.decode(run.journal)
        let offset = decoded.offsets[decoded.offsets.count / 2]
        var corrupt = run.journal
        corrupt[offset + 5] ^= 0x40
        #expect(throws: OutboxError.corruptRecord(offset: offset, "checksum mismatch")) {
            try OutboxJournal.decode(corrupt)
        }
        var badHeader = run.journal
        badHeader[9] ^= 1
        #expect(throws: OutboxError.self) { try OutboxJournal.decode(badHeader) }
        #expect(throws: OutboxError.journalMessageCountMismatch(journal: run.messages.count, outbox: 1)) {
            try OutboxJournal.replay(run.journal, messages: [message(0, 1)])
        }
    }

    @Test("an intact record that its message's state does not allow is refused with its offset")
    func inconsistentRecord() throws {
        var journal = OutboxJournal.header(messageCount: 1)
        OutboxJournal.encode(.delivered(MessageIndex(0), token: LeaseToken(rawValue: 1), at: at(1)), into: &journal)
        #expect(throws: OutboxError.self) { try OutboxJournal.replay(journal, messages: [message(0, 10)]) }
        do {
            _ = try OutboxJournal.replay(journal, messages: [message(0, 10)])
        } catch .inconsistentRecord(let offset, let row, _) {
            #expect(offset == OutboxJournal.headerBytes && row == 0)
        }
    }
}

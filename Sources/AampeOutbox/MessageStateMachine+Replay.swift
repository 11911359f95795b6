internal import AampeCore

extension MessageStateMachine {
    /// Makes `change`, read back from the journal, if the message's state allows it; otherwise returns why
    /// not and changes nothing.
    ///
    /// The checks do not depend on the configuration's `maximumAttempts`, so that a journal still replays
    /// after the setting is lowered (``finishReplay()`` then settles what it left over).
    mutating func replay(_ change: Change) -> String? {
        let row = change.message.row
        guard row < slots.count else { return "no such message" }
        let slot = slots[row]
        switch change {
        case .leased(_, let consumer, let token, let until, let at):
            guard slot.phase == .pending else { return "leased while \(slot.phase)" }
            guard token.rawValue > slot.token else { return "lease token \(token) after token \(slot.token)" }
            guard Int(slot.attempts) < Limits.maximumDeliveryAttempts else { return "lease past the most attempts" }
            guard windowStarts[row] <= at.rawValue, at.rawValue < windowEnds[row] else {
                return "leased at \(at.iso8601Microseconds), outside its window"
            }
            guard until > at else { return "lease ends before it starts" }
            guard !consumer.isEmpty else { return "lease without a consumer" }
        case .delivered(_, let token, _), .failed(_, let token, _, _), .retried(_, let token, _, _):
            guard slot.phase == .leased || slot.phase == .pending else { return "acked while \(slot.phase)" }
            guard slot.token != 0, token.rawValue == slot.token, slot.attempts > 0 else {
                return "ack of token \(token), not its lease"
            }
            guard slot.acknowledgement == nil else { return "lease \(token) acked twice" }
        case .leaseLapsed(_, let token, let at):
            guard slot.phase == .leased, token.rawValue == slot.token, at.rawValue == slot.leaseUntil else {
                return "lapse of lease \(token), which is not its live lease ending then"
            }
        case .dead:
            guard slot.phase == .pending, slot.attempts > 0 else { return "dead while \(slot.phase)" }
        case .requeued(_, let at):
            guard slot.phase == .dead, at.rawValue < windowEnds[row] else {
                return "requeued at \(at.iso8601Microseconds) while \(slot.phase)"
            }
        case .expired(_, let at):
            guard slot.phase == .pending, at.rawValue >= windowEnds[row] else {
                return "expired at \(at.iso8601Microseconds) while \(slot.phase)"
            }
        }
        if change.at > latestNow { latestNow = change.at }
        apply(change)
        return nil
    }

    /// After the last replayed change: rebuilds the queues and the token counter from the messages'
    /// states, and drops the replayed changes (they are in the journal already).
    ///
    /// A pending message with no attempts left under the current configuration (the setting was lowered
    /// since the journal was written) goes to `dead`, as a new change for the journal.
    mutating func finishReplay() {
        changes.removeAll()
        leaseQueue = MinimumHeap()
        openQueues = Array(repeating: MinimumHeap(), count: OutboxChannel.allCases.count)
        nextToOpen = 0
        nextToken = (slots.lazy.map(\.token).max() ?? 0) + 1
        for row in slots.indices
        where slots[row].phase == .pending
            && Int(slots[row].attempts) >= configuration.maximumAttempts
        {
            apply(.dead(MessageIndex(row), reason: Self.attemptsLoweredReason, at: latestNow))
        }
        for (row, slot) in slots.enumerated() where slot.phase == .leased {
            leaseQueue.insert(LeaseEntry(until: slot.leaseUntil, index: UInt32(row), token: slot.token))
        }
        // The clock re-runs from the latest change: windows open by then are queued, later ones wait, and
        // everything due by then was journaled (or is applied now, as the live machine would have).
        let now = latestNow
        latestNow = Timestamp(rawValue: .min)
        advance(to: now)
    }

    /// The reason a message left pending by a lowered `maximumAttempts` is dead with.
    public static let attemptsLoweredReason = "attempts exhausted"
}

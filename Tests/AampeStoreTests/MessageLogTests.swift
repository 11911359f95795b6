import AampeCore
import AampeStore
import Testing

@Suite("The message log's decisions")
struct MessageLogTests {
    static func store(users: Int) throws -> Store {
        let store = try Store.inMemory()
        var commit = IngestionCommit()
        commit.newUserIDs = ArraySlice((0..<users).map { "u\($0)" })
        commit.firstNewUserIndex = 0
        try store.ingestion.commit(commit)
        return store
    }

    @Test("labels and items with quotes, backslashes and control characters round-trip through the log")
    func awkwardLabels() throws {
        let store = try Self.store(users: 1)
        let labels = ["tone=\"plain\"", "back\\slash", "tab\tnew\nline\u{1}", "café ☕", ""]
        var decision = LoggedDecision(
            userIndex: 0,
            campaign: "c",
            goal: "purchase",
            occasion: "day:2026-10-29",
            mode: .conditioned,
            channel: "push",
            labels: labels,
            windowIndex: 3,
            windowStart: Timestamp(rawValue: 1_000),
            windowEnd: Timestamp(rawValue: 2_000),
            items: labels.reversed(),
            propensity: 0.5,
            assignedAt: Timestamp(rawValue: 0),
            batch: 7,
            messageRow: 0
        )
        let run = try store.runs.begin(.assign, subject: "test")
        try store.messageLog.append([decision], runID: run)
        _ = try store.messageLog.update([
            DeliveryUpdate(
                batch: 7,
                messageRow: 0,
                status: "delivered",
                reason: nil,
                deliveredAt: Timestamp(rawValue: 1_500)
            )
        ])
        let pending = try store.messageLog.outcomesPending(deliveredNotAfter: Timestamp(rawValue: 1_500))
        #expect(pending.count == 1)
        try store.messageLog.record(
            [JoinedOutcome(id: pending[0].id, count: 2, value: 5, firstDelaySeconds: 60)],
            joinedAt: Timestamp(rawValue: 9_000)
        )
        let outcomes = try store.messageLog.outcomes(campaign: "c")
        #expect(outcomes.map(\.labels) == [labels])
        #expect(outcomes.map(\.goalCount) == [2])

        // The same (campaign, user, occasion) again is refused, and nothing of the second batch is kept.
        decision.messageRow = 1
        #expect(throws: (any Error).self) { try store.messageLog.append([decision], runID: run) }
        #expect(try store.messageLog.decisionCounts().reduce(0) { $0 + $1.count } == 1)
    }

    @Test("failed, dead and expired messages and control rows do not count toward caps; delivered ones do")
    func capsCount() throws {
        let store = try Self.store(users: 1)
        var decisions: [LoggedDecision] = []
        for (row, mode) in [LoggedDecision.Mode.conditioned, .conditioned, .conditioned, .control].enumerated() {
            decisions.append(
                LoggedDecision(
                    userIndex: 0,
                    campaign: "c",
                    goal: "g",
                    occasion: "o\(row)",
                    mode: mode,
                    windowStart: Timestamp(rawValue: 100 + Int64(row)),
                    assignedAt: Timestamp(rawValue: 0),
                    batch: mode == .control ? nil : 1,
                    messageRow: mode == .control ? nil : row
                )
            )
        }
        try store.messageLog.append(decisions, runID: try store.runs.begin(.assign, subject: "test"))
        _ = try store.messageLog.update([
            DeliveryUpdate(
                batch: 1,
                messageRow: 0,
                status: "delivered",
                reason: nil,
                deliveredAt: Timestamp(rawValue: 150)
            ),
            DeliveryUpdate(batch: 1, messageRow: 1, status: "failed", reason: "bad token", deliveredAt: nil),
        ])
        let counted = try store.messageLog.messageStarts(from: Timestamp(rawValue: 0), to: Timestamp(rawValue: 1_000))
        #expect(counted.map(\.start.rawValue).sorted() == [100, 102], "delivered and still assigned")
        // Timing reads delivered sends only, at their delivery time.
        #expect(try store.messageLog.sends(notAfter: Timestamp(rawValue: 1_000)).map(\.sentAt.rawValue) == [150])
    }
}

import ArgumentParser

/// `aampectl outbox`: the messages assignment runs wrote, as aamped serves them.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Pull, acknowledge, requeue and count outbox messages; move a simulated clock.",
        subcommands: [
            OutboxStatusCommand.self, OutboxPullCommand.self, OutboxAckCommand.self, OutboxRequeueCommand.self,
            OutboxClockCommand.self,
        ]
    )
}

import AampeClient
import AampeProtocol
import ArgumentParser

/// `aampectl outbox requeue --dead`: dead messages back to pending (an admin operation of the daemon).
struct OutboxRequeueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Put dead messages whose send window is still open back to pending, with fresh attempts.",
        discussion: """
            Asks the running aamped (REQUEUE, an admin operation), which journals the change like any \
            other: the messages are handed out by the next PULLs, and ACKs of their earlier leases are \
            stale. Dead messages whose window has closed stay dead.
            """
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Flag(help: "Requeue dead messages (required: the only selection today).")
    var dead = false

    func run() async throws {
        guard dead else { throw ValidationError("say which messages: --dead") }
        let client = try connection.client(dataDirectory: options.dataDirectory, wantsAdmin: true)
        defer { Task { await client.close() } }
        let response = try await client.requeueDead()
        print("requeued \(response.requeued) dead messages; \(response.windowClosed) stay dead (window closed).")
    }
}

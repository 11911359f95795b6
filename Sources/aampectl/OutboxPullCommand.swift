import AampeClient
import AampeProtocol
import ArgumentParser

/// `aampectl outbox pull`: leases due messages and prints one JSON line per message.
struct OutboxPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Lease due messages from aamped and print one JSON line per message.",
        discussion: """
            Each line holds the message's id and lease token, which `aampectl outbox ack` needs back, and \
            its content (see OutboxJSONLines). A message not acknowledged within --lease-seconds is handed \
            out again.
            """
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Option(help: "Who is pulling (1 ... 128 bytes), kept with each lease.")
    var consumer: String

    @Option(help: "The most messages to lease (1 ... 10,000).")
    var maximum: Int

    @Option(name: .customLong("lease-seconds"), help: "Seconds until an unacknowledged message is handed out again.")
    var leaseSeconds: Int

    @Option(name: .customLong("channel"), help: "Only this channel (push, email, sms, in_app); repeatable.")
    var channels: [String] = []

    func run() async throws {
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let response = try await client.pull(
            consumer: consumer,
            maximum: maximum,
            leaseSeconds: leaseSeconds,
            channels: channels
        )
        var output = ""
        for message in response.messages {
            output += OutboxJSONLines.line(for: message)
            output += "\n"
        }
        print(output, terminator: "")
    }
}

import AampeClient
import AampeCore
import AampeProtocol
import ArgumentParser

/// `aampectl outbox clock`: reads aamped's outbox clock, or moves a simulated one.
struct OutboxClockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Show the clock PULL and ACK run on; move it when aamped runs with --simulated-clock.",
        discussion: "CLOCK is an admin operation. Time never runs back: --set earlier than the clock is refused."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Option(help: ArgumentHelp("Move the simulated clock to this ISO-8601 instant.", valueName: "instant"))
    var set: String?

    @Option(name: .customLong("advance-seconds"), help: "Move the simulated clock forward by this many seconds.")
    var advanceSeconds: Int64?

    func run() async throws {
        guard set == nil || advanceSeconds == nil else {
            throw ValidationError("give --set or --advance-seconds, not both")
        }
        var setMicros: Int64?
        if let set {
            guard let instant = Timestamp(iso8601: set) else {
                throw ValidationError("--set: expected an ISO-8601 instant")
            }
            setMicros = instant.rawValue
        }
        let advance = advanceSeconds ?? 0
        guard advance >= 0, advance <= Limits.maximumClockAdvanceMicros / Timestamp.microsecondsPerSecond else {
            throw ValidationError(
                "--advance-seconds must be 0 ... \(Limits.maximumClockAdvanceMicros / Timestamp.microsecondsPerSecond)"
            )
        }
        let client = try connection.client(dataDirectory: options.dataDirectory, wantsAdmin: true)
        defer { Task { await client.close() } }
        let response = try await client.clock(
            setMicros: setMicros,
            advanceMicros: advance * Timestamp.microsecondsPerSecond
        )
        print("\(OutboxJSONLines.instant(response.nowMicros))\(response.isSimulated ? " (simulated)" : "")")
    }
}

import AampeClient
import AampeProtocol
import ArgumentParser

/// `aampectl ping`: checks that the daemon answers, and how fast.
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Check that aamped answers, and measure the round trip."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Option(help: "How many pings to send.")
    var count = 1

    func run() async throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let greeting = try await client.greeting()
        var rounds: [Duration] = []
        for sequence in 0..<count {
            let payload = Array("aampectl-\(sequence)".utf8)
            let started = ContinuousClock.now
            let pong = try await client.ping(payload: payload)
            let elapsed = ContinuousClock.now - started
            guard Array(pong.payload) == payload else { throw ValidationError("the daemon echoed a different payload") }
            rounds.append(elapsed)
            print(
                "pong from \(client.configuration.address) (aamped \(greeting.serverVersion)): \(Self.micros(elapsed)) µs"
            )
        }
        if count > 1 {
            let sorted = rounds.sorted()
            let total = rounds.reduce(Duration.zero, +)
            print(
                "\(count) pings: min \(Self.micros(sorted.first!)) µs, avg \(Self.micros(total / count)) µs, max \(Self.micros(sorted.last!)) µs"
            )
        }
    }

    static func micros(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
        return String(Int(micros.rounded()))
    }
}

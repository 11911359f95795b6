import AampeClient
import AampeProtocol
import ArgumentParser

/// `aampectl reload`: makes the daemon map the generation `CURRENT` names now.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make aamped serve the newest published generation now (an admin operation)."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    func run() async throws {
        let client = try connection.client(dataDirectory: options.dataDirectory, wantsAdmin: true)
        defer { Task { await client.close() } }
        let response = try await client.reload()
        let previous = response.hasPreviousGeneration ? String(response.previousGeneration) : "none"
        let current = response.hasGeneration ? String(response.generation) : "none"
        if response.changed {
            print("aamped now serves generation \(current) (was \(previous)).")
        } else {
            print("aamped already serves generation \(current).")
        }
    }
}

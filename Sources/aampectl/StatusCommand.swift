import AampeClient
import AampeCore
import AampeProtocol
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl status`: what a data directory holds.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a data directory's schema, contents, current generation and disk usage."
    )

    @OptionGroup var options: DataDirectoryOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Also ask the running aamped what it serves.")
    var daemon = false

    @OptionGroup var connection: DaemonConnectionOptions

    func run() async throws {
        let directory = options.dataDirectory
        let store = try directory.openStore()
        var report = try StatusReport(directory: directory, store: store)
        if daemon {
            report.daemon = await StatusReport.Daemon.query(try connection.client(dataDirectory: directory))
        }
        print(json ? try report.json() : report.table())
        if daemon, report.daemon?.isReachable != true { throw ExitCode(1) }
    }
}

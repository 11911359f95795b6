import AampeCore
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl status`: what a data directory holds.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a data directory's schema, contents, current generation and disk usage."
    )

    @OptionGroup var options: DataDirectoryOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let directory = options.dataDirectory
        let store = try directory.openStore()
        let report = try StatusReport(directory: directory, store: store)
        print(json ? try report.json() : report.table())
    }
}

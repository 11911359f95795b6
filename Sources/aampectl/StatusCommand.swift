import AampeClient
import AampeCore
import AampeJobs
import AampeProtocol
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl status`: what a data directory holds.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a data directory's schema, contents, current generation and disk usage.",
        discussion: """
            With --verify, every byte of the current generation is read and checked: each file's size and \
            CRC-32C against the generation's manifest, every column of every segment file, and each \
            model's consistency as aamped checks it at load. Each failure names the file, the column \
            where one failed, and the check. Exit status: 0 intact, 1 damaged, 3 no generation published.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Also ask the running aamped what it serves.")
    var daemon = false

    @Flag(help: "Read every byte of the current generation and check it; exit 1 if anything fails.")
    var verify = false

    @OptionGroup var connection: DaemonConnectionOptions

    /// `--verify`'s exit status when no generation is published.
    static let noGenerationExitCode: Int32 = 3

    func run() async throws {
        if verify { return try runVerification() }
        let directory = options.dataDirectory
        let store = try directory.openStore()
        var report = StatusReport(status: try DataDirectoryStatus(directory: directory, store: store))
        if daemon {
            report.daemon = await StatusReport.Daemon.query(try connection.client(dataDirectory: directory))
        }
        print(json ? try report.json() : report.table())
        if daemon, report.daemon?.isReachable != true { throw ExitCode(1) }
    }

    func runVerification() throws {
        let report = try GenerationVerification.run(directory: options.dataDirectory)
        if json {
            print(try JSONText.pretty(report))
        } else if let generation = report.generation {
            if report.isIntact {
                print(
                    "generation \(generation): intact (\(report.files) files, \(ByteCount.format(report.bytes)) read)"
                )
            } else {
                print("generation \(generation): DAMAGED, \(report.failures.count) failed checks")
                for failure in report.failures {
                    print("  \(failure.file)\(failure.column.map { ": column '\($0)'" } ?? ""): \(failure.check)")
                }
            }
        } else {
            print("no generation is published")
        }
        if report.generation == nil { throw ExitCode(Self.noGenerationExitCode) }
        if !report.isIntact { throw ExitCode(1) }
    }
}

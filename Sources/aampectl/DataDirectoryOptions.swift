import AampeCore
import ArgumentParser
import Foundation

/// The `--data-dir` option every command takes, and its resolution.
struct DataDirectoryOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The data directory. Default: $\(DataDirectory.environmentVariable), else ./\(DataDirectory.defaultRelativePath).",
            valueName: "path"
        )
    )
    var path: String?

    /// The data directory this command works on: the flag, else the environment, else the default.
    var dataDirectory: DataDirectory {
        DataDirectory.resolve(
            flag: path,
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath
        )
    }
}

import AampeCore
import AampeStore
import ArgumentParser

/// `aampectl init`: creates a data directory, or checks and completes an existing one.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory (safe to run again on an existing one).",
        discussion: """
            Creates the folder layout and aampe.sqlite (WAL mode) and applies the schema. On a data \
            directory that already exists it checks the schema and applies any newer migrations. It \
            refuses a folder that holds other files, and a data directory written by a newer aamped.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    func run() throws {
        let directory = options.dataDirectory
        let (store, outcome) = try directory.initialize()
        let version = try store.meta().schemaVersion
        switch outcome {
        case .created: print("Created data directory \(directory.path) (schema version \(version)).")
        case .alreadyInitialized: print("Data directory \(directory.path) is ready (schema version \(version)).")
        case .migrated: print("Migrated data directory \(directory.path) to schema version \(version).")
        }
    }
}

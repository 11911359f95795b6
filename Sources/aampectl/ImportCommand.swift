import ArgumentParser

/// `aampectl import`: events, user profiles and the item catalog.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import events, user profiles or the item catalog from files or folders.",
        subcommands: [ImportEventsCommand.self, ImportUsersCommand.self, ImportCatalogCommand.self]
    )
}

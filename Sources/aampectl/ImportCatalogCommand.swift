import AampeClient
import AampeCore
import AampeIngest
import AampeProtocol
import ArgumentParser
import Foundation

/// `aampectl import catalog PATH...`
struct ImportCatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Upsert catalog items: title, category, stock, price, url, image and any attribute.",
        discussion: """
            Reads CSV/TSV and JSON lines or arrays (also .zst), including the Amazon Personalize items CSV \
            (ITEM_ID,...). Values with | are multi-values (GENRES=Crime|Drama), indexed per value. \
            A running aamped is told (RELOAD) and serves the changes before this command ends, without \
            a retrain.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var output: ImportOutputOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Flag(help: "Do not tell a running aamped about the changes (it reads them at its next RELOAD).")
    var noReload = false

    @Option(
        help: ArgumentHelp(
            "The column holding the item id, if not item_id, ITEM_ID, product_id, sku or id.",
            valueName: "name"
        )
    )
    var idColumn: String?

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String]

    func run() async throws {
        let summary = try output.attributeImport(
            .catalog,
            dataDirectory: dataDirectory.dataDirectory,
            idColumn: idColumn,
            paths: paths
        )
        if !noReload && summary.totals.accepted > 0 { await notifyDaemon() }
        try output.finish(summary)
    }

    /// Sends RELOAD, which makes aamped read the catalog rows its generation does not hold. Without a
    /// daemon (no socket) there is nobody to tell; a daemon that cannot be reached is a warning, since
    /// the import itself is committed.
    private func notifyDaemon() async {
        let directory = dataDirectory.dataDirectory
        guard connection.tcp != nil || FileManager.default.fileExists(atPath: connection.unix ?? directory.socketPath)
        else { return }
        do {
            let client = try connection.client(dataDirectory: directory, wantsAdmin: true)
            let response = try await client.reload()
            await client.close()
            let generation = response.hasGeneration ? String(response.generation) : "none"
            FileHandle.standardError.write(Data("aamped serves the catalog changes (generation \(generation)).\n".utf8))
        } catch {
            FileHandle.standardError.write(
                Data(
                    "aampectl: the import is committed, but aamped does not serve it yet: \(error); run `aampectl reload` (or train the recommender)\n"
                        .utf8
                )
            )
        }
    }
}

import AampeIngest
import ArgumentParser

/// `aampectl import catalog PATH...`
struct ImportCatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Upsert catalog items: title, category, stock, price, url, image and any attribute.",
        discussion: """
            Reads CSV/TSV and JSON lines or arrays (also .zst), including the Amazon Personalize items CSV \
            (ITEM_ID,...). Values with | are multi-values (GENRES=Crime|Drama), indexed per value.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var output: ImportOutputOptions

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
        try output.runAttributeImport(
            .catalog,
            dataDirectory: dataDirectory.dataDirectory,
            idColumn: idColumn,
            paths: paths
        )
    }
}

import AampeIngest
import ArgumentParser

/// `aampectl import users PATH...`
struct ImportUsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Upsert user profiles: country, language, time zone, first name, channel addresses and consent.",
        discussion: """
            Reads CSV/TSV and JSON lines or arrays (also .zst): aamped's own columns, Segment identify calls, \
            the Amazon Personalize users CSV (USER_ID,...) and the Amazon Pinpoint endpoint CSV \
            (User.UserId, ChannelType, Address, OptOut, User.UserAttributes.*). Typed fields are validated; \
            every other column is kept as an attribute. A channel address without a consent column is \
            stored without consent.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions
    @OptionGroup var output: ImportOutputOptions

    @Option(
        help: ArgumentHelp(
            "The column holding the user id, if not user_id, USER_ID, User.UserId, id, ...",
            valueName: "name"
        )
    )
    var idColumn: String?

    @Argument(help: ArgumentHelp("Files or folders to import.", valueName: "path"))
    var paths: [String]

    func run() async throws {
        try output.runAttributeImport(
            .users,
            dataDirectory: dataDirectory.dataDirectory,
            idColumn: idColumn,
            paths: paths
        )
    }
}

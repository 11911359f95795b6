import AampeCore
import AampeEvents
import AampeIngest
import AampeStore
import ArgumentParser
import Foundation

/// Options every `import` subcommand shares: output, strictness and text decoding.
struct ImportOutputOptions: ParsableArguments {
    @Flag(help: "Print the summary as JSON instead of a table.")
    var json = false

    @Flag(help: "Exit non-zero when the share of rejected rows is above --max-reject-rate.")
    var strict = false

    @Option(help: ArgumentHelp("The reject share --strict tolerates, 0 to 1.", valueName: "rate"))
    var maxRejectRate = 0.0

    @Flag(help: "Do not draw a progress bar even on a terminal.")
    var noProgress = false

    @Option(help: ArgumentHelp("Text encoding: utf-8 or latin1.", valueName: "name"))
    var encoding: String = "utf-8"

    @Option(
        help: ArgumentHelp(
            "Field delimiter of delimited files: a character, or tab. Default: from the name (.tsv) or the header line.",
            valueName: "char"
        )
    )
    var delimiter: String?

    func validate() throws {
        guard (0...1).contains(maxRejectRate) else {
            throw ValidationError("--max-reject-rate must be between 0 and 1")
        }
        guard TextEncoding(rawValue: encoding.lowercased()) != nil else {
            throw ValidationError("--encoding must be utf-8 or latin1, not \(encoding)")
        }
        _ = try delimiterByte()
    }

    var textEncoding: TextEncoding { TextEncoding(rawValue: encoding.lowercased()) ?? .utf8 }

    func delimiterByte() throws -> UInt8? {
        guard let delimiter else { return nil }
        switch delimiter {
        case "tab", "\\t", "\t": return 0x09
        default:
            guard delimiter.utf8.count == 1, let byte = delimiter.utf8.first, byte != UInt8(ascii: "\""), byte != 0x0A,
                byte != 0x0D
            else {
                throw ValidationError(
                    "--delimiter must be one ASCII character other than a quote or line break, or tab"
                )
            }
            return byte
        }
    }

    /// Runs `import users` or `import catalog` on `paths` and finishes as ``finish(_:)`` does.
    func runAttributeImport(
        _ subject: AttributeImporter.Subject,
        dataDirectory directory: DataDirectory,
        idColumn: String?,
        paths: [String]
    ) throws {
        try finish(try attributeImport(subject, dataDirectory: directory, idColumn: idColumn, paths: paths))
    }

    /// Runs `import users` or `import catalog` on `paths` and returns what happened, for the caller to
    /// act on before ``finish(_:)``.
    func attributeImport(
        _ subject: AttributeImporter.Subject,
        dataDirectory directory: DataDirectory,
        idColumn: String?,
        paths: [String]
    ) throws -> ImportSummary {
        let store = try directory.openStore()
        var options = AttributeImportOptions()
        options.encoding = textEncoding
        options.delimiter = try delimiterByte()
        options.idColumn = idColumn
        let importer = AttributeImporter(
            events: EventStore(dataDirectory: directory, store: store),
            subject: subject,
            options: options
        )
        return try importer.run(paths: paths)
    }

    /// Prints the summary and turns the run's outcome into the exit status: non-zero only when nothing
    /// was readable, or with --strict when too many rows were rejected.
    func finish(_ summary: ImportSummary) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(ImportReport.table(summary))
        }
        if summary.isNothingReadable {
            FileHandle.standardError.write(Data("aampectl: nothing was readable in the paths given\n".utf8))
            throw ExitCode(2)
        }
        if strict, summary.totals.rejectRate > maxRejectRate {
            let rate = String(format: "%.4f", summary.totals.rejectRate)
            FileHandle.standardError.write(
                Data(
                    "aampectl: \(summary.totals.rejected) of \(summary.totals.rowsRead) rows rejected (rate \(rate)), above --max-reject-rate \(maxRejectRate)\n"
                        .utf8
                )
            )
            throw ExitCode(3)
        }
    }
}

import AampeContent
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl content`: check, list and apply a content folder (label sets, formulas, goals, campaigns).
struct ContentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content",
        abstract: "Validate, list and apply a content folder of YAML files.",
        subcommands: [ContentValidateCommand.self, ContentShowCommand.self, ContentApplyCommand.self]
    )

    /// Loads `folder`, or prints every problem to standard error and exits 1.
    static func load(_ folder: String) throws -> Content {
        do {
            return try ContentLoader.load(folder: folder)
        } catch .invalid(let issues) {
            for issue in issues {
                FileHandle.standardError.write(Data("\(issue)\n".utf8))
            }
            let noun = issues.count == 1 ? "error" : "errors"
            FileHandle.standardError.write(Data("aampectl: \(folder): \(issues.count) \(noun)\n".utf8))
            throw ExitCode.failure
        } catch {
            FileHandle.standardError.write(Data("aampectl: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// `aampectl content validate DIR`: every problem, each with file:line:column and field.
struct ContentValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a content folder and print every problem; exit 1 if there is any."
    )

    @Argument(help: "The content folder.")
    var folder: String

    func run() async throws {
        let content = try ContentCommand.load(folder)
        let variants = content.formulas.reduce(0) { $0 + $1.variantCount }
        print(
            "ok: \(content.labelSets.count) label sets, \(content.formulas.count) formulas (\(variants) variants), "
                + "\(content.goals.count) goals, \(content.campaigns.count) campaigns"
        )
    }
}

/// `aampectl content show DIR [--json]`: label sets, formulas with their variant counts, goals, campaigns.
struct ContentShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List a content folder's label sets, formulas with their variant counts, goals and campaigns."
    )

    @Argument(help: "The content folder.")
    var folder: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let summary = ContentSummary(try ContentCommand.load(folder))
        print(json ? try JSONText.pretty(summary) : summary.text)
    }
}

/// `aampectl content apply DIR [--dry-run]`: store the folder as a new content version.
struct ContentApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Store a content folder as a new content version (identical content changes nothing).",
        discussion: "Formulas and variants that the folder no longer has are archived, never deleted."
    )

    @Argument(help: "The content folder.")
    var folder: String

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Flag(help: "Print what would change without storing anything.")
    var dryRun = false

    func run() async throws {
        let content = try ContentCommand.load(folder)
        let store = try dataDirectory.dataDirectory.openStore()
        let changes = try ContentVersioning.apply(content, to: store, isDryRun: dryRun)
        if changes.isUnchanged {
            print("unchanged: the content equals the latest applied version")
            return
        }
        print(dryRun ? "would apply:" : "applied content version \(changes.version.map(String.init) ?? "?"):")
        let sections = [
            ("added formulas", changes.addedFormulas), ("changed formulas", changes.changedFormulas),
            ("archived formulas", changes.archivedFormulas), ("added variants", changes.addedVariants),
            ("archived variants", changes.archivedVariants),
        ]
        for (title, names) in sections {
            print("  \(title): \(names.count)")
            for name in names { print("    \(name)") }
        }
    }
}

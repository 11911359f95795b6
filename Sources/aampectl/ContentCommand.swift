import AampeClient
import AampeContent
import AampeCore
import AampeJobs
import AampeProtocol
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl content`: check, list and apply a content folder (label sets, formulas, goals, campaigns).
struct ContentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content",
        abstract: "Validate, list and apply a content folder of YAML files.",
        subcommands: [
            ContentValidateCommand.self, ContentShowCommand.self, ContentApplyCommand.self, ContentPreviewCommand.self,
        ]
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

/// `aampectl content preview DIR FORMULA --user U [--variant N | --labels set=label,...] [--item ID ...]`:
/// the formula's variants rendered for an imported user, or why each is unavailable.
struct ContentPreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Render a formula's variants for an imported user, saying why a variant is unavailable.",
        discussion: """
            The recommendation slot holds the --item catalog items, in order. Without --item it holds \
            --slot-count items recommended for the user: by the running aamped when it answers (trained \
            history plus real-time events), else by the current generation read directly (trained history \
            only). The preview says which.
            """
    )

    @Argument(help: "The content folder.")
    var folder: String

    @Argument(help: "The formula's name.")
    var formula: String

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("The user's external id.", valueName: "user"))
    var user: String

    @Option(help: ArgumentHelp("Only this variant.", valueName: "N"))
    var variant: Int?

    @Option(
        help: ArgumentHelp(
            "Only the variants with these labels, such as tone=playful,offer=discount.",
            valueName: "labels"
        )
    )
    var labels: String?

    @Option(
        name: .customLong("item"),
        help: ArgumentHelp("A catalog item for the recommendation slot. Repeatable.", valueName: "item")
    )
    var items: [String] = []

    @Option(help: ArgumentHelp("Items recommended into the slot when no --item is given.", valueName: "N"))
    var slotCount = 3

    @Option(help: ArgumentHelp("The SMS parts allowed.", valueName: "N"))
    var smsMaxParts = 1

    @OptionGroup var connection: DaemonConnectionOptions

    func validate() throws {
        if variant != nil, labels != nil { throw ValidationError("give --variant or --labels, not both") }
        guard (1...Limits.maximumRecommendationCount).contains(slotCount) else {
            throw ValidationError("--slot-count must be 1 to \(Limits.maximumRecommendationCount)")
        }
    }

    func run() async throws {
        let content = try ContentCommand.load(folder)
        let store = try dataDirectory.dataDirectory.openStore()
        guard let profile = try store.ingestion.profile(externalID: user) else {
            throw ValidationError("no imported user '\(user)'")
        }
        var itemIDs = items
        if itemIDs.isEmpty {
            let (recommended, source) = try await recommendedItems(store: store)
            itemIDs = recommended
            print(
                "recommendation slot: \(recommended.isEmpty ? "empty" : recommended.joined(separator: ", ")) (\(source))"
            )
        }
        let stored = try itemIDs.map { id in
            guard let item = try store.ingestion.catalogItem(externalID: id) else {
                throw ValidationError("no catalog item '\(id)'")
            }
            return item
        }
        var selection = ContentPreview.Selection.all
        if let variant { selection = .index(variant) }
        if let labels {
            var wanted: [String: String] = [:]
            for pair in labels.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--labels '\(pair)' must be label_set=label") }
                wanted[parts[0]] = parts[1]
            }
            selection = .labels(wanted)
        }
        let data = ContentPreview.renderData(profile: profile, items: stored)
        let lines = try ContentPreview.preview(
            content,
            formula: formula,
            data: data,
            selection: selection,
            maximumSMSParts: smsMaxParts
        )
        for line in lines {
            print("variant \(line.variant) (\(line.labels.joined(separator: ", "))):")
            switch line.outcome {
            case .success(let message):
                for field in message.fields { print("  \(field.name): \(field.text)") }
            case .failure(let reason):
                print("  unavailable: \(reason)")
            }
        }
    }

    /// The slot's items: from the running daemon when it answers, else from the current generation.
    func recommendedItems(store: Store) async throws -> (ids: [String], source: String) {
        let directory = dataDirectory.dataDirectory
        if let client = try? connection.client(dataDirectory: directory) {
            defer { Task { await client.close() } }
            var request = Aampe_V1_RecommendRequest()
            request.userID = user
            request.count = UInt32(slotCount)
            // A daemon that is not running (or serves no recommender) is expected here; the generation
            // on disk answers instead, and the preview says so.
            if let response = try? await client.recommend(request) {
                return (response.items.map(\.itemID), "recommended by aamped, generation \(response.generation)")
            }
        }
        let ids = try RecommendationPreview.itemIDs(directory: directory, user: user, count: slotCount)
        return (
            ids,
            ids.isEmpty
                ? "no generation with a recommender"
                : "recommended from the current generation on disk; aamped did not answer"
        )
    }
}

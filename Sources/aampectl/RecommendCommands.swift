import AampeClient
import AampeCore
import AampeProtocol
import AampeStore
import ArgumentParser
import Foundation
import SwiftProtobuf

/// The catalog filter flags shared by `recommend` and `similar`.
struct ItemFilterOptions: ParsableArguments {
    @Option(
        name: .customLong("category"),
        help: ArgumentHelp("Only items of this category; repeat for any of several.", valueName: "name")
    )
    var categories: [String] = []

    @Option(
        name: .customLong("attribute"),
        help: ArgumentHelp(
            "Only items whose attribute equals a value, or one of comma-separated values, such as genres=Action,Comedy. Repeatable; all must hold.",
            valueName: "name=values"
        )
    )
    var attributes: [String] = []

    @Flag(help: "Only items the catalog lists as in stock (unknown stock counts as in stock).")
    var inStock = false

    @Option(help: ArgumentHelp("Least price.", valueName: "price"))
    var minPrice: Double?

    @Option(help: ArgumentHelp("Greatest price.", valueName: "price"))
    var maxPrice: Double?

    func message() throws -> Aampe_V1_ItemFilter {
        var filter = Aampe_V1_ItemFilter()
        filter.categories = categories
        filter.attributes = try attributes.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--attribute '\(text)' must be name=value or name=value1,value2")
            }
            var condition = Aampe_V1_AttributeCondition()
            condition.name = parts[0]
            condition.values = parts[1].split(separator: ",").map(String.init)
            return condition
        }
        filter.inStockOnly = inStock
        if let minPrice { filter.minimumPrice = minPrice }
        if let maxPrice { filter.maximumPrice = maxPrice }
        return filter
    }
}

/// `aampectl recommend USER`
struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Ask aamped for a user's recommendations (RECOMMEND), with the item titles from the catalog."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions
    @OptionGroup var filter: ItemFilterOptions

    @Argument(
        help: ArgumentHelp(
            "The user's external id; empty (\"\") for an anonymous user with --context.",
            valueName: "user"
        )
    )
    var user: String

    @Option(help: ArgumentHelp("How many items.", valueName: "N"))
    var count: UInt32 = 10

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Never return this item. Repeatable.", valueName: "item"))
    var excludeItems: [String] = []

    @Flag(help: "Allow items the user already interacted with.")
    var includeSeen = false

    @Option(
        help: ArgumentHelp(
            "Leave out items bought or recommended to this user within this many days.",
            valueName: "days"
        )
    )
    var cooldownDays: UInt32 = 0

    @Option(
        name: .customLong("context"),
        help: ArgumentHelp("An item the user is looking at now. Repeatable.", valueName: "item")
    )
    var contextItems: [String] = []

    @Flag(help: "Print protobuf's JSON mapping of the response.")
    var json = false

    func run() async throws {
        var request = Aampe_V1_RecommendRequest()
        request.userID = user
        request.count = count
        request.filter = try filter.message()
        request.excludeItems = excludeItems
        if includeSeen { request.excludeSeen = false }
        request.cooldownDays = cooldownDays
        request.contextItems = contextItems
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let response = try await client.recommend(request)
        if json {
            print(try response.jsonString())
            return
        }
        print(
            "user \(user.isEmpty ? "(anonymous)" : user): \(response.isKnownUser ? "known" : "cold start"), generation \(response.generation)"
        )
        print(
            RecommendationRendering.table(response.items, titles: RecommendationRendering.titles(options.dataDirectory))
        )
    }
}

/// `aampectl similar ITEM`
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "Ask aamped for items similar to an item (SIMILAR_ITEMS)."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions
    @OptionGroup var filter: ItemFilterOptions

    @Argument(help: ArgumentHelp("The item's external id.", valueName: "item"))
    var item: String

    @Option(help: ArgumentHelp("How many items.", valueName: "N"))
    var count: UInt32 = 10

    @Flag(help: "Print protobuf's JSON mapping of the response.")
    var json = false

    func run() async throws {
        var request = Aampe_V1_SimilarItemsRequest()
        request.itemID = item
        request.count = count
        request.filter = try filter.message()
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let response = try await client.similarItems(request)
        if json {
            print(try response.jsonString())
            return
        }
        print("items like \(item), generation \(response.generation)")
        print(
            RecommendationRendering.table(response.items, titles: RecommendationRendering.titles(options.dataDirectory))
        )
    }
}

/// `aampectl track USER EVENT [ITEM]`
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Send one real-time event to aamped (TRACK), as an in-app collector would."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Argument(help: ArgumentHelp("The user's external id.", valueName: "user"))
    var user: String

    @Argument(
        help: ArgumentHelp("The event name, such as product_viewed, add_to_cart or purchase.", valueName: "event")
    )
    var event: String

    @Argument(help: ArgumentHelp("The item's external id.", valueName: "item"))
    var item: String?

    @Option(help: ArgumentHelp("The event's value (revenue, rating).", valueName: "number"))
    var value: Double?

    @Option(help: ArgumentHelp("The idempotency key: the same key again is counted once.", valueName: "key"))
    var key: String?

    @Option(
        help: ArgumentHelp("When it happened (ISO-8601). Default: aamped's clock when it arrives.", valueName: "time")
    )
    var at: String?

    @Option(
        name: .customLong("property"),
        help: ArgumentHelp(
            "A property, such as price=12.5 or in_stock=false for item_updated. Repeatable.",
            valueName: "name=value"
        )
    )
    var properties: [String] = []

    func run() async throws {
        var message = Aampe_V1_TrackEvent()
        for property in properties {
            guard let equals = property.firstIndex(of: "="), equals != property.startIndex else {
                throw ValidationError("--property '\(property)': expected NAME=VALUE")
            }
            message.properties[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        if let at {
            guard let instant = Timestamp(iso8601: at) else {
                throw ValidationError("--at '\(at)' is not an ISO-8601 instant such as 2026-10-29T12:00:00Z")
            }
            message.timestampMicros = instant.rawValue
        }
        message.userID = user
        message.event = event
        message.itemID = item ?? ""
        if let value { message.value = value }
        message.idempotencyKey = key ?? ""
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let response = try await client.track([message])
        print("accepted \(response.accepted), duplicates \(response.duplicates), rejected \(response.rejected.count)")
        for rejection in response.rejected { print("  event \(rejection.index): \(rejection.reason)") }
        if !response.rejected.isEmpty { throw ExitCode(1) }
    }
}

enum RecommendationRendering {
    /// Catalog titles by external item id, or none when the store cannot be read (a remote daemon).
    static func titles(_ directory: DataDirectory) -> [String: String] {
        guard let store = try? directory.openStore(), let keys = try? store.ingestion.keyDictionaries(),
            let rows = try? store.ingestion.catalogRows()
        else { return [:] }
        var titles: [String: String] = [:]
        for row in rows where row.itemIndex < keys.itemIDs.count {
            if let title = row.title { titles[keys.itemIDs[row.itemIndex]] = title }
        }
        return titles
    }

    static func table(_ items: [Aampe_V1_Recommendation], titles: [String: String]) -> String {
        guard !items.isEmpty else { return "(no items pass the filters)" }
        var rows = [["#", "item", "title", "score", "source"]]
        for (index, item) in items.enumerated() {
            let source: String
            switch item.source {
            case .neighbour: source = "neighbour of \(item.becauseOfItem)"
            case .popular: source = "popular"
            case .trending: source = "trending"
            default: source = "?"
            }
            rows.append([
                "\(index + 1)", item.itemID, String((titles[item.itemID] ?? "").prefix(40)),
                String(format: "%.4f", item.score), source,
            ])
        }
        return TextTable.columns(rows)
    }
}

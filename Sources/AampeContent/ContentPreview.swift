public import AampeStore
internal import Foundation

/// Renders a formula's variants for one imported user, saying for each why it is unavailable when it is:
/// what `aampectl content preview` prints.
public enum ContentPreview {
    /// Which variants to render.
    public enum Selection: Hashable, Sendable {
        case all
        case index(Int)
        /// One label per label set (`tone=playful`): the variants carrying all of them.
        case labels([String: String])
    }

    /// One variant's outcome.
    public struct Line: Hashable, Sendable {
        public var variant: Int
        /// `label_set=label`, in block order.
        public var labels: [String]
        public var outcome: Result<RenderedMessage, Unavailability>
    }

    /// What went wrong in the request itself (not in the content, which has been validated).
    public enum PreviewError: Error, Hashable, Sendable, CustomStringConvertible {
        case unknownFormula(String, suggestion: String?)
        case variantOutOfRange(Int, count: Int)
        case unknownLabel(labelSet: String, label: String)

        public var description: String {
            switch self {
            case .unknownFormula(let name, let suggestion):
                "no formula '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
            case .variantOutOfRange(let index, let count):
                "variant \(index) does not exist; the formula has variants 0 to \(count - 1)"
            case .unknownLabel(let labelSet, let label):
                "no block of the formula uses \(labelSet)=\(label)"
            }
        }
    }

    /// The variables of an imported user: the profile's typed fields and every attribute, and the items
    /// given (in order) as the recommendation slot.
    public static func renderData(
        profile: StoredProfile,
        items: [StoredCatalogItem],
        event: [String: ViewValue] = [:]
    ) -> RenderData {
        var fields: [String: ViewValue] = [:]
        for (name, value) in attributes(profile.attributesJSON) { fields[name] = value }
        fields["user_id"] = .text(profile.externalID)
        if let country = profile.country { fields["country"] = .text(country) }
        if let language = profile.language { fields["language"] = .text(language) }
        if let timeZone = profile.timeZone { fields["time_zone"] = .text(timeZone) }
        if let firstName = profile.firstName { fields["first_name"] = .text(firstName) }
        let slot: [[String: ViewValue]] = items.map { item in
            var values: [String: ViewValue] = ["item_id": .text(item.externalID)]
            for (name, value) in attributes(item.attributesJSON) { values[name] = value }
            if let title = item.title { values["title"] = .text(title) }
            if let category = item.category { values["category"] = .text(category) }
            if let price = item.price { values["price"] = .number(price) }
            if let url = item.url { values["url"] = .text(url) }
            if let imageURL = item.imageURL { values["image_url"] = .text(imageURL) }
            if let isInStock = item.isInStock { values["in_stock"] = .bool(isInStock) }
            return values
        }
        return RenderData(profile: fields, event: event, items: slot)
    }

    /// Renders the selected variants of formula `name` for `data`.
    public static func preview(
        _ content: Content,
        formula name: String,
        data: RenderData,
        selection: Selection,
        maximumSMSParts: Int = 1
    ) throws -> [Line] {
        guard let formula = content.formula(named: name) else {
            throw PreviewError.unknownFormula(
                name,
                suggestion: NearestName.suggestion(for: name, among: content.formulas.map(\.name))
            )
        }
        let renderer = try FormulaRenderer(formula: formula)
        let variants: [Variant]
        switch selection {
        case .all:
            variants = formula.variants
        case .index(let index):
            guard index >= 0, index < formula.variantCount else {
                throw PreviewError.variantOutOfRange(index, count: formula.variantCount)
            }
            variants = [Variant(index: index, of: formula)]
        case .labels(let wanted):
            for (labelSet, label) in wanted.sorted(by: { $0.key < $1.key })
            where !formula.blocks.contains(where: {
                $0.labelSet == labelSet && $0.alternates.contains { $0.label == label }
            }) {
                throw PreviewError.unknownLabel(labelSet: labelSet, label: label)
            }
            variants = formula.variants.filter { variant in
                variant.labels(in: formula).allSatisfy { pair in wanted[pair.labelSet].map { $0 == pair.label } ?? true
                }
            }
        }
        let model = renderer.viewModel(data)
        return variants.map { variant in
            Line(
                variant: variant.index,
                labels: variant.labels(in: formula).map { "\($0.labelSet)=\($0.label)" },
                outcome: renderer.render(variant, for: model, maximumSMSParts: maximumSMSParts)
            )
        }
    }

    /// The variables of the event that fired a campaign: its properties, with `item_id` (the item's id)
    /// and `value` where the event has them. Imported events keep their properties as JSON
    /// (``parsedAttributes(_:)`` reads them); TRACK events as text.
    public static func eventVariables(
        itemID: String?,
        value: Double?,
        properties: [String: ViewValue]
    ) -> [String: ViewValue] {
        var variables = properties
        if let itemID { variables["item_id"] = .text(itemID) }
        if let value, value.isFinite { variables["value"] = .number(value) }
        return variables
    }

    /// A stored attributes object (JSON the importer wrote); `{}` for anything else.
    static func attributes(_ json: String) -> [String: ViewValue] { AttributesJSON.object(json) }
}

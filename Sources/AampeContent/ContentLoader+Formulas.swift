internal import AampeCore
internal import Mustache
internal import Yams

/// The scans of a formula's templates, kept for the checks that need the whole folder (SMS parts depend
/// on the campaign).
struct FormulaScans {
    var fields: [(name: String, scan: TemplateScan)]
    /// Per block, per alternate.
    var alternates: [[TemplateScan]]

    /// The text every rendering of `variant` contains in each field (a lower bound on its length).
    func staticFields(of variant: Variant) -> [(name: String, text: String)] {
        fields.map { field in
            var text = ""
            for piece in field.scan.staticPieces {
                switch piece {
                case .text(let literal): text += literal
                case .partial(let block):
                    if let position = blockNames.firstIndex(of: block) {
                        for case .text(let literal) in alternates[position][variant.choices[position]].staticPieces {
                            text += literal
                        }
                    }
                }
            }
            return (field.name, text)
        }
    }

    var blockNames: [String]
}

extension ContentBuilder {
    static let formulaKeys = ["channel", "blocks", "derive"]

    func readFormulas(_ node: Node, _ reader: YAMLReader) {
        guard let formulas = reader.mapping(node, "formulas") else { return }
        for entry in formulas {
            let field = "formulas." + entry.name
            guard reader.name(entry.key, field) != nil,
                isNew(
                    entry.name,
                    kind: "formula",
                    existing: self.formulas[entry.name]?.site,
                    at: entry.key,
                    reader,
                    field
                )
            else { continue }
            if let (formula, scans) = readFormula(name: entry.name, entry.value, reader, field) {
                self.formulas[entry.name] = (formula, reader.site(entry.key), scans)
            }
        }
    }

    private func readFormula(
        name: String,
        _ node: Node,
        _ reader: YAMLReader,
        _ field: String
    ) -> (Formula, FormulaScans)? {
        // The channel decides which keys are allowed, so read it first.
        let channelNode = node.mapping != nil ? node["channel"] : nil
        var channel: MessageChannel?
        if let channelNode, let text = reader.string(channelNode, field + ".channel") {
            channel = MessageChannel(rawValue: text)
            if channel == nil {
                let names = MessageChannel.allCases.map(\.rawValue)
                reader.report(
                    channelNode,
                    field + ".channel",
                    "unknown channel '\(text)'; expected one of: \(names.joined(separator: ", "))",
                    suggestion: NearestName.suggestion(for: text, among: names)
                )
            }
        }
        let fieldNames =
            channel.map { $0.requiredFields + $0.optionalFields }
            ?? MessageChannel.allCases.flatMap { $0.requiredFields + $0.optionalFields }
        guard
            let keys = reader.mapping(
                node,
                field,
                allowed: Self.formulaKeys + Self.unique(fieldNames),
                required: ["channel"] + (channel?.requiredFields ?? [])
            )
        else { return nil }

        // Blocks, in file order. They are read even when the channel is unknown, to report their problems.
        var blocks: [Block] = []
        var blockScans: [[TemplateScan]] = []
        var blockSites: [String: Node] = [:]
        var labelSetsUsed: [String: String] = [:]
        var declaredBlockNames: [String] = []
        if let blocksNode = keys["blocks"]?.value, let blockEntries = reader.mapping(blocksNode, field + ".blocks") {
            for blockEntry in blockEntries {
                declaredBlockNames.append(blockEntry.name)
                let blockField = field + ".blocks." + blockEntry.name
                guard reader.name(blockEntry.key, blockField) != nil,
                    let (block, scans) = readBlock(name: blockEntry.name, blockEntry.value, reader, blockField)
                else { continue }
                if let other = labelSetsUsed[block.labelSet] {
                    reader.report(
                        blockEntry.key,
                        blockField,
                        "block '\(other)' already uses label set '\(block.labelSet)'; a formula has at most one block per label set"
                    )
                    continue
                }
                labelSetsUsed[block.labelSet] = block.name
                blocks.append(block)
                blockScans.append(scans)
                blockSites[block.name] = blockEntry.key
            }
        }
        guard let channel else { return nil }
        let blockNames = blocks.map(\.name)

        // Fields, in the channel's order; each may place blocks with {{>name}}.
        var fields: [Formula.Field] = []
        var fieldScans: [(name: String, scan: TemplateScan)] = []
        var usedBlocks = Set<String>()
        for fieldName in channel.requiredFields + channel.optionalFields {
            guard let fieldEntry = keys[fieldName] else { continue }
            let path = field + "." + fieldName
            guard let template = readTemplate(fieldEntry.value, reader, path) else { continue }
            let scan = TemplateScan(template)
            for partial in scan.partials {
                if declaredBlockNames.contains(partial) {
                    usedBlocks.insert(partial)
                } else {
                    reader.report(
                        fieldEntry.value,
                        path,
                        "unknown block '\(partial)' in {{>\(partial)}}; the formula's blocks are: \(declaredBlockNames.joined(separator: ", "))",
                        suggestion: NearestName.suggestion(for: partial, among: declaredBlockNames)
                    )
                }
            }
            fields.append(Formula.Field(name: fieldName, template: template))
            fieldScans.append((fieldName, scan))
        }
        for block in blocks where !usedBlocks.contains(block.name) {
            if let site = blockSites[block.name] {
                reader.report(
                    site,
                    field + ".blocks." + block.name,
                    "block '\(block.name)' is not placed in any field; expected {{>\(block.name)}} in one"
                )
            }
        }

        let derived = keys["derive"].map { readDerivedFields($0.value, reader, field + ".derive") } ?? []
        let formula = Formula(name: name, channel: channel, fields: fields, blocks: blocks, derivedFields: derived)

        // The variant count, without overflow: stop multiplying once past the limit.
        var count = 1
        for block in blocks {
            count = min(count * block.alternates.count, Limits.maximumVariantsPerFormula + 1)
        }
        if count > Limits.maximumVariantsPerFormula {
            let product = blocks.map { "\($0.alternates.count)" }.joined(separator: " × ")
            reader.report(
                node,
                field,
                "expands to \(product) variants, more than the \(Limits.maximumVariantsPerFormula) a formula may have; split it or drop alternates"
            )
            return nil
        }
        let scans = FormulaScans(fields: fieldScans, alternates: blockScans, blockNames: blockNames)
        if channel == .push {
            checkPushLength(formula, scans, node, reader, field)
        }
        return (formula, scans)
    }

    /// Refuses a push formula any of whose variants is over the payload limit with every variable empty.
    private func checkPushLength(
        _ formula: Formula,
        _ scans: FormulaScans,
        _ node: Node,
        _ reader: YAMLReader,
        _ field: String
    ) {
        var tooLong: [Int] = []
        var smallest = Int.max
        for variant in formula.variants {
            let bytes = PushPayload(fields: scans.staticFields(of: variant)).byteCount
            if bytes > Limits.maximumPushPayloadBytes {
                tooLong.append(variant.index)
                smallest = min(smallest, bytes)
            }
        }
        if let first = tooLong.first {
            reader.report(
                node,
                field,
                "\(tooLong.count) variant(s) (first: variant \(first)) can never fit a push payload: at least \(smallest) bytes of fixed text, at most \(Limits.maximumPushPayloadBytes)"
            )
        }
    }

    private func readBlock(
        name: String,
        _ node: Node,
        _ reader: YAMLReader,
        _ field: String
    ) -> (Block, [TemplateScan])? {
        guard
            let keys = reader.mapping(
                node,
                field,
                allowed: ["label_set", "alternates"],
                required: ["label_set", "alternates"]
            ),
            let setNode = keys["label_set"]?.value, let labelSet = reader.name(setNode, field + ".label_set"),
            let alternatesNode = keys["alternates"]?.value
        else { return nil }
        if labelSet == LabelSet.timingName {
            reader.report(
                setNode,
                field + ".label_set",
                "'timing' is chosen by assignment as the send window; a block uses a declared label set"
            )
            return nil
        }
        references.append(
            Reference(kind: .labelSet, name: labelSet, site: reader.site(setNode), field: field + ".label_set")
        )
        guard let sequence = alternatesNode.sequence else {
            reader.report(alternatesNode, field + ".alternates", "expected a list of alternates (- label: …, text: …)")
            return nil
        }
        var alternates: [Alternate] = []
        var scans: [TemplateScan] = []
        for (index, item) in sequence.enumerated() {
            let itemField = "\(field).alternates[\(index)]"
            guard
                let itemKeys = reader.mapping(
                    item,
                    itemField,
                    allowed: ["label", "text"],
                    required: ["label", "text"]
                ),
                let labelNode = itemKeys["label"]?.value, let label = reader.name(labelNode, itemField + ".label"),
                let textNode = itemKeys["text"]?.value,
                let template = readTemplate(textNode, reader, itemField + ".text")
            else { continue }
            references.append(
                Reference(
                    kind: .label(set: labelSet),
                    name: label,
                    site: reader.site(labelNode),
                    field: itemField + ".label"
                )
            )
            let scan = TemplateScan(template)
            if let partial = scan.partials.first {
                reader.report(
                    textNode,
                    itemField + ".text",
                    "an alternate cannot place a block ({{>\(partial)}}); only a formula's fields do"
                )
                continue
            }
            alternates.append(Alternate(label: label, template: template))
            scans.append(scan)
        }
        if sequence.count < 2 {
            reader.report(
                alternatesNode,
                field + ".alternates",
                "a block needs at least 2 alternates, found \(sequence.count)"
            )
            return nil
        }
        if sequence.count > Limits.maximumAlternatesPerBlock {
            reader.report(
                alternatesNode,
                field + ".alternates",
                "a block may have at most \(Limits.maximumAlternatesPerBlock) alternates, found \(sequence.count)"
            )
            return nil
        }
        guard alternates.count == sequence.count else { return nil }  // each bad alternate was reported
        return (Block(name: name, labelSet: labelSet, alternates: alternates), scans)
    }

    /// A template's text, checked for size and parsed by swift-mustache.
    func readTemplate(_ node: Node, _ reader: YAMLReader, _ field: String) -> String? {
        guard let text = reader.string(node, field) else { return nil }
        if text.utf8.count > Limits.maximumTemplateBytes {
            reader.report(
                node,
                field,
                "the template has \(text.utf8.count) bytes; at most \(Limits.maximumTemplateBytes)"
            )
            return nil
        }
        do {
            _ = try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            reader.report(
                node,
                field,
                "invalid Mustache at template line \(error.context.lineNumber), column \(error.context.columnNumber): \(error.error)"
            )
            return nil
        } catch {
            reader.report(node, field, "invalid Mustache: \(error)")
            return nil
        }
        return text
    }

    private func readDerivedFields(_ node: Node, _ reader: YAMLReader, _ field: String) -> [DerivedField] {
        guard let entries = reader.mapping(node, field) else { return [] }
        var derived: [DerivedField] = []
        for entry in entries {
            let path = field + "." + entry.name
            guard reader.name(entry.key, path) != nil,
                let keys = reader.mapping(
                    entry.value,
                    path,
                    allowed: ["from", "default", "case", "date"],
                    required: ["from"]
                ),
                let sourceNode = keys["from"]?.value, let source = reader.string(sourceNode, path + ".from")
            else { continue }
            var textCase: DerivedField.TextCase?
            if let caseNode = keys["case"]?.value, let text = reader.string(caseNode, path + ".case") {
                textCase = DerivedField.TextCase(rawValue: text)
                if textCase == nil {
                    let names = DerivedField.TextCase.allCases.map(\.rawValue)
                    reader.report(
                        caseNode,
                        path + ".case",
                        "unknown case '\(text)'; expected one of: \(names.joined(separator: ", "))",
                        suggestion: NearestName.suggestion(for: text, among: names)
                    )
                    continue
                }
            }
            derived.append(
                DerivedField(
                    name: entry.name,
                    source: source,
                    defaultText: keys["default"].flatMap { reader.string($0.value, path + ".default") },
                    textCase: textCase,
                    datePattern: keys["date"].flatMap { reader.string($0.value, path + ".date") }
                )
            )
        }
        return derived
    }

    static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

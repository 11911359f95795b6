import AampeContent
import AampeCore
import Testing

/// A formula expands to the product of its blocks' alternate counts, variants are numbered in mixed
/// radix, and the limits on variants and alternates hold at their value and refuse one past it.
@Suite("Variant expansion")
struct VariantExpansionTests {
    /// A content file with one formula whose blocks have `counts` alternates, each block on its own
    /// label set `s0`, `s1`, … with labels `l0_0`, `l0_1`, ….
    static func yaml(blocks counts: [Int]) -> String {
        var text = "label_sets:\n"
        for (block, count) in counts.enumerated() {
            text += "  s\(block): [" + (0..<count).map { "l\(block)_\($0)" }.joined(separator: ", ") + "]\n"
        }
        text += "formulas:\n  f:\n    channel: in_app\n    title: T\n    button: B\n"
        text += "    body: \"" + counts.indices.map { "{{>b\($0)}}" }.joined(separator: " ") + "\"\n    blocks:\n"
        for (block, count) in counts.enumerated() {
            text += "      b\(block):\n        label_set: s\(block)\n        alternates:\n"
            for label in 0..<count {
                text += "          - { label: l\(block)_\(label), text: \"a\(label)\" }\n"
            }
        }
        return text
    }

    static func load(blocks counts: [Int]) throws(ContentError) -> Content {
        try ContentLoader.load(files: [("f.yaml", yaml(blocks: counts))])
    }

    @Test("5 × 8 × 6 × 4 alternates expand to 960 variants, numbered first block most significant")
    func expansion() throws {
        let formula = try #require(try Self.load(blocks: [5, 8, 6, 4]).formula(named: "f"))
        #expect(formula.variantCount == 960)
        let variants = formula.variants
        #expect(variants.count == 960)
        #expect(variants[0].choices == [0, 0, 0, 0])
        #expect(variants[1].choices == [0, 0, 0, 1])
        #expect(variants[4].choices == [0, 0, 1, 0])
        #expect(variants[959].choices == [4, 7, 5, 3])
        #expect(Set(variants.map(\.choices)).count == 960)
        for variant in variants {
            #expect(Variant(choices: variant.choices, of: formula).index == variant.index)
        }
        #expect(variants[959].labels(in: formula).map(\.label) == ["l0_4", "l1_7", "l2_5", "l3_3"])
        #expect(variants[959].labels(in: formula).map(\.labelSet) == ["s0", "s1", "s2", "s3"])
    }

    @Test("a formula without blocks has one variant")
    func noBlocks() throws {
        let content = try ContentLoader.load(files: [("f.yaml", "formulas:\n  f: { channel: sms, body: Hello }\n")])
        #expect(content.formula(named: "f")?.variantCount == 1)
        #expect(content.formula(named: "f")?.variants.map(\.choices) == [[]])
    }

    @Test("variants per formula: 64 × 64 = maximumVariantsPerFormula loads; the nearest product above it is refused")
    func variantLimit() throws {
        #expect(Limits.maximumVariantsPerFormula == 4_096)
        #expect(try Self.load(blocks: [64, 64]).formula(named: "f")?.variantCount == 4_096)
        #expect(try Self.load(blocks: [4, 4, 4, 4, 4, 4]).formula(named: "f")?.variantCount == 4_096)
        // 4,097 = 17 × 241 and 4,098 = 2 × 3 × 683 need a block of more than 64 alternates, and 4,099 is
        // prime, so 4,100 = 41 × 4 × 25 is the smallest count above the limit that blocks can form.
        for counts in [[41, 4, 25], [4, 4, 4, 4, 4, 4, 2]] {
            let product = counts.map(String.init).joined(separator: " × ")
            // The error points at the formula's first key, after one line per label set.
            #expect(
                ContentFixtures.issues(files: [("f.yaml", Self.yaml(blocks: counts))]).map(\.description) == [
                    "f.yaml:\(counts.count + 4):5: formulas.f: expands to \(product) variants, more than the 4096 a formula may have; split it or drop alternates"
                ]
            )
        }
    }

    @Test("alternates per block: maximumAlternatesPerBlock loads, one more is refused; fewer than 2 is refused")
    func alternateLimit() throws {
        #expect(try Self.load(blocks: [Limits.maximumAlternatesPerBlock]).formula(named: "f")?.variantCount == 64)
        #expect(throws: ContentError.self) { try Self.load(blocks: [Limits.maximumAlternatesPerBlock + 1]) }
        let issues = ContentFixtures.issues(files: [("f.yaml", Self.yaml(blocks: [1, 2]))])
        #expect(issues.map(\.message).contains("a block needs at least 2 alternates, found 1"))
    }

    @Test("template size: maximumTemplateBytes loads, one byte more is refused")
    func templateLimit() throws {
        func files(bytes: Int) -> [(path: String, text: String)] {
            [
                (
                    "f.yaml",
                    "formulas:\n  f:\n    channel: email\n    subject: S\n    preheader: P\n    text_body: T\n    html_body: \""
                        + String(repeating: "x", count: bytes) + "\"\n"
                )
            ]
        }
        #expect(ContentFixtures.issues(files: files(bytes: Limits.maximumTemplateBytes)).isEmpty)
        #expect(
            ContentFixtures.issues(files: files(bytes: Limits.maximumTemplateBytes + 1)).map(\.description) == [
                "f.yaml:7:16: formulas.f.html_body: the template has 262145 bytes; at most 262144"
            ]
        )
    }
}

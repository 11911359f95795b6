import Foundation
import Mustache
import Testing

/// `../shared/data/mustache-spec` beside the checkout, if it is there.
let mustacheSpecFolder: URL? = {
    let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let folder = checkout.deletingLastPathComponent().appendingPathComponent("shared/data/mustache-spec")
    return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
}()

/// The required sections of the official Mustache spec (mustache/spec, MIT, from
/// `../shared/data/mustache-spec/` beside the checkout), run offline against swift-mustache as
/// `FormulaRenderer` uses it: a `MustacheTemplate` rendered with a `MustacheLibrary` holding the partials,
/// with the default (HTML) content type that an email's HTML body gets. Skipped when the folder is absent.
@Suite("Mustache spec", .enabled(if: mustacheSpecFolder != nil, "../shared/data/mustache-spec is absent"))
struct MustacheSpecTests {
    static var folder: URL? { mustacheSpecFolder }

    /// Tests that pass in each required section, out of its total. The README reports these numbers.
    static let expectedPasses: [String: (passed: Int, total: Int)] = [
        "interpolation": (42, 42),
        "sections": (34, 34),
        "inverted": (22, 22),
        "comments": (12, 12),
        "delimiters": (14, 14),
        "partials": (12, 12),
    ]

    struct Spec: Decodable {
        var tests: [Case]
    }

    struct Case: Decodable {
        var name: String
        var data: JSONValue
        var template: String
        var partials: [String: String]?
        var expected: String
    }

    /// JSON as swift-mustache reads data: `String`, `Bool`, numbers, arrays, dictionaries; null absent.
    struct JSONValue: Decodable {
        var value: Any?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = nil
            } else if let bool = try? container.decode(Bool.self) {
                value = bool
            } else if let int = try? container.decode(Int.self) {
                value = int
            } else if let double = try? container.decode(Double.self) {
                value = double
            } else if let string = try? container.decode(String.self) {
                value = string
            } else if let array = try? container.decode([JSONValue].self) {
                value = array.map { $0.value as Any }
            } else {
                value = try container.decode([String: JSONValue].self).compactMapValues(\.value)
            }
        }
    }

    static func render(_ test: Case) throws -> String {
        var library = MustacheLibrary()
        for (name, text) in test.partials ?? [:] {
            try library.register(text, named: name)
        }
        return try MustacheTemplate(string: test.template).render(test.data.value as Any, library: library)
    }

    @Test(
        "required sections",
        arguments: ["interpolation", "sections", "inverted", "comments", "delimiters", "partials"]
    )
    func section(_ name: String) throws {
        let folder = try #require(Self.folder)
        let data = try Data(contentsOf: folder.appendingPathComponent(name + ".json"))
        let spec = try JSONDecoder().decode(Spec.self, from: data)
        var failed: [String] = []
        for test in spec.tests {
            if (try? Self.render(test)) != test.expected { failed.append(test.name) }
        }
        let passed = spec.tests.count - failed.count
        print("mustache spec \(name): \(passed) of \(spec.tests.count) pass; failing: \(failed)")
        let expected = try #require(Self.expectedPasses[name])
        #expect(spec.tests.count == expected.total)
        #expect(passed == expected.passed, "failing: \(failed)")
    }
}

import AampeTestSupport
import Foundation
import Testing

/// `aampectl content validate` and `content show`, run as the built binary.
@Suite("aampectl content")
struct ContentCommandTests {
    @Test("validate: a valid folder prints a one-line summary and exits 0")
    func validateValid() throws {
        let result = try Product.run("aampectl", ["content", "validate", try ContentFixtures.path("valid")])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.standardOutput == "ok: 4 label sets, 4 formulas (12 variants), 2 goals, 3 campaigns\n")
    }

    @Test("validate: a broken folder prints every error with file:line:column, then exits 1")
    func validateBroken() throws {
        let result = try Product.run("aampectl", ["content", "validate", try ContentFixtures.path("broken")])
        #expect(result.status == 1)
        let lines = result.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == ValidationErrorTests.expected.count + 2)
        #expect(
            lines.contains(
                "labels.yaml:12:1: cap: unknown key 'cap'; expected one of: label_sets, events, goals, formulas, campaigns, caps (did you mean 'caps'?)"
            )
        )
        #expect(lines.last?.hasSuffix(": 24 errors") == true)
    }

    @Test("validate: a missing folder is an outside failure (exit 2)")
    func validateMissing() throws {
        let result = try Product.run("aampectl", ["content", "validate", "/nonexistent/content"])
        #expect(result.status == 2)
        #expect(result.standardError == "aampectl: cannot read /nonexistent/content: no such folder\n")
    }

    @Test("show --json: label sets, formulas with variant counts, goals, campaigns with their rules")
    func showJSON() throws {
        let result = try Product.run("aampectl", ["content", "show", try ContentFixtures.path("valid"), "--json"])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        )
        let formulas = try #require(json["formulas"] as? [[String: Any]])
        #expect(formulas.map { $0["name"] as? String } == ["cart_push", "cart_sms", "sale_email", "welcome_in_app"])
        #expect(formulas.map { $0["variants"] as? Int } == [6, 2, 2, 2])
        let campaigns = try #require(json["campaigns"] as? [[String: Any]])
        #expect(
            campaigns.first { $0["name"] as? String == "cart_abandonment" }?["trigger"] as? String
                == "add_to_cart, after 15m, unless checkout or purchase happens first"
        )
        #expect(
            campaigns.first { $0["name"] as? String == "winback" }?["trigger"] as? String == "no app_opened for 48h"
        )
        let labelSets = try #require(json["label_sets"] as? [[String: Any]])
        #expect(labelSets.first?["name"] as? String == "timing")
        #expect((labelSets.first?["labels"] as? [String])?.count == 35)
    }

    @Test("show: text lists each formula's variant count and blocks")
    func showText() throws {
        let result = try Product.run("aampectl", ["content", "show", try ContentFixtures.path("valid")])
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.standardOutput.contains(
                "  cart_push [push]: 6 variants = greeting (greeting) × 2, offer (offer) × 3\n"
            )
        )
        #expect(result.standardOutput.contains("    quiet hours: 22:00 to 07:00 local time\n"))
    }
}

/// `aampectl content apply` over a fresh data directory.
@Suite("aampectl content apply")
struct ContentApplyCommandTests {
    @Test("apply stores a version; again is unchanged; a dry run writes nothing")
    func apply() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Product.run("aampectl", ["init", "--data-dir", data]).status == 0)
        let valid = try ContentFixtures.path("valid")

        let dry = try Product.run("aampectl", ["content", "apply", valid, "--data-dir", data, "--dry-run"])
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.standardOutput.hasPrefix("would apply:\n  added formulas: 4\n"))
        #expect(dry.standardOutput.contains("  added variants: 12\n"))

        let applied = try Product.run("aampectl", ["content", "apply", valid, "--data-dir", data])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.standardOutput.hasPrefix("applied content version 1:\n"))

        let again = try Product.run("aampectl", ["content", "apply", valid, "--data-dir", data])
        #expect(again.standardOutput == "unchanged: the content equals the latest applied version\n")

        let broken = try Product.run(
            "aampectl",
            ["content", "apply", try ContentFixtures.path("broken"), "--data-dir", data]
        )
        #expect(broken.status == 1)
    }
}

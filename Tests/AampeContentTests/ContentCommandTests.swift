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

/// `aampectl content preview` for users imported into a fresh data directory.
@Suite("aampectl content preview")
struct ContentPreviewCommandTests {
    /// A data directory with two users (one without a first name) and two catalog items.
    static func dataDirectory(_ folder: TemporaryFolder) throws -> String {
        let data = folder.child("data")
        #expect(try Product.run("aampectl", ["init", "--data-dir", data]).status == 0)
        let users = folder.child("users.csv")
        try Data("user_id,country,first_name,plan\nu1,DE,ana,premium\nu2,FR,,plus\n".utf8)
            .write(to: URL(fileURLWithPath: users))
        let items = folder.child("items.csv")
        try Data("item_id,title,price\ni1,Runner,49.9\ni2,Sock,5\n".utf8).write(to: URL(fileURLWithPath: items))
        #expect(try Product.run("aampectl", ["import", "users", "--data-dir", data, users]).status == 0)
        #expect(try Product.run("aampectl", ["import", "catalog", "--data-dir", data, items]).status == 0)
        return data
    }

    @Test("every variant for a user, with the profile and the given items; unavailable ones say why")
    func allVariants() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let valid = try ContentFixtures.path("valid")
        let result = try Product.run(
            "aampectl",
            [
                "content", "preview", valid, "cart_push", "--data-dir", data, "--user", "u1", "--item", "i1", "--item",
                "i2",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.standardOutput.hasPrefix(
                """
                variant 0 (greeting=named, offer=discount):
                  unavailable: offer/discount needs cart.items, which the user lacks
                variant 1 (greeting=named, offer=quality):
                  title: Hi ana, your cart misses you
                  body: Made to last. Runner 49.9; Sock 5; \n  deep_link: shop://cart
                """
            )
        )

        let anonymous = try Product.run(
            "aampectl",
            [
                "content", "preview", valid, "cart_push", "--data-dir", data, "--user", "u2", "--labels",
                "greeting=named,offer=speed",
            ]
        )
        #expect(
            anonymous.standardOutput
                == "recommendation slot: empty (no generation with a recommender)\n"
                + "variant 2 (greeting=named, offer=speed):\n  unavailable: greeting/named needs first_name, which the user lacks\n"
        )
    }

    @Test("without --item the slot holds recommendations from the current generation when no daemon answers")
    func recommendedSlot() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        // u3 viewed i1 and i2, u1 only i1: i2 is u1's recommendation (seen items are left out).
        let events = folder.child("events.csv")
        try Data(
            """
            user_id,event,timestamp,item_id
            u1,product_viewed,2026-11-01T10:00:00Z,i1
            u3,product_viewed,2026-11-01T10:00:00Z,i1
            u3,product_viewed,2026-11-01T10:01:00Z,i2

            """.utf8
        ).write(to: URL(fileURLWithPath: events))
        #expect(try Product.run("aampectl", ["import", "events", "--data-dir", data, events]).status == 0)
        #expect(try Product.run("aampectl", ["train", "recommender", "--data-dir", data]).status == 0)
        let valid = try ContentFixtures.path("valid")
        let result = try Product.run(
            "aampectl",
            [
                "content", "preview", valid, "cart_push", "--data-dir", data, "--user", "u1", "--variant", "1",
                "--slot-count", "1",
            ]
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(
            result.standardOutput.hasPrefix(
                "recommendation slot: i2 (recommended from the current generation on disk; aamped did not answer)\n"
            ),
            "\(result.output)"
        )
        #expect(result.standardOutput.contains("Made to last. Sock 5;"), "\(result.output)")
    }

    @Test("one variant by number; unknown users, formulas and variants are clear errors")
    func errors() throws {
        let folder = try TemporaryFolder()
        let data = try Self.dataDirectory(folder)
        let valid = try ContentFixtures.path("valid")
        let one = try Product.run(
            "aampectl",
            ["content", "preview", valid, "cart_sms", "--data-dir", data, "--user", "u1", "--variant", "1"]
        )
        #expect(
            one.standardOutput
                == "recommendation slot: empty (no generation with a recommender)\n"
                + "variant 1 (tone=plain):\n  unavailable: body needs cart.value, which the user lacks\n"
        )

        let user = try Product.run(
            "aampectl",
            ["content", "preview", valid, "cart_sms", "--data-dir", data, "--user", "nobody"]
        )
        #expect(user.status != 0)
        #expect(user.standardError.contains("no imported user 'nobody'"))
        let formula = try Product.run(
            "aampectl",
            ["content", "preview", valid, "cart_psh", "--data-dir", data, "--user", "u1"]
        )
        #expect(formula.status != 0)
        #expect(formula.standardError.contains("no formula 'cart_psh' (did you mean 'cart_push'?)"))
        let variant = try Product.run(
            "aampectl",
            ["content", "preview", valid, "cart_sms", "--data-dir", data, "--user", "u1", "--variant", "2"]
        )
        #expect(variant.standardError.contains("variant 2 does not exist; the formula has variants 0 to 1"))
    }
}

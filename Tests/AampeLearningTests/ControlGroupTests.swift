import AampeCore
import AampeLearning
import Testing

@Suite("The global control group")
struct ControlGroupTests {
    // The documented formula's value times 2^53 (an exact integer), computed independently with Python's
    // integers from the formula in ControlGroup's documentation: one truth, two implementations.
    @Test(
        "the hash matches the documented formula",
        arguments: [
            ("", "", 1_913_294_145_320_844),
            ("2024-control", "user-1", 1_967_721_225_973_606),
            ("2024-control", "user-2", 758_164_096_759_128),
            ("other", "user-1", 4_987_432_461_488_079),
            ("sålt", "ユーザー42", 3_013_109_188_909_275),
        ] as [(String, String, UInt64)]
    )
    func matchesFormula(salt: String, userID: String, scaled: UInt64) {
        #expect(ControlGroup.unitValue(salt: salt, userID: userID) * 0x1p53 == Double(scaled))
    }

    @Test("10^5 ids put the share in the group, within 4 standard deviations")
    func shareOfManyIDs() throws {
        for share in [0.05, 0.2, 0.5] {
            let group = try ControlGroup(salt: "campaigns-2024", share: share)
            let n = 100_000
            let members = (0..<n).count { group.isControl(userID: "user-\($0)") }
            let sd = (Double(n) * share * (1 - share)).squareRoot()
            #expect(abs(Double(members) - Double(n) * share) < 4 * sd, "share \(share): \(members) of \(n)")
        }
    }

    @Test("membership is the same across calls and instances, and a new salt draws a new group")
    func stableAndSalted() throws {
        let ids = (0..<20_000).map { "u\($0)@example.com" }
        let first = try ControlGroup(salt: "a")
        let again = try ControlGroup(salt: "a")
        let other = try ControlGroup(salt: "b")
        let members = ids.filter(first.isControl(userID:))
        #expect(members == ids.filter(again.isControl(userID:)))
        #expect(members == ids.filter(first.isControl(userID:)))
        // Two independent 5 % groups of 20,000 share about 0.05 · 1,000 = 50 users; the same group would
        // share all 1,000 or so.
        let otherMembers = Set(ids.filter(other.isControl(userID:)))
        let overlap = members.count { otherMembers.contains($0) }
        #expect(members.count > 800 && overlap < 100, "\(members.count) members, \(overlap) shared")
    }

    @Test("raising the share keeps every member")
    func nested() throws {
        let small = try ControlGroup(salt: "s", share: 0.05)
        let large = try ControlGroup(salt: "s", share: 0.1)
        let ids = (0..<10_000).map { "user-\($0)" }
        #expect(ids.filter(small.isControl(userID:)).allSatisfy(large.isControl(userID:)))
    }

    @Test("the share is checked at its limits: above 0 and at most Limits.maximumControlGroupShare")
    func shareLimits() throws {
        #expect(try ControlGroup(salt: "s", share: Limits.maximumControlGroupShare).share == 0.5)
        #expect(try ControlGroup(salt: "s", share: Double.leastNonzeroMagnitude).share > 0)
        #expect(try ControlGroup(salt: "s").share == 0.05)
        for bad in [Limits.maximumControlGroupShare.nextUp, 0, -0.1, 1, .nan, .infinity] {
            #expect(throws: LearningError.self, "share \(bad)") { try ControlGroup(salt: "s", share: bad) }
        }
        #expect(throws: LearningError.self) { try ControlGroup(salt: "s", share: 0.5000001) }
    }
}

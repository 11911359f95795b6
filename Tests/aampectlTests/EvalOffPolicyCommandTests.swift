import AampeTestSupport
import Foundation
import Testing

/// `aampectl eval ope` and `aampectl eval policy` as a user runs them.
@Suite("aampectl eval ope and eval policy")
struct EvalOffPolicyCommandTests {
    /// The fixture obp 0.5.7 wrote (`tools/benchmarks/ope-fixtures.py`).
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AampeLearningTests/Fixtures/OffPolicy")

    static func fixturePath(_ name: String) -> String { fixture.appendingPathComponent(name).path }

    @Test("eval ope --json on obp's fixture prints obp's four estimates to 1e-6")
    func opeMatchesOBP() throws {
        let result = try Aampectl.run([
            "eval", "ope", "--log", Self.fixturePath("log.csv"), "--target-policy", Self.fixturePath("policy.csv"),
            "--reward-model", Self.fixturePath("reward-model.csv"), "--bootstrap", "200", "--seed", "5", "--json",
        ])
        #expect(result.status == 0, "\(result.output)")
        let output = try #require(
            JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        )
        let expectedFile = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Self.fixture.appendingPathComponent("expected.json"))
        )
        let expected = try #require((expectedFile as? [String: Any])?["estimates"] as? [String: Double])
        let estimates = try #require(output["estimates"] as? [[String: Any]])
        #expect(estimates.count == 4)
        for estimate in estimates {
            let name = try #require(estimate["estimator"] as? String)
            let value = try #require(estimate["value"] as? Double)
            #expect(abs(value - (expected[name] ?? .nan)) <= 1e-6, "\(name)")
            #expect(estimate["interval"] != nil && estimate["bootstrapInterval"] != nil)
        }
    }

    @Test("eval ope prints a table; without a reward model only IPW and SNIPW")
    func opeTable() throws {
        let result = try Aampectl.run([
            "eval", "ope", "--log", Self.fixturePath("log.csv"), "--target-policy", Self.fixturePath("policy.csv"),
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.standardOutput.contains("300 logged rows, 4 actions"))
        let lines = result.standardOutput.split(separator: "\n")
        // obp's IPW value is 0.6929204797625185.
        #expect(lines.contains { $0.hasPrefix("IPW ") && $0.contains(" 0.692920 ") }, "\(result.standardOutput)")
        #expect(result.standardOutput.contains("SNIPW"))
        #expect(!result.standardOutput.contains("DR"))
    }

    @Test("eval ope names the file, line and field of a bad propensity, and fails")
    func opeBadInput() throws {
        let folder = try TemporaryFolder()
        try folder.write("log.csv", "action,reward,propensity\na,1,0.5\nb,0,1.2\n")
        try folder.write("policy.csv", "pi_a,pi_b\n0.5,0.5\n")
        let result = try Aampectl.run([
            "eval", "ope", "--log", folder.child("log.csv"), "--target-policy", folder.child("policy.csv"),
        ])
        #expect(result.status != 0)
        #expect(result.standardError.contains("log.csv:3: field propensity is 1.2, above 1"), "\(result.output)")
    }

    /// A uniform-random log of no message, a and b over two user types (feature x_0 = type + noise).
    /// `prefers(type)` is the action with reward probability 0.30; the others have 0.05.
    static func randomizedLog(rows: Int, seed: UInt64, prefers: (Int) -> Int) -> String {
        var random = SplitMix64(state: seed)
        var text = "x_0,action,reward\n"
        for _ in 0..<rows {
            let type = Int.random(in: 0...1, using: &random)
            let action = Int.random(in: 0...2, using: &random)
            let probability = action == prefers(type) ? 0.30 : 0.05
            let reward = Double.random(in: 0..<1, using: &random) < probability ? 1 : 0
            let x = Double(type) + Double.random(in: -0.4...0.4, using: &random)
            text += "\(x),\(["", "a", "b"][action]),\(reward)\n"
        }
        return text
    }

    @Test("eval policy recommends personalizing where user types disagree, and the best single action where they agree")
    func policyVerdicts() throws {
        let folder = try TemporaryFolder()
        try folder.write("disagree.csv", Self.randomizedLog(rows: 4_000, seed: 11) { $0 == 0 ? 1 : 2 })
        try folder.write("agree.csv", Self.randomizedLog(rows: 4_000, seed: 12) { _ in 2 })
        let disagree = try Aampectl.run([
            "eval", "policy", "--data", folder.child("disagree.csv"), "--uniform", "--repeats", "2", "--seed", "1",
        ])
        #expect(disagree.status == 0, "\(disagree.output)")
        #expect(disagree.standardOutput.contains("learned (personalized)"))
        #expect(disagree.standardOutput.contains("no message"))
        #expect(disagree.standardOutput.contains("\nPersonalize: "), "\(disagree.standardOutput)")
        let agree = try Aampectl.run([
            "eval", "policy", "--data", folder.child("agree.csv"), "--uniform", "--repeats", "2", "--seed", "1",
        ])
        #expect(agree.status == 0, "\(agree.output)")
        #expect(agree.standardOutput.contains("does not beat the best single action"), "\(agree.standardOutput)")
        #expect(agree.standardOutput.contains("Send everyone the best single action, b."))
    }

    @Test("eval policy without propensities or --uniform names the missing column")
    func policyNeedsPropensity() throws {
        let folder = try TemporaryFolder()
        try folder.write("log.csv", "x_0,action,reward\n1,a,1\n0,b,0\n")
        let result = try Aampectl.run(["eval", "policy", "--data", folder.child("log.csv")])
        #expect(result.status != 0)
        #expect(result.standardError.contains("log.csv:1: has no column propensity"), "\(result.output)")
    }
}

import AampeCore
import AampeLearning
import AampeTestSupport
import Foundation
import Testing

/// The CSV files of `aampectl eval ope` and `eval policy`: what they accept, and errors that name the
/// file, the line and the column.
@Suite("Off-policy evaluation files")
struct OffPolicyFilesTests {
    static func table(_ text: String, path: String = "f.csv") throws -> EvaluationTable {
        try EvaluationTable(parsing: Array(text.utf8), path: path)
    }

    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static let log = """
        row_id,action,reward,propensity,x_0
        r0,a,1,0.5,0.1
        r1,b,0,0.5,0.2
        r2,"b",1,0.25,0.3

        """

    @Test("a per-row policy matched by row_id, in another order, gives the same estimates as in log order")
    func rowIDs() throws {
        let inOrder = try Self.table("row_id,pi_a,pi_b\nr0,1,0\nr1,0.5,0.5\nr2,0,1\n", path: "p.csv")
        let shuffled = try Self.table("pi_b,row_id,pi_a\n1,r2,0\n0,r0,1\n0.5,r1,0.5\n", path: "p.csv")
        let a = try OffPolicyFiles.read(log: try Self.table(Self.log), targetPolicy: inOrder, rewardModel: nil)
        let b = try OffPolicyFiles.read(log: try Self.table(Self.log), targetPolicy: shuffled, rewardModel: nil)
        #expect(a.actions == ["a", "b"])
        #expect(b.actions == ["b", "a"])
        // IPW: (1·1/0.5 + 0.5·0/0.5 + 1·1/0.25) / 3 = 2, whichever the column order.
        #expect(try a.evaluation.estimate(.ipw).value == 2)
        #expect(try b.evaluation.estimate(.ipw).value == 2)
    }

    @Test("a byte-order mark before the header is skipped")
    func byteOrderMark() throws {
        let table = try EvaluationTable(
            parsing: [0xEF, 0xBB, 0xBF] + Array("action,reward\na,1\n".utf8),
            path: "f.csv"
        )
        #expect(table.header == ["action", "reward"])
    }

    @Test("a single-row policy without row_id applies to every log row")
    func contextFree() throws {
        let policy = try Self.table("pi_a,pi_b\n0.5,0.5\n", path: "p.csv")
        let input = try OffPolicyFiles.read(log: try Self.table(Self.log), targetPolicy: policy, rewardModel: nil)
        #expect(input.evaluation.targetPolicy.rows == 3)
        // IPW: (0.5·1/0.5 + 0 + 0.5·1/0.25) / 3 = 1.
        #expect(try input.evaluation.estimate(.ipw).value == 1)
    }

    @Test(
        "bad input names the file, the line and the field",
        arguments: [
            (
                "row_id,action,reward,propensity\nr0,a,1,0.5\nr1,b,0,0\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:3: field propensity is 0.0"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,1,nan\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:2: field propensity is not a number"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,1,1.5\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:2: field propensity is 1.5, above 1"
            ),
            (
                "row_id,action,reward,propensity\nr0,c,1,0.5\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:2: field action names an action the target policy has no pi_ column for"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,x,0.5\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:2: field reward is not a number"
            ),
            (
                "row_id,action,reward\nr0,a,1\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:1: has no column propensity"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,1,0.5\nr1,a,1\n", "pi_a,pi_b\n0.5,0.5\n",
                "log.csv:3: has 3 fields; the header has 4"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,1,0.5\nr1,b,1,0.5\n", "row_id,pi_a,pi_b\nr0,1,0\nr1,0.5,0.6\n",
                "policy.csv:3: the pi_ columns sum to 1.1"
            ),
            (
                "row_id,action,reward,propensity\nr0,a,1,0.5\nr1,b,1,0.5\n", "row_id,pi_a,pi_b\nr0,1,0\nr2,0.5,0.5\n",
                "log.csv:3: field row_id has no row in policy.csv"
            ),
            ("row_id,action,reward,propensity\n", "pi_a,pi_b\n0.5,0.5\n", "log.csv has a header but no rows"),
            ("", "pi_a,pi_b\n0.5,0.5\n", "log.csv:1: is missing: the file is empty"),
            ("action,reward,propensity\na,1,0.5\n", "a,b\n0.5,0.5\n", "policy.csv:1: has no pi_<action> column"),
            (
                "action,reward,propensity\na,1,0.5\n", "pi_a,pi_b\n1.5,-0.5\n",
                "policy.csv:2: field pi_a is 1.5, not a probability in [0, 1]"
            ),
        ]
    )
    func errors(log: String, policy: String, expected: String) throws {
        let text = Self.message {
            _ = try OffPolicyFiles.read(
                log: try Self.table(log, path: "log.csv"),
                targetPolicy: try Self.table(policy, path: "policy.csv"),
                rewardModel: nil
            )
        }
        #expect(text.contains(expected), "\(text)")
    }

    @Test("a reward model needs a q_ column for every action and names its line when a value is not finite")
    func rewardModelErrors() throws {
        let policy = try Self.table("pi_a,pi_b\n0.5,0.5\n", path: "policy.csv")
        let missing = Self.message {
            _ = try OffPolicyFiles.read(
                log: try Self.table(Self.log, path: "log.csv"),
                targetPolicy: policy,
                rewardModel: try Self.table("q_a\n0.1\n", path: "model.csv")
            )
        }
        #expect(missing.contains("model.csv:1: has no column q_b"), "\(missing)")
        let infinite = Self.message {
            _ = try OffPolicyFiles.read(
                log: try Self.table(Self.log, path: "log.csv"),
                targetPolicy: policy,
                rewardModel: try Self.table("q_a,q_b\n0.1,0.2\n0.1,inf\n0.3,0.3\n", path: "model.csv")
            )
        }
        #expect(infinite.contains("model.csv:3: field q_b is not a finite number"), "\(infinite)")
    }

    @Test("the file-size limit rejects one byte more, before reading")
    func fileSizeLimit() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("big.csv")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        // A sparse file: its size is the limit plus one, and nothing is written.
        try handle.truncate(atOffset: UInt64(Limits.maximumOffPolicyFileBytes + 1))
        try handle.close()
        let text = Self.message { _ = try EvaluationTable(contentsOf: path) }
        #expect(text.contains("is \(Limits.maximumOffPolicyFileBytes + 1); the limit is"), "\(text)")
    }

    @Test("policy data: empty and none are the no-message action, listed first; --uniform gives 1/K")
    func policyData() throws {
        let table = try Self.table("x_0,action,reward,other\n1,a,1,q\n2,,0,q\n3,none,1,q\n4,b,0,q\n")
        let data = try PolicyData(table: table, featureColumns: nil, isUniform: true)
        #expect(data.actionNames == ["none", "a", "b"])
        #expect(data.noMessageAction == 0)
        #expect(data.actions == [1, 0, 0, 2])
        #expect(data.propensities == [Double](repeating: 1.0 / 3, count: 4))
        #expect(data.features == [1, 2, 3, 4])
    }

    @Test(
        "policy data errors name the file, the line and the field",
        arguments: [
            ("x_0,action,reward,propensity\n1,a,2,0.5\n1,b,0,0.5\n", "f.csv:2: field reward is 2.0, outside [0, 1]"),
            ("x_0,action,reward,propensity\n1,a,1,0.5\n1,b,0,0\n", "f.csv:3: field propensity is 0.0"),
            ("x_0,action,reward\n1,a,1\n1,b,0\n", "f.csv:1: has no column propensity"),
            ("y,action,reward,propensity\n1,a,1,0.5\n", "f.csv:1: has no feature columns"),
            ("x_0,action,reward,propensity\n1,a,1,0.5\n1,a,0,0.5\n", "shows only one action"),
        ]
    )
    func policyDataErrors(text: String, expected: String) throws {
        let message = Self.message {
            _ = try PolicyData(table: try Self.table(text), featureColumns: nil, isUniform: false)
        }
        #expect(message.contains(expected), "\(message)")
    }

    @Test("the feature and action limits of eval policy hold at their values and reject one more")
    func policyLimits() throws {
        func data(features: Int, actions: Int) throws -> PolicyData {
            let names = (0..<features).map { "x_\($0)" }
            var text = (names + ["action", "reward"]).joined(separator: ",") + "\n"
            for action in 0..<actions {
                text += ([String](repeating: "1", count: features) + ["a\(action)", "1"]).joined(separator: ",") + "\n"
            }
            return try PolicyData(table: try Self.table(text), featureColumns: nil, isUniform: true)
        }
        _ = try data(features: Limits.maximumPolicyFeatures, actions: 2)
        #expect(throws: LearningError.self) { try data(features: Limits.maximumPolicyFeatures + 1, actions: 2) }
        _ = try data(features: 1, actions: Limits.maximumPolicyActions)
        #expect(throws: LearningError.self) { try data(features: 1, actions: Limits.maximumPolicyActions + 1) }
    }
}

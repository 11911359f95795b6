import AampeLearning
import AampeProtocol
import SwiftProtobuf
import Testing

@testable import AampeDaemon

/// The hand-written SCORE encoder gives SwiftProtobuf's bytes, with the values ``ScoreSummary`` computes.
@Suite("SCORE response encoder")
struct ScoreResponseEncoderTests {
    /// A summary with 3 labels and 4 windows; `zeros` puts exact zeros (and a −0) where defaults are
    /// left out, so the encoder's omissions are checked too.
    static func summary(zeros: Bool) -> ScoreSummary {
        ScoreSummary(
            baselineLogit: zeros ? 0 : -1.75,
            baselineSD: 0.5,
            messageLogits: zeros ? [0, 0] : [0.375, -0.5],
            messageSDs: [0.25, 0.5],
            labelDeviation: zeros ? [0, -0.0, 0.5] : [0.25, -0.5, 1.5],
            labelSD: zeros ? [0, 0.125, -0.0] : [0.1, 0.2, 0.3],
            windowDeviation: zeros ? [0, 0, -0.25, 0.25] : [-0.125, 0.0625, 0.5, -1],
            windowSD: zeros ? [0, 0.5, 0, 0.25] : [0.01, 0.02, 0.03, 0.04]
        )
    }

    static let vocabulary = ["tone=playful", "plain", "offer=free shipping=now"]
    /// The signature each label's score is read with: two, so that the encoder is seen to use the one given.
    static let signatures = [1, 0, 0]

    /// What SwiftProtobuf writes for the same answer, built from `ScoreSummary`'s own formulas.
    static func expected(
        _ summary: ScoreSummary,
        labels: [Int],
        windows: Bool,
        generation: UInt64,
        goal: String,
        source: Aampe_V1_ScoreResponse.Source
    ) throws -> [UInt8] {
        var response = Aampe_V1_ScoreResponse()
        response.baselineProbability = summary.baselineProbability
        response.labels = labels.map { label in
            var score = Aampe_V1_LabelScore()
            let name = vocabulary[label]
            if let split = name.firstIndex(of: "=") {
                score.labelSet = String(name[..<split])
                score.label = String(name[name.index(after: split)...])
            } else {
                score.label = name
            }
            let target = summary.labelTarget(label, signature: signatures[label])
            score.targetProbability = target
            score.score = target - summary.baselineProbability
            score.uncertainty = Double(summary.labelSD[label])
            return score
        }
        if windows {
            response.windows = (0..<summary.windowDeviation.count).map { window in
                var score = Aampe_V1_WindowScore()
                score.window = UInt32(window)
                score.targetProbability = summary.windowTarget(window)
                score.score = summary.windowTarget(window) - summary.baselineProbability
                score.uncertainty = Double(summary.windowSD[window])
                return score
            }
        }
        response.generation = generation
        response.isKnownUser = source == .user
        response.goal = goal
        response.source = source
        return try response.serializedBytes()
    }

    @Test(
        "the encoder's bytes are SwiftProtobuf's: every source, labels with and without a set, windows or not, zeros",
        arguments: [false, true]
    )
    func matchesSwiftProtobuf(zeros: Bool) throws {
        let summary = Self.summary(zeros: zeros)
        let packed = summary.packed
        for source in [Aampe_V1_ScoreResponse.Source.user, .cluster, .population] {
            for labels in [[0, 1, 2], [2], [], [1, 1]] {
                for windows in [false, true] {
                    for (generation, goal) in [(0 as UInt64, ""), (300, "purchase")] {
                        let bytes = packed.withUnsafeBufferPointer { buffer in
                            let view = PackedScoreSummary(buffer, labels: 3, windows: 4, signatures: 2)
                            var encoder = ScoreResponseEncoder(capacity: 16)
                            let baseline = view.baselineProbability
                            encoder.baseline(baseline)
                            for label in labels {
                                encoder.label(
                                    Self.vocabulary[label],
                                    summary: view,
                                    label: label,
                                    signature: Self.signatures[label],
                                    baseline: baseline
                                )
                            }
                            if windows {
                                for window in 0..<4 { encoder.window(window, summary: view, baseline: baseline) }
                            }
                            return encoder.finish(
                                generation: generation,
                                isKnownUser: source == .user,
                                goal: goal,
                                source: source
                            )
                        }
                        let expected = try Self.expected(
                            summary,
                            labels: labels,
                            windows: windows,
                            generation: generation,
                            goal: goal,
                            source: source
                        )
                        #expect(bytes == expected, "\(source) labels \(labels) windows \(windows) goal '\(goal)'")
                        // And the bytes parse back to the same message.
                        let parsed = try Aampe_V1_ScoreResponse(serializedBytes: bytes)
                        #expect(try parsed.serializedBytes() == expected)
                    }
                }
            }
        }
    }
}

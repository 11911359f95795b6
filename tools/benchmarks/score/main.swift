// The SCORE benchmark's world (tools/bench-score): publishes a model generation of N users with random
// summaries into an initialized data directory, as `aampectl train model` would lay it out, and writes
// the user ids, one a line, for aampe-loadgen. Training a model on N users would take the benchmark
// minutes and measure nothing SCORE does: serving reads the stored summaries only.
//
//   aampe-bench-score --data-dir DIR --users N --users-file FILE [--clusters K] [--seed S]

import AampeCore
import AampeJobs
import AampeLearning
import AampeSegments
import Foundation

struct Arguments {
    var dataDirectory = ""
    var users = 100_000
    var usersFile = ""
    var clusters = 8
    var seed: UInt64 = 1

    static func parse(_ arguments: [String]) -> Arguments {
        var parsed = Arguments()
        var index = 1
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        func number(_ text: String, minimum: Int) -> Int {
            guard let number = Int(text), number >= minimum else { fail("expected an integer >= \(minimum): \(text)") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--data-dir": parsed.dataDirectory = value()
            case "--users": parsed.users = number(value(), minimum: 1)
            case "--users-file": parsed.usersFile = value()
            case "--clusters": parsed.clusters = number(value(), minimum: 0)
            case "--seed": parsed.seed = UInt64(number(value(), minimum: 0))
            default: fail("unknown option \(arguments[index])")
            }
            index += 1
        }
        if parsed.dataDirectory.isEmpty || parsed.usersFile.isEmpty { fail("give --data-dir and --users-file") }
        return parsed
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("aampe-bench-score: \(message)\n".utf8))
    exit(2)
}

/// SplitMix64, for reproducible summaries.
struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [low, high).
    mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }
}

let arguments = Arguments.parse(CommandLine.arguments)
// Three label sets of 4, 3 and 5 labels: a typical campaign's vocabulary, 12 labels.
let labels =
    ["tone=playful", "tone=formal", "tone=urgent", "tone=friendly", "offer=none", "offer=discount", "offer=shipping"]
    + ["day=mon", "day=tue", "day=wed", "day=thu", "day=fri"]
let windows = TimeWindowLayout.standard.windowsPerWeek
var random = Random(state: arguments.seed)
func summary(_ random: inout Random) -> [Float] {
    // One signature: every message carries the three sets.
    let baseline: [Float] = [random.uniform(-4, -1), random.uniform(0.05, 0.5)]
    let message: [Float] = [random.uniform(0, 0.6), random.uniform(0.05, 0.5)]
    var values = baseline + message
    values += labels.map { _ in random.uniform(-0.5, 0.5) }
    values += labels.map { _ in random.uniform(0.05, 0.4) }
    values += (0..<windows).map { _ in random.uniform(-0.5, 0.5) }
    values += (0..<windows).map { _ in random.uniform(0.05, 0.4) }
    return values
}
let userIDs = (0..<arguments.users).map { String(format: "user-%07d", $0) }
let summaries = userIDs.map { _ in summary(&random) }
let manifest = ModelFiles.Manifest(
    settings: ModelSettings(),
    referenceSeconds: Timestamp.now().secondsSinceEpoch,
    trainedAt: "\(Timestamp.now())",
    userCount: userIDs.count,
    windowCount: windows,
    clusterCount: arguments.clusters,
    landscapeGeneration: nil,
    goals: [
        ModelFiles.GoalModel(
            goal: "purchase",
            labels: labels,
            signatures: [["day", "offer", "tone"]],
            campaignBaselines: [:],
            messageRows: 10 * userIDs.count,
            controlRows: userIDs.count,
            goalRows: userIDs.count / 10,
            effectSD: [:],
            logLikelihood: 0,
            newtonRounds: 0,
            groupSummaries: (0..<(arguments.clusters + 2)).map { _ in summary(&random) },
            optOutRate: 0,
            posteriorWidening: 1,
            monitoring: nil
        )
    ]
)
do {
    let directory = DataDirectory(path: arguments.dataDirectory)
    let outcome = try GenerationPublisher.publish(model: ModelFiles.model, in: directory) { builder in
        try ModelFiles.writeScores(summaries, userIDs: userIDs, goalIndex: 0, into: builder)
        try GenerationJSON.write(manifest, as: ModelFiles.manifest, into: builder)
    }
    try (userIDs.joined(separator: "\n") + "\n").write(toFile: arguments.usersFile, atomically: true, encoding: .utf8)
    print(
        "{\"generation\":\(outcome.generation),\"users\":\(userIDs.count),\"labels\":\(labels.count),\"windows\":\(windows)}"
    )
} catch {
    fail("\(error)")
}

import AampeClient
import AampeCore
import AampeJobs
import AampeProtocol
import ArgumentParser
import Foundation
import SwiftProtobuf

/// `aampectl score USER`
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract:
            "Ask aamped for a user's personalization scores for a goal (SCORE): the baseline, each label's and window's target probability and lift."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Argument(help: ArgumentHelp("The user's external id.", valueName: "user"))
    var user: String

    @Option(help: ArgumentHelp("The goal. Default: the model's goal with the most training rows.", valueName: "goal"))
    var goal: String = ""

    @Option(
        help: ArgumentHelp(
            "Only these labels, comma-separated, each set=label such as tone=playful. Default: every label.",
            valueName: "labels"
        )
    )
    var labels: String?

    @Flag(help: "Also score every send window.")
    var windows = false

    @Flag(help: "Print protobuf's JSON mapping of the response.")
    var json = false

    func run() async throws {
        var request = Aampe_V1_ScoreRequest()
        request.userID = user
        request.goal = goal
        if let labels {
            request.labels = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !request.labels.isEmpty, !request.labels.contains(where: \.isEmpty) else {
                throw ValidationError("--labels '\(labels)' must be set=label names separated by commas")
            }
        }
        request.includeWindows = windows
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let response = try await client.score(request)
        if json {
            print(try response.jsonString())
            return
        }
        // Window names come from the live timing's layout when this machine can read the data directory
        // (a remote daemon's cannot be): the index alone otherwise.
        let layout = windows ? (try? TimingLookup.currentLayout(directory: options.dataDirectory)) ?? nil : nil
        print(ScoreRendering.text(response, user: user, layout: layout))
    }
}

/// The terminal form of a `ScoreResponse`.
enum ScoreRendering {
    static func text(_ response: Aampe_V1_ScoreResponse, user: String, layout: TimeWindowLayout?) -> String {
        let whose: String
        switch response.source {
        case .user: whose = "known to the model: their own scores"
        case .cluster: whose = "new to the model: their cluster's typical user's scores"
        case .population: whose = "new to the model: the population's typical user's scores"
        case .UNRECOGNIZED(let value): whose = "scores of unknown source \(value)"
        }
        var lines = [
            "user \(user) (\(whose)), goal \(response.goal), generation \(response.generation)",
            "baseline probability \(percent(response.baselineProbability))",
        ]
        if !response.labels.isEmpty {
            var rows = [["label set", "label", "score", "target", "uncertainty (logits)"]]
            for label in response.labels {
                rows.append([
                    label.labelSet, label.label, signedPoints(label.score), percent(label.targetProbability),
                    String(format: "%.3f", label.uncertainty),
                ])
            }
            lines += ["", TextTable.columns(rows, rightAligned: { $0 >= 2 })]
        }
        if !response.windows.isEmpty {
            // Without a timing layout the index alone names a window, so the local-time column is left out.
            let named = layout != nil
            var rows = [["window"] + (named ? ["local time"] : []) + ["score", "target", "uncertainty (logits)"]]
            for window in response.windows {
                rows.append(
                    ["\(window.window)"] + (named ? [name(window: Int(window.window), layout: layout)] : [])
                        + [
                            signedPoints(window.score), percent(window.targetProbability),
                            String(format: "%.3f", window.uncertainty),
                        ]
                )
            }
            lines += ["", TextTable.columns(rows, rightAligned: { $0 >= (named ? 2 : 1) })]
        }
        lines += ["", "score: target − baseline, in percentage points"]
        return lines.joined(separator: "\n")
    }

    /// "Mon 07:00–10:00" from the layout, or "" when there is none or it does not have the window.
    static func name(window: Int, layout: TimeWindowLayout?) -> String {
        guard let layout, window < layout.windowsPerWeek else { return "" }
        let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let start = layout.firstWindowStartMinute + (window % layout.windowsPerDay) * layout.windowLengthMinutes
        let end = start + layout.windowLengthMinutes
        return weekdays[window / layout.windowsPerDay]
            + String(format: " %02d:%02d–%02d:%02d", start / 60, start % 60, end / 60 % 24, end % 60)
    }

    static func percent(_ probability: Double) -> String { String(format: "%.2f%%", probability * 100) }

    static func signedPoints(_ difference: Double) -> String { String(format: "%+.2f pp", difference * 100) }
}

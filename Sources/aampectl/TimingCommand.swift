import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl timing`: read the live generation's timing.
struct TimingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timing",
        abstract: "Show a user's timing, or export everyone's, from the live generation.",
        subcommands: [TimingShowCommand.self, TimingExportCommand.self]
    )
}

/// `aampectl timing show USER`
struct TimingShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a user's weekday × window heatmap with their activity, responsiveness and cadence."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Argument(help: "The user's external id.")
    var user: String

    @Flag(help: "Print JSON instead of the heatmap.")
    var json = false

    struct Output: Codable {
        var user: String
        var group: Int
        var windowPropensity: [Float]
        var windowCounts: [Float]
        var groupProfile: [Double]
        var probabilityActive: Float?
        var probabilityAlive: Float?
        var responsiveness: Float
        var cadencePerWeek: Int

        enum CodingKeys: String, CodingKey {
            case user, group
            case windowPropensity = "window_propensity"
            case windowCounts = "window_counts"
            case groupProfile = "group_profile"
            case probabilityActive = "probability_active"
            case probabilityAlive = "probability_alive"
            case responsiveness
            case cadencePerWeek = "cadence_per_week"
        }
    }

    func run() async throws {
        let timing = try TimingLookup.current(directory: dataDirectory.dataDirectory)
        guard let found = try timing.user(user) else {
            throw ValidationError("user '\(user)' is not in generation \(timing.generationNumber)'s timing")
        }
        let manifest = timing.manifest
        let profiles = manifest.windowModel.clusterProfiles
        let profile = found.group < profiles.count ? profiles[found.group] : []
        let responsiveness = found.responsivenessAlpha / (found.responsivenessAlpha + found.responsivenessBeta)
        if json {
            let output = Output(
                user: user,
                group: found.group,
                windowPropensity: found.propensity,
                windowCounts: found.counts,
                groupProfile: profile,
                probabilityActive: found.probabilityActive.isNaN ? nil : found.probabilityActive,
                probabilityAlive: found.probabilityAlive.isNaN ? nil : found.probabilityAlive,
                responsiveness: responsiveness,
                cadencePerWeek: found.cadencePerWeek
            )
            print(try JSONText.pretty(output))
            return
        }
        let settings = manifest.settings
        let layout = try settings.layout()
        let sessions = Int(found.counts.reduce(0, +))
        print(
            "user \(user): \(sessions) sessions in windows over \(settings.routineDays) days before \(Timestamp(secondsSinceEpoch: manifest.referenceSeconds))"
        )
        print(
            found.group < manifest.clusterCount
                ? "shrunk toward cluster \(found.group) (prior strength \(String(format: "%.1f", manifest.windowModel.priorStrengths[found.group])))"
                : "shrunk toward the users without a cluster"
        )
        print("")
        print(
            Heatmap.render(
                found.propensity.map(Double.init),
                layout: layout,
                title: "window propensity (share of sessions)"
            )
        )
        print("")
        if found.probabilityActive.isNaN {
            print("activity: never active in the history")
        } else {
            print(
                String(
                    format:
                        "activity: P(seen again within %d days) %.3f, P(alive) %.3f; %.0f repeat active days, last %.0f days after the first, first %.0f days ago",
                    settings.horizonDays,
                    found.probabilityActive,
                    found.probabilityAlive,
                    found.frequency,
                    found.recencyDays,
                    found.ageDays
                )
            )
        }
        print(
            String(
                format: "responsiveness: %.3f (Beta %.2f, %.2f)",
                responsiveness,
                found.responsivenessAlpha,
                found.responsivenessBeta
            )
        )
        print("cadence: \(found.cadencePerWeek) messages a week")
    }
}

/// `aampectl timing export`
struct TimingExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Write every user's timing as CSV to standard output (estimates, then shares, counts and the group profile per window)."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() async throws {
        let timing = try TimingLookup.current(directory: dataDirectory.dataDirectory)
        let stdout = FileHandle.standardOutput
        try TimingLookup.writeCSV(timing) { stdout.write(Data($0.utf8)) }
    }
}

/// A weekday × window grid of shares for the terminal: a percentage and a shade per cell, darkest for
/// the largest share.
enum Heatmap {
    static let shades = [" ", "░", "▒", "▓", "█"]
    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    static func render(_ shares: [Double], layout: TimeWindowLayout, title: String) -> String {
        let perDay = layout.windowsPerDay
        let largest = max(shares.max() ?? 0, 1e-12)
        var rows = [
            [title]
                + (0..<perDay).map { slot in
                    let start = layout.firstWindowStartMinute + slot * layout.windowLengthMinutes
                    return String(format: "%02d:%02d", start / 60, start % 60)
                }
        ]
        for day in 0..<7 {
            rows.append(
                [weekdays[day]]
                    + (0..<perDay).map { slot in
                        let share = shares[day * perDay + slot]
                        let shade = shades[min(shades.count - 1, Int(share / largest * Double(shades.count - 1) + 0.5))]
                        return String(format: "%4.1f%% ", share * 100) + String(repeating: shade, count: 2)
                    }
            )
        }
        return TextTable.columns(rows)
    }
}

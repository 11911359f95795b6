import AampeCore
import AampeJobs
import AampeLearning
import ArgumentParser
import Foundation

/// `aampectl train timing`
struct TrainTimingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timing",
        abstract: "Estimate each user's window propensity, activity, responsiveness and cadence, and publish them.",
        discussion: """
            Counts each user's sessions in the weekly windows of their local time (profile zone, else \
            --default-time-zone), shrinks them toward their landscape cluster's profile by empirical Bayes, \
            fits BG/NBD for P(seen again within --horizon-days), reads responsiveness from the message log, \
            and sets a cadence. Writes timing/users.seg and timing.json; the other models are carried over.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("Local start of the first window of a day.", valueName: "HH:MM"))
    var firstWindow = "07:00"

    @Option(help: ArgumentHelp("Length of a window in minutes.", valueName: "minutes"))
    var windowMinutes = 180

    @Option(help: ArgumentHelp("Windows per day.", valueName: "N"))
    var windowsPerDay = 5

    @Option(help: ArgumentHelp("Zone of users whose profile has none.", valueName: "IANA name"))
    var defaultTimeZone = "UTC"

    @Option(help: ArgumentHelp("Days of sessions that make up a user's routine.", valueName: "days"))
    var routineDays = 90

    @Option(help: ArgumentHelp("The event that marks a session.", valueName: "name"))
    var sessionEvent = "app_opened"

    @Option(
        help: ArgumentHelp(
            "How each cluster's prior strength is chosen: cross-fitted (predict each user's other half of days) or marginal-likelihood.",
            valueName: "method"
        )
    )
    var strengthFit = "cross-fitted"

    @Option(help: ArgumentHelp("The activity estimate's horizon.", valueName: "days"))
    var horizonDays = 7

    @Option(help: ArgumentHelp("Half-life of a send in the responsiveness estimate.", valueName: "days"))
    var halfLifeDays = 30.0

    @OptionGroup var asOf: AsOfOption

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func settings() throws -> TimingSettings {
        var settings = TimingSettings()
        let parts = firstWindow.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let hours = parts[0], let minutes = parts[1], (0..<24).contains(hours),
            (0..<60).contains(minutes)
        else { throw ValidationError("--first-window '\(firstWindow)' must be HH:MM, such as 07:00") }
        settings.firstWindowStartMinute = hours * 60 + minutes
        settings.windowLengthMinutes = windowMinutes
        settings.windowsPerDay = windowsPerDay
        settings.defaultTimeZone = defaultTimeZone
        settings.routineDays = routineDays
        settings.sessionEvent = sessionEvent
        settings.horizonDays = horizonDays
        guard let fit = WindowPropensityModel.StrengthFit(rawValue: strengthFit) else {
            throw ValidationError("--strength-fit must be cross-fitted or marginal-likelihood, not '\(strengthFit)'")
        }
        settings.strengthFit = fit
        settings.responsivenessHalfLifeDays = halfLifeDays
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
        return settings
    }

    func validate() throws { _ = try settings() }

    func run() async throws {
        let terminal = TerminalProgress.onTerminal()
        let report = try TrainTimingJob.run(
            directory: dataDirectory.dataDirectory,
            settings: try settings(),
            asOf: try asOf.timestamp()
        ) { terminal?.show($0, $1, $2) }
        terminal?.finish()
        GenerationWarning.retirement(report.publication)
        print(json ? try JSONText.pretty(report) : Self.table(report))
    }

    static func table(_ report: TrainTimingJob.Report) -> String {
        let counts = report.counts
        let grouped = { (value: Int) in ImportReport.grouped(Int64(value)) }
        var rows: [(String, String)] = [
            ("generation", GenerationWarning.summary(report.publication)),
            ("reference time", report.referenceTime),
            ("users", grouped(report.users)),
            (
                "clusters",
                report.landscapeGeneration.map {
                    "\(report.clusters) from the landscape of generation \($0); \(grouped(report.usersWithoutCluster)) users without one"
                } ?? "none (no landscape): every user is shrunk toward the population"
            ),
            (
                "time zones",
                "\(grouped(counts.usersWithoutTimeZone)) users had none, \(grouped(counts.usersWithUnknownTimeZone)) an unknown one; \(report.settings.defaultTimeZone) applied"
            ),
            (
                "sessions",
                "\(grouped(counts.sessionsInWindows)) in windows, \(grouped(counts.sessionsOutsideWindows)) outside"
                    + (counts.hasSessionEvent
                        ? "" : " (no \(report.settings.sessionEvent) events: every event counted)")
            ),
            (
                "window prior strength",
                report.priorStrengths.map { String(format: "%.1f", $0) }.joined(separator: ", ")
            ),
        ]
        if let model = report.activityModel {
            rows.append(
                (
                    "BG/NBD",
                    String(format: "r %.3f, α %.3f, a %.3f, b %.3f", model.r, model.alpha, model.a, model.b)
                )
            )
        } else {
            rows.append(
                (
                    "BG/NBD",
                    "not fitted: "
                        + (report.activityFitError.map { $0 + "; each user's own rate instead" }
                            ?? "no user was active on two days")
                )
            )
        }
        rows += [
            (
                "P(active in \(report.settings.horizonDays) d)",
                String(
                    format: "mean %.3f; %@ users never active",
                    report.meanProbabilityActive,
                    grouped(counts.usersWithoutActivity)
                )
            ),
            (
                "responsiveness",
                String(format: "mean %.3f from %@ sends", report.populationResponsiveness, grouped(counts.sendsRead))
            ),
            (
                "cadence (per week: users)",
                report.cadenceHistogram.enumerated().filter { $0.element > 0 }.map {
                    "\($0.offset): \(grouped($0.element))"
                }
                .joined(separator: ", ")
            ),
            (
                "time",
                ["reading", "windows", "activity", "responsiveness", "writing"]
                    .map { String(format: "%.2f s %@", report.phaseSeconds[$0] ?? 0, $0) }.joined(separator: ", ")
            ),
        ]
        return TextTable(header: ("timing", "value"), rows: rows).rendered()
    }
}

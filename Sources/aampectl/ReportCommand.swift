import AampeCore
import AampeReports
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl report KIND`: what the messages did, from the message log, the events and the control group.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report activity, messages, conversions, lift, attribution, diversity, ROI or opportunities.",
        discussion: """
            KIND is one of \(ReportKind.allCases.map(\.rawValue).joined(separator: ", ")), or all. The period is \
            [--from, --to) in whole UTC days; by default from the first logged decision's day to the end of the \
            newest imported event's day. --format html writes one self-contained page (inline SVG charts, no \
            scripts); `report all --html FILE` writes it to FILE and prints the terminal tables too. CSV holds \
            every table as a block headed `# kind/table`; JSON is the whole report document.
            """
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Argument(help: ArgumentHelp("What to report.", valueName: "kind"))
    var kind: String

    @Option(help: ArgumentHelp("First day (ISO-8601 date or instant, UTC).", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("End of the period, exclusive (ISO-8601 date or instant, UTC).", valueName: "date"))
    var to: String?

    @Option(
        help: ArgumentHelp(
            "Only this campaign's decisions and goals (lift still compares every user, by the control group).",
            valueName: "name"
        )
    )
    var campaign: String?

    @Option(help: ArgumentHelp("table, csv, json or html.", valueName: "format"))
    var format: String = ReportFormat.table.rawValue

    @Option(help: ArgumentHelp("Also write the HTML page to this file.", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Option(
        name: .customLong("view-event"),
        help: ArgumentHelp(
            "An event name that counts as an item view for diversity (repeatable; default: names containing 'view').",
            valueName: "name"
        )
    )
    var viewEvents: [String] = []

    @Flag(help: "Print how long loading and computing took, to standard error.")
    var timings = false

    func run() async throws {
        let kinds: [ReportKind]
        if kind == "all" {
            kinds = ReportKind.allCases
        } else if let one = ReportKind(rawValue: kind) {
            kinds = [one]
        } else {
            throw ValidationError(
                "unknown report kind '\(kind)'; expected one of \(ReportKind.allCases.map(\.rawValue).joined(separator: ", ")), all"
            )
        }
        guard let format = ReportFormat(rawValue: format) else {
            throw ValidationError("--format '\(format)' is not one of table, csv, json, html")
        }
        let directory = dataDirectory.dataDirectory
        let store = try directory.openStore()
        let request = ReportRun.Request(
            kinds: kinds,
            data: ReportData.Request(
                from: try Self.instant(from, option: "from"),
                to: try Self.instant(to, option: "to"),
                campaign: campaign,
                viewEvents: viewEvents.isEmpty ? nil : viewEvents
            ),
            generatedAt: .now()
        )
        let (document, seconds) = try ReportRun.document(request, directory: directory, store: store)
        let text = try ReportRun.render(document, as: format)
        if let output {
            try ReportRun.write(text, to: output)
            print("wrote \(output)")
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
        if let html {
            try ReportRun.write(try ReportRun.render(document, as: .html), to: html)
            print("wrote \(html)")
        }
        if timings {
            let line = seconds.map { String(format: "%@ %.2f s", $0.part, $0.seconds) }.joined(separator: ", ")
            FileHandle.standardError.write(Data("report timings: \(line)\n".utf8))
        }
    }

    /// An ISO-8601 date (`2026-11-01`, midnight UTC) or instant.
    static func instant(_ text: String?, option: String) throws -> Timestamp? {
        guard let text else { return nil }
        if let instant = Timestamp(iso8601: text) { return instant }
        if let instant = Timestamp(iso8601: text + "T00:00:00Z") { return instant }
        throw ValidationError("--\(option) '\(text)' is not an ISO-8601 date or instant such as 2026-11-01")
    }
}

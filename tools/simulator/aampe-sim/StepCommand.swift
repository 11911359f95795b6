import AampeSimulator
import ArgumentParser
import Foundation

struct StepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Simulate the world's next day: deliver the messages, answer each, and write the day's dump.",
        discussion: """
            --deliveries is JSON lines as `aampectl outbox pull` prints them plus "delivered_at" (when the
            message reached the user, on --day). Each line gets one ack line, in order, in --acks (standard
            output when missing): {"message_id":…,"lease_token":…,"status":"delivered"} or
            {"message_id":…,"lease_token":…,"status":"failed","reason":"…"}. The day's dump,
            events/YYYY-MM-DD, then holds the organic events and the clicks and goal sessions that fall on
            it; users.csv loses the consents users withdrew; truth/sends.csv gets a row per delivery.
            """
    )

    @Option(help: "The world folder (made by init).") var world: String
    @Option(help: "The day to simulate, YYYY-MM-DD: the world's next day.") var day: String
    @Option(help: "Messages delivered on that day, one JSON object a line.") var deliveries: String?
    @Option(help: "Where to write the acks (default: standard output).") var acks: String?
    @Option(help: "Worker threads (default: the number of cores). The output does not depend on it.") var threads: Int?

    func run() throws {
        let live = try LiveWorld(opening: world, threads: threads)
        guard day == live.nextDate else {
            throw ValidationError(
                live.isFinished
                    ? "--day: every day of \(world) is simulated"
                    : "--day: \(world) is at \(live.nextDate); days are simulated in order"
            )
        }
        var ackLines: [String] = []
        if let deliveries {
            guard let data = FileManager.default.contents(atPath: deliveries) else {
                throw ValidationError("--deliveries: \(deliveries) cannot be read")
            }
            let parsed = try Delivery.parse(Array(data), path: deliveries)
            ackLines = try live.deliver(parsed, source: deliveries).map(\.jsonLine)
        }
        let report = try live.simulateDay()
        let ackText = ackLines.map { $0 + "\n" }.joined()
        if let acks {
            guard FileManager.default.createFile(atPath: acks, contents: Data(ackText.utf8)) else {
                throw ValidationError("--acks: \(acks) cannot be written")
            }
        } else {
            FileHandle.standardOutput.write(Data(ackText.utf8))
        }
        let failed = report.failures.values.reduce(0, +)
        var summary =
            "\(report.date): \(report.deliveries) deliveries (\(report.delivered) delivered, \(failed) failed), "
            + "\(report.clicks) clicks, \(report.goals) goal sessions (\(report.cannibalized) cannibalizing), "
            + "\(report.optOuts) opt-outs; organic goals removed: \(report.removedVisits) visits, "
            + "\(report.removedPurchases) purchases"
        for (reason, count) in report.failures.sorted(by: { $0.key < $1.key }) {
            summary += "\n  failed \(count): \(reason)"
        }
        // With the acks on standard output, the summary goes to standard error.
        if acks == nil && deliveries != nil {
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        } else {
            print(summary)
        }
    }
}

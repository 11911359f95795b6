import AampeClient
import AampeCore
import AampeProtocol
import AampeSimulator
import ArgumentParser
import Foundation

struct StepCommand: AsyncParsableCommand {
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

            --daemon instead plays the messaging service against a running aamped started with
            --simulated-clock, over its Unix socket: through the day, every --pull-every minutes, it moves
            the daemon's clock there, PULLs every due message, delivers each a minute later and ACKs it
            (delivered, or failed with the reason). Nothing goes through files.
            """
    )

    @Option(help: "The world folder (made by init).") var world: String
    @Option(help: "The day to simulate, YYYY-MM-DD: the world's next day.") var day: String
    @Option(help: "Messages delivered on that day, one JSON object a line.") var deliveries: String?
    @Option(help: "Where to write the acks (default: standard output).") var acks: String?
    @Option(help: "Worker threads (default: the number of cores). The output does not depend on it.") var threads: Int?
    @Option(help: "The Unix socket of a running aamped to PULL from and ACK to, instead of --deliveries.")
    var daemon: String?
    @Option(name: .customLong("pull-every"), help: "With --daemon: minutes between pulls (1 ... 1440).")
    var pullEveryMinutes = 30
    @Option(name: .customLong("lease-seconds"), help: "With --daemon: the lease each PULL asks for.")
    var leaseSeconds = 600
    @Option(help: "With --daemon: the consumer name PULL gives.") var consumer = "aampe-sim"
    @Option(help: "With --daemon: write each message as the user received it here, one JSON line each.")
    var received: String?
    @Flag(help: "Print the day's summary as one JSON object.") var json = false

    func validate() throws {
        guard received == nil || daemon != nil else { throw ValidationError("--received needs --daemon") }
        if daemon != nil {
            guard deliveries == nil, acks == nil else {
                throw ValidationError("--daemon pulls the messages itself: give it without --deliveries and --acks")
            }
            guard (1...1_440).contains(pullEveryMinutes) else { throw ValidationError("--pull-every: 1 ... 1440") }
            guard (Limits.minimumLeaseSeconds...Limits.maximumLeaseSeconds).contains(leaseSeconds) else {
                throw ValidationError(
                    "--lease-seconds: \(Limits.minimumLeaseSeconds) ... \(Limits.maximumLeaseSeconds)"
                )
            }
        }
    }

    func run() async throws {
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
        var pulled: MessagingService.Counts?
        if let daemon {
            var configuration = AampeClient.Configuration(address: .unix(path: daemon))
            // CLOCK moves the daemon's time: an admin operation.
            configuration.wantsAdmin = true
            configuration.clientName = "aampe-sim"
            configuration.requestTimeout = .seconds(120)
            let client = AampeClient(configuration: configuration)
            var receivedFile: FileHandle?
            if let received {
                guard FileManager.default.createFile(atPath: received, contents: nil),
                    let handle = FileHandle(forWritingAtPath: received)
                else { throw ValidationError("--received: \(received) cannot be written") }
                receivedFile = handle
            }
            defer { try? receivedFile?.close() }
            let service = MessagingService(
                client: client,
                consumer: consumer,
                stepSeconds: Int64(pullEveryMinutes) * 60,
                leaseSeconds: leaseSeconds,
                pullSize: Limits.maximumMessagesPerPull,
                received: receivedFile
            )
            do {
                pulled = try await service.deliverNextDay(of: live)
            } catch {
                await client.close()
                throw error
            }
            await client.close()
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
        if json {
            var object: [String: Any] = [
                "date": report.date, "deliveries": report.deliveries, "delivered": report.delivered,
                "failed": failed, "failures": report.failures, "clicks": report.clicks, "goals": report.goals,
                "cannibalized": report.cannibalized, "opt_outs": report.optOuts,
                "removed_visits": report.removedVisits, "removed_purchases": report.removedPurchases,
            ]
            if let pulled {
                object["pulls"] = pulled.pulls
                object["pulled"] = pulled.pulled
                object["acknowledged"] = pulled.acknowledged
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            let text = String(decoding: data, as: UTF8.self) + "\n"
            // With the acks on standard output, the summary goes to standard error.
            FileHandle(fileDescriptor: acks == nil && deliveries != nil ? 2 : 1).write(Data(text.utf8))
            return
        }
        var summary =
            "\(report.date): \(report.deliveries) deliveries (\(report.delivered) delivered, \(failed) failed), "
            + "\(report.clicks) clicks, \(report.goals) goal sessions (\(report.cannibalized) cannibalizing), "
            + "\(report.optOuts) opt-outs; organic goals removed: \(report.removedVisits) visits, "
            + "\(report.removedPurchases) purchases"
        if let pulled {
            summary +=
                "\n  aamped: \(pulled.pulled) messages leased in \(pulled.pulls) pulls over \(pulled.steps) steps, "
                + "\(pulled.acknowledged) acknowledged"
        }
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

import AampeCore
import AampeOutbox
import ArgumentParser
import Foundation

/// `aampectl outbox status`: messages per state per batch, read from the data directory (no daemon).
struct OutboxStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count outbox messages per state, per batch and in total, from the batch files and journals.",
        discussion: """
            Reads outbox/<batch>/messages.seg and its journal directly, so it works with or without a \
            running aamped. The counts are as of each journal's latest record; --at brings them forward \
            (leases lapse, windows close) without writing anything.
            """
    )

    @OptionGroup var options: DataDirectoryOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Count as of this ISO-8601 instant, or \"now\".", valueName: "instant"))
    var at: String?

    @Option(
        name: .customLong("maximum-attempts"),
        help: "The daemon's outbox.maximumAttempts, which decides whether a lapse with --at kills a message."
    )
    var maximumAttempts = 5

    func run() async throws {
        var instant: Timestamp?
        if let at {
            guard let parsed = at == "now" ? Timestamp.now() : Timestamp(iso8601: at) else {
                throw ValidationError("--at: expected an ISO-8601 instant or \"now\"")
            }
            instant = parsed
        }
        let configuration = MessageStateMachine.Configuration(maximumAttempts: maximumAttempts)
        try configuration.validate()
        let status = try OutboxStatus.read(
            OutboxFolder(path: options.dataDirectory.outboxPath),
            configuration: configuration,
            at: instant
        )
        if json {
            print(try JSONText.pretty(StatusJSON(status)))
        } else {
            var rows = [["batch", "as of", "pending", "leased", "delivered", "failed", "dead", "expired", "total"]]
            func row(_ name: String, _ asOf: String, _ counts: MessageStateCounts) -> [String] {
                [name, asOf]
                    + [
                        counts.pending, counts.leased, counts.delivered, counts.failed, counts.dead, counts.expired,
                        counts.total,
                    ].map(String.init)
            }
            for batch in status.batches {
                rows.append(row(String(batch.batch), batch.asOf?.description ?? "never served", batch.counts))
            }
            rows.append(row("total", "", status.total))
            print(TextTable.columns(rows, rightAligned: { $0 >= 2 }))
        }
    }

    /// The JSON shape: `{"batches":[{"batch":1,"as_of":"…","pending":…}],"total":{…}}`.
    struct StatusJSON: Encodable {
        struct Counts: Encodable {
            var pending, leased, delivered, failed, dead, expired, total: Int
            init(_ counts: MessageStateCounts) {
                (pending, leased, delivered, failed, dead, expired, total) = (
                    counts.pending, counts.leased, counts.delivered, counts.failed, counts.dead, counts.expired,
                    counts.total
                )
            }
        }
        struct Batch: Encodable {
            var batch: UInt32
            var as_of: String?
            var counts: Counts
        }
        var batches: [Batch]
        var total: Counts

        init(_ status: OutboxStatus) {
            batches = status.batches.map {
                Batch(batch: $0.batch, as_of: $0.asOf?.description, counts: Counts($0.counts))
            }
            total = Counts(status.total)
        }
    }
}

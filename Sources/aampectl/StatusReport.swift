import AampeClient
import AampeJobs
import AampeProtocol
import AampeStore
import Foundation

/// What `aampectl status` prints: the data directory's status and, with `--daemon`, what the running
/// daemon reports. The `--json` shape is ``DataDirectoryStatus``'s with a `daemon` member added.
struct StatusReport: Encodable {
    /// What the running daemon reports, with `status --daemon`.
    struct Daemon: Codable, Equatable {
        var address: String
        var isReachable: Bool
        var version: String?
        var generation: UInt64?
        var uptimeSeconds: UInt64?
        var openConnections: UInt32?
        var error: String?

        static func query(_ client: AampeClient) async -> Daemon {
            defer { Task { await client.close() } }
            let address = client.configuration.address.description
            do {
                let stats = try await client.stats()
                return Daemon(
                    address: address,
                    isReachable: true,
                    version: stats.serverVersion,
                    generation: stats.hasGeneration ? stats.generation : nil,
                    uptimeSeconds: stats.uptimeMillis / 1000,
                    openConnections: stats.openConnections
                )
            } catch {
                return Daemon(address: address, isReachable: false, error: "\(error)")
            }
        }
    }

    var status: DataDirectoryStatus
    /// Present only with `--daemon`.
    var daemon: Daemon?

    enum CodingKeys: String, CodingKey { case daemon }

    func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(daemon, forKey: .daemon)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table() -> String {
        var rows: [(String, String)] = [
            ("data directory", status.dataDirectory),
            ("id", status.dataDirectoryID),
            ("created", status.createdAt),
            ("schema version", "\(status.schema.version) (this build: \(status.schema.supportedVersion))"),
        ]
        if let generation = status.currentGeneration {
            let bytes = generation.segments.reduce(0) { $0 + $1.bytes }
            rows.append(
                (
                    "current generation",
                    "\(generation.number) (\(generation.segments.count) segment files, \(ByteCount.format(Int64(bytes))))"
                )
            )
            rows.append(("retained generations", generation.retained.map(String.init).joined(separator: ", ")))
            for model in generation.models {
                rows.append(("  model \(model.name)", "trained in generation \(model.trainedInGeneration)"))
            }
            for segment in generation.segments {
                let rowCounts = Set(segment.columns.map(\.rows)).sorted().map(String.init).joined(separator: "/")
                rows.append(
                    (
                        "  \(segment.file)",
                        "\(segment.kind), \(segment.columns.count) columns, \(rowCounts) rows, \(ByteCount.format(Int64(segment.bytes)))"
                    )
                )
            }
        } else {
            rows.append(("current generation", "none"))
        }
        for (name, count) in status.counts.sorted(by: { $0.key < $1.key }) {
            rows.append(("\(name) rows", String(count)))
        }
        rows.append(
            (
                "runs by status",
                "\(status.runs.total) (\(status.runs.running) running, \(status.runs.succeeded) succeeded, \(status.runs.failed) failed)"
            )
        )
        rows += status.lastPipelinePass.map(PipelineCommand.rows) ?? [("last pipeline pass", "none")]
        rows += [
            ("disk: database", ByteCount.format(status.diskUsage.databaseBytes)),
            ("disk: events", ByteCount.format(status.diskUsage.eventsBytes)),
            ("disk: generations", ByteCount.format(status.diskUsage.generationsBytes)),
            ("disk: realtime", ByteCount.format(status.diskUsage.realtimeBytes)),
            ("disk: quarantine", ByteCount.format(status.diskUsage.quarantineBytes)),
            ("disk: total", ByteCount.format(status.diskUsage.totalBytes)),
        ]
        if let daemon {
            if daemon.isReachable {
                rows.append(
                    (
                        "daemon",
                        "aamped \(daemon.version ?? "?") at \(daemon.address), up \(daemon.uptimeSeconds ?? 0) s"
                    )
                )
                rows.append(("daemon generation", daemon.generation.map(String.init) ?? "none"))
                rows.append(("daemon connections", String(daemon.openConnections ?? 0)))
            } else {
                rows.append(("daemon", "not reachable at \(daemon.address): \(daemon.error ?? "unknown error")"))
            }
        }
        return TextTable(header: ("item", "value"), rows: rows).rendered()
    }
}

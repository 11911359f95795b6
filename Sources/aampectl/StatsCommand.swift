import AampeClient
import AampeProtocol
import ArgumentParser
import Foundation
import SwiftProtobuf

/// `aampectl stats`: the daemon's counters and latencies.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show aamped's per-operation counts, errors and latency percentiles."
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Flag(help: "Print JSON (protobuf's JSON mapping of StatsResponse).")
    var json = false

    @Flag(help: "Print the Prometheus text exposition format.")
    var prometheus = false

    func run() async throws {
        guard !(json && prometheus) else { throw ValidationError("choose one of --json and --prometheus") }
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        let stats = try await client.stats()
        if json {
            var options = JSONEncodingOptions()
            options.alwaysPrintInt64sAsNumbers = true
            print(try stats.jsonString(options: options))
        } else if prometheus {
            print(StatsRendering.prometheus(stats), terminator: "")
        } else {
            print(StatsRendering.table(stats))
        }
    }
}

/// Renders a `StatsResponse` for people and for Prometheus. Rendering happens in `aampectl`, so the
/// daemon's request path only ever serves the compact STATS message.
enum StatsRendering {
    static func micros(_ nanos: UInt64) -> String {
        String(format: "%.1f", Double(nanos) / 1000)
    }

    static func table(_ stats: Aampe_V1_StatsResponse) -> String {
        var lines = [
            "aamped \(stats.serverVersion), up \(stats.uptimeMillis / 1000) s, generation \(stats.hasGeneration ? String(stats.generation) : "none")",
            "connections: \(stats.openConnections) open, \(stats.acceptedConnections) accepted, \(stats.rejectedConnections) refused at the limit",
            "real-time log: \(stats.realtimeLogSyncFailures) failed syncs"
                + (stats.realtimeLogRefusingWrites ? "; TRACK REFUSED until a sync succeeds" : ""),
            "",
        ]
        let header = ["operation", "count", "errors", "p50 µs", "p99 µs", "p99.9 µs", "max µs"]
        var rows = [header]
        for operation in stats.operations {
            rows.append([
                operation.name, String(operation.count), String(operation.errors),
                micros(operation.latencyP50Nanos), micros(operation.latencyP99Nanos),
                micros(operation.latencyP999Nanos), micros(operation.latencyMaxNanos),
            ])
        }
        if stats.operations.isEmpty { rows.append(["(no requests yet)", "", "", "", "", "", ""]) }
        lines.append(TextTable.columns(rows, rightAligned: { $0 > 0 }))
        return lines.joined(separator: "\n")
    }

    static func prometheus(_ stats: Aampe_V1_StatsResponse) -> String {
        var text = """
            # HELP aamped_uptime_seconds Seconds since aamped started.
            # TYPE aamped_uptime_seconds gauge
            aamped_uptime_seconds \(Double(stats.uptimeMillis) / 1000)
            # HELP aamped_generation The generation being served.
            # TYPE aamped_generation gauge
            aamped_generation \(stats.hasGeneration ? String(stats.generation) : "NaN")
            # HELP aamped_connections_open Connections open now.
            # TYPE aamped_connections_open gauge
            aamped_connections_open \(stats.openConnections)
            # HELP aamped_connections_accepted_total Connections accepted since start.
            # TYPE aamped_connections_accepted_total counter
            aamped_connections_accepted_total \(stats.acceptedConnections)
            # HELP aamped_connections_rejected_total Connections refused at the connection limit.
            # TYPE aamped_connections_rejected_total counter
            aamped_connections_rejected_total \(stats.rejectedConnections)
            # HELP aamped_realtime_log_sync_failures_total Failed fdatasync calls of the real-time log since start.
            # TYPE aamped_realtime_log_sync_failures_total counter
            aamped_realtime_log_sync_failures_total \(stats.realtimeLogSyncFailures)
            # HELP aamped_realtime_log_refusing_writes 1 while TRACK is refused because the last sync failed.
            # TYPE aamped_realtime_log_refusing_writes gauge
            aamped_realtime_log_refusing_writes \(stats.realtimeLogRefusingWrites ? 1 : 0)
            # HELP aamped_requests_total Requests answered, by operation.
            # TYPE aamped_requests_total counter

            """
        for operation in stats.operations {
            text += "aamped_requests_total{operation=\"\(operation.name)\"} \(operation.count)\n"
        }
        text += "# HELP aamped_request_errors_total Requests answered with an error frame, by operation.\n"
        text += "# TYPE aamped_request_errors_total counter\n"
        for operation in stats.operations {
            text += "aamped_request_errors_total{operation=\"\(operation.name)\"} \(operation.errors)\n"
        }
        text += "# HELP aamped_request_latency_seconds Request latency quantiles since start, by operation.\n"
        text += "# TYPE aamped_request_latency_seconds summary\n"
        for operation in stats.operations {
            for (quantile, nanos) in [
                ("0.5", operation.latencyP50Nanos), ("0.99", operation.latencyP99Nanos),
                ("0.999", operation.latencyP999Nanos),
            ] {
                text +=
                    "aamped_request_latency_seconds{operation=\"\(operation.name)\",quantile=\"\(quantile)\"} \(Double(nanos) / 1e9)\n"
            }
            text += "aamped_request_latency_seconds_count{operation=\"\(operation.name)\"} \(operation.count)\n"
        }
        return text
    }
}

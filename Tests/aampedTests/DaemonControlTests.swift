import AampeCore
import AampeSegments
import AampeTestSupport
import Foundation
import Testing

/// `aampectl ping`, `stats`, `reload` and `status --daemon` against a running `aamped`, and the daemon's
/// hot reload, by command and by watching `generations/CURRENT`.
@Suite("aamped control through aampectl", .serialized)
struct DaemonControlTests {

    /// Runs `aampectl`; the output is standard output, then standard error.
    static func aampectl(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Aampectl.run(arguments)
        return (result.status, result.output)
    }

    /// Publishes a generation with one small segment file into the daemon's data directory.
    @discardableResult
    static func publish(_ directory: DataDirectory) throws -> GenerationNumber {
        let builder = try GenerationStore(dataDirectory: directory).begin()
        let writer = try SegmentWriter(
            path: builder.path(of: GenerationFile(model: "test", name: "items.seg")),
            kind: .items
        )
        try writer.writeDictionaryColumn("item_id", keys: ["a", "b"])
        try writer.finish()
        return try builder.publish()
    }

    static func generation(in statsJSON: String) -> Int? {
        let object = try? JSONSerialization.jsonObject(with: Data(statsJSON.utf8)) as? [String: Any]
        return object?["generation"] as? Int
    }

    @Test("ping, stats and reload work against the daemon's socket")
    func pingStatsReload() throws {
        let daemon = try DaemonProcess(arguments: ["--config", "/dev/null"])
        let data = daemon.dataDirectory.path
        let ping = try Self.aampectl(["ping", "--data-dir", data, "--count", "3"])
        #expect(ping.status == 0)
        #expect(ping.output.contains("3 pings: min"))

        #expect(try Self.aampectl(["reload", "--data-dir", data]).output == "aamped already serves generation none.\n")
        try Self.publish(daemon.dataDirectory)
        let reload = try Self.aampectl(["reload", "--data-dir", data])
        #expect(reload.status == 0)
        #expect(reload.output == "aamped now serves generation 1 (was none).\n")

        let stats = try Self.aampectl(["stats", "--data-dir", data, "--json"])
        #expect(Self.generation(in: stats.output) == 1)
        let table = try Self.aampectl(["stats", "--data-dir", data]).output
        #expect(table.contains("PING"))
        #expect(table.contains("RELOAD"))
        let prometheus = try Self.aampectl(["stats", "--data-dir", data, "--prometheus"]).output
        #expect(prometheus.contains("aamped_requests_total{operation=\"PING\"} 3"))

        let status = try Self.aampectl(["status", "--data-dir", data, "--daemon", "--json"])
        #expect(status.status == 0)
        #expect(status.output.contains("\"isReachable\" : true"))
        #expect(daemon.stop() == 0)
        let unreachable = try Self.aampectl(["status", "--data-dir", data, "--daemon"])
        #expect(unreachable.status != 0)
        #expect(unreachable.output.contains("not reachable"))
    }

    @Test("the daemon notices a newly published generation without RELOAD")
    func watchesCurrent() throws {
        let daemon = try DaemonProcess(
            prepare: { _, folder in
                try "reloadPollMillis: 100\n".write(toFile: folder + "/aamped.yaml", atomically: true, encoding: .utf8)
            },
            argumentsAfterPrepare: { folder in ["--config", folder + "/aamped.yaml"] }
        )
        let data = daemon.dataDirectory.path
        for expected in 1...2 {
            try Self.publish(daemon.dataDirectory)
            let deadline = Date().addingTimeInterval(5)
            var served: Int?
            repeat {
                served = Self.generation(in: try Self.aampectl(["stats", "--data-dir", data, "--json"]).output)
                if served != expected { usleep(50_000) }
            } while served != expected && Date() < deadline
            #expect(served == expected)
        }
        #expect(daemon.stop() == 0)
    }

    @Test("a config file with an unknown setting stops start-up with its file, line and name")
    func badConfig() throws {
        #expect {
            try DaemonProcess(
                prepare: { _, folder in
                    try "logLevel: info\nreloadPolMillis: 5\n".write(
                        toFile: folder + "/bad.yaml",
                        atomically: true,
                        encoding: .utf8
                    )
                },
                argumentsAfterPrepare: { folder in ["--config", folder + "/bad.yaml"] }
            )
        } throws: { error in
            "\(error)".contains("bad.yaml: line 2, setting 'reloadPolMillis': unknown setting")
        }
    }
}

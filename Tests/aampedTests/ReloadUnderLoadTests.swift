import AampeCore
import AampeTestSupport
import Foundation
import Testing

/// Hot reload while `aampe-loadgen` keeps the daemon busy with RECOMMEND: every swap must happen while
/// the load runs, and every request must succeed.
@Suite("aamped reloads under load")
struct ReloadUnderLoadTests {

    /// The generation the daemon serves now, from STATS.
    static func served(_ data: String) throws -> Int? {
        DaemonControlTests.generation(
            in: try DaemonControlTests.aampectl(["stats", "--data-dir", data, "--json"]).output
        )
    }

    @Test(
        "six retrains during a RECOMMEND load: each new generation is swapped in while the load runs, with zero errors"
    )
    func reloadUnderLoad() throws {
        let daemon = try DaemonProcess(
            prepare: { directory, folder in
                try RecommendationServingTests.prepare(directory, folder)
                try "reloadPollMillis: 50\n".write(toFile: folder + "/aamped.yaml", atomically: true, encoding: .utf8)
            },
            argumentsAfterPrepare: { folder in ["--config", folder + "/aamped.yaml"] }
        )
        let data = daemon.dataDirectory.path
        #expect(try Self.served(data) == 1)
        let loadgen = Process()
        loadgen.executableURL = URL(fileURLWithPath: Product.path("aampe-loadgen"))
        loadgen.arguments = [
            "--unix", daemon.socketPath, "--connections", "8", "--pipeline", "8",
            "--mix", "recommend=8,ping=1,stats=1", "--users-pattern", "u%d", "--users-count", "4",
            "--duration", "20", "--warmup", "0", "--json",
        ]
        let output = Pipe()
        loadgen.standardOutput = output
        loadgen.standardError = output
        try loadgen.run()
        usleep(300_000)

        // Each retrain publishes generation 2, 3, ...; half are swapped in by RELOAD, half by the watcher.
        for expected in 2...7 {
            let train = try DaemonControlTests.aampectl([
                "train", "recommender", "--data-dir", data, "--half-life-days", "0", "--json",
            ])
            #expect(train.status == 0, "\(train.output)")
            if expected % 2 == 0 {
                let reload = try DaemonControlTests.aampectl(["reload", "--data-dir", data])
                #expect(
                    reload.status == 0 && reload.output.contains("serves generation \(expected)"),
                    "\(reload.output)"
                )
            } else {
                let deadline = Date().addingTimeInterval(10)
                while try Self.served(data) != expected && Date() < deadline { usleep(20_000) }
            }
            #expect(try Self.served(data) == expected, "generation \(expected) was not swapped in")
            #expect(loadgen.isRunning, "the load ended before generation \(expected) was swapped in")
        }
        // The load runs for its whole duration (long enough for the swaps on a slow machine); then its report.
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        loadgen.waitUntilExit()
        let report = try #require(
            text.split(separator: "\n").last.flatMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            },
            "no JSON report from loadgen:\n\(text)"
        )
        #expect(report["errors"] as? Int == 0, "\(text)")
        let perOperation = try #require(report["per_operation"] as? [String: [String: Any]], "\(text)")
        let recommends = perOperation["recommend"]?["count"] as? Int ?? 0
        #expect(recommends > 1000, "\(text)")
        #expect(report["ok"] as? Int == report["requests"] as? Int, "\(text)")
        #expect(daemon.stop() == 0)
    }
}

import AampeCore
import Foundation
import Testing

/// Hot reload while `tools/loadgen` keeps the daemon busy: every request must succeed.
@Suite("aamped reloads under load")
struct ReloadUnderLoadTests {
    static var loadgenPath: String { DaemonProcess.productsFolder.appendingPathComponent("aampe-loadgen").path }

    @Test("RELOAD and watched publications during a load run produce zero errors")
    func reloadUnderLoad() throws {
        let daemon = try DaemonProcess(
            prepare: { directory, folder in
                try DaemonControlTests.publish(directory)
                try "reloadPollMillis: 50\n".write(toFile: folder + "/aamped.yaml", atomically: true, encoding: .utf8)
            },
            argumentsAfterPrepare: { folder in ["--config", folder + "/aamped.yaml"] }
        )
        let data = daemon.dataDirectory.path
        let loadgen = Process()
        loadgen.executableURL = URL(fileURLWithPath: Self.loadgenPath)
        loadgen.arguments = [
            "--unix", daemon.socketPath, "--connections", "8", "--pipeline", "8", "--mix", "ping=9,stats=1",
            "--duration", "4", "--json",
        ]
        let output = Pipe()
        loadgen.standardOutput = output
        loadgen.standardError = output
        try loadgen.run()
        // Publish and reload while the load runs: 10 generations, half picked up by RELOAD, half by watching.
        var reloads = 0
        for index in 0..<10 {
            usleep(250_000)
            try DaemonControlTests.publish(daemon.dataDirectory)
            if index % 2 == 0 {
                let reload = try DaemonControlTests.aampectl(["reload", "--data-dir", data])
                #expect(reload.status == 0, "\(reload.output)")
                reloads += 1
            }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        loadgen.waitUntilExit()
        #expect(loadgen.terminationStatus == 0, "loadgen reported a failure:\n\(text)")
        let report = try #require(
            text.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
            "no JSON report from loadgen:\n\(text)"
        )
        let errors = (report["errors"] as? [String: Any])?.values.compactMap { $0 as? Int }.reduce(0, +) ?? (report["errors"] as? Int ?? -1)
        #expect(errors == 0, "\(text)")
        let completed = (report["completed"] as? Int) ?? (report["requests"] as? Int) ?? 0
        #expect(completed > 1000, "\(text)")
        let stats = try DaemonControlTests.aampectl(["stats", "--data-dir", data, "--json"])
        #expect(DaemonControlTests.generation(in: stats.output) == 11)
        #expect(reloads == 5)
        #expect(daemon.stop() == 0)
    }
}

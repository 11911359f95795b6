import AampeCore
import AampeDaemon
import AampeTestSupport
import Foundation
import Testing

@Suite("Daemon configuration: real-time user limit")
struct DaemonConfigurationTests {
    /// The configuration `yaml` gives, read from a file as aamped reads `--config`.
    static func configuration(_ yaml: String) throws -> DaemonConfiguration {
        let folder = try TemporaryFolder(prefix: "aampe-config")
        let path = folder.child("aamped.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = DaemonConfiguration(dataDirectory: DataDirectory(path: folder.path))
        try configuration.apply(file: path)
        return configuration
    }

    func configuration(_ yaml: String) throws -> DaemonConfiguration { try Self.configuration(yaml) }

    @Test("maximumRealtimeUsers defaults to the limit, is set under limits:, and must be at least 1")
    func realtimeUsers() throws {
        #expect(try configuration("logLevel: info\n").maximumRealtimeUsers == Limits.maximumRealtimeUsers)
        #expect(try configuration("limits:\n  maximumRealtimeUsers: 1\n").maximumRealtimeUsers == 1)
        #expect(throws: DaemonError.self) { try configuration("limits:\n  maximumRealtimeUsers: 0\n") }
    }
}

import AampeCore
import AampeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the Python reference client's test suite (tools/clients/python/test_client.py) against a real aamped
/// listening on a Unix socket and on TCP with a token, so a client written from PROTOCOL.md alone is checked
/// against the server. Needs python3 with the protobuf package (`pip install protobuf`).
@Suite("Python reference client against aamped")
struct PythonReferenceClientTests {
    static let clientFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/clients/python")

    /// The live tests of test_client.py; each prints "AAMPED-LIVE-TEST-RAN <name>" once it has passed.
    static let liveTests = [
        "unix_greeting", "unix_ping", "unix_stats", "unix_unsupported_operation", "unix_pipelining",
        "unix_unsupported_operation_version", "unix_reload", "unix_unavailable_retry", "unix_list_ids",
        "unix_list_entries", "unix_track_limits", "unix_request_id_zero", "unix_hello_version", "unix_outbox",
        "tcp_hmac_ping", "tcp_plain_token_ping", "tcp_reload_needs_admin", "tcp_wrong_token", "tcp_missing_credential",
    ]

    static let installHint =
        "install Python 3 and its protobuf runtime: `pip install protobuf` (checked with protobuf 7.36.2)"

    @Test("test_client.py passes against a live aamped, live tests included", .timeLimit(.minutes(3)))
    func pythonClientSuite() throws {
        let probe = try Self.run(
            ["python3", "-c", "import google.protobuf; print(google.protobuf.__version__)"],
            timeout: 60
        )
        guard probe.status == 0 else {
            Issue.record(
                "python3 with the protobuf module is needed: \(Self.installHint). The probe said (exit \(probe.status)):\n\(probe.output)"
            )
            return
        }

        let folder =
            FileManager.default.temporaryDirectory.path + "/aamped-pyclient-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = "py-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let tokenFile = folder + "/token"
        try DaemonProcess.writeFile(tokenFile, token + "\n", mode: 0o600)

        // A free port can be taken (by another test's listener or connection) before aamped binds it; aamped
        // then stops, and a connection to the port would reach whoever took it. So a start counts only once
        // aamped has logged that it listens on the port, and one that lost its port is tried on another.
        var started: (daemon: DaemonProcess, port: Int)?
        for _ in 0..<5 where started == nil {
            let port = try Self.freeTCPPort()
            let daemon: DaemonProcess
            do {
                // The outbox batch of OutboxServingTests with T an hour ago, on the system clock (TRACK's limits
                // are relative to the server's clock, which the live tests read from the wall), for the PULL and
                // ACK test.
                daemon = try DaemonProcess(
                    arguments: ["--tcp", "127.0.0.1:\(port)", "--token-file", tokenFile],
                    prepare: { directory, _ in
                        let hourAgo = Timestamp.now().adding(microseconds: -3_600_000_000)
                        try OutboxServingTests.writeBatch(directory, OutboxServingTests.records(start: hourAgo))
                    }
                )
            } catch DaemonProcessError.didNotStart(let log) where log.contains("127.0.0.1:\(port)") {
                continue
            }
            if try Self.isListening(port: port, daemon: daemon) { started = (daemon, port) }
        }
        let (daemon, port) = try #require(started, "aamped lost its TCP port to another process five times")

        let result = try Self.run(
            ["python3", "-m", "unittest", "-v", "test_client"],
            environment: [
                "AAMPED_UNIX": daemon.socketPath,
                "AAMPED_TCP": "127.0.0.1:\(port)",
                "AAMPED_TOKEN": token,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
            ],
            timeout: 120
        )
        let context =
            "python3 -m unittest -v test_client (exit \(result.status)):\n\(result.output)\naamped's log:\n\(daemon.log)"
        #expect(result.status == 0, "\(context)")
        // unittest -v writes "test_x ... " on stderr, so a marker may share its line: take the word after each one.
        let ran = Set(
            result.output.components(separatedBy: "AAMPED-LIVE-TEST-RAN ").dropFirst().map {
                String($0.prefix { !$0.isWhitespace })
            }
        )
        let missing = Self.liveTests.filter { !ran.contains($0) }
        #expect(missing.isEmpty, "live tests that were skipped or did not run to their end: \(missing); \(context)")
        #expect(daemon.stop() == 0)
    }

    // MARK: Helpers

    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Runs `arguments` through /usr/bin/env in the client folder, stdout and stderr together in a file (no
    /// pipe to fill up), killing it after `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double) throws -> Outcome {
        let outputPath = FileManager.default.temporaryDirectory.path + "/aamped-pyclient-" + UUID().uuidString + ".log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = clientFolder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            return Outcome(status: 127, output: "cannot start \(arguments.joined(separator: " ")): \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
        }
        process.waitUntilExit()
        try? output.close()
        var text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if timedOut { text += "\n(killed after \(Int(timeout)) s)" }
        // env answers 127 when python3 is not on PATH.
        if process.terminationStatus == 127 && text.contains("No such file") { text += "\npython3 is not on PATH" }
        return Outcome(status: process.terminationStatus, output: text)
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now: bound with port 0, read back, released.
    static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PythonClientTestError.socket("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw PythonClientTestError.socket("bind: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw PythonClientTestError.socket("getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until aamped listens on TCP `port` (it logs its addresses once it has bound every one): true;
    /// false when it stopped first, as it does when something else holds the port.
    static func isListening(port: Int, daemon: DaemonProcess) throws -> Bool {
        let listening = "listening on unix:\(daemon.socketPath), tcp:127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if daemon.log.contains(listening) { return true }
            if !daemon.process.isRunning { return false }
            usleep(20_000)
        }
        throw PythonClientTestError.socket("aamped does not listen on 127.0.0.1:\(port); its log:\n\(daemon.log)")
    }
}

enum PythonClientTestError: Error, CustomStringConvertible {
    case socket(String)

    var description: String {
        switch self {
        case .socket(let message): message
        }
    }
}

import AampeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("aamped as a process")
struct DaemonSmokeTests {
    @Test("starts on a data directory, makes its socket 0660, and exits 0 on SIGTERM, removing the socket")
    func startAndStop() throws {
        let daemon = try DaemonProcess()
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socketPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660)
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test("refuses to start with a token file that others can read")
    func looseTokenFile() throws {
        let folder = FileManager.default.temporaryDirectory.path + "/aamped-token-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = folder + "/token"
        try DaemonProcess.writeFile(token, "0123456789abcdef0123456789abcdef\n", mode: 0o644)
        #expect {
            try DaemonProcess(arguments: ["--tcp", "127.0.0.1:0", "--token-file", token])
        } throws: { error in
            "\(error)".contains("\(token): token file has mode 644; it must be readable by its owner only")
        }
    }
}

@Suite("aamped and its socket path")
struct DaemonSocketPathTests {
    @Test("a stale socket is replaced; a live one or a regular file is left alone and start-up fails")
    func socketPath() throws {
        // A live daemon: a second one on the same data directory refuses to start.
        let first = try DaemonProcess()
        let refused = try DaemonProcess.runToExit(arguments: ["--unix", first.socketPath])
        #expect(refused.status != 0)
        #expect(refused.output.contains("another server is answering on this socket"))
        // Killed without cleanup, it leaves a socket nobody answers: the next start replaces it.
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: first.socketPath))
        let second = try DaemonProcess(arguments: ["--unix", first.socketPath])
        #expect(second.stop() == 0)
        // A regular file at the path is not ours to remove.
        let folder = FileManager.default.temporaryDirectory.path + "/aamped-file-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/not-a-socket"
        _ = FileManager.default.createFile(atPath: file, contents: Data("keep me".utf8))
        let notSocket = try DaemonProcess.runToExit(arguments: ["--unix", file])
        #expect(notSocket.status != 0)
        #expect(notSocket.output.contains("exists and is not a socket"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me")
    }
}

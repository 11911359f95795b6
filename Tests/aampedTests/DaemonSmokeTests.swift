import Foundation
import Testing

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

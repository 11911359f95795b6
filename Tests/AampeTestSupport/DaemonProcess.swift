public import AampeCore
import AampeStore
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running `aamped` binary over a fresh data directory, for tests that talk to it as clients do.
public final class DaemonProcess {
    public let folder: String
    public let dataDirectory: DataDirectory
    public let process = Process()
    public let logPath: String
    /// The socket the daemon listens on: `--unix` when given, else the data directory's.
    public let socketPath: String

    /// The `aamped` binary.
    public static var binaryPath: String { Product.path("aamped") }

    /// Initializes a data directory in a new temporary folder and starts `aamped` on it with `arguments`
    /// added; returns once the Unix socket answers.
    /// `argumentsAfterPrepare` adds arguments that name files `prepare` wrote into the folder.
    public convenience init(
        arguments: [String] = [],
        prepare: (DataDirectory, String) throws -> Void = { _, _ in },
        argumentsAfterPrepare: (String) -> [String] = { _ in [] }
    ) throws {
        let folder =
            FileManager.default.temporaryDirectory.path + "/aamped-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try self.init(
            folder: folder,
            arguments: arguments,
            prepare: prepare,
            argumentsAfterPrepare: argumentsAfterPrepare,
            isFresh: true
        )
    }

    private init(
        folder: String,
        arguments: [String],
        prepare: (DataDirectory, String) throws -> Void,
        argumentsAfterPrepare: (String) -> [String],
        isFresh: Bool
    ) throws {
        self.folder = folder
        dataDirectory = DataDirectory(path: folder + "/data")
        if isFresh {
            try dataDirectory.initialize()
            try prepare(dataDirectory, folder)
        }
        var arguments = arguments + argumentsAfterPrepare(folder)
        if !arguments.contains("--config") {
            // The default 5 s handshake timeout is for real clients. A test process on a loaded 2-core CI
            // machine can stall longer than that between connecting and sending HELLO (CI failed once so:
            // "HELLO request 1: the connection closed before the answer"); tests of the timeout configure
            // their own.
            let path = folder + "/aamped-test-defaults.yaml"
            try "limits:\n  handshakeTimeoutMillis: 600000\n".write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path]
        }
        if let flag = arguments.firstIndex(of: "--unix"), flag + 1 < arguments.count {
            socketPath = arguments[flag + 1]
        } else {
            socketPath = dataDirectory.socketPath
        }
        logPath = folder + "/aamped-\(UUID().uuidString.prefix(4)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = ["--data-dir", dataDirectory.path, "--log-level", "debug"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !Self.isAnswering(socketPath) {
            guard process.isRunning, Date() < deadline else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                if isFresh { try? FileManager.default.removeItem(atPath: folder) }
                throw DaemonProcessError.didNotStart(log: log)
            }
            usleep(20_000)
        }
    }

    private var ownsFolder = true

    /// Runs `aamped` on a fresh data directory and waits for it to exit (for start-ups that must fail).
    public static func runToExit(
        arguments: [String],
        timeoutSeconds: Double = 20
    ) throws -> (status: Int32, output: String) {
        let folder =
            FileManager.default.temporaryDirectory.path + "/aamped-exit-" + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = DataDirectory(path: folder + "/data")
        try directory.initialize()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = ["--data-dir", directory.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }

    /// Writes a file with `mode`, such as a token file.
    public static func writeFile(_ path: String, _ text: String, mode: Int) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode_t(mode))
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    public func stop(timeoutSeconds: Double = 20) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Stops this daemon (with SIGKILL when `hard`, as a crash would) and starts a new one on the same
    /// data directory, which then owns the folder.
    public func restarted(hard: Bool = false, arguments: [String] = []) throws -> DaemonProcess {
        if hard {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        } else {
            _ = stop()
        }
        ownsFolder = false
        return try DaemonProcess(
            folder: folder,
            arguments: arguments,
            prepare: { _, _ in },
            argumentsAfterPrepare: { _ in [] },
            isFresh: false
        )
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if ownsFolder { try? FileManager.default.removeItem(atPath: folder) }
    }

    public static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }
}

public enum DaemonProcessError: Error, CustomStringConvertible {
    case didNotStart(log: String)

    public var description: String {
        switch self {
        case .didNotStart(let log): "aamped did not start; its log:\n\(log)"
        }
    }
}

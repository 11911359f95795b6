public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The package's built executables (`aampectl`, `aamped`, `aampe-loadgen`, `aampe-sim`), run as an
/// operator or a client would. Test targets that run one depend on its product, so the binary sits in
/// the products folder next to the test bundle.
public enum Product {
    /// What a finished run printed and how it ended.
    public struct Result: Sendable {
        /// The exit status, or the signal number when a signal ended the process.
        public var status: Int32
        public var standardOutput: String
        public var standardError: String

        /// Standard output, then standard error: for messages that may land on either.
        public var output: String { standardOutput + standardError }
    }

    /// The build products folder.
    public static let folder: URL = {
        var folder = Bundle.main.bundleURL
        // In a .xctest bundle layout the products folder is the bundle's parent.
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder
    }()

    /// The path of the executable `name`.
    public static func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    /// Runs `executable arguments` in `workingDirectory` with exactly `environment` (plus PATH) and waits
    /// for it to end. `executable` is a product name or an absolute path.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : path(executable))
        process.arguments = arguments
        var environment = environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
        let errorData = LockedData()
        let errorReader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.get(), as: UTF8.self)
        )
    }

    /// `@unchecked Sendable`: the one mutable field is read and written only under the lock.
    private final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.withLock { data = value } }
        func get() -> Data { lock.withLock { data ?? Data() } }
        var isSet: Bool { lock.withLock { data != nil } }
    }
}

/// `aampectl`, the command most tests run.
public enum Aampectl {
    /// The binary, or `$AAMPECTL_BINARY` when set.
    public static let binaryPath: String =
        ProcessInfo.processInfo.environment["AAMPECTL_BINARY"] ?? Product.path("aampectl")

    /// Runs `aampectl arguments` in `workingDirectory` with exactly `environment` (plus PATH).
    public static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) throws -> Product.Result {
        try Product.run(binaryPath, arguments, environment: environment, workingDirectory: workingDirectory)
    }
}

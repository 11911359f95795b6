import Foundation

/// Runs the built `aampectl` binary, as an operator would. Test targets that use it depend on the
/// `aampectl` product, so the binary sits in the products folder next to the test bundle.
public enum Aampectl {
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The binary sits next to the test bundle in the build products folder.
    public static let binaryPath: String = {
        if let explicit = ProcessInfo.processInfo.environment["AAMPECTL_BINARY"] { return explicit }
        var folder = Bundle.main.bundleURL
        // In a .xctest bundle layout the products folder is the bundle's parent.
        if folder.pathExtension == "xctest" { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("aampectl").path
    }()

    /// Runs `aampectl arguments` in `workingDirectory` with exactly `environment` (plus PATH).
    public static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        workingDirectory: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
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

    private final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.withLock { data = value } }
        func get() -> Data { lock.withLock { data ?? Data() } }
        var isSet: Bool { lock.withLock { data != nil } }
    }
}

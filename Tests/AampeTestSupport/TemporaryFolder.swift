internal import Foundation

/// A fresh folder under the system's temporary directory, removed when the test is done with it.
public final class TemporaryFolder {
    /// The folder's absolute path.
    public let path: String

    /// Creates a folder named after `prefix` and a random suffix.
    public init(prefix: String = "aampe-test") throws {
        path = FileManager.default.temporaryDirectory.path + "/\(prefix)-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    private var ownsFolder = true

    /// An existing folder, not removed by this object.
    public static func wrapping(_ path: String) -> TemporaryFolder { TemporaryFolder(wrapping: path) }

    private init(wrapping path: String) {
        self.path = path
        ownsFolder = false
    }

    deinit { if ownsFolder { try? FileManager.default.removeItem(atPath: path) } }

    /// The path of `name` inside the folder.
    public func child(_ name: String) -> String { path + "/" + name }

    /// Writes `text` as the file `name` in the folder.
    public func write(_ name: String, _ text: String) throws {
        try text.write(toFile: child(name), atomically: true, encoding: .utf8)
    }
}

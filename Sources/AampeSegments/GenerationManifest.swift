import AampeCore
import Foundation

/// One file of one model in a generation: `generations/N/<model>/<name>`.
///
/// Each model declares its files once, as constants of this type next to its column schema (for
/// example `RecommenderFiles.items`), and both its writer and its reader use them.
public struct GenerationFile: Hashable, Sendable, CustomStringConvertible {
    /// The model's folder, such as `recommender`: lowercase ASCII letters, digits, `-` and `_`.
    public let model: String
    /// The file's name in that folder, such as `items.seg`.
    public let name: String

    /// A file of `model`. Both names are fixed by the code that declares them, so a bad one traps.
    public init(model: String, name: String) {
        precondition(GenerationManifest.isValidModelName(model), "model name '\(model)' must be [a-z0-9_-]+")
        precondition(
            !name.isEmpty && !name.contains("/") && name != "." && name != ".." && !name.hasSuffix(".tmp"),
            "file name '\(name)' must be a plain file name"
        )
        self.model = model
        self.name = name
    }

    /// `<model>/<name>`, relative to the generation's folder.
    public var relativePath: String { model + "/" + name }

    public var description: String { relativePath }

    /// Whether it is a segment file (validated at publish and at load) rather than a small side file.
    public var isSegment: Bool { name.hasSuffix(".seg") }
}

/// `generations/N/manifest.json`: what a generation holds, written last before publication.
///
/// ```json
/// {
///   "format_version": 1,
///   "generation": 7,
///   "published_at": "2026-12-03T00:40:12Z",
///   "models": [
///     { "name": "recommender", "trained_in_generation": 7,
///       "files": [ { "path": "recommender/items.seg", "size_bytes": 81920, "crc32c": 1234567890 }, ... ] }
///   ]
/// }
/// ```
///
/// A model carried over from an earlier generation keeps the number of the generation that trained
/// it. A reader maps exactly the listed files and refuses a generation whose files are missing or
/// have another size; ``Generation/verify()`` also recomputes every CRC-32C.
public struct GenerationManifest: Codable, Hashable, Sendable {
    /// The manifest's file name in a generation folder.
    public static let fileName = "manifest.json"
    /// The layout version this code writes and reads.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// The generation's number.
    public var generation: UInt64
    /// When it was published, ISO-8601 UTC.
    public var publishedAt: String
    /// Its models, by name.
    public var models: [Model]

    /// One model's files.
    public struct Model: Codable, Hashable, Sendable {
        public var name: String
        /// The generation whose training run wrote these files.
        public var trainedInGeneration: UInt64
        public var files: [File]

        enum CodingKeys: String, CodingKey {
            case name, files
            case trainedInGeneration = "trained_in_generation"
        }
    }

    /// One file, with what a verification compares.
    public struct File: Codable, Hashable, Sendable {
        /// `<model>/<name>`.
        public var path: String
        public var sizeBytes: Int64
        /// CRC-32C of the whole file.
        public var crc32c: UInt32

        enum CodingKeys: String, CodingKey {
            case path, crc32c
            case sizeBytes = "size_bytes"
        }
    }

    enum CodingKeys: String, CodingKey {
        case generation, models
        case formatVersion = "format_version"
        case publishedAt = "published_at"
    }

    /// The model named `name`, if the generation holds it.
    public func model(_ name: String) -> Model? {
        models.first { $0.name == name }
    }

    /// Every file of every model.
    public var files: [File] { models.flatMap(\.files) }

    static func isValidModelName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x5F
            }
    }

    /// Reads and checks the manifest in `folder`. Errors name the file and what is wrong.
    static func read(folder: String) throws -> GenerationManifest {
        let path = folder + "/" + fileName
        guard FileSystem.exists(path) else {
            throw SegmentError(
                path: path,
                reason: .generation(
                    detail: "no manifest; a generation published by an older aamped is not served, train again"
                )
            )
        }
        let bytes = try FileSystem.readSmallFile(path, limit: Limits.maximumGenerationManifestBytes)
        guard bytes.count <= Limits.maximumGenerationManifestBytes else {
            throw SegmentError(
                path: path,
                reason: .limitExceeded(
                    what: "manifest size",
                    value: bytes.count,
                    limit: Limits.maximumGenerationManifestBytes
                )
            )
        }
        let manifest: GenerationManifest
        do {
            manifest = try JSONDecoder().decode(GenerationManifest.self, from: Data(bytes))
        } catch {
            throw SegmentError(path: path, reason: .generation(detail: "unreadable manifest: \(error)"))
        }
        guard manifest.formatVersion == currentFormatVersion else {
            throw SegmentError(
                path: path,
                reason: .generation(
                    detail: "manifest format \(manifest.formatVersion); this aamped reads \(currentFormatVersion)"
                )
            )
        }
        for model in manifest.models {
            guard isValidModelName(model.name) else {
                throw SegmentError(path: path, reason: .generation(detail: "bad model name '\(model.name)'"))
            }
            for file in model.files {
                let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == model.name, !parts[1].isEmpty, parts[1] != ".", parts[1] != ".."
                else {
                    throw SegmentError(
                        path: path,
                        reason: .generation(detail: "file '\(file.path)' is not in model folder '\(model.name)'")
                    )
                }
            }
        }
        return manifest
    }

    /// Encodes the manifest as written to disk (sorted keys, one field per line).
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}

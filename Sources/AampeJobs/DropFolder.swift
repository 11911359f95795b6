public import AampeCore
import Foundation

/// The folder a customer's daily dump lands in, as the nightly pipeline reads it.
///
/// ```
/// drop/
///   *.csv, *.jsonl, ...   events (any layout `aampectl import events` detects)
///   users/                user profiles, as `aampectl import users` reads them
///   catalog/              catalog items, as `aampectl import catalog` reads them
///   processed/<pass>/     files a pass imported, moved here with their sub-folder (users/, catalog/)
///   failed/<pass>/        files a pass could not read to the end
/// ```
///
/// Only regular files directly in the drop folder, `users/` and `catalog/` count; other sub-folders are
/// left alone. Names starting with `.` or `_` are skipped: uploaders write partial files under such
/// names (`.events.csv.tmp`, gsutil's `.gstmp`), and warehouse exports add `_SUCCESS` markers. A file is
/// moved out after its pass, so that a later pass neither re-reads it nor takes a new day's file of the
/// same name for the old one. `<pass>` is the pass's start time, so files of the same name from different
/// days never collide.
public struct DropFolder: Sendable {
    /// What a dropped file holds, from where it lies.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case events, users, catalog
    }

    /// A dropped file as listed: where it is, what it holds, and what tells a finished file from one
    /// still being written (its size and modification time).
    public struct File: Hashable, Sendable {
        /// The file's path: the drop folder's path and the file's relative path.
        public var path: String
        /// The path inside the drop folder, such as `users/profiles.csv`.
        public var relativePath: String
        public var kind: Kind
        public var sizeBytes: Int64
        /// The modification time, in microseconds since the epoch.
        public var modifiedMicros: Int64

        /// A listed file.
        public init(path: String, relativePath: String, kind: Kind, sizeBytes: Int64, modifiedMicros: Int64) {
            self.path = path
            self.relativePath = relativePath
            self.kind = kind
            self.sizeBytes = sizeBytes
            self.modifiedMicros = modifiedMicros
        }
    }

    /// Where a file goes after its pass.
    public enum Destination: String, Sendable {
        /// Read to the end (its rejected rows, if any, are in the quarantine).
        case processed
        /// Could not be opened or read to the end.
        case failed
    }

    /// The drop folder's path.
    public let path: String

    /// The drop folder at `path`.
    public init(path: String) {
        self.path = path
    }

    /// Every dropped file, in path order. Throws when the drop folder itself cannot be listed; a missing
    /// `users/` or `catalog/` is no file.
    public func list() throws -> [File] {
        var files: [File] = []
        for kind in Kind.allCases {
            let folder = kind == .events ? path : path + "/" + kind.rawValue
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                if kind == .events {
                    throw JobError(.dropFolder(path: path, detail: "cannot be listed: \(Self.reason(error))"))
                }
                var isFolder: ObjCBool = false
                if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) { continue }
                throw JobError(.dropFolder(path: folder, detail: "cannot be listed: \(Self.reason(error))"))
            }
            for name in names where !name.hasPrefix(".") && !name.hasPrefix("_") {
                let filePath = folder + "/" + name
                // A file removed between the listing and this look is simply not there.
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: filePath),
                    attributes[.type] as? FileAttributeType == .typeRegular
                else { continue }
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                files.append(
                    File(
                        path: filePath,
                        relativePath: kind == .events ? name : kind.rawValue + "/" + name,
                        kind: kind,
                        sizeBytes: size,
                        modifiedMicros: Int64((modified * 1_000_000).rounded())
                    )
                )
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Moves `file` to `destination/<pass>/<its relative path>`, where `pass` names the pass (its start
    /// time). Throws when the move fails: a file left in place would be imported again by every pass.
    public func move(_ file: File, to destination: Destination, pass: String) throws {
        let target = path + "/" + destination.rawValue + "/" + pass + "/" + file.relativePath
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: file.path, toPath: target)
        } catch {
            throw JobError(.dropFolder(path: file.path, detail: "cannot move it to \(target): \(Self.reason(error))"))
        }
    }

    /// The operating system's reason, without Foundation's long wrapping.
    static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }
}

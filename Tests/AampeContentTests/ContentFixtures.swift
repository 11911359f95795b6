import AampeContent
import Foundation
import Testing

/// The committed content folders under `Fixtures/`.
enum ContentFixtures {
    /// The absolute path of `name` (a folder such as `valid`) in the test bundle.
    static func path(_ name: String) throws -> String {
        let root = try #require(
            Bundle.module.url(forResource: "Fixtures", withExtension: nil),
            "no Fixtures in the test bundle"
        )
        let path = root.appendingPathComponent(name).path
        try #require(FileManager.default.fileExists(atPath: path), "no fixture \(name)")
        return path
    }
}

extension ContentFixtures {
    /// The issues that loading `files` reports; empty when the content loads.
    static func issues(files: [(path: String, text: String)]) -> [ContentIssue] {
        issues { () throws(ContentError) in try ContentLoader.load(files: files) }
    }

    /// The issues that loading the folder at `path` reports; empty when the content loads.
    static func issues(folder path: String) -> [ContentIssue] {
        issues { () throws(ContentError) in try ContentLoader.load(folder: path) }
    }

    private static func issues(_ load: () throws(ContentError) -> Content) -> [ContentIssue] {
        let result = Result(catching: load)
        switch result {
        case .success: return []
        case .failure(.invalid(let issues)): return issues
        case .failure(let error): return [ContentIssue(file: "", line: 0, column: 0, field: "", message: "\(error)")]
        }
    }
}

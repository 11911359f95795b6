public import AampeCore
import AampeLearning
import AampeSegments

/// `aampectl status --verify`: reads every byte of the current generation and checks it against the
/// manifest and the segment format, then builds every model's serving view the way the daemon does.
public enum GenerationVerification {
    /// What a verification found.
    public struct Report: Codable, Sendable {
        /// The generation checked, or `nil` when none is published.
        public var generation: UInt64?
        /// Files the manifest lists.
        public var files: Int
        /// The listed files' total size in bytes, as the manifest gives it.
        public var bytes: Int64
        /// Every check that failed; empty when the generation is intact.
        public var failures: [Failure]

        /// Whether nothing failed.
        public var isIntact: Bool { failures.isEmpty }
    }

    /// One failed check.
    public struct Failure: Codable, Sendable, Hashable {
        /// The file, absolute.
        public var file: String
        /// The column, when a column failed.
        public var column: String?
        /// What failed, such as `RAW part checksum mismatch`.
        public var check: String

        init(_ error: SegmentError) {
            file = error.path
            column = error.column
            check = error.check
        }
    }

    /// Verifies the generation `CURRENT` names in `directory`.
    public static func run(directory: DataDirectory) throws -> Report {
        let store = GenerationStore(dataDirectory: directory)
        guard let number = try store.currentNumber() else {
            return Report(generation: nil, files: 0, bytes: 0, failures: [])
        }
        let generation: Generation
        do {
            generation = try store.open(number)
        } catch let error as SegmentError {
            // The structure is broken enough that the generation does not open: that is the finding.
            return Report(generation: number.rawValue, files: 0, bytes: 0, failures: [Failure(error)])
        }
        var failures = generation.verify().map(Failure.init)
        // The models' own consistency checks (indices within dictionaries, offsets within tables), as
        // the daemon runs them at load.
        for view in ModelViews.all where failures.isEmpty && generation.contains(model: view.model) {
            do {
                _ = try view.init(generation: generation)
            } catch let error as SegmentError {
                failures.append(Failure(error))
            }
        }
        let files = generation.manifest.files
        return Report(
            generation: number.rawValue,
            files: files.count,
            bytes: files.reduce(0) { $0 + $1.sizeBytes },
            failures: failures
        )
    }
}

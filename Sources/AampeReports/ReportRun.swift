public import AampeCore
public import AampeStore
import Foundation

/// The output formats of `aampectl report`.
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, csv, json, html
}

/// One report from the data directory to text: load, compute every kind asked for, render.
public enum ReportRun {
    /// What `aampectl report` and the nightly pipeline ask for.
    public struct Request: Sendable {
        public var kinds: [ReportKind]
        public var data: ReportData.Request
        public var generatedAt: Timestamp

        public init(kinds: [ReportKind], data: ReportData.Request, generatedAt: Timestamp) {
            self.kinds = kinds
            self.data = data
            self.generatedAt = generatedAt
        }
    }

    /// The document of `request`, and how long loading and computing took, in seconds.
    public static func document(
        _ request: Request,
        directory: DataDirectory,
        store: Store
    ) throws -> (document: ReportDocument, seconds: [(part: String, seconds: Double)]) {
        let data = try ReportData.load(request.data, directory: directory, store: store)
        let started = ContinuousClock.now
        let model = request.kinds.contains(.opportunities) ? try Reports.liveModel(directory: directory) : nil
        let document = Reports.document(request.kinds, data: data, model: model, generatedAt: request.generatedAt)
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return (document, data.loadSeconds + [("kinds", seconds)])
    }

    /// `document` in `format`.
    public static func render(_ document: ReportDocument, as format: ReportFormat) throws -> String {
        switch format {
        case .table: TableReportRenderer.render(document)
        case .csv: CSVReportRenderer.render(document)
        case .json: try JSONReportRenderer.render(document)
        case .html: HTMLReportRenderer.render(document)
        }
    }

    /// Writes `text` to `path` atomically (a temporary file renamed into place), so a reader of a
    /// scheduled report never sees half of one.
    public static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ReportError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }
}

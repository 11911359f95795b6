public import AampeCore
public import AampeLearning
import AampeSegments
import Foundation

/// The kinds `aampectl report KIND` makes.
public enum ReportKind: String, CaseIterable, Sendable, Codable {
    case activity, messages, conversions, lift, attribution, diversity, roi, opportunities
}

/// Builds report documents from loaded data.
public enum Reports {
    /// The sections of `kinds`, in the order given, from `data`; `model` (the live generation's, when
    /// there is one) feeds `opportunities`.
    public static func sections(_ kinds: [ReportKind], data: ReportData, model: ServedModel?) -> [ReportSection] {
        var lift: LiftReport.Result?
        func liftResult() -> LiftReport.Result {
            if let lift { return lift }
            let result = LiftReport.compute(data)
            lift = result
            return result
        }
        return kinds.map { kind in
            switch kind {
            case .activity: ActivityReport.section(data)
            case .messages: MessagesReport.section(data)
            case .conversions: ConversionsReport.section(data)
            case .lift: LiftReport.section(liftResult(), data: data)
            case .attribution: AttributionReport.section(data)
            case .diversity: DiversityReport.section(data)
            case .roi: ROIReport.section(liftResult(), data: data)
            case .opportunities: OpportunitiesReport.section(model: model, data: data)
            }
        }
    }

    /// A whole document.
    public static func document(
        _ kinds: [ReportKind],
        data: ReportData,
        model: ServedModel?,
        generatedAt: Timestamp
    ) -> ReportDocument {
        ReportDocument(
            title: kinds.count == 1 ? "aamped report: \(kinds[0].rawValue)" : "aamped report",
            generatedAt: generatedAt,
            period: data.period,
            campaign: data.campaign,
            sections: sections(kinds, data: data, model: model)
        )
    }

    /// The live generation's model, or `nil` when there is no generation or it has no model.
    public static func liveModel(directory: DataDirectory) throws -> ServedModel? {
        let generations = GenerationStore(dataDirectory: directory)
        guard let live = try generations.openCurrent(), live.contains(model: ModelFiles.model) else { return nil }
        return try ServedModel(generation: live)
    }
}

/// The 7 × 5 grid of the standard window layout, for heatmaps.
enum WeekGrid {
    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Column labels: each window's local start, `07:00` …
    static let windowLabels: [String] = {
        let layout = TimeWindowLayout.standard
        return (0..<layout.windowsPerDay).map { slot in
            let minute = layout.firstWindowStartMinute + slot * layout.windowLengthMinutes
            return String(format: "%02d:%02d", minute / 60, minute % 60)
        }
    }()

    /// `values` by window index as a weekday × slot grid.
    static func grid(_ values: [Double?]) -> [[Double?]] {
        let perDay = TimeWindowLayout.standard.windowsPerDay
        return (0..<7).map { day in (0..<perDay).map { slot in values[day * perDay + slot] } }
    }

    /// The label of window `index`: `Mon 07:00`.
    static func label(_ index: Int) -> String {
        let perDay = TimeWindowLayout.standard.windowsPerDay
        guard index >= 0, index < perDay * 7 else { return "window \(index)" }
        return weekdays[index / perDay] + " " + windowLabels[index % perDay]
    }
}

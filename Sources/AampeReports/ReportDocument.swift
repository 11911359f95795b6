public import AampeCore
import Foundation

/// A report as data: what every renderer (terminal table, CSV, JSON, HTML) draws from. A report kind
/// computes one ``ReportSection``; `report all` puts every kind's section in one document.
///
/// The JSON format is this type, encoded: it is the stable, machine-readable form of every report.
public struct ReportDocument: Codable, Sendable, Hashable {
    public var title: String
    /// When the report was computed (UTC, ISO 8601).
    public var generatedAt: String
    /// The period the report covers: `[from, to)`, UTC, ISO 8601.
    public var from: String
    public var to: String
    /// The campaign it is limited to; `nil` for all.
    public var campaign: String?
    public var sections: [ReportSection]

    public init(
        title: String,
        generatedAt: Timestamp,
        period: ReportPeriod,
        campaign: String?,
        sections: [ReportSection]
    ) {
        self.title = title
        self.generatedAt = generatedAt.description
        from = period.from.description
        to = period.to.description
        self.campaign = campaign
        self.sections = sections
    }
}

/// One report kind's result: its tables, its charts and the notes that say how to read them.
public struct ReportSection: Codable, Sendable, Hashable {
    /// The kind, as `aampectl report KIND` names it.
    public var kind: String
    public var title: String
    /// Sentences a reader needs: definitions, caveats, what was corrected for.
    public var notes: [String]
    public var tables: [ReportTable]
    public var charts: [ReportChart]

    public init(
        kind: String,
        title: String,
        notes: [String] = [],
        tables: [ReportTable] = [],
        charts: [ReportChart] = []
    ) {
        self.kind = kind
        self.title = title
        self.notes = notes
        self.tables = tables
        self.charts = charts
    }
}

/// A table: named columns and rows of values.
public struct ReportTable: Codable, Sendable, Hashable {
    /// A short identifier, unique within its section (`daily`, `by_label`); CSV blocks are named by it.
    public var name: String
    public var title: String
    public var columns: [String]
    public var rows: [[ReportValue]]

    public init(name: String, title: String, columns: [String], rows: [[ReportValue]] = []) {
        self.name = name
        self.title = title
        self.columns = columns
        self.rows = rows
    }
}

/// One cell: text, a count, a measured number, or nothing (not defined, such as a rate of zero users).
public enum ReportValue: Codable, Sendable, Hashable {
    case text(String)
    case integer(Int)
    case number(Double)
    case missing

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .missing
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let integer): try container.encode(integer)
        case .number(let number) where number.isFinite: try container.encode(number)
        case .number, .missing: try container.encodeNil()
        }
    }

    /// A number, or missing when it is not finite.
    public static func measured(_ value: Double?) -> ReportValue {
        guard let value, value.isFinite else { return .missing }
        return .number(value)
    }

    /// The value as a terminal or CSV cell: numbers with up to `digits` significant decimals.
    public func formatted(digits: Int = 4) -> String {
        switch self {
        case .text(let text): text
        case .integer(let integer): String(integer)
        case .number(let number): ReportNumberFormat.string(number, significant: digits)
        case .missing: ""
        }
    }
}

/// Numbers as reports print them.
public enum ReportNumberFormat {
    /// `value` with `significant` significant digits, at most 6 decimals, without exponent notation for
    /// the magnitudes reports hold.
    public static func string(_ value: Double, significant: Int = 4) -> String {
        guard value.isFinite else { return "" }
        if value == 0 { return "0" }
        let magnitude = Int(log10(abs(value)).rounded(.down))
        let decimals = max(0, min(6, significant - 1 - magnitude))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}

/// A chart: each case carries what it draws, so every renderer reads the same numbers.
public enum ReportChart: Codable, Sendable, Hashable {
    /// A grid of cells shaded by value: the 7 × 5 timing heatmap, the opportunity matrix.
    case heatmap(Heatmap)
    /// An estimate over time with its interval bands: lift over time.
    case band(Band)
    /// Estimates with intervals, one bar per label: conversions per label.
    case intervals(Intervals)
    /// Histograms, one per series: score distributions per label.
    case distributions(Distributions)

    public var id: String {
        switch self {
        case .heatmap(let chart): chart.id
        case .band(let chart): chart.id
        case .intervals(let chart): chart.id
        case .distributions(let chart): chart.id
        }
    }

    public var title: String {
        switch self {
        case .heatmap(let chart): chart.title
        case .band(let chart): chart.title
        case .intervals(let chart): chart.title
        case .distributions(let chart): chart.title
        }
    }

    public struct Heatmap: Codable, Sendable, Hashable {
        public var id: String
        public var title: String
        public var rowLabels: [String]
        public var columnLabels: [String]
        /// `values[row][column]`; `nil` where a cell has no data.
        public var values: [[Double?]]
        /// What a cell's value is (`sends`, `goal rate`).
        public var valueLabel: String

        public init(
            id: String,
            title: String,
            rowLabels: [String],
            columnLabels: [String],
            values: [[Double?]],
            valueLabel: String
        ) {
            self.id = id
            self.title = title
            self.rowLabels = rowLabels
            self.columnLabels = columnLabels
            self.values = values
            self.valueLabel = valueLabel
        }
    }

    public struct Band: Codable, Sendable, Hashable {
        public var id: String
        public var title: String
        /// One label per point (a date).
        public var xLabels: [String]
        public var estimate: [Double?]
        /// The fixed-horizon 95 % interval at each point.
        public var lower: [Double?]
        public var upper: [Double?]
        /// The always-valid 95 % interval at each point (wider; honest under daily peeking).
        public var alwaysValidLower: [Double?]
        public var alwaysValidUpper: [Double?]
        public var yLabel: String

        public init(
            id: String,
            title: String,
            xLabels: [String],
            estimate: [Double?],
            lower: [Double?],
            upper: [Double?],
            alwaysValidLower: [Double?],
            alwaysValidUpper: [Double?],
            yLabel: String
        ) {
            self.id = id
            self.title = title
            self.xLabels = xLabels
            self.estimate = estimate
            self.lower = lower
            self.upper = upper
            self.alwaysValidLower = alwaysValidLower
            self.alwaysValidUpper = alwaysValidUpper
            self.yLabel = yLabel
        }
    }

    public struct Intervals: Codable, Sendable, Hashable {
        public var id: String
        public var title: String
        public var labels: [String]
        public var estimate: [Double]
        public var lower: [Double]
        public var upper: [Double]
        public var valueLabel: String

        public init(
            id: String,
            title: String,
            labels: [String],
            estimate: [Double],
            lower: [Double],
            upper: [Double],
            valueLabel: String
        ) {
            self.id = id
            self.title = title
            self.labels = labels
            self.estimate = estimate
            self.lower = lower
            self.upper = upper
            self.valueLabel = valueLabel
        }
    }

    public struct Distributions: Codable, Sendable, Hashable {
        public var id: String
        public var title: String
        /// Shared bin edges: `binEdges.count == counts[i].count + 1`.
        public var binEdges: [Double]
        public var seriesLabels: [String]
        public var counts: [[Int]]
        public var valueLabel: String

        public init(
            id: String,
            title: String,
            binEdges: [Double],
            seriesLabels: [String],
            counts: [[Int]],
            valueLabel: String
        ) {
            self.id = id
            self.title = title
            self.binEdges = binEdges
            self.seriesLabels = seriesLabels
            self.counts = counts
            self.valueLabel = valueLabel
        }
    }

    private enum CodingKeys: String, CodingKey { case type, chart }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "heatmap": self = .heatmap(try container.decode(Heatmap.self, forKey: .chart))
        case "band": self = .band(try container.decode(Band.self, forKey: .chart))
        case "intervals": self = .intervals(try container.decode(Intervals.self, forKey: .chart))
        case "distributions": self = .distributions(try container.decode(Distributions.self, forKey: .chart))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type,
                in: container,
                debugDescription: "unknown chart type \(other)"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .heatmap(let chart):
            try container.encode("heatmap", forKey: .type)
            try container.encode(chart, forKey: .chart)
        case .band(let chart):
            try container.encode("band", forKey: .type)
            try container.encode(chart, forKey: .chart)
        case .intervals(let chart):
            try container.encode("intervals", forKey: .type)
            try container.encode(chart, forKey: .chart)
        case .distributions(let chart):
            try container.encode("distributions", forKey: .type)
            try container.encode(chart, forKey: .chart)
        }
    }
}

import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

/// A generated world read back from its files, the way any outside tool would see it.
final class SimulatedWorld: @unchecked Sendable {
    // @unchecked: immutable after init.
    let folder: TemporaryFolder
    let summary: SimulationSummary

    init(_ configure: (inout WorldSettings) -> Void, threads: Int = 2) throws {
        folder = try TemporaryFolder(prefix: "aampe-sim-test")
        var settings = WorldSettings()
        configure(&settings)
        summary = try Simulator(settings: settings, threads: threads).generate(into: folder.path + "/world")
    }

    var path: String { folder.path + "/world" }

    /// Rows of a CSV file written by the simulator (no quoted fields), as dictionaries by header name.
    func table(_ relativePath: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: path + "/" + relativePath, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            var row: [String: String] = [:]
            for (index, name) in header.enumerated() where index < fields.count { row[name] = String(fields[index]) }
            return row
        }
    }

    /// Raw lines of every dump, by file name, in the order written.
    func dumpLines() throws -> [(file: String, lines: [Substring])] {
        try summary.files.map { file in
            let text = try String(contentsOfFile: path + "/" + file, encoding: .utf8)
            return (file, text.split(separator: "\n", omittingEmptySubsequences: true))
        }
    }
}

/// One event read from a CSV dump.
struct DumpEvent {
    var key: Substring
    var timestamp: Substring
    var user: Substring
    var name: Substring
    var item: Substring

    /// A row of `event_id,timestamp,user_id,event,item_id,value`, or nil for a malformed line.
    init?(csvLine line: Substring) {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 6 else { return nil }
        key = fields[0]
        timestamp = fields[1]
        user = fields[2]
        name = fields[3]
        item = fields[4]
    }

    /// UTC seconds of `2026-10-01T08:12:33.120Z`.
    var utcSeconds: Int {
        let digits = Array(timestamp.utf8)
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(digits[$1] - 48) } }
        let day = CivilDate.epochDay(year: number(0..<4), month: number(5..<7), day: number(8..<10))
        return day * 86_400 + number(11..<13) * 3_600 + number(14..<16) * 60 + number(17..<19)
    }

    /// `YYYY-MM-DD` of the timestamp.
    var date: Substring { timestamp.prefix(10) }
}

extension SimulatedWorld {
    /// A CSV file the simulator wrote (no quoted fields), read by header name.
    struct Table {
        var path: String

        func rows() throws -> [[String: String]] {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return lines.map { line in
                var row: [String: String] = [:]
                for (name, field) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) {
                    row[name] = String(field)
                }
                return row
            }
        }
    }
}

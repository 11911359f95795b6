import AampeCore

/// A small CSV file with a header line, read whole: the input of `aampectl eval ope` and
/// `aampectl eval policy`.
///
/// ```
/// row_id,action,reward,propensity      <- line 1: the header names every column
/// r0,a3,0,0.294                        <- line 2: the first row
/// ```
///
/// Fields are separated by commas. A field may be quoted with `"` (RFC 4180), with `""` for a quote
/// inside, so that an action name may hold a comma; a quoted field may not span lines. Lines end with
/// `\n` (a `\r` before it is dropped), and the last line may lack its `\n`. A UTF-8 byte-order mark
/// before the header is skipped. Every row must have as many
/// fields as the header; a blank line, a header without columns, or a repeated column name is an error
/// naming the file and the line. The first bad line stops the read: an evaluation on a silently shortened
/// file would report numbers for data nobody chose.
public struct EvaluationTable: Sendable {
    /// The file the table came from, as given; errors name it.
    public let path: String
    /// The column names, in file order.
    public let header: [String]
    /// The rows' fields, in file order.
    public let rows: [[String]]
    /// The 1-based file line of each row (the header is line 1).
    public let lines: [Int]

    /// Reads the file at `path`, at most `Limits.maximumOffPolicyFileBytes`.
    public init(contentsOf path: String) throws(LearningError) {
        let bytes = try RatingsFile.readWholeFile(path, maximumBytes: Limits.maximumOffPolicyFileBytes)
        try self.init(parsing: bytes, path: path)
    }

    /// Parses `bytes` already in memory; `path` only names the input in errors.
    public init(parsing bytes: [UInt8], path: String) throws(LearningError) {
        self.path = path
        var records: [[String]] = []
        var lines: [Int] = []
        // A spreadsheet's "CSV UTF-8" export starts with a byte-order mark, which would otherwise become
        // part of the first column's name.
        var lineStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lineNumber = 0
        while lineStart < bytes.count {
            lineNumber += 1
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[lineStart..<newline]
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            guard !line.isEmpty else {
                throw LearningError.malformedTable(path: path, line: lineNumber, field: nil, problem: "is blank")
            }
            guard let fields = Self.fields(line) else {
                throw LearningError.malformedTable(
                    path: path,
                    line: lineNumber,
                    field: nil,
                    problem: "has a quote that does not close on its line, or text after a closing quote"
                )
            }
            records.append(fields)
            lines.append(lineNumber)
            lineStart = newline + 1
        }
        guard let header = records.first else {
            throw LearningError.malformedTable(
                path: path,
                line: 1,
                field: nil,
                problem: "is missing: the file is empty"
            )
        }
        var seen = Set<String>()
        for name in header {
            guard !name.isEmpty else {
                throw LearningError.malformedTable(path: path, line: 1, field: nil, problem: "has an unnamed column")
            }
            guard seen.insert(name).inserted else {
                throw LearningError.malformedTable(path: path, line: 1, field: name, problem: "is named twice")
            }
        }
        for (record, line) in zip(records.dropFirst(), lines.dropFirst()) where record.count != header.count {
            throw LearningError.malformedTable(
                path: path,
                line: line,
                field: nil,
                problem: "has \(record.count) fields; the header has \(header.count)"
            )
        }
        self.header = header
        self.rows = Array(records.dropFirst())
        self.lines = Array(lines.dropFirst())
    }

    /// The index of the column named `name`, if there is one.
    public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// The index of the column named `name`; throws naming the header line when there is none.
    public func requiredColumn(_ name: String, purpose: String) throws(LearningError) -> Int {
        guard let index = column(name) else {
            throw LearningError.malformedTable(
                path: path,
                line: 1,
                field: nil,
                problem: "has no column \(name) (\(purpose))"
            )
        }
        return index
    }

    /// Field `column` of row `row` as a number; throws naming the line and column when it is not one.
    /// `nan` and `inf` read as numbers here, so that the check that follows names what is wrong with them.
    public func number(row: Int, column: Int) throws(LearningError) -> Double {
        let text = rows[row][column].trimmingASCIISpaces()
        guard !text.isEmpty, text.utf8.count <= 64, let value = Double(text) else {
            throw malformed(row: row, column: column, problem: text.isEmpty ? "is empty" : "is not a number")
        }
        return value
    }

    /// The error for field `column` of row `row`.
    public func malformed(row: Int, column: Int?, problem: String) -> LearningError {
        LearningError.malformedTable(path: path, line: lines[row], field: column.map { header[$0] }, problem: problem)
    }

    /// The fields of one line, or `nil` when its quoting is broken.
    private static func fields(_ line: ArraySlice<UInt8>) -> [String]? {
        var fields: [String] = []
        var index = line.startIndex
        while true {
            var field: [UInt8] = []
            if index < line.endIndex, line[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < line.endIndex {
                    if line[index] == UInt8(ascii: "\"") {
                        if index + 1 < line.endIndex, line[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    field.append(line[index])
                    index += 1
                }
                guard closed, index == line.endIndex || line[index] == UInt8(ascii: ",") else { return nil }
            } else {
                let end = line[index...].firstIndex(of: UInt8(ascii: ",")) ?? line.endIndex
                field.append(contentsOf: line[index..<end])
                index = end
            }
            fields.append(String(decoding: field, as: UTF8.self))
            if index == line.endIndex { return fields }
            index += 1  // the comma
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIISpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

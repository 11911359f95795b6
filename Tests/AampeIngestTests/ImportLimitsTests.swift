import AampeCompression
import AampeCore
import AampeEvents
import AampeIngest
import AampeTestSupport
import Foundation
import Testing

/// Every import limit at its value and one past it.
@Suite("import limits at the edge")
struct ImportLimitsTests {
    /// Writes `lines` (each without its line break) as a CSV with the canonical header.
    static func csv(_ harness: ImportHarness, _ rows: [String], name: String = "edge.csv") throws -> String {
        let path = harness.folder.child(name)
        try ("user_id,event,timestamp,item_id\n" + rows.map { $0 + "\n" }.joined()).write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        return path
    }

    @Test("an event name of 128 bytes is accepted, 129 is event_name_too_long")
    func eventName() throws {
        let harness = try ImportHarness()
        let ok = String(repeating: "e", count: Limits.maximumEventNameBytes)
        let path = try Self.csv(harness, ["u1,\(ok),1793534400,i1", "u1,\(ok)x,1793534401,i1"])
        let summary = try harness.importEvents([path])
        #expect(summary.totals.accepted == 1)
        #expect(summary.totals.rejectedByReason == ["event_name_too_long": 1])
    }

    @Test("user and item ids of 1,024 bytes are accepted, 1,025 are id_too_long")
    func idLength() throws {
        let harness = try ImportHarness()
        let ok = String(repeating: "u", count: Limits.maximumExternalIDBytes)
        let path = try Self.csv(
            harness,
            [
                "\(ok),open,1793534400,i1", "\(ok)u,open,1793534401,i1",
                "u1,open,1793534402,\(ok)", "u1,open,1793534403,\(ok)i",
            ]
        )
        let summary = try harness.importEvents([path])
        #expect(summary.totals.accepted == 2)
        #expect(summary.totals.rejectedByReason == ["id_too_long": 2])
    }

    @Test("a record of exactly 1 MiB is read, one byte more is line_too_long, and the next row is still read")
    func recordLength() throws {
        let harness = try ImportHarness()
        let prefix = "u1,open,1793534400,i1,"
        // The record's bytes include its line break.
        let fill = Limits.maximumImportRecordBytes - prefix.utf8.count - 1
        let path = try Self.csv(
            harness,
            [
                prefix + String(repeating: "p", count: fill),
                "u2,open,1793534401,i2," + String(repeating: "p", count: fill + 1),
                "u3,open,1793534402,i3,p",
            ],
            name: "long.csv"
        )
        // A fifth column, so the long rows carry their bulk as a property.
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "item_id\n",
            with: "item_id,note\n"
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try harness.importEvents([path])
        #expect(summary.totals.rowsRead == 3)
        #expect(summary.totals.accepted == 2)
        #expect(summary.totals.rejectedByReason == ["line_too_long": 1])
        #expect(try harness.quarantine(of: summary).map(\.line) == [3])
        // The row after the oversized one is stored.
        #expect(try harness.storedEvents().map(\.userID) == ["u1", "u3"])
    }

    /// Found by tools/fuzz-parsers csv: the scanner let a record have one field more than the limit.
    @Test("a header and a row of 4,096 fields are read; a header of 4,097 fields is refused")
    func fieldCount() throws {
        let harness = try ImportHarness()
        func columns(_ count: Int) -> String {
            (["user_id", "event", "timestamp", "item_id"] + (4..<count).map { "c\($0)" }).joined(separator: ",")
        }
        let row = "u1,open,1793534400,i1" + String(repeating: ",x", count: Limits.maximumImportFields - 4)
        let ok = harness.folder.child("fields-ok.csv")
        try (columns(Limits.maximumImportFields) + "\n" + row + "\n").write(
            toFile: ok,
            atomically: true,
            encoding: .utf8
        )
        let accepted = try harness.importEvents([ok])
        #expect(accepted.totals.accepted == 1)
        #expect(accepted.files.first?.error == nil)

        let tooMany = harness.folder.child("fields-too-many.csv")
        try (columns(Limits.maximumImportFields + 1) + "\n" + row + ",x\n").write(
            toFile: tooMany,
            atomically: true,
            encoding: .utf8
        )
        let refused = try harness.importEvents([tooMany])
        #expect(refused.totals.accepted == 0)
        #expect(refused.files.first?.error != nil)
    }

    /// Found by tools/fuzz-parsers csv: a malformed record with no line break within twice the record
    /// limit was dropped only up to the end of the reader's window, and the rest of its line was read as
    /// new records.
    @Test(
        "a quoted field followed by text on a 3 MiB line is line_too_long, skipped to its end, and the next row is read"
    )
    func malformedLongLine() throws {
        let harness = try ImportHarness()
        let path = harness.folder.child("long-malformed.csv")
        let long = "u1,open,1793534400,i1,\"a\"x" + String(repeating: "p", count: 3 * Limits.maximumImportRecordBytes)
        try ("user_id,event,timestamp,item_id,note\n" + long + "\nu2,open,1793534401,i2,ok\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try harness.importEvents([path])
        #expect(summary.totals.rowsRead == 2)
        #expect(summary.totals.accepted == 1)
        #expect(summary.totals.rejectedByReason == ["line_too_long": 1])
        #expect(try harness.quarantine(of: summary).map(\.line) == [2])
        #expect(try harness.storedEvents().map(\.userID) == ["u2"])
    }

    @Test("1,024 event names are accepted; the 1,025th name is too_many_event_types, known names still pass")
    func eventTypes() throws {
        let harness = try ImportHarness()
        var rows = (0..<Limits.maximumEventTypes).map { "u1,e\($0),\(1_793_534_400 + $0),i1" }
        rows.append("u1,one_too_many,1793540000,i1")
        rows.append("u1,e0,1793540001,i1")
        let summary = try harness.importEvents([try Self.csv(harness, rows)])
        #expect(summary.totals.accepted == Int64(Limits.maximumEventTypes) + 1)
        #expect(summary.totals.rejectedByReason == ["too_many_event_types": 1])
        #expect(summary.totals.newEventTypes == Int64(Limits.maximumEventTypes))
    }

    @Test("JSON nested 64 levels deep is read; 65 levels is malformed_json")
    func jsonDepth() throws {
        let harness = try ImportHarness()
        func nested(_ depth: Int) -> String {
            // The record itself is one level; `properties` and its inner objects make up the rest.
            String(repeating: "{\"a\":", count: depth - 1) + "1" + String(repeating: "}", count: depth - 1)
        }
        let lines = [
            "{\"user_id\":\"u1\",\"event\":\"open\",\"timestamp\":1793534400,\"properties\":\(nested(64))}",
            "{\"user_id\":\"u1\",\"event\":\"open\",\"timestamp\":1793534401,\"properties\":\(nested(65))}",
        ]
        let path = harness.folder.child("deep.jsonl")
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try harness.importEvents([path])
        #expect(summary.totals.accepted == 1)
        #expect(summary.totals.rejectedByReason == ["malformed_json": 1])
    }

    @Test(
        "timestamps: 2000-01-01T00:00:00Z is accepted and one microsecond earlier is too old; now + tolerance is accepted and one second later is in the future"
    )
    func timestampRange() throws {
        let harness = try ImportHarness()
        let tolerance: Int64 = 3_600
        let limit = fixtureNow.secondsSinceEpoch + tolerance
        let path = try Self.csv(
            harness,
            [
                "u1,open,2000-01-01T00:00:00Z,i1", "u1,open,1999-12-31T23:59:59.999999Z,i1",
                "u1,open,\(limit),i1", "u1,open,\(limit + 1),i1",
            ]
        )
        let summary = try harness.importEvents([path], format: .auto) { $0.futureToleranceSeconds = tolerance }
        #expect(summary.totals.accepted == 2)
        #expect(summary.totals.rejectedByReason == ["timestamp_too_old": 1, "timestamp_in_future": 1])
    }
}

/// Files far larger than the reader's 4 MiB window, so records straddle every refill.
@Suite("large inputs")
struct LargeInputTests {
    /// A CSV of `rows` events whose `note` column is quoted and holds a comma, a doubled quote and a
    /// line break, so the scanner must carry quoted state across refills.
    static func bigCSV(rows: Int) -> [UInt8] {
        var text = "user_id,event,timestamp,item_id,value,note\n"
        text.reserveCapacity(rows * 80)
        for row in 0..<rows {
            text +=
                "u\(row % 997),view,\(1_793_534_400 + row),i\(row % 101),\(row % 50).5,\"n\(row), \"\"q\"\"\nend\"\n"
        }
        return Array(text.utf8)
    }

    @Test("a 10 MB CSV with multi-line quoted fields: every row is stored, with its line number in order")
    func plainFile() throws {
        let harness = try ImportHarness()
        let rows = 150_000
        let bytes = Self.bigCSV(rows: rows)
        #expect(bytes.count > 3 * 4 * 1024 * 1024 / 2)
        let path = harness.folder.child("big.csv")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let summary = try harness.importEvents([path])
        #expect(summary.totals.rowsRead == Int64(rows))
        #expect(summary.totals.accepted == Int64(rows))
        #expect(summary.totals.rejected == 0)
        let stored = try harness.storedEvents()
        #expect(stored.count == rows)
        // Spot-check rows all over the file, including where refills fall.
        var byTimestamp: [Int64: StoredEvent] = [:]
        for event in stored { byTimestamp[event.timestamp.secondsSinceEpoch] = event }
        for row in stride(from: 0, to: rows, by: 4_999) {
            let event = try #require(byTimestamp[1_793_534_400 + Int64(row)])
            #expect(event.userID == "u\(row % 997)")
            #expect(event.itemID == "i\(row % 101)")
            #expect(event.value == Double(row % 50) + 0.5)
            #expect(try properties(event)["note"] as? String == "n\(row), \"q\"\nend")
        }
    }

    @Test("the same CSV compressed with zstd stores the same events")
    func compressedFile() throws {
        let harness = try ImportHarness()
        let bytes = Self.bigCSV(rows: 150_000)
        let plain = harness.folder.child("big.csv")
        try Data(bytes).write(to: URL(fileURLWithPath: plain))
        let compressedPath = harness.folder.child("big.csv.zst")
        try Data(try Zstd.compress(bytes)).write(to: URL(fileURLWithPath: compressedPath))
        let compressed = try harness.importEvents([compressedPath])
        #expect(compressed.totals.accepted == 150_000)
        let again = try harness.importEvents([plain])
        #expect(again.totals.accepted == 0)
        #expect(again.totals.duplicates == 150_000)
    }

    @Test("a truncated .zst file: the rows before the damage are committed and the file reports the error")
    func truncatedCompressedFile() throws {
        let harness = try ImportHarness()
        let compressed = try Zstd.compress(Self.bigCSV(rows: 20_000))
        let path = harness.folder.child("cut.csv.zst")
        try Data(compressed.prefix(compressed.count / 2)).write(to: URL(fileURLWithPath: path))
        let summary = try harness.importEvents([path])
        let file = try #require(summary.files.first)
        #expect(file.error?.contains("cut.csv.zst") == true)
        #expect(file.accepted > 0 && file.accepted < 20_000)
        #expect(try harness.storedEvents().count == Int(file.accepted))
    }
}

import AampeCore
import AampeSegments
import AampeTestSupport
import Foundation
import Testing

@Suite("aampectl status and generations")
struct StatusGenerationTests {
    @Test("status shows the current generation and the segment files it holds")
    func showsGeneration() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        let store = GenerationStore(dataDirectory: DataDirectory(path: data))
        for _ in 0..<2 {
            let builder = try store.begin()
            let writer = try SegmentWriter(
                path: builder.path(of: GenerationFile(model: "test", name: "items.seg")),
                kind: .items
            )
            try writer.writeDictionaryColumn("item_id", keys: ["a", "b", "c"])
            try writer.writeColumn("popularity", codec: .zstd, values: [Float(3), 2, 1])
            try writer.finish()
            try builder.publish()
        }

        let result = try Aampectl.run(["status", "--data-dir", data, "--json"])
        #expect(result.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        )
        let generation = try #require(object["currentGeneration"] as? [String: Any])
        #expect(generation["number"] as? Int == 2)
        #expect(generation["retained"] as? [Int] == [1, 2])
        let segments = try #require(generation["segments"] as? [[String: Any]])
        #expect(segments.count == 1)
        #expect(segments.first?["file"] as? String == "test/items.seg")
        #expect(segments.first?["kind"] as? String == "items")
        let columns = try #require(segments.first?["columns"] as? [[String: Any]])
        #expect(columns.map { $0["name"] as? String } == ["item_id", "popularity"])
        #expect(columns.map { $0["codec"] as? String } == ["RAW", "ZSTD"])
        #expect(columns.map { $0["rows"] as? Int } == [3, 3])

        let table = try Aampectl.run(["status", "--data-dir", data]).standardOutput
        #expect(table.contains("current generation    2 (1 segment files"))
        #expect(table.contains("items.seg"))
    }

    @Test("status refuses a current generation whose segment file is damaged, naming the file")
    func damagedGeneration() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        let store = GenerationStore(dataDirectory: DataDirectory(path: data))
        let builder = try store.begin()
        let writer = try SegmentWriter(
            path: builder.path(of: GenerationFile(model: "test", name: "items.seg")),
            kind: .items
        )
        try writer.writeColumn("x", values: [UInt32(1)])
        try writer.finish()
        try builder.publish()
        let file = data + "/generations/1/test/items.seg"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[3] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: file))
        let result = try Aampectl.run(["status", "--data-dir", data])
        #expect(result.status != 0)
        #expect(result.standardError.contains("\(file): header magic is wrong"))
    }

    @Test(
        "status --verify: exit 3 without a generation, 0 when intact, 1 naming file, column and check after a flipped byte"
    )
    func verify() throws {
        let folder = try TemporaryFolder()
        let data = folder.child("data")
        #expect(try Aampectl.run(["init", "--data-dir", data]).status == 0)
        let none = try Aampectl.run(["status", "--verify", "--data-dir", data])
        #expect(none.status == 3 && none.standardOutput.contains("no generation is published"))

        let store = GenerationStore(dataDirectory: DataDirectory(path: data))
        let builder = try store.begin()
        let file = GenerationFile(model: "test", name: "items.seg")
        let writer = try SegmentWriter(path: builder.path(of: file), kind: .items)
        try writer.writeColumn("popularity", values: [Float(3), 2, 1])
        try writer.finish()
        try builder.publish()
        let intact = try Aampectl.run(["status", "--verify", "--data-dir", data])
        #expect(intact.status == 0 && intact.standardOutput.contains("generation 1: intact (1 files"))

        // One byte of the column's data flipped: the file still opens (only the header, directory and
        // trailer are checked at open), so plain status reports the generation.
        let path = data + "/generations/1/test/items.seg"
        // The format puts the first column part right after the 64-byte header (segment-format.md).
        let offset = 64
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try Aampectl.run(["status", "--data-dir", data]).status == 0)
        let damaged = try Aampectl.run(["status", "--verify", "--data-dir", data])
        #expect(damaged.status == 1)
        #expect(damaged.standardOutput.contains("generation 1: DAMAGED"))
        #expect(damaged.standardOutput.contains("\(path): column 'popularity': "))
        #expect(damaged.standardOutput.contains("checksum mismatch"))
        let json = try Aampectl.run(["status", "--verify", "--json", "--data-dir", data])
        #expect(json.status == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        )
        let failures = try #require(object["failures"] as? [[String: Any]])
        #expect(failures.contains { $0["file"] as? String == path && $0["column"] as? String == "popularity" })
    }
}

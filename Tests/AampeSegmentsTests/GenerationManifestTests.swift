import AampeCore
import AampeTestSupport
import Foundation
import Testing

@testable import AampeSegments

/// Per-model folders, the manifest, carry-over and verification.
@Suite("Generations: models, manifest, carry-over, verification")
struct GenerationManifestTests {
    static let items = GenerationFile(model: "alpha", name: "items.seg")
    static let side = GenerationFile(model: "alpha", name: "alpha.json")
    static let users = GenerationFile(model: "beta", name: "users.seg")

    /// Publishes a generation in which `model` is written afresh (a column holding `value`), with the
    /// live generation's other models carried over.
    @discardableResult
    static func publish(_ store: GenerationStore, model: String, value: UInt32) throws -> GenerationNumber {
        let builder = try store.begin()
        let file = model == "alpha" ? items : users
        let writer = try SegmentWriter(path: try builder.path(of: file), kind: .generic)
        try writer.writeColumn("value", values: [value, value, value])
        try writer.finish()
        if model == "alpha" {
            try Data("{\"value\": \(value)}".utf8).write(to: URL(fileURLWithPath: try builder.path(of: side)))
        }
        if let live = try store.openCurrent() { try builder.carryOver(from: live, replacing: [model]) }
        return try builder.publish()
    }

    static func value(_ generation: Generation, _ file: GenerationFile) throws -> UInt32 {
        try generation.segment(file).scalarColumn("value", as: UInt32.self).value(at: 0)
    }

    @Test("the manifest lists each model's files with sizes and CRC-32C, and who trained each model")
    func manifest() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        try Self.publish(store, model: "alpha", value: 1)
        try Self.publish(store, model: "beta", value: 2)
        let generation = try #require(try store.openCurrent())
        #expect(generation.number.rawValue == 2)
        #expect(generation.manifest.models.map(\.name) == ["alpha", "beta"])
        #expect(generation.manifest.model("alpha")?.trainedInGeneration == 1)
        #expect(generation.manifest.model("beta")?.trainedInGeneration == 2)
        let alpha = try #require(generation.manifest.model("alpha"))
        #expect(alpha.files.map(\.path) == ["alpha/alpha.json", "alpha/items.seg"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: generation.path(of: Self.side)))
        let json = try #require(alpha.files.first)
        #expect(json.sizeBytes == Int64(bytes.count))
        #expect(json.crc32c == CRC32C.checksum(Array(bytes)))
        #expect(try Self.value(generation, Self.items) == 1 && Self.value(generation, Self.users) == 2)
        #expect(generation.verify().isEmpty)
    }

    @Test("retraining one model replaces it and carries the other over, linked, not copied")
    func carryOver() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        try Self.publish(store, model: "alpha", value: 1)
        try Self.publish(store, model: "beta", value: 2)
        try Self.publish(store, model: "alpha", value: 3)
        let generation = try #require(try store.openCurrent())
        #expect(try Self.value(generation, Self.items) == 3)
        #expect(try Self.value(generation, Self.users) == 2)
        #expect(generation.manifest.model("beta")?.trainedInGeneration == 2)
        var before = stat()
        var after = stat()
        #expect(stat(folder.child("generations/2/beta/users.seg"), &before) == 0)
        #expect(stat(generation.path(of: Self.users), &after) == 0)
        #expect(before.st_ino == after.st_ino)
    }

    @Test("a file outside a model folder is refused at publish")
    func fileOutsideModel() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        let builder = try store.begin()
        try Data("x".utf8).write(to: URL(fileURLWithPath: builder.temporaryPath + "/stray.seg"))
        let error = try #require(throws: SegmentError.self) { try builder.publish() }
        #expect(error.path.hasSuffix("stray.seg") && error.check.contains("model folder"))
        try builder.discard()
    }

    @Test("a generation without a manifest, or with a file of another size, does not open")
    func refusedAtOpen() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        let number = try Self.publish(store, model: "alpha", value: 1)
        let generationPath = folder.child("generations/\(number)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: generationPath + "/alpha/alpha.json"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        let sized = try #require(throws: SegmentError.self) { try store.open(number) }
        #expect(sized.path.hasSuffix("alpha/alpha.json") && sized.check.contains("where the manifest lists"))
        try FileManager.default.removeItem(atPath: generationPath + "/manifest.json")
        let missing = try #require(throws: SegmentError.self) { try store.open(number) }
        #expect(missing.path.hasSuffix("manifest.json") && missing.check.contains("no manifest"))
    }

    @Test("verify names the file and column of a flipped byte, a changed side file, and an unlisted file")
    func verification() throws {
        let folder = try TemporaryFolder()
        let store = GenerationStore(folder: folder.child("generations"))
        let number = try Self.publish(store, model: "alpha", value: 7)
        let generation = try store.open(number)
        #expect(generation.verify().isEmpty)
        let reader = try generation.segment(Self.items)
        let part = try reader.descriptor(named: "value").parts[0]
        // Flip a byte inside the `value` column's data: the file opens (only the directory is checked
        // at open), and verify finds it.
        let path = generation.path(of: Self.items)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[Int(part.offset)] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        var side = try Data(contentsOf: URL(fileURLWithPath: generation.path(of: Self.side)))
        side[0] = UInt8(ascii: "[")
        try side.write(to: URL(fileURLWithPath: generation.path(of: Self.side)))
        try Data().write(to: URL(fileURLWithPath: generation.path + "/alpha/extra.bin"))

        let failures = try store.open(number).verify()
        #expect(failures.contains { $0.path == path && $0.column == "value" && $0.check.contains("checksum") })
        #expect(failures.contains { $0.path == path && $0.column == nil && $0.check.contains("whole file") })
        #expect(failures.contains { $0.path.hasSuffix("alpha/alpha.json") && $0.check.contains("whole file") })
        #expect(failures.contains { $0.path.hasSuffix("alpha/extra.bin") && $0.check.contains("not listed") })
        #expect(failures.count == 4)
    }

    @Test("the manifest's size limit holds at its edge")
    func manifestLimit() throws {
        let folder = try TemporaryFolder()
        let path = folder.child("manifest.json")
        let limit = Limits.maximumGenerationManifestBytes
        // A valid manifest padded with whitespace to exactly the limit reads; one byte more does not.
        let body = #"{"format_version":1,"generation":1,"published_at":"x","models":[]}"#
        try Data((body + String(repeating: " ", count: limit - body.utf8.count)).utf8).write(
            to: URL(fileURLWithPath: path)
        )
        #expect(try GenerationManifest.read(folder: folder.path).generation == 1)
        try Data((body + String(repeating: " ", count: limit - body.utf8.count + 1)).utf8).write(
            to: URL(fileURLWithPath: path)
        )
        let error = try #require(throws: SegmentError.self) { try GenerationManifest.read(folder: folder.path) }
        #expect(error.check.contains("manifest size"))
    }
}

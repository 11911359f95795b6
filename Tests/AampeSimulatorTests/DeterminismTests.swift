import AampeTestSupport
import Crypto
import Foundation
import Testing

@testable import AampeSimulator

/// The same settings and seed give byte-identical files, whatever the number of threads.
@Suite("Simulator determinism")
struct DeterminismTests {
    /// SHA-256 of every file under `folder`, by relative path.
    static func digests(_ folder: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: folder))
        while let relative = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isFolder),
                !isFolder.boolValue
            else {
                continue
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))
            result[relative] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        return result
    }

    static func settings(_ format: WorldSettings.DumpFormat, compressed: Bool, seed: UInt64 = 7) -> WorldSettings {
        var settings = WorldSettings()
        settings.users = 5_000  // three shards, the last one partial
        settings.items = 150
        settings.days = 5
        settings.seed = seed
        settings.format = format
        settings.isCompressed = compressed
        return settings
    }

    @Test(
        "two runs with one seed write identical files; one thread and two threads agree",
        arguments: [(WorldSettings.DumpFormat.segment, false), (.csv, true), (.mixpanel, false), (.amplitude, true)]
    )
    func sameSeedSameBytes(format: WorldSettings.DumpFormat, compressed: Bool) throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-determinism")
        let settings = Self.settings(format, compressed: compressed)
        _ = try Simulator(settings: settings, threads: 2).generate(into: folder.child("a"))
        _ = try Simulator(settings: settings, threads: 2).generate(into: folder.child("b"))
        _ = try Simulator(settings: settings, threads: 1).generate(into: folder.child("c"))
        let a = try Self.digests(folder.child("a"))
        #expect(a.count == 5 + 2 + 5 + 1, "5 dumps, users, catalog, 5 truth files, summary")
        #expect(a.keys.contains("events/2026-10-01.\(format == .csv ? "csv" : "jsonl")\(compressed ? ".zst" : "")"))
        #expect(try Self.digests(folder.child("b")) == a)
        #expect(try Self.digests(folder.child("c")) == a)
    }

    @Test("another seed gives another world")
    func otherSeedOtherBytes() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-determinism")
        _ = try Simulator(settings: Self.settings(.segment, compressed: false, seed: 1)).generate(
            into: folder.child("a")
        )
        _ = try Simulator(settings: Self.settings(.segment, compressed: false, seed: 2)).generate(
            into: folder.child("b")
        )
        let a = try Self.digests(folder.child("a"))
        let b = try Self.digests(folder.child("b"))
        for (path, digest) in a where path.hasPrefix("events/") || path.hasPrefix("truth/users") {
            #expect(b[path] != digest, "\(path) differs between seeds")
        }
    }
}

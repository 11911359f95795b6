import AampeCore
import AampeIngest
import AampeStore
import AampeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGKILL during a large import, then the same command again, must end exactly where an uninterrupted
/// import ends: the same events, the same dictionaries (so the same dense indices), nothing lost or
/// doubled.
@Suite("import survives SIGKILL")
struct ImportKillTests {
    /// Writes `files` CSV dumps of `rows` events each, with repeats inside and across files.
    static func writeDumps(in folder: TemporaryFolder, files: Int, rows: Int) throws -> String {
        let dumps = folder.child("dumps")
        try FileManager.default.createDirectory(atPath: dumps, withIntermediateDirectories: true)
        var random = SplitMix64(state: 7)
        let base: Int64 = 1_793_491_200  // 2026-11-01T00:00:00Z
        for file in 0..<files {
            var text = "user_id,event,timestamp,item_id,value,event_id,platform\n"
            var previous: [String] = []
            for row in 0..<rows {
                // Every 50th row repeats an earlier one (a CDP retry); the first rows of each file repeat
                // the last rows of the previous file.
                if row % 50 == 49, !previous.isEmpty {
                    text += previous[Int(random.next() % UInt64(previous.count))]
                    continue
                }
                let user = random.next() % 5_000
                let event = ["product_viewed", "add_to_cart", "purchase"][Int(random.next() % 3)]
                let seconds = base + Int64(file) * 86_400 + Int64(random.next() % 172_800)
                let line =
                    "u\(user),\(event),\(seconds),item\(random.next() % 800),\(random.next() % 10_000)e-2,f\(file)r\(row),ios\n"
                text += line
                previous.append(line)
                if previous.count > 200 { previous.removeFirst() }
            }
            try text.write(toFile: dumps + "/day-\(file).csv", atomically: true, encoding: .utf8)
        }
        return dumps
    }

    static func dump(_ data: String) throws -> (events: String, keys: KeyDictionaries) {
        let result = try Aampectl.run(["events", "dump", "--data-dir", data])
        #expect(result.status == 0, "\(result.standardError)")
        let store = try DataDirectory(path: data).openStore()
        return (result.standardOutput, try store.ingestion.keyDictionaries())
    }

    @Test("kill -9 at several points of a multi-file import, re-run, and compare with a clean import")
    func killAndRerun() throws {
        let folder = try TemporaryFolder()
        let dumps = try Self.writeDumps(in: folder, files: 4, rows: 15_000)

        let clean = folder.child("clean")
        _ = try Aampectl.run(["init", "--data-dir", clean])
        let cleanRun = try Aampectl.run(["import", "events", "--data-dir", clean, "--json", dumps])
        #expect(cleanRun.status == 0, "\(cleanRun.standardError)")
        let expected = try Self.dump(clean)
        #expect(expected.events.split(separator: "\n").count > 50_000)

        // A kill inside the second file (its segments written, not listed), and one between the second
        // and the third file (the second committed). The failpoint proves where the kill landed.
        for failpoint in ["import.segments-written:2", "import.file-committed:2"] {
            let data = folder.child("killed-\(failpoint)")
            _ = try Aampectl.run(["init", "--data-dir", data])
            let killed = try Aampectl.run(
                ["import", "events", "--data-dir", data, "--json", dumps],
                environment: [Failpoint.environmentVariable: failpoint]
            )
            #expect(killed.status == SIGKILL, "the import was not killed at \(failpoint): exit \(killed.status)")
            let partial = try DataDirectory(path: data).openStore().ingestion.eventSegments()
            let complete = try DataDirectory(path: clean).openStore().ingestion.eventSegments()
            #expect(
                !partial.isEmpty && partial.count < complete.count,
                "\(failpoint): \(partial.count) of \(complete.count) segments listed"
            )
            let unlisted = try FileManager.default.subpathsOfDirectory(atPath: data + "/events")
                .filter { $0.hasSuffix(".seg") && !partial.map(\.path).contains($0) }
            #expect(
                unlisted.isEmpty == failpoint.hasPrefix("import.file-committed"),
                "\(failpoint): \(unlisted.count) unlisted files"
            )

            let rerun = try Aampectl.run(["import", "events", "--data-dir", data, "--json", dumps])
            #expect(rerun.status == 0, "\(rerun.standardError)")
            let actual = try Self.dump(data)
            #expect(actual.events == expected.events, "events differ after a kill at \(failpoint)")
            #expect(actual.keys.userIDs == expected.keys.userIDs)
            #expect(actual.keys.itemIDs == expected.keys.itemIDs)
            #expect(actual.keys.eventTypes == expected.keys.eventTypes)
            // Nothing the killed run wrote is left unlisted.
            let store = try DataDirectory(path: data).openStore()
            let listed = Set(try store.ingestion.eventSegments().map(\.path))
            let onDisk = try FileManager.default.subpathsOfDirectory(atPath: data + "/events").filter {
                $0.hasSuffix(".seg") || $0.hasSuffix(".tmp")
            }
            #expect(Set(onDisk) == listed)
        }
    }
}

import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

@Suite("Simulator settings")
struct SettingsTests {
    static func rejects(_ change: (inout WorldSettings) -> Void, naming option: String) {
        var settings = WorldSettings()
        change(&settings)
        #expect(throws: SimulatorError.self) { try settings.validate() }
        do {
            try settings.validate()
        } catch {
            #expect(error.description.hasPrefix("--\(option):"), "\(error.description)")
        }
    }

    static func accepts(_ change: (inout WorldSettings) -> Void) {
        var settings = WorldSettings()
        change(&settings)
        #expect(throws: Never.self) { try settings.validate() }
    }

    @Test("every limit is checked at its edge")
    func limits() {
        Self.accepts { $0.users = 1 }
        Self.rejects({ $0.users = 0 }, naming: "users")
        Self.accepts { $0.users = WorldSettings.Limits.maximumUsers }
        Self.rejects({ $0.users = WorldSettings.Limits.maximumUsers + 1 }, naming: "users")
        Self.accepts { $0.items = WorldSettings.Limits.maximumItems }
        Self.rejects({ $0.items = WorldSettings.Limits.maximumItems + 1 }, naming: "items")
        Self.rejects({ $0.items = 0 }, naming: "items")
        Self.accepts { $0.days = WorldSettings.Limits.maximumDays }
        Self.rejects({ $0.days = WorldSettings.Limits.maximumDays + 1 }, naming: "days")
        Self.rejects({ $0.days = 0 }, naming: "days")
        Self.accepts { $0.personas = 6 }
        Self.rejects({ $0.personas = 7 }, naming: "personas")
        Self.accepts { $0.duplicateRate = 0.5 }
        Self.rejects({ $0.duplicateRate = 0.500_001 }, naming: "duplicate-rate")
        Self.rejects({ $0.lateRate = -0.1 }, naming: "late-rate")
        Self.rejects({ $0.malformedRate = 0.6 }, naming: "malformed-rate")
        Self.rejects({ $0.startDate = "2026-02-29" }, naming: "start")
        Self.accepts { $0.startDate = "2028-02-29" }
        Self.rejects({ $0.startDate = "1.10.2026" }, naming: "start")
        Self.rejects({ $0.copyVarianceShares = [0, 0, 0] }, naming: "copy-variance")
        Self.rejects({ $0.copyVarianceShares = [1, -1, 1] }, naming: "copy-variance")
    }

    @Test("an output folder with other files is refused, and --force replaces only what a run wrote")
    func outputFolder() throws {
        let folder = try TemporaryFolder(prefix: "aampe-sim-settings")
        var settings = WorldSettings()
        settings.users = 50
        settings.items = 20
        settings.days = 2
        try "keep me".write(toFile: folder.child("notes.txt"), atomically: true, encoding: .utf8)
        #expect(throws: SimulatorError.self) { try Simulator(settings: settings).generate(into: folder.path) }
        _ = try Simulator(settings: settings).generate(into: folder.path, isForced: true)
        _ = try Simulator(settings: settings).generate(into: folder.path, isForced: true)
        #expect(FileManager.default.fileExists(atPath: folder.child("notes.txt")))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.child("events")).sorted() == [
                "2026-10-01.jsonl", "2026-10-02.jsonl",
            ]
        )
    }

    @Test("copy-preference variance shares decide who agrees with whom")
    func copyVarianceShares() throws {
        func preferences(_ shares: [Double]) throws -> [(persona: String, pref: String)] {
            let world = try SimulatedWorld { settings in
                settings.users = 300
                settings.items = 20
                settings.days = 1
                settings.copyVarianceShares = shares
            }
            return try world.table("truth/users.csv").map { ($0["persona"]!, $0["pref_discount"]!) }
        }
        // Everybody agrees: one value for all.
        #expect(Set(try preferences([1, 0, 0]).map(\.pref)).count == 1)
        // Personas differ, members of one persona agree.
        let byPersona = try preferences([0, 1, 0])
        #expect(Set(byPersona.map(\.pref)).count == Set(byPersona.map(\.persona)).count)
        // Every user has a personal preference.
        #expect(Set(try preferences([0, 0, 1]).map(\.pref)).count > 250)
    }
}

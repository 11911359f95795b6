import AampeTestSupport
import Foundation
import Testing

@testable import AampeSimulator

/// Conversion rates computed from a world's truth, for both signals.
@Suite("Simulator calibration")
struct CalibrationTests {
    static func measure(_ signal: Signal) throws -> Calibration {
        let folder = try TemporaryFolder(prefix: "aampe-sim-calibration")
        var settings = WorldSettings(signal: signal)
        settings.users = 4_000
        settings.items = 50
        settings.days = 1
        _ = try Simulator(settings: settings, threads: 2).generate(into: folder.child("w"))
        return try Calibration.measure(truthFolder: folder.child("w") + "/truth")
    }

    @Test("the realistic world converts within the published push and email ranges")
    func realistic() throws {
        let result = try Self.measure(.realistic)
        #expect(result.users == 4_000)
        // Clicks: push direct opens 1.8 to 6.1 %, email clicks 2 to 3 % (truth/README.md cites them).
        #expect((0.02...0.05).contains(result.click.random), "\(result.click.random)")
        // Orders: well under 1 % of campaign messages; 1.7 % (median) to 5.7 % (top 10 %) of flow messages.
        #expect((0.002...0.008).contains(result.goal.random), "\(result.goal.random)")
        #expect((0.012...0.04).contains(result.goal.perUserBest), "\(result.goal.perUserBest)")
        #expect(result.goal.random < result.goal.bestSingle && result.goal.bestSingle < result.goal.perUserBest)
    }

    @Test("the high signal keeps the strong world: 6.8 %, 17.5 % and 45 %")
    func high() throws {
        let result = try Self.measure(.high)
        // 20,000 users give 6.79 %, 17.50 % and 45.35 %; 4,000 users sample the same population.
        #expect(abs(result.goal.random - 0.068) < 0.005, "\(result.goal.random)")
        #expect(abs(result.goal.bestSingle - 0.175) < 0.015, "\(result.goal.bestSingle)")
        #expect(abs(result.goal.perUserBest - 0.45) < 0.02, "\(result.goal.perUserBest)")
    }
}

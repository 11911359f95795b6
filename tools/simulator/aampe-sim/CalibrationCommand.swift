import AampeSimulator
import ArgumentParser
import Foundation

struct CalibrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibration",
        abstract: "Print a world's message conversion rates under random choice, best single choice and per-user best.",
        discussion: """
            Computed from the world's truth/ for rested users (no fatigue), over every copy choice and every
            weekly window. Works on a folder written by generate or init.
            """
    )

    @Option(help: "The world folder (the one holding truth/).") var world: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let result = try Calibration.measure(truthFolder: world + "/truth")
        func percent(_ value: Double) -> String { String(format: "%.2f %%", 100 * value) }
        if json {
            let document: [String: Any] = [
                "users": result.users,
                "goal": [
                    "random": result.goal.random, "best_single": result.goal.bestSingle,
                    "per_user_best": result.goal.perUserBest,
                ],
                "click": [
                    "random": result.click.random, "best_single": result.click.bestSingle,
                    "per_user_best": result.click.perUserBest,
                ],
                "best_single_choice": result.bestSingleChoice,
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("users: \(result.users)")
        print("policy            goal      click")
        print("random choice     \(percent(result.goal.random))    \(percent(result.click.random))")
        print("best single       \(percent(result.goal.bestSingle))    \(percent(result.click.bestSingle))")
        print("per-user best     \(percent(result.goal.perUserBest))    \(percent(result.click.perUserBest))")
        print("best single choice: \(result.bestSingleChoice)")
    }
}

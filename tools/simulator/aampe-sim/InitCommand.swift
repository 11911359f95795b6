import AampeSimulator
import ArgumentParser
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a world to simulate one day at a time: users.csv, catalog.csv, truth/ and state/.",
        discussion: """
            Then run `aampe-sim step` once per day, from the start date on. --days is the most days the world
            can be stepped. Stepping every day without deliveries writes the same dumps as generate.
            """
    )

    @OptionGroup var world: WorldOptions
    @Option(name: .customLong("out"), help: "World folder (created; must be empty unless --force).") var output: String
    @Option(help: "Worker threads (default: the number of cores). The output does not depend on it.") var threads: Int?
    @Flag(help: "Replace what an earlier run wrote in the world folder.") var force = false

    func run() throws {
        let settings = try world.settings()
        let live = try LiveWorld.create(in: output, settings: settings, isForced: force, threads: threads)
        print(
            "Created \(output): \(settings.users) users, \(settings.items) items, \(settings.days) days from "
                + "\(settings.startDate), signal \(settings.signal.rawValue). Next: aampe-sim step --world \(output) "
                + "--day \(live.nextDate)"
        )
    }
}

import AampeSimulator
import ArgumentParser
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a world: per-day event dumps, users.csv, catalog.csv, truth/ and summary.json.",
        discussion: "The same settings and seed give byte-identical files, whatever --threads says."
    )

    @OptionGroup var world: WorldOptions
    @Option(name: .customLong("out"), help: "Output folder (created; must be empty unless --force).") var output: String
    @Option(help: "Worker threads (default: the number of cores). The output does not depend on it.") var threads: Int?
    @Flag(help: "Replace what an earlier run wrote in the output folder.") var force = false
    @Flag(help: "Print the summary as JSON (the same as summary.json).") var json = false

    func run() throws {
        let settings = try world.settings()
        let simulator = Simulator(settings: settings, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let started = Date()
        let isTerminal = isatty(STDERR_FILENO) != 0
        let summary = try simulator.generate(into: output, isForced: force) { done, total in
            guard isTerminal else { return }
            FileHandle.standardError.write(Data("\rsimulating day \(done)/\(total)".utf8))
        }
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let elapsed = Date().timeIntervalSince(started)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            return
        }
        SummaryTable.print(summary, folder: output, elapsedSeconds: elapsed)
    }
}

import AampeClient
import AampeCore
import AampeProtocol
import ArgumentParser
import Foundation

/// `aampectl outbox ack`: reads acknowledgement lines and prints one result line each.
struct OutboxAckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge pulled messages: JSON lines in, one result line out per acknowledgement.",
        discussion: """
            Each input line is {"message_id":"…","lease_token":"…","status":"delivered"|"failed"|"retry",\
            "reason":"…"}. Every line is checked before any is sent; they go to aamped in requests of up to \
            --batch-size. Each result line carries code 0 (acknowledged, or already_acknowledged for a \
            repeat) or the error code of that acknowledgement (stale_lease, lease_expired, conflicting_ack, \
            unknown_message); those do not change the exit status, which is non-zero only when the input or \
            a request fails.
            """
    )

    @OptionGroup var options: DataDirectoryOptions
    @OptionGroup var connection: DaemonConnectionOptions

    @Option(help: ArgumentHelp("Read acknowledgements from this file instead of standard input.", valueName: "path"))
    var file: String?

    @Option(name: .customLong("batch-size"), help: "Acknowledgements per request (1 ... 10,000).")
    var batchSize = 1_000

    func run() async throws {
        guard (1...Limits.maximumAcknowledgementsPerRequest).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1 ... \(Limits.maximumAcknowledgementsPerRequest)")
        }
        let data: Data
        if let file {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--file: cannot read \(file)")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        let text = String(decoding: data, as: UTF8.self)
        var acknowledgements: [Aampe_V1_Acknowledgement] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do {
                acknowledgements.append(try OutboxJSONLines.acknowledgement(fromLine: line, number: index + 1))
            } catch {
                throw ValidationError("\(file ?? "standard input"), \(error)")
            }
        }
        let client = try connection.client(dataDirectory: options.dataDirectory)
        defer { Task { await client.close() } }
        var start = 0
        while start < acknowledgements.count {
            let chunk = Array(acknowledgements[start..<min(start + batchSize, acknowledgements.count)])
            let response = try await client.ack(chunk)
            var output = ""
            for (acknowledgement, result) in zip(chunk, response.results) {
                output += OutboxJSONLines.resultLine(for: acknowledgement, result: result)
                output += "\n"
            }
            print(output, terminator: "")
            start += chunk.count
        }
    }
}

import AampeCore
import AampeIngest
import AampeStore
import ArgumentParser
import Foundation

/// `aampectl events`: read back what imports stored.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Read the imported events.",
        subcommands: [EventsDumpCommand.self]
    )
}

/// `aampectl events dump`: every stored event as CSV, in storage order (day, then import order).
struct EventsDumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every stored event as CSV: user_id,event,timestamp,item_id,value,properties."
    )

    @OptionGroup var dataDirectory: DataDirectoryOptions

    func run() async throws {
        let directory = dataDirectory.dataDirectory
        let store = try directory.openStore()
        let events = EventStore(dataDirectory: directory, store: store)
        var output = "user_id,event,timestamp,item_id,value,properties\n"
        let stdout = FileHandle.standardOutput
        try events.forEachEvent { event in
            let value = event.value.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) } ?? ""
            let fields = [event.userID, event.event, Self.iso(event.timestamp), event.itemID ?? "", value, event.propertiesJSON]
            output += fields.map(Self.csvField).joined(separator: ",") + "\n"
            if output.utf8.count > 1 << 16 {
                stdout.write(Data(output.utf8))
                output.removeAll(keepingCapacity: true)
            }
        }
        stdout.write(Data(output.utf8))
    }

    /// ISO-8601 UTC with microseconds.
    static func iso(_ timestamp: Timestamp) -> String {
        let micros = timestamp.rawValue - timestamp.secondsSinceEpoch * Timestamp.microsecondsPerSecond
        let text = timestamp.description
        return String(text.dropLast()) + String(format: ".%06dZ", micros)
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

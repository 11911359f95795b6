// What Foundation's JSON parsers cost per Segment track line, for comparison with `aampectl import events`
// on the same lines (README, "Import"). Standalone, so it is not a package target:
//
//   head -n 1000000 events.jsonl > lines.jsonl      # from tools/benchmarks/import/generate_events.py
//   swiftc -O tools/benchmarks/import/foundation_json.swift -o /tmp/foundation-json && /tmp/foundation-json lines.jsonl
import Foundation

let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "lines.jsonl"
let data = try Data(contentsOf: URL(fileURLWithPath: path))
var lines: [Data] = []
data.withUnsafeBytes { raw in
    var start = 0
    for index in 0..<raw.count where raw[index] == 0x0A {
        lines.append(Data(raw[start..<index]))
        start = index + 1
    }
}

var found = 0
let serializationStart = Date()
for line in lines {
    let object = try JSONSerialization.jsonObject(with: line) as? [String: Any]
    if object?["userId"] != nil { found += 1 }
}
let serializationSeconds = Date().timeIntervalSince(serializationStart)

/// Only the fields the importer reads.
struct Track: Decodable {
    struct Properties: Decodable {
        var product_id: String?
        var revenue: Double?
    }
    var userId: String
    var event: String
    var timestamp: String
    var messageId: String
    var properties: Properties
}
let decoder = JSONDecoder()
let decoderStart = Date()
for line in lines {
    let track = try decoder.decode(Track.self, from: line)
    if !track.userId.isEmpty { found += 1 }
}
let decoderSeconds = Date().timeIntervalSince(decoderStart)

let perLine = { (seconds: Double) in String(format: "%.0f ns/line", seconds / Double(lines.count) * 1e9) }
print(
    "\(lines.count) lines: JSONSerialization \(perLine(serializationSeconds)), JSONDecoder (5 fields) \(perLine(decoderSeconds)); \(found) found"
)

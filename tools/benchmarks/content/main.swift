// aampe-bench-content: renders a 3-block push formula with a first name and a 3-item recommendation
// slot for N users with different profiles, through AampeContent's FormulaRenderer (swift-mustache), on
// one thread and on every core. Prints a table, then one JSON line for tools/bench-content.
//
// Each user's render includes building their view model (normalization and conversion), choosing the
// variant `user % 12`, rendering both fields and checking the push payload limit: what assignment will
// pay per message.

import AampeContent
import Dispatch
import Foundation

var users = 1_000_000
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--users":
        guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else {
            FileHandle.standardError.write(Data("aampe-bench-content: --users needs a positive number\n".utf8))
            exit(2)
        }
        users = value
    default:
        FileHandle.standardError.write(Data("usage: aampe-bench-content [--users N]\n".utf8))
        exit(2)
    }
}

/// The formula, the same text as python_peer.py's.
let yaml = """
    label_sets: { tone: [playful, plain], offer: [discount, quality, speed], urgency: [now, later] }
    formulas:
      cart:
        channel: push
        title: "{{>greeting}}"
        body: "{{>offer}} {{#items}}{{title}} {{price}}, {{/items}}{{>close}}"
        blocks:
          greeting:
            label_set: tone
            alternates:
              - { label: playful, text: "Hey {{first_name}}!" }
              - { label: plain, text: "Hello {{first_name}}," }
          offer:
            label_set: offer
            alternates:
              - { label: discount, text: "10% off picks for you:" }
              - { label: quality, text: "Made to last:" }
              - { label: speed, text: "Ships today:" }
          close:
            label_set: urgency
            alternates:
              - { label: now, text: "Ends tonight." }
              - { label: later, text: "See you soon." }
    """

let content: Content
do {
    content = try ContentLoader.load(files: [("bench.yaml", yaml)])
} catch {
    FileHandle.standardError.write(Data("aampe-bench-content: \(error)\n".utf8))
    exit(1)
}
let formula = content.formula(named: "cart")!
let renderer = try FormulaRenderer(formula: formula)
let variants = formula.variants

/// User `i`'s data, the same as python_peer.py's `user(i)`: one of 200 first names with the user's
/// number (so no two profiles are equal), and 3 of 1,000 catalog items picked by a multiplicative hash.
func user(_ i: Int) -> RenderData {
    let names = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ines", "Jon"]
    var items: [[String: ViewValue]] = []
    for slot in 0..<3 {
        let item = (i &* 2_654_435_761 &+ slot &* 40_503) % 1_000
        items.append(["title": .text("Item \(item)"), "price": .number(Double(item % 50) + 0.99)])
    }
    return RenderData(profile: ["first_name": .text("\(names[i % 10])\(i % 20)")], items: items)
}

print("aampe-bench-content: \(users) users, formula of 3 blocks (\(formula.variantCount) variants)")

/// What every thread reads: immutable and Sendable.
struct Bench: Sendable {
    let renderer: FormulaRenderer
    let variants: [Variant]
    let data: [RenderData]

    /// Renders users `range`; returns the rendered bytes (so nothing is optimized away) and failures.
    func render(_ range: Range<Int>) -> (bytes: Int, failed: Int) {
        var bytes = 0
        var failed = 0
        for i in range {
            let model = renderer.viewModel(data[i])
            switch renderer.render(variants[i % variants.count], for: model) {
            case .success(let message): bytes += message.fields.reduce(0) { $0 + $1.text.utf8.count }
            case .failure: failed += 1
            }
        }
        return (bytes, failed)
    }
}
let bench = Bench(renderer: renderer, variants: variants, data: (0..<users).map(user))

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

var single = (bytes: 0, failed: 0)
let singleSeconds = seconds { single = bench.render(0..<users) }

let cores = ProcessInfo.processInfo.activeProcessorCount
let userCount = users
let chunk = (users + cores - 1) / cores
// Each thread writes only its own slot.
nonisolated(unsafe) let results = UnsafeMutableBufferPointer<(bytes: Int, failed: Int)>.allocate(capacity: cores)
results.initialize(repeating: (0, 0))
let parallelSeconds = seconds {
    DispatchQueue.concurrentPerform(iterations: cores) { core in
        let range = (core * chunk)..<min(userCount, (core + 1) * chunk)
        results[core] = range.isEmpty ? (0, 0) : bench.render(range)
    }
}
let parallelBytes = results.reduce(0) { $0 + $1.bytes }
results.deallocate()

let singleRate = Double(users) / singleSeconds
let parallelRate = Double(users) / parallelSeconds
print(
    "one thread:   \(Int(singleRate)) renders/s (\(String(format: "%.2f", singleSeconds)) s, \(single.failed) unavailable)"
)
print("\(cores) threads:    \(Int(parallelRate)) renders/s (\(String(format: "%.2f", parallelSeconds)) s)")
print("rendered bytes: \(single.bytes) (parallel run: \(parallelBytes))")
let json: [String: Any] = [
    "users": users, "variants": formula.variantCount, "cores": cores,
    "renders_per_second_one_thread": Int(singleRate), "renders_per_second_all_cores": Int(parallelRate),
    "rendered_bytes": single.bytes, "unavailable": single.failed,
]
let line = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
print(String(decoding: line, as: UTF8.self))

// aampe-bench-outbox: the outbox benchmark's and crash test's Swift side.
//
//   aampe-bench-outbox write-batch --outbox DIR --batch B --count N --start-micros T [--window-hours H]
//       writes outbox/<B>/messages.seg: N messages, windows open from T - 1 h for H hours (default 48).
//   aampe-bench-outbox aamped --unix PATH --consumers C --batch-size K --expect N
//       C consumers, each on its own connection: PULL K, ACK them all delivered, until PULL is empty.
//       Prints one JSON line: {"system":"aamped","consumers":C,"messages":…,"seconds":…,"rate":…}.
//   aampe-bench-outbox redis-load --unix PATH --count N
//       XADDs N entries with the same fields as write-batch's messages to stream "outbox", and creates
//       consumer group "senders" at its start.
//   aampe-bench-outbox redis --unix PATH --consumers C --batch-size K --expect N
//       C consumers of group "senders": XREADGROUP COUNT K, then XACK of every id, until empty.
//   aampe-bench-outbox crash-consumer --unix PATH --log FILE --stop FILE [--consumers C]
//       the crash test's consumer: pulls and acks (delivered 85 %, failed 5 %, retry 10 %), retries its
//       acks after the daemon dies, moves the simulated clock when nothing is due, and logs every PULL
//       answer and every ACK answer; when FILE --stop exists and nothing is due, moves the clock past
//       every window, pulls once more and exits.

import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write(
        Data("usage: aampe-bench-outbox write-batch|aamped|redis-load|redis|crash-consumer …\n".utf8)
    )
    exit(2)
}
let options = Options(Array(arguments.dropFirst()))
do {
    switch command {
    case "write-batch": try BenchBatch.write(options)
    case "aamped": try await AampedConsumers.run(options)
    case "redis-load": try RedisBench.load(options)
    case "redis": try RedisBench.consume(options)
    case "crash-consumer": try await CrashConsumer.run(options)
    default:
        FileHandle.standardError.write(Data("aampe-bench-outbox: unknown command \(command)\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("aampe-bench-outbox \(command): \(error)\n".utf8))
    exit(1)
}

/// `--name value` pairs.
struct Options {
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard name.hasPrefix("--"), index + 1 < arguments.count else {
                FileHandle.standardError.write(Data("aampe-bench-outbox: expected --name value, got \(name)\n".utf8))
                exit(2)
            }
            values[String(name.dropFirst(2))] = arguments[index + 1]
            index += 2
        }
    }

    func string(_ name: String) -> String {
        guard let value = values[name] else {
            FileHandle.standardError.write(Data("aampe-bench-outbox: --\(name) is required\n".utf8))
            exit(2)
        }
        return value
    }

    func int(_ name: String, default fallback: Int? = nil) -> Int {
        if values[name] == nil, let fallback { return fallback }
        guard let value = Int(string(name)) else {
            FileHandle.standardError.write(Data("aampe-bench-outbox: --\(name) needs an integer\n".utf8))
            exit(2)
        }
        return value
    }
}

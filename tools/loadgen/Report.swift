// What a run measured, as text or as one JSON object.

import AampeCore
import AampeProtocol
import Histogram

struct LatencySummary {
    var count: UInt64
    var p50, p90, p99, p999, max, mean: Double  // microseconds

    init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        func micros(_ nanos: UInt64) -> Double { Double(nanos) / 1000 }
        if count == 0 {
            p50 = 0
            p90 = 0
            p99 = 0
            p999 = 0
            max = 0
            mean = 0
        } else {
            p50 = micros(histogram.valueAtPercentile(50))
            p90 = micros(histogram.valueAtPercentile(90))
            p99 = micros(histogram.valueAtPercentile(99))
            p999 = micros(histogram.valueAtPercentile(99.9))
            max = micros(histogram.max)
            mean = histogram.mean / 1000
        }
    }

    var jsonObject: String {
        "{\"p50\":\(fixed(p50, 1)),\"p90\":\(fixed(p90, 1)),\"p99\":\(fixed(p99, 1)),\"p999\":\(fixed(p999, 1)),\"max\":\(fixed(max, 1)),\"mean\":\(fixed(mean, 1))}"
    }

    var text: String {
        "p50 \(fixed(p50, 1))  p90 \(fixed(p90, 1))  p99 \(fixed(p99, 1))  p99.9 \(fixed(p999, 1))  max \(fixed(max, 1))  (mean \(fixed(mean, 1)))"
    }
}

struct Report {
    let options: Options
    let target: Target
    let operationNames: [String]
    /// Mean body bytes of the measured OK responses, per operation.
    let responseBytesMean: [Double]
    let recommendIndex: Int
    /// The index of SCORE in the mix, or -1.
    let scoreIndex: Int
    let users: UserPool?
    let emptyRecommendations: UInt64
    let latency: LatencySummary
    let perOperation: [(String, LatencySummary)]
    let measured: UInt64
    let ok: UInt64
    let completed: UInt64
    let elapsedSeconds: Double
    let wallSeconds: Double
    let throughput: Double
    let errorFrames: UInt64
    let lost: UInt64
    let unmatched: UInt64
    let connectionFailures: Int
    let readyConnections: Int
    let errorDetails: [(UInt32, ErrorTally)]
    let failureMessages: [String]
    let lateSends: UInt64
    let maxLateMicros: Double
    let clientThreadCPUNanos: UInt64
    let processCPUNanos: UInt64
    let responderCPUNanos: UInt64?

    init(
        options: Options,
        target: Target,
        operationNames: [String],
        recommendIndex: Int,
        scoreIndex: Int,
        users: UserPool?,
        results: [ConnectionResult],
        readyConnections: Int,
        warmupEnd: UInt64,
        start: UInt64,
        finished: UInt64,
        clientThreadCPUNanos: UInt64,
        processCPUNanos: UInt64,
        responderCPUNanos: UInt64?
    ) {
        self.options = options
        self.target = target
        self.operationNames = operationNames
        self.recommendIndex = recommendIndex
        self.scoreIndex = scoreIndex
        self.users = users
        self.readyConnections = readyConnections
        self.clientThreadCPUNanos = clientThreadCPUNanos
        self.processCPUNanos = processCPUNanos
        self.responderCPUNanos = responderCPUNanos
        var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var perOperationHistograms = Array(repeating: merged, count: operationNames.count)
        var measured: UInt64 = 0
        var ok: UInt64 = 0
        var completed: UInt64 = 0
        var errorFrames: UInt64 = 0
        var lost: UInt64 = 0
        var unmatched: UInt64 = 0
        var failures = 0
        var lastCompletion: UInt64 = 0
        var codes: [UInt32: ErrorTally] = [:]
        var messages: [String] = []
        var lateSends: UInt64 = 0
        var maxLate: UInt64 = 0
        var responseBytes = [UInt64](repeating: 0, count: operationNames.count)
        var emptyRecommendations: UInt64 = 0
        for result in results {
            for (index, bytes) in result.responseBodyBytes.enumerated() where index < responseBytes.count {
                responseBytes[index] += bytes
            }
            emptyRecommendations += result.emptyRecommendations
            for (index, histogram) in result.histograms.enumerated() where index < perOperationHistograms.count {
                perOperationHistograms[index].add(histogram)
                merged.add(histogram)
            }
            measured += result.measured
            ok += result.ok
            completed += result.completed
            errorFrames += result.errorFrames
            lost += result.lost
            unmatched += result.unmatched
            lateSends += result.lateSends
            maxLate = max(maxLate, result.maxLateNanos)
            if result.failed {
                failures += 1
                if let failure = result.failure, messages.count < 5 {
                    messages.append("connection \(result.index): \(failure)")
                }
            }
            lastCompletion = max(lastCompletion, result.lastMeasuredCompletion)
            for (code, tally) in result.errorCodes {
                codes[code, default: ErrorTally(count: 0, message: tally.message)].count += tally.count
            }
        }
        self.latency = LatencySummary(merged)
        self.perOperation = zip(operationNames, perOperationHistograms).map { ($0, LatencySummary($1)) }
        self.responseBytesMean = zip(responseBytes, perOperationHistograms).map { bytes, histogram in
            histogram.totalCount > 0 ? Double(bytes) / Double(histogram.totalCount) : 0
        }
        self.emptyRecommendations = emptyRecommendations
        self.measured = measured
        self.ok = ok
        self.completed = completed
        self.errorFrames = errorFrames
        self.lost = lost
        self.unmatched = unmatched
        self.connectionFailures = failures
        self.errorDetails = codes.sorted { $0.key < $1.key }
        self.failureMessages = messages
        self.lateSends = lateSends
        self.maxLateMicros = Double(maxLate) / 1000
        self.elapsedSeconds = lastCompletion > warmupEnd ? Double(lastCompletion - warmupEnd) / 1e9 : 0
        self.wallSeconds = finished > start ? Double(finished - start) / 1e9 : 0
        self.throughput = elapsedSeconds > 0 ? Double(measured) / elapsedSeconds : 0
    }

    var totalErrors: UInt64 { errorFrames + lost + unmatched + UInt64(connectionFailures) }

    /// Client event-loop CPU per response (warmup included, as the CPU clock runs through it).
    var clientMicrosPerRequest: Double { completed > 0 ? Double(clientThreadCPUNanos) / 1000 / Double(completed) : 0 }
    /// The whole process's CPU (getrusage) per response; in a self-test it includes the responder.
    var processMicrosPerRequest: Double { completed > 0 ? Double(processCPUNanos) / 1000 / Double(completed) : 0 }
    var clientCoresBusy: Double { wallSeconds > 0 ? Double(clientThreadCPUNanos) / 1e9 / wallSeconds : 0 }
    var responderMicrosPerRequest: Double? {
        responderCPUNanos.map { completed > 0 ? Double($0) / 1000 / Double(completed) : 0 }
    }

    var mode: String { options.rate == nil ? "closed" : "open" }

    func errorBanner() -> String {
        var lines = [
            "",
            "!!! aampe-loadgen: \(totalErrors) ERRORS: \(errorFrames) error frames, \(lost) requests lost, \(unmatched) unmatched responses, \(connectionFailures) connection failures",
        ]
        for (code, tally) in errorDetails { lines.append("!!!   code \(code) × \(tally.count): \(tally.message)") }
        for message in failureMessages { lines.append("!!!   \(message)") }
        return lines.joined(separator: "\n")
    }

    func text() -> String {
        var lines: [String] = []
        let loop = options.rate.map { "open loop at \(fixed($0, 0)) req/s" } ?? "closed loop"
        let what = options.selfTest ? "SELF-TEST against a trivial in-process responder on \(target)" : "\(target)"
        lines.append(
            "aampe-loadgen: \(options.mixText) (payload \(options.payloadBytes) B) over \(what); \(readyConnections)/\(options.connections) connections × depth \(options.pipeline), \(loop), \(options.threads) client thread(s), codec \(options.codec.rawValue)"
        )
        lines.append(
            "  measured      \(measured) responses in \(fixed(elapsedSeconds, 3)) s after \(fixed(options.warmup, 1)) s warmup"
        )
        lines.append("  throughput    \(fixed(throughput, 0)) req/s")
        lines.append("  latency µs    \(latency.text)")
        if perOperation.count > 1 {
            for (name, summary) in perOperation {
                lines.append("    \(name.padding(9))   \(summary.text)  [\(summary.count)]")
            }
        }
        if recommendIndex >= 0, let users {
            lines.append(
                "  recommend     count \(options.recommend.count), filter: \(options.recommend.filterText); \(users.count) users from \(users.source)"
            )
            lines.append(
                "                mean response body \(fixed(responseBytesMean[recommendIndex], 1)) B; \(emptyRecommendations) answers without items"
            )
        }
        if scoreIndex >= 0, let users {
            lines.append(
                "  score         goal \(options.score.goalText), labels \(options.score.labelsText), windows \(options.score.includeWindows); \(users.count) users from \(users.source)"
            )
            lines.append("                mean response body \(fixed(responseBytesMean[scoreIndex], 1)) B")
        }
        if options.rate != nil {
            lines.append(
                "  schedule      \(lateSends) requests sent > 1 ms after their intended time; worst \(fixed(maxLateMicros, 1)) µs late"
            )
        }
        lines.append("  errors        \(totalErrors)\(totalErrors > 0 ? "   <-- NOT ZERO, see below" : "")")
        var cost =
            "  loadgen cost  \(fixed(clientMicrosPerRequest, 2)) µs client event-loop CPU per request, \(fixed(clientCoresBusy, 2)) cores busy; process (getrusage) \(fixed(processMicrosPerRequest, 2)) µs per request"
        if let responder = responderMicrosPerRequest {
            cost += "; responder thread \(fixed(responder, 2)) µs per request"
        }
        lines.append(cost)
        return lines.joined(separator: "\n")
    }

    /// RECOMMEND's settings and what its answers held, or "" (left out) when it is not in the mix.
    private var recommendJSON: String {
        guard recommendIndex >= 0, let users else { return "" }
        let recommend = options.recommend
        let fields = [
            "\"count\":\(recommend.count)",
            "\"users\":\(users.count)",
            "\"users_source\":\(JSONText.quoted(users.source))",
            "\"filter\":\(JSONText.quoted(recommend.filterText))",
            "\"in_stock_only\":\(recommend.isInStockOnly)",
            "\"minimum_price\":\(recommend.minimumPrice.map { "\($0)" } ?? "null")",
            "\"maximum_price\":\(recommend.maximumPrice.map { "\($0)" } ?? "null")",
            "\"categories\":[\(recommend.categories.map(JSONText.quoted).joined(separator: ","))]",
            "\"seed\":\(recommend.seed)",
            "\"response_bytes_mean\":\(fixed(responseBytesMean[recommendIndex], 2))",
            "\"empty_answers\":\(emptyRecommendations)",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// SCORE's settings, or "" (left out) when it is not in the mix.
    private var scoreJSON: String {
        guard scoreIndex >= 0, let users else { return "" }
        let score = options.score
        let fields = [
            "\"goal\":\(JSONText.quoted(score.goal))",
            "\"labels\":[\(score.labels.map(JSONText.quoted).joined(separator: ","))]",
            "\"include_windows\":\(score.includeWindows)",
            "\"users\":\(users.count)",
            "\"users_source\":\(JSONText.quoted(users.source))",
            "\"seed\":\(options.recommend.seed)",
            "\"response_bytes_mean\":\(fixed(responseBytesMean[scoreIndex], 2))",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }

    func json() -> String {
        var fields: [(String, String)] = [
            ("target", JSONText.quoted(target.description)),
            ("transport", JSONText.quoted(target.transport)),
            ("self_test", options.selfTest ? "true" : "false"),
            ("connections", "\(options.connections)"),
            ("connections_ready", "\(readyConnections)"),
            ("pipeline", "\(options.pipeline)"),
            ("mix", JSONText.quoted(options.mixText)),
            ("payload_bytes", "\(options.payloadBytes)"),
            ("mode", JSONText.quoted(mode)),
            ("rate", options.rate.map { fixed($0, 1) } ?? "null"),
            ("threads", "\(options.threads)"),
            ("codec", JSONText.quoted(options.codec.rawValue)),
            ("warmup_s", fixed(options.warmup, 3)),
            ("requests", "\(measured)"),
            ("ok", "\(ok)"),
            ("elapsed_s", fixed(elapsedSeconds, 4)),
            ("throughput_rps", fixed(throughput, 1)),
            ("latency_us", latency.jsonObject),
            (
                "per_operation",
                "{"
                    + perOperation.enumerated().map { index, entry in
                        "\(JSONText.quoted(entry.0)):{\"count\":\(entry.1.count),\"latency_us\":\(entry.1.jsonObject),\"response_bytes_mean\":\(fixed(responseBytesMean[index], 2))}"
                    }
                    .joined(separator: ",") + "}"
            ),
            ("recommend", recommendJSON),
            ("score", scoreJSON),
            ("errors", "\(totalErrors)"),
            ("error_frames", "\(errorFrames)"),
            ("lost", "\(lost)"),
            ("unmatched", "\(unmatched)"),
            ("connection_failures", "\(connectionFailures)"),
            (
                "error_detail",
                "["
                    + (errorDetails.map {
                        "{\"code\":\($0.0),\"count\":\($0.1.count),\"message\":\(JSONText.quoted($0.1.message))}"
                    } + failureMessages.map { "{\"failure\":\(JSONText.quoted($0))}" }).joined(separator: ",") + "]"
            ),
            ("late_sends", "\(lateSends)"),
            ("max_late_us", fixed(maxLateMicros, 1)),
            (
                "loadgen",
                "{\"responses_total\":\(completed),\"wall_s\":\(fixed(wallSeconds, 4)),\"client_thread_cpu_s\":\(fixed(Double(clientThreadCPUNanos) / 1e9, 4)),\"client_cpu_us_per_request\":\(fixed(clientMicrosPerRequest, 3)),\"client_cores_busy\":\(fixed(clientCoresBusy, 3)),\"process_cpu_s\":\(fixed(Double(processCPUNanos) / 1e9, 4)),\"process_cpu_us_per_request\":\(fixed(processMicrosPerRequest, 3)),\"responder_cpu_us_per_request\":\(responderMicrosPerRequest.map { fixed($0, 3) } ?? "null")}"
            ),
        ]
        fields = fields.filter { !$0.1.isEmpty }
        return "{" + fields.map { "\(JSONText.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// `value` with `digits` decimals, without Foundation.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return "\(value)" }
    let integer = UInt64(scaled)
    let whole = integer / UInt64(scale)
    var text = "\(whole)"
    if digits > 0 {
        var fraction = "\(integer % UInt64(scale))"
        while fraction.count < digits { fraction = "0" + fraction }
        text += "." + fraction
    }
    return negative && scaled != 0 ? "-" + text : text
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

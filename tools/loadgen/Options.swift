import AampeProtocol

// Command-line options of aampe-loadgen, parsed by hand (the target has no argument-parser dependency).

/// Where the load goes: the protocol's own address type.
typealias Target = BindAddress

extension BindAddress {
    /// Parses `HOST:PORT` or `[v6]:PORT`, with a usage error naming the flag.
    static func tcp(parsing text: String) throws -> BindAddress {
        guard let address = BindAddress(tcp: text) else {
            throw UsageError("--tcp: expected HOST:PORT with a port in 0 ... 65535, got \"\(text)\"")
        }
        return address
    }
}

/// How frames are cut and written.
enum Codec: String, Sendable {
    /// Frames parsed and requests written by hand from pre-built bytes: one buffer per read burst.
    case raw
    /// AampeProtocol's FrameDecoder and FrameEncoder in the pipeline, one `Frame` per request.
    case nio
}

/// One operation of the mix with its weight.
struct MixEntry: Sendable {
    var operation: LoadOperation
    var weight: Double
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Options: Sendable {
    var target: Target?
    var tokenFile: String?
    var connections = 1
    var pipeline = 1
    var mix: [MixEntry] = [MixEntry(operation: .ping, weight: 1)]
    var mixText = "ping=1"
    var requests: Int?
    var duration: Double?
    var warmup: Double = 1
    var rate: Double?
    var payloadBytes = 0
    var json = false
    var threads = 1
    var selfTest = false
    var codec: Codec = .raw
    var clientName = "aampe-loadgen"
    var stallTimeout: Double = 10
    /// Client threads' timer slack; nil leaves the system default (50 µs).
    var timerSlackNanos: Int? = 1000
    var quiet = false
    var recommend = RecommendOptions()
    var score = ScoreOptions()

    static let usage = """
        usage: aampe-loadgen (--unix PATH | --tcp HOST:PORT --token-file FILE | --self-test) [options]

        Target
          --unix PATH            aamped's Unix socket (no credential needed)
          --tcp HOST:PORT        aamped's TCP address; proves --token-file with HMAC-SHA256(token, nonce)
          --token-file FILE      the client token (first line), required with --tcp
          --self-test            run against a trivial in-process responder (echoes frames, no protocol
                                 work) to measure the load generator's own ceiling and cost; listens on a
                                 temporary Unix socket, or on --tcp HOST:PORT (port 0 picks one)

        Load
          --connections N        connections (default 1)
          --pipeline D           requests in flight per connection (default 1)
          --mix OP=W[,OP=W...]   operation mix by weight; operations: ping, stats, recommend, score
                                 (default ping=1; recommend and score draw from one user pool, so a
                                 mix has one of them)
          --payload-bytes B      PING payload size (default 0)
          --requests N           measured requests, over all connections (after warmup)
          --duration SECONDS     measured time (default 5 when --requests is not given); with both,
                                 whichever ends first
          --warmup SECONDS       load before measuring starts, not counted (default 1)
          --rate R               open loop: R requests/s in total, spread evenly over the connections;
                                 latency counts from each request's intended send time (no coordinated
                                 omission); at most D in flight per connection, the rest wait their turn
          --threads T            client event-loop threads (default 1)
          --codec raw|nio        raw: hand-cut frames, pre-built request bytes (default);
                                 nio: AampeProtocol's FrameDecoder/FrameEncoder
          --client-name NAME     sent in HELLO (default aampe-loadgen)
          --timer-slack-ns N     timer slack of the client threads, so open-loop sends leave on time
                                 (default 1000; 0 or "default" keeps the kernel's 50 µs)
          --stall-timeout S      a connection with requests in flight and no answer for S seconds fails
                                 (default 10)

        RECOMMEND and SCORE (with recommend or score in --mix; each request asks for a user drawn uniformly
        from the pool)
          --users-file FILE      user ids, one a line (loaded once before the run)
          --users-pattern P      or ids made from a number: P has one %d or %0Nd, such as u%07d ...
          --users-count N        ... for the numbers 0 ..< N
          --recommend-count N    items asked for (default 10)
          --recommend-in-stock   filter: items in stock only
          --recommend-min-price X, --recommend-max-price X
                                 filter: price bounds (inclusive)
          --recommend-category C filter: items of category C; repeat for several (any of them)
          --recommend-exclude-seen true|false
                                 leave out items the user has seen (default: the server's, true)
          --score-goal G         SCORE: the goal (default: the model's, the one with the most rows)
          --score-labels A,B     SCORE: only these set=label names (default: every label)
          --score-windows        SCORE: also every window
          --seed N               seeds the user draws of every connection (default 1)
          Error frames count as errors. The report gives the mean response body size and the number of
          answers without items.

        Output
          --json                 print one JSON object on stdout (human report otherwise)
          --quiet                no progress lines on stderr

        Exit status: 0 when every request was answered OK; 1 when any error frame, lost request or
        connection failure was seen; 2 on a usage error.
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var index = 0
        func value(_ name: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw UsageError("\(name) needs a value") }
            return arguments[index]
        }
        func integer(_ name: String, minimum: Int) throws -> Int {
            let text = try value(name)
            guard let number = Int(text), number >= minimum else {
                throw UsageError("\(name): expected an integer >= \(minimum), got \"\(text)\"")
            }
            return number
        }
        func seconds(_ name: String, allowZero: Bool) throws -> Double {
            let text = try value(name)
            guard let number = Double(text), number.isFinite, allowZero ? number >= 0 : number > 0 else {
                throw UsageError("\(name): expected a number of seconds \(allowZero ? ">= 0" : "> 0"), got \"\(text)\"")
            }
            return number
        }
        func price(_ name: String) throws -> Double {
            let text = try value(name)
            guard let number = Double(text), number.isFinite, number >= 0 else {
                throw UsageError("\(name): expected a price >= 0, got \"\(text)\"")
            }
            return number
        }
        var tcpText: String?
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--unix": options.target = .unix(path: try value(argument))
            case "--tcp": tcpText = try value(argument)
            case "--token-file": options.tokenFile = try value(argument)
            case "--connections", "-c": options.connections = try integer(argument, minimum: 1)
            case "--pipeline", "-P": options.pipeline = try integer(argument, minimum: 1)
            case "--mix":
                options.mixText = try value(argument)
                options.mix = try parseMix(options.mixText)
            case "--requests", "-n": options.requests = try integer(argument, minimum: 1)
            case "--duration": options.duration = try seconds(argument, allowZero: false)
            case "--warmup": options.warmup = try seconds(argument, allowZero: true)
            case "--rate": options.rate = try seconds(argument, allowZero: false)
            case "--payload-bytes": options.payloadBytes = try integer(argument, minimum: 0)
            case "--json": options.json = true
            case "--quiet", "-q": options.quiet = true
            case "--threads": options.threads = try integer(argument, minimum: 1)
            case "--self-test": options.selfTest = true
            case "--codec":
                let text = try value(argument)
                guard let codec = Codec(rawValue: text) else {
                    throw UsageError("--codec: expected raw or nio, got \"\(text)\"")
                }
                options.codec = codec
            case "--client-name": options.clientName = try value(argument)
            case "--stall-timeout": options.stallTimeout = try seconds(argument, allowZero: false)
            case "--timer-slack-ns":
                let text = try value(argument)
                if text == "default" || text == "0" {
                    options.timerSlackNanos = nil
                } else if let number = Int(text), number > 0 {
                    options.timerSlackNanos = number
                } else {
                    throw UsageError("--timer-slack-ns: expected a positive integer or \"default\", got \"\(text)\"")
                }
            case "--users-file":
                options.recommend.usersFile = try value(argument)
            case "--users-pattern":
                options.recommend.usersPattern = try UserPattern(parsing: try value(argument))
            case "--users-count":
                let count = try integer(argument, minimum: 1)
                guard count <= UserPool.maximumUsers else {
                    throw UsageError("\(argument): at most \(UserPool.maximumUsers)")
                }
                options.recommend.usersCount = count
            case "--recommend-count":
                let count = try integer(argument, minimum: 1)
                guard count <= RecommendOptions.maximumCount else {
                    throw UsageError("\(argument): at most \(RecommendOptions.maximumCount)")
                }
                options.recommend.count = count
                options.recommend.givenOptions.append(argument)
            case "--recommend-in-stock":
                options.recommend.isInStockOnly = true
                options.recommend.givenOptions.append(argument)
            case "--recommend-min-price":
                options.recommend.minimumPrice = try price(argument)
                options.recommend.givenOptions.append(argument)
            case "--recommend-max-price":
                options.recommend.maximumPrice = try price(argument)
                options.recommend.givenOptions.append(argument)
            case "--recommend-category":
                let category = try value(argument)
                guard !category.isEmpty, category.utf8.count <= UserPool.maximumIDBytes else {
                    throw UsageError("\(argument): expected a category name of 1 to \(UserPool.maximumIDBytes) bytes")
                }
                options.recommend.categories.append(category)
                options.recommend.givenOptions.append(argument)
            case "--recommend-exclude-seen":
                let text = try value(argument)
                guard let flag = Bool(text) else {
                    throw UsageError("\(argument): expected true or false, got \"\(text)\"")
                }
                options.recommend.excludeSeen = flag
                options.recommend.givenOptions.append(argument)
            case "--score-goal":
                options.score.goal = try value(argument)
                options.score.givenOptions.append(argument)
            case "--score-labels":
                options.score.labels = try value(argument).split(separator: ",").map(String.init)
                options.score.givenOptions.append(argument)
            case "--score-windows":
                options.score.includeWindows = true
                options.score.givenOptions.append(argument)
            case "--seed":
                let text = try value(argument)
                guard let seed = UInt64(text) else {
                    throw UsageError("\(argument): expected an integer from 0 to \(UInt64.max), got \"\(text)\"")
                }
                options.recommend.seed = seed
            case "--help", "-h": throw HelpRequested()
            default: throw UsageError("unknown option \"\(argument)\"")
            }
            index += 1
        }
        if let tcpText {
            if case .unix? = options.target { throw UsageError("give either --unix or --tcp, not both") }
            options.target = try Target.tcp(parsing: tcpText)
        }
        if options.selfTest {
            if case .unix? = options.target { throw UsageError("--self-test makes its own Unix socket; drop --unix") }
        } else {
            guard let target = options.target else {
                throw UsageError("give --unix PATH, --tcp HOST:PORT or --self-test")
            }
            if case .tcp = target, options.tokenFile == nil { throw UsageError("--tcp needs --token-file") }
        }
        if options.pipeline > 32_768 { throw UsageError("--pipeline: at most 32768") }
        if options.requests == nil && options.duration == nil { options.duration = 5 }
        if let rate = options.rate, rate < 1e-3 { throw UsageError("--rate must be positive") }
        let hasRecommend = options.mix.contains { $0.operation == .recommend }
        let hasScore = options.mix.contains { $0.operation == .score }
        if hasRecommend && hasScore {
            throw UsageError("--mix: recommend and score draw from one user pool; measure them in separate runs")
        }
        try options.score.validate(isInMix: hasScore)
        try options.recommend.validate(isInMix: hasRecommend || hasScore, isRecommendInMix: hasRecommend)
        if !hasRecommend && !hasScore
            && (options.recommend.usersFile != nil || options.recommend.usersPattern != nil
                || options.recommend.usersCount != nil)
        {
            throw UsageError(
                "--users-file, --users-pattern and --users-count only apply to RECOMMEND and SCORE: add recommend=W or score=W to --mix"
            )
        }
        return options
    }

    /// Parses `op=weight,...`. Unknown operations are refused, naming the known ones.
    static func parseMix(_ text: String) throws -> [MixEntry] {
        var entries: [MixEntry] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1)
            let name = pieces[0].trimmingSpaces().lowercased()
            let weightText = pieces.count == 2 ? pieces[1].trimmingSpaces() : "1"
            guard let operation = LoadOperation(rawValue: name) else {
                let known = LoadOperation.allCases.map(\.rawValue).joined(separator: ", ")
                if LoadOperation.definedButNotLoadable.contains(name) {
                    throw UsageError(
                        "--mix: \"\(name)\" is defined by the protocol but aamped does not serve it yet, so the load generator has no request for it; operations: \(known)"
                    )
                }
                throw UsageError("--mix: unknown operation \"\(name)\"; operations: \(known)")
            }
            guard let weight = Double(weightText), weight.isFinite, weight >= 0 else {
                throw UsageError("--mix: weight of \(name) must be a number >= 0, got \"\(weightText)\"")
            }
            if entries.contains(where: { $0.operation == operation }) {
                throw UsageError("--mix: \(name) is listed twice")
            }
            entries.append(MixEntry(operation: operation, weight: weight))
        }
        entries.removeAll { $0.weight == 0 }
        guard !entries.isEmpty else {
            throw UsageError("--mix: give at least one operation with a weight > 0, such as ping=1")
        }
        return entries
    }
}

struct HelpRequested: Error {}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

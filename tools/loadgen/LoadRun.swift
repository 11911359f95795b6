// One run: connect and handshake every connection, start them together, wait for them to finish, and
// gather what they measured with what the load generator itself cost.

import AampeProtocol
import Histogram
import NIOCore
import NIOPosix

struct LoadRun {
    let options: Options

    func run() throws -> Report {
        var selfTest: SelfTestServer?
        var target: Target
        var token: [UInt8]?
        if options.selfTest {
            var host: String?
            var port = 0
            if case .tcp(let tcpHost, let tcpPort)? = options.target {
                host = tcpHost
                port = tcpPort
            }
            let server = try SelfTestServer.start(tcpHost: host, tcpPort: port)
            selfTest = server
            target = server.target
            if case .tcp = target { token = Array("self-test-token-0123456789".utf8) }
        } else {
            target = options.target!
            if case .tcp = target, let tokenFile = options.tokenFile {
                guard let line = readFirstLine(tokenFile) else {
                    throw UsageError("--token-file: cannot read \(tokenFile)")
                }
                guard line.utf8.count >= 16 else {
                    throw UsageError("--token-file: the token in \(tokenFile) is shorter than 16 characters")
                }
                token = Array(line.utf8)
            }
        }
        defer { selfTest?.stop() }

        var perUser: UserFrameWriter?
        if let operation = options.mix.first(where: { $0.operation == .recommend || $0.operation == .score })?.operation
        {
            let loadStart = monotonicNanos()
            let users: UserPool
            if let file = options.recommend.usersFile {
                users = try UserPool.load(file: file)
            } else {
                // Options.validate made sure a pattern comes with a count.
                users = UserPool.generate(
                    pattern: options.recommend.usersPattern!,
                    count: options.recommend.usersCount!
                )
            }
            perUser =
                operation == .recommend
                ? UserFrameWriter(opcode: .recommend, request: options.recommend.request, users: users)
                : UserFrameWriter(opcode: .score, request: options.score.request, users: users)
            if !options.quiet && !options.json {
                printError(
                    "aampe-loadgen: \(users.count) user ids from \(users.source) in \(fixed(Double(monotonicNanos() - loadStart) / 1e6, 0)) ms"
                )
            }
        }
        let requests = RequestPlan(mix: options.mix, payloadBytes: options.payloadBytes, perUser: perUser)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let shared = RunShared(requestLimit: options.requests)

        // Connect and handshake.
        var readies: [EventLoopFuture<Void>] = []
        var dones: [EventLoopFuture<ConnectionResult>] = []
        var channels: [EventLoopFuture<any Channel>] = []
        let histogramsTemplate = Array(
            repeating: Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three),
            count: requests.frames.count
        )
        // One pacer per event loop (open loop); precise timers on the client threads.
        let slack = options.timerSlackNanos
        let pacers = try loops.map { loop in
            try loop.submit {
                if let slack { setTimerSlack(nanoseconds: slack) }
                return NIOLoopBound(Pacer(eventLoop: loop), eventLoop: loop)
            }.wait()
        }
        for index in 0..<options.connections {
            let loop = loops[index % loops.count]
            let ready = loop.makePromise(of: Void.self)
            let done = loop.makePromise(of: ConnectionResult.self)
            let setup = ConnectionSetup(
                index: index,
                requests: requests,
                codec: options.codec,
                depth: options.pipeline,
                token: token,
                clientName: options.clientName,
                stallTimeoutNanos: UInt64(options.stallTimeout * 1e9),
                shared: shared,
                ready: ready,
                done: done,
                pacer: pacers[index % loops.count],
                recommendSeed: options.recommend.seed
            )
            let codec = options.codec
            let bootstrap = ClientBootstrap(group: loop)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        switch codec {
                        case .raw:
                            try pipeline.addHandler(RawClientHandler(setup: setup))
                        case .nio:
                            try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maximumBodyLength: 1 << 26)))
                            try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                            try pipeline.addHandler(FrameClientHandler(setup: setup))
                        }
                    }
                }
            let channel: EventLoopFuture<any Channel>
            let target = target
            switch target {
            case .unix(let path): channel = bootstrap.connect(unixDomainSocketPath: path)
            case .tcp(let host, let port): channel = bootstrap.connect(host: host, port: port)
            }
            channel.whenFailure { error in
                ready.fail(error)
                var result = ConnectionResult(index: index, histograms: histogramsTemplate)
                result.failed = true
                result.failure = "connect to \(target) failed: \(error)"
                done.succeed(result)
            }
            readies.append(ready.futureResult)
            dones.append(done.futureResult)
            channels.append(channel)
        }
        var readyChannels: [any Channel] = []
        for (index, ready) in readies.enumerated() {
            if (try? ready.wait()) != nil, let channel = try? channels[index].wait() {
                readyChannels.append(channel)
            }
        }
        if !options.quiet && !options.json {
            printError(
                "aampe-loadgen: \(readyChannels.count)/\(options.connections) connections ready on \(target); running"
            )
        }

        // Start every connection at the same moment.
        let cpuBefore = loops.map { loop in (try? loop.submit { threadCPUNanos() }.wait()) ?? 0 }
        let responderBefore = selfTest.map { server in
            (try? server.group.next().submit { threadCPUNanos() }.wait()) ?? 0
        }
        let processBefore = processCPUNanos()
        let start = monotonicNanos() + 2_000_000
        let warmupEnd = start + UInt64(options.warmup * 1e9)
        let end = options.duration.map { warmupEnd + UInt64($0 * 1e9) }
        var interval: UInt64?
        if let rate = options.rate, !readyChannels.isEmpty {
            interval = max(1, UInt64((Double(readyChannels.count) / rate * 1e9).rounded()))
        }
        for (position, channel) in readyChannels.enumerated() {
            let offset = interval.map { $0 * UInt64(position) / UInt64(readyChannels.count) } ?? 0
            let plan = Plan(warmupEnd: warmupEnd, end: end, interval: interval, firstIntended: start + offset)
            channel.pipeline.fireUserInboundEventTriggered(StartEvent(plan: plan))
        }

        // Wait for every connection (each one ends: done, failed, or stalled past the watchdog).
        var results: [ConnectionResult] = []
        for done in dones {
            if let result = try? done.wait() { results.append(result) }
        }
        let finished = monotonicNanos()
        let cpuAfter = loops.map { loop in (try? loop.submit { threadCPUNanos() }.wait()) ?? 0 }
        let responderAfter = selfTest.map { server in (try? server.group.next().submit { threadCPUNanos() }.wait()) ?? 0
        }
        let processAfter = processCPUNanos()
        for channel in readyChannels { try? channel.close().wait() }

        var clientCPU: UInt64 = 0
        for (before, after) in zip(cpuBefore, cpuAfter) { clientCPU += after &- before }
        var responderCPU: UInt64?
        if let before = responderBefore, let after = responderAfter { responderCPU = after &- before }
        return Report(
            options: options,
            target: target,
            operationNames: requests.names,
            recommendIndex: perUser?.opcode == .recommend ? requests.perUserIndex : -1,
            scoreIndex: perUser?.opcode == .score ? requests.perUserIndex : -1,
            users: perUser?.users,
            results: results,
            readyConnections: readyChannels.count,
            warmupEnd: warmupEnd,
            start: start,
            finished: finished,
            clientThreadCPUNanos: clientCPU,
            processCPUNanos: processAfter &- processBefore,
            responderCPUNanos: responderCPU
        )
    }
}

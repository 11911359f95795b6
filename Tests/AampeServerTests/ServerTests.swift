import AampeClient
import AampeProtocol
import AampeServer
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Server: handshake and authentication", .serialized)
struct ServerHandshakeTests {
    @Test("a Unix client needs no credential; PING echoes")
    func unixPing() async throws {
        let server = try await TestServer()
        let client = server.client()
        let pong = try await client.ping(payload: Array("hello".utf8))
        #expect(Array(pong.payload) == Array("hello".utf8))
        let greeting = try await client.greeting()
        #expect(greeting.transport == "unix")
        #expect(greeting.nonce.count == 32)
        #expect(greeting.operations.map(\.name) == ["HELLO", "PING", "SIMILAR_ITEMS", "SCORE", "RELOAD"])
        await client.close()
        await server.stop()
    }

    @Test("TCP accepts the token or its HMAC, and refuses a wrong or missing one")
    func tcpCredentials() async throws {
        let server = try await TestServer()
        for credential in [AampeClient.Credential.token(TestServer.clientToken), .tokenHMAC(TestServer.clientToken)] {
            let client = server.client(credential, tcp: true)
            #expect(try await client.ping().payload.isEmpty)
            await client.close()
        }
        for credential in [
            AampeClient.Credential.none, .token(Array("wrong-token-0123456789".utf8)), .tokenHMAC(Array("wrong".utf8)),
        ] {
            let client = server.client(credential, tcp: true)
            await #expect {
                try await client.ping()
            } throws: { error in
                (error as? ClientError)?.serverCode == .authenticationFailed
            }
            await client.close()
        }
        await server.stop()
    }

    @Test("admin operations need the admin token (or the daemon's own user on the Unix socket)")
    func adminRights() async throws {
        let server = try await TestServer()
        let clientSession = server.client(.tokenHMAC(TestServer.clientToken), tcp: true)
        await #expect {
            try await clientSession.reload()
        } throws: { error in
            (error as? ClientError)?.serverCode == .permissionDenied
        }
        // The session survives a PERMISSION_DENIED.
        #expect(try await clientSession.ping().payload.isEmpty)
        let asksForAdmin = server.client(.tokenHMAC(TestServer.clientToken), tcp: true, wantsAdmin: true)
        await #expect {
            try await asksForAdmin.ping()
        } throws: { error in
            (error as? ClientError)?.serverCode == .authenticationFailed
        }
        let admin = server.client(.tokenHMAC(TestServer.adminToken), tcp: true, wantsAdmin: true)
        _ = try await admin.reload()
        // This test runs as the daemon's user, so the Unix socket grants admin rights.
        _ = try await server.client().reload()
        for client in [clientSession, asksForAdmin, admin] { await client.close() }
        await server.stop()
    }

    @Test("an operation before HELLO gets HANDSHAKE_REQUIRED and the connection closes")
    func operationBeforeHello() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        #expect(try raw.receiveFrame()?.header.opcode == .greeting)
        raw.send(.ping(5))
        let answer = try #require(try raw.receiveFrame())
        #expect(answer.errorCode == .handshakeRequired)
        #expect(answer.header.requestID == 5)
        #expect(try raw.isClosedByServer())
        await server.stop()
    }

    @Test(
        "HELLO newer than GREETING announces gets UNSUPPORTED_OPERATION_VERSION; the client may then say HELLO at version 1"
    )
    func helloVersion() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        let greeting = try #require(try raw.receiveFrame()).decodeBody(as: Aampe_V1_Greeting.self)
        let announced = try #require(greeting.operations.first { $0.opcode == UInt32(Opcode.hello.rawValue) })
        #expect(announced.newestVersion == 1)
        var hello = Aampe_V1_HelloRequest()
        hello.protocolMajor = 1
        raw.send(Frame(header: FrameHeader(opcode: .hello, opcodeVersion: 2, requestID: 3), message: hello))
        let refused = try #require(try raw.receiveFrame())
        #expect(refused.errorCode == .unsupportedOperationVersion)
        #expect(refused.header.requestID == 3 && refused.header.opcodeVersion == 2)
        raw.send(Frame(header: FrameHeader(opcode: .hello, opcodeVersion: 1, requestID: 4), message: hello))
        #expect(try raw.receiveFrame(answering: 4)?.header.status == .ok)
        raw.send(.ping(5, payload: [5]))
        #expect(try raw.receiveFrame(answering: 5)?.header.status == .ok)
        await server.stop()
    }

    @Test(
        "request id 0 is the server's: HELLO or a request with it gets INVALID_REQUEST, and the connection stays open"
    )
    func requestIDZero() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        _ = try raw.receiveFrame()  // GREETING
        var hello = Aampe_V1_HelloRequest()
        hello.protocolMajor = 1
        raw.send(Frame(header: FrameHeader(opcode: .hello, requestID: 0), message: hello))
        let refusedHello = try #require(try raw.receiveFrame())
        #expect(refusedHello.errorCode == .invalidRequest)
        #expect(refusedHello.header.requestID == 0 && refusedHello.header.opcode == .hello)
        #expect(refusedHello.errorResponse?.message.contains("request id 0") == true)
        raw.send(Frame(header: FrameHeader(opcode: .hello, requestID: 1), message: hello))
        #expect(try raw.receiveFrame(answering: 1)?.header.status == .ok)
        raw.send(.ping(0, payload: [1]))
        let refusedPing = try #require(try raw.receiveFrame())
        #expect(refusedPing.errorCode == .invalidRequest)
        #expect(refusedPing.header.requestID == 0 && refusedPing.header.opcode == .ping)
        raw.send(.ping(2, payload: [2]))
        #expect(try raw.receiveFrame(answering: 2)?.header.status == .ok)
        await server.stop()
    }

    @Test("a client that never says HELLO is dropped at the handshake timeout")
    func handshakeTimeout() async throws {
        // Long enough that the second client below, whose HELLO the same timeout bounds, is not dropped
        // too on a loaded 2-core CI machine (200 ms was: CI saw "the connection closed before the answer").
        var limits = ServerLimits.patient
        limits.handshakeTimeoutMillis = 2_000
        let server = try await TestServer(limits: limits)
        // Taken before connecting: the server's timer starts when it accepts, which is after the connect, so the
        // lower bound below holds however long this thread is held up between the two.
        let started = ContinuousClock.now
        let raw = try server.raw()
        _ = try raw.receiveFrame()  // GREETING
        #expect(try raw.receiveFrame()?.errorCode == .handshakeTimeout)
        #expect(try raw.isClosedByServer())
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(1_900) && waited < .seconds(10))
        // Others are still served.
        #expect(try await server.client().ping().payload.isEmpty)
        await server.stop()
    }

    @Test("an idle connection is closed at the idle timeout")
    func idleTimeout() async throws {
        var limits = ServerLimits.patient
        limits.idleTimeoutMillis = 300
        let server = try await TestServer(limits: limits)
        let raw = try server.raw()
        try raw.handshake()
        #expect(try raw.receiveFrame()?.errorCode == .idleTimeout)
        #expect(try raw.isClosedByServer())
        await server.stop()
    }
}

@Suite("Server: bad input", .serialized)
struct ServerBadInputTests {
    /// Sends `bytes` after the handshake (or before, when `handshake` is false), and returns the error
    /// code of the answer and whether the server then closed the connection.
    func answer(
        to bytes: [UInt8],
        handshake: Bool = true,
        finish: Bool = false,
        server: TestServer
    ) throws -> (ErrorCode?, Bool) {
        let raw = try server.raw()
        if handshake { try raw.handshake() } else { _ = try raw.receiveFrame() }
        raw.send(bytes)
        if finish { raw.finishSending() }
        let code = try raw.receiveFrame()?.errorCode
        return (code, try raw.isClosedByServer())
    }

    func header(opcode: UInt16 = 3, major: UInt8 = 1, version: UInt8 = 1, id: UInt32 = 9, length: UInt32) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(FrameHeader.magic, endianness: .little)
        buffer.writeInteger(major)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(opcode, endianness: .little)
        buffer.writeInteger(version)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(id, endianness: .little)
        buffer.writeInteger(length, endianness: .little)
        return Array(buffer.readableBytesView)
    }

    /// Each case gets its error and a close, and other connections are still served.
    @Test("garbage, wrong magic, wrong major version, truncated body, 4 GiB length")
    func malformed() async throws {
        let server = try await TestServer()
        let cases: [(String, [UInt8], Bool, ErrorCode)] = [
            ("garbage", Array("GET / HTTP/1.1\r\n\r\n".utf8), false, .malformedFrame),
            ("wrong magic", [0x41, 0x4D] + Array(header(length: 0).dropFirst(2)), false, .malformedFrame),
            ("major version 2", header(major: 2, length: 0), false, .unsupportedMajorVersion),
            ("truncated body", header(length: 100) + Array(repeating: 1, count: 10), true, .malformedFrame),
            ("4 GiB length", header(length: UInt32.max), false, .frameTooLarge),
        ]
        for (name, bytes, finish, expected) in cases {
            let (code, closed) = try answer(to: bytes, finish: finish, server: server)
            #expect(code == expected, "\(name)")
            #expect(closed, "\(name): the connection should close")
            #expect(try await server.client().ping(payload: [1]).payload == Data([1]), "\(name): others are served")
        }
        await server.stop()
    }

    @Test(
        "an unknown opcode, a newer opcode version and a body that does not parse are refused; the connection stays open"
    )
    func recoverable() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        try raw.handshake()
        raw.send(header(opcode: 999, id: 20, length: 0))
        #expect(try raw.receiveFrame(answering: 20)?.errorCode == .unsupportedOperation)
        raw.send(header(opcode: 3, version: 2, id: 21, length: 0))
        #expect(try raw.receiveFrame(answering: 21)?.errorCode == .unsupportedOperationVersion)
        raw.send(header(opcode: 3, id: 22, length: 3) + [0xFF, 0xFF, 0xFF])
        #expect(try raw.receiveFrame(answering: 22)?.errorCode == .invalidRequest)
        raw.send(header(opcode: 4, id: 23, length: 0))
        #expect(try raw.receiveFrame(answering: 23)?.errorCode == .unsupportedOperation)
        raw.send(.ping(24, payload: [7]))
        let pong = try #require(try raw.receiveFrame(answering: 24))
        #expect(pong.header.status == .ok)
        await server.stop()
    }
}

@Suite("Server: limits at max and max+1", .serialized)
struct ServerLimitTests {
    @Test("a body of exactly maximumBodyBytes is served; one byte more closes the connection")
    func bodyLength() async throws {
        var limits = ServerLimits.patient
        limits.maximumBodyBytes = 1024
        let server = try await TestServer(limits: limits)
        // PingRequest { payload } serializes as 0x0A, a 2-byte length, then the payload.
        let atLimit = Frame.ping(1, payload: Array(repeating: 7, count: 1021))
        #expect(atLimit.body.readableBytes == 1024)
        let raw = try server.raw()
        try raw.handshake()
        raw.send(atLimit)
        #expect(try raw.receiveFrame(answering: 1)?.header.status == .ok)
        let overLimit = Frame.ping(2, payload: Array(repeating: 7, count: 1022))
        #expect(overLimit.body.readableBytes == 1025)
        raw.send(overLimit)
        #expect(try raw.receiveFrame()?.errorCode == .frameTooLarge)
        #expect(try raw.isClosedByServer())
        await server.stop()
    }

    @Test("maximumInFlightRequests are held at once; one more is refused, and the rest complete")
    func inFlight() async throws {
        var limits = ServerLimits.patient
        limits.maximumInFlightRequests = 4
        let server = try await TestServer(limits: limits)
        let raw = try server.raw()
        try raw.handshake()
        for id in UInt32(10)..<14 {
            raw.send(Frame(header: FrameHeader(opcode: .score, requestID: id), message: Aampe_V1_ScoreRequest()))
        }
        raw.send(Frame(header: FrameHeader(opcode: .score, requestID: 14), message: Aampe_V1_ScoreRequest()))
        let refused = try #require(try raw.receiveFrame())
        #expect(refused.header.requestID == 14)
        #expect(refused.errorCode == .tooManyInFlight)
        // PROTOCOL.md: 0 means "do not retry"; a slot frees as soon as a request is answered.
        #expect(refused.errorResponse?.retryAfterMillis == 10)
        #expect(server.handler.gate.waitingCount == 4)
        server.handler.gate.open()
        var answered: Set<UInt32> = []
        for _ in 0..<4 {
            let frame = try #require(try raw.receiveFrame())
            #expect(frame.header.status == .ok)
            answered.insert(frame.header.requestID)
        }
        #expect(answered == [10, 11, 12, 13])
        await server.stop()
    }

    @Test("maximumConnections are served; one more is refused with TOO_MANY_CONNECTIONS")
    func connections() async throws {
        var limits = ServerLimits.patient
        limits.maximumConnections = 3
        let server = try await TestServer(limits: limits)
        let open = try (0..<3).map { _ in try server.raw() }
        for raw in open { try raw.handshake() }
        let extra = try server.raw()
        let refused = try #require(try extra.receiveFrame())
        #expect(refused.errorCode == .tooManyConnections)
        #expect(refused.header.requestID == 0 && refused.header.opcode.rawValue == 0)
        #expect(refused.errorResponse?.retryAfterMillis == 1_000)
        #expect(try extra.isClosedByServer())
        #expect(server.server.statistics.totalRejectedConnections == 1)
        _ = open  // keep the three open until here
        await server.stop()
    }
}

@Suite("Server: scale and shutdown", .serialized)
struct ServerScaleTests {
    @Test("1,000 concurrent connections are served correctly")
    func thousandConnections() async throws {
        let server = try await TestServer()
        let clients = (0..<1000).map { _ in server.client() }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    let payload = Array("client-\(index)".utf8)
                    return try await Array(client.ping(payload: payload).payload) == payload
                }
            }
            var correct = 0
            for try await isCorrect in group where isCorrect { correct += 1 }
            #expect(correct == 1000)
        }
        #expect(server.server.statistics.currentConnections == 1000)
        for client in clients { await client.close() }
        await server.stop()
    }

    @Test("graceful shutdown refuses new requests, lets in-flight ones finish, then closes")
    func drain() async throws {
        let server = try await TestServer(shutdownGracePeriodMillis: 5000)
        let raw = try server.raw()
        try raw.handshake()
        raw.send(Frame(header: FrameHeader(opcode: .score, requestID: 30), message: Aampe_V1_ScoreRequest()))
        while server.handler.gate.waitingCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let running = server.server
        let shutdown = Task { await running.shutdown() }
        // The connection drains once the shutdown task has run and its drain event has reached the connection's
        // event loop; until then a PING is answered. A fixed 100 ms sleep took that for granted, which a loaded
        // 2-core machine does not promise, so PING until one is refused (every later request is refused too).
        var ping: UInt32 = 31
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            raw.send(.ping(ping))
            let answer = try #require(try raw.receiveFrame(answering: ping))
            if answer.errorCode == .shuttingDown { break }
            #expect(answer.header.status == .ok)
            try #require(ContinuousClock.now < deadline, "no SHUTTING_DOWN within 20 s of the shutdown")
            ping += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        // SHUTTING_DOWN comes before the request id checks: a reused id and id 0 get it too, and the
        // connection stays open for the answer still in flight.
        raw.send(.ping(30))
        #expect(try raw.receiveFrame(answering: 30)?.errorCode == .shuttingDown)
        raw.send(.ping(0))
        #expect(try raw.receiveFrame(answering: 0)?.errorCode == .shuttingDown)
        server.handler.gate.open()
        let answer = try #require(try raw.receiveFrame(answering: 30))
        #expect(answer.header.status == .ok)
        #expect(try raw.isClosedByServer())
        await shutdown.value
        #expect(throws: RawConnectionError.self) { try server.raw() }
        await server.stop()
    }
}

extension ServerScaleTests {
    @Test("shutdown closes an idle session at once, without a frame")
    func shutdownClosesIdleSessions() async throws {
        let server = try await TestServer(shutdownGracePeriodMillis: 5000)
        let raw = try server.raw()
        try raw.handshake()
        let started = ContinuousClock.now
        await server.server.shutdown()
        #expect(try raw.receiveFrame() == nil, "an idle session is closed without an error frame")
        #expect(ContinuousClock.now - started < .seconds(4), "it does not wait for the grace period")
        await server.stop()
    }

    @Test("DUPLICATE_REQUEST_ID closes the connection, and the request in flight under that id is never answered")
    func duplicateDropsInFlight() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        try raw.handshake()
        raw.send(Frame(header: FrameHeader(opcode: .score, requestID: 40), message: Aampe_V1_ScoreRequest()))
        while server.handler.gate.waitingCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        raw.send(.ping(40))
        let refused = try #require(try raw.receiveFrame())
        #expect(refused.errorCode == .duplicateRequestID)
        #expect(refused.header.requestID == 40 && refused.header.opcode == .ping)
        server.handler.gate.open()
        #expect(try raw.receiveFrame() == nil, "the SCORE in flight is dropped, not answered")
        await server.stop()
    }
}

@Suite("Client: reconnect", .serialized)
struct ClientReconnectTests {
    @Test("after the server drops a connection, the next call reconnects")
    func reconnect() async throws {
        // The server drops the connection by restarting in place, as a redeployed daemon does. An idle
        // timeout would drop it too, but on a loaded CI machine it can also drop the new connection before
        // the request goes out (the cooperative pool, shared with blocking tests, can stall for seconds).
        let first = try await TestServer()
        let client = first.client()
        #expect(try await client.ping(payload: [1]).payload == Data([1]))
        await first.server.shutdown()
        #expect(first.server.statistics.currentConnections == 0)
        let second = try await TestServer(folder: first.folder)
        #expect(try await client.ping(payload: [2]).payload == Data([2]))
        #expect(second.server.statistics.totalAcceptedConnections == 1)
        await client.close()
        await second.stop()
        try? await first.group.shutdownGracefully()
    }
}

@Suite("Server: backpressure", .serialized)
struct ServerBackpressureTests {
    @Test("a client that sends without reading is stopped by backpressure, and then gets every answer")
    func slowReader() async throws {
        let server = try await TestServer()
        let raw = try server.raw()
        try raw.handshake()
        let payload = [UInt8](repeating: 7, count: 60_000)
        var sent = 0
        var requests: UInt32 = 0
        var rest: [UInt8] = []
        // Without backpressure the server keeps reading and queueing answers; with it, it stops reading and
        // the socket buffers fill. A full buffer alone is not proof, so a stall must last half a second, in
        // which a server that kept reading would drain it.
        var stalledSince: ContinuousClock.Instant?
        while sent < 64 << 20 {
            if rest.isEmpty {
                var buffer = ByteBuffer()
                buffer.writeFrame(.ping(requests + 2, payload: payload))
                rest = Array(buffer.readableBytesView)
                requests += 1
            }
            let result = rest.withUnsafeBytes {
                send(raw.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if result <= 0 {
                let since = stalledSince ?? .now
                stalledSince = since
                if ContinuousClock.now - since > .milliseconds(500) { break }
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            stalledSince = nil
            sent += result
            rest.removeFirst(result)
        }
        #expect(sent < 64 << 20, "the server kept reading \(sent) bytes from a client that reads nothing")
        // Finish a frame cut by the full buffer from another thread while this one reads the answers.
        let fd = raw.fd
        let sender = Thread { [rest] in
            _ = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        sender.start()
        var answered: UInt32 = 0
        while answered < requests, let frame = try raw.receiveFrame() {
            #expect(frame.header.status == .ok)
            answered += 1
        }
        #expect(answered == requests)
        await server.stop()
    }
}

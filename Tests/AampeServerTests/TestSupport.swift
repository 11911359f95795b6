import AampeClient
import AampeProtocol
import AampeServer
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A request handler for tests: PING echoes; SIMILAR_ITEMS answers ``similarItems(_:)``, as large as
/// asked; SCORE waits until the test opens the gate, so requests can be held in flight; RELOAD is
/// admin-only and answers at once.
final class TestHandler: RequestHandler {
    let gate = Gate()

    var operations: [OperationSupport] {
        [
            OperationSupport(opcode: .ping), OperationSupport(opcode: .similarItems), OperationSupport(opcode: .score),
            OperationSupport(opcode: .reload, requiresAdmin: true),
        ]
    }

    /// `count` items named `item_id` followed by their index, the first because of `item_id`, from
    /// generation 7, for a known item.
    static func similarItems(_ request: Aampe_V1_SimilarItemsRequest) -> Aampe_V1_SimilarItemsResponse {
        var response = Aampe_V1_SimilarItemsResponse()
        response.items = (0..<Int(request.count)).map { index in
            var item = Aampe_V1_Recommendation()
            item.itemID = request.itemID + "-\(index)"
            item.score = 1 / Double(index + 1)
            item.source = .neighbour
            if index == 0 { item.becauseOfItem = request.itemID }
            return item
        }
        response.generation = 7
        response.isKnownItem = true
        return response
    }

    func handle(_ request: Request, responder: Responder) {
        switch request.opcode {
        case .ping:
            do {
                let ping: Aampe_V1_PingRequest = try request.frame.decodeBody()
                var pong = Aampe_V1_PingResponse()
                pong.payload = ping.payload
                responder.respond(pong)
            } catch let error as ProtocolError {
                responder.fail(error)
            } catch {
                responder.fail(.internalError, "\(error)")
            }
        case .similarItems:
            do {
                responder.respond(Self.similarItems(try request.frame.decodeBody()))
            } catch let error as ProtocolError {
                responder.fail(error)
            } catch {
                responder.fail(.internalError, "\(error)")
            }
        case .score:
            gate.whenOpen { responder.respond(Aampe_V1_ScoreResponse()) }
        case .reload:
            responder.respond(Aampe_V1_ReloadResponse())
        default:
            responder.fail(.unsupportedOperation, "not served")
        }
    }
}

/// Holds work until opened.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiting: [@Sendable () -> Void])>((false, []))

    func whenOpen(_ work: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.isOpen { return true }
            state.waiting.append(work)
            return false
        }
        if runNow { work() }
    }

    var waitingCount: Int { state.withLock { $0.waiting.count } }

    func open() {
        let waiting = state.withLock { state -> [@Sendable () -> Void] in
            state.isOpen = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for work in waiting { work() }
    }
}

extension ServerLimits {
    /// The defaults with a 10-minute handshake timeout. On a loaded 2-core CI machine, tests that block
    /// the cooperative pool can delay a client's HELLO past the default 5 s while the server's event loop
    /// keeps time, and the server then rightly closes the connection. Tests of the handshake timeout set
    /// their own value.
    static var patient: ServerLimits {
        var limits = ServerLimits()
        limits.handshakeTimeoutMillis = 600_000
        return limits
    }
}

/// A server over a Unix socket in a temporary folder and TCP on a free port, running in this process.
final class TestServer {
    static let clientToken = Array("client-token-0123456789".utf8)
    static let adminToken = Array("admin-token-0123456789ab".utf8)

    let folder: String
    let socketPath: String
    let handler = TestHandler()
    let server: Server
    let group: MultiThreadedEventLoopGroup
    private(set) var tcpPort = 0

    /// `folder` names the folder of a previous server's socket, to start a server in its place.
    init(limits: ServerLimits = .patient, shutdownGracePeriodMillis: Int = 5000, folder: String? = nil) async throws {
        self.folder =
            folder ?? FileManager.default.temporaryDirectory.path + "/aampe-server-"
            + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: self.folder, withIntermediateDirectories: true)
        socketPath = self.folder + "/test.sock"
        var configuration = ServerConfiguration(
            addresses: [.unix(path: socketPath), .tcp(host: "127.0.0.1", port: 0)],
            credentials: Credentials(clientToken: Self.clientToken, adminToken: Self.adminToken),
            serverVersion: "test",
            logger: Logger(label: "test-server")
        )
        configuration.limits = limits
        configuration.shutdownGracePeriodMillis = shutdownGracePeriodMillis
        configuration.eventLoopThreads = 2
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        server = try Server(
            configuration: configuration,
            handler: handler,
            statistics: ServerStatistics(),
            group: group
        )
        try await server.start()
        tcpPort = try await server.boundAddresses().compactMap(\.port).first ?? 0
    }

    func stop() async {
        await server.shutdown()
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: folder)
    }

    func client(
        _ credential: AampeClient.Credential = .none,
        tcp: Bool = false,
        wantsAdmin: Bool = false
    ) -> AampeClient {
        var configuration = AampeClient.Configuration(
            address: tcp ? .tcp(host: "127.0.0.1", port: tcpPort) : .unix(path: socketPath),
            credential: credential
        )
        configuration.wantsAdmin = wantsAdmin
        configuration.requestTimeout = .seconds(10)
        return AampeClient(configuration: configuration, group: group)
    }

    func raw() throws -> RawConnection { try RawConnection(unixPath: socketPath) }
}

/// A blocking Unix-socket connection that sends exact bytes and reads frames, for tests of malformed
/// input and of the server closing connections.
final class RawConnection {
    let fd: Int32

    init(unixPath: String, receiveTimeoutSeconds: Int = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(unixPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw RawConnectionError.connect(errno) }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ frame: Frame) {
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        send(Array(buffer.readableBytesView))
    }

    /// Closes the sending side, so the server sees the end of the stream.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next frame, or `nil` when the server closed the connection.
    func receiveFrame() throws -> Frame? {
        guard let header = try receive(count: FrameHeader.length) else { return nil }
        var buffer = ByteBuffer(bytes: header)
        let length = Int(buffer.getInteger(at: 12, endianness: .little, as: UInt32.self)!)
        guard let body = try receive(count: length) else { return nil }
        buffer.writeBytes(body)
        var decoder = FrameDecoder(maximumBodyLength: Int(UInt32.max))
        return try decoder.decode(buffer: &buffer)
    }

    /// Reads frames until one answers `requestID` (or any frame when `nil`).
    func receiveFrame(answering requestID: UInt32?) throws -> Frame? {
        while let frame = try receiveFrame() {
            if requestID == nil || frame.header.requestID == requestID { return frame }
        }
        return nil
    }

    /// Whether the server has closed the connection (reads until end of stream or timeout).
    func isClosedByServer() throws -> Bool {
        var byte: UInt8 = 0
        while true {
            let count = recv(fd, &byte, 1, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    private func receive(count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let result = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, count - received, 0) }
            if result == 0 { return nil }
            if result < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw RawConnectionError.receive(errno)
            }
            received += result
        }
        return bytes
    }

    /// Reads the GREETING and completes HELLO without a credential.
    func handshake() throws {
        _ = try receiveFrame()
        var hello = Aampe_V1_HelloRequest()
        hello.protocolMajor = 1
        send(Frame(header: FrameHeader(opcode: .hello, requestID: 1), message: hello))
        guard let answer = try receiveFrame(), answer.header.status == .ok else { throw RawConnectionError.handshake }
    }
}

enum RawConnectionError: Error {
    case connect(Int32)
    case receive(Int32)
    case handshake
}

extension Frame {
    /// The error code of an error frame.
    var errorCode: ErrorCode? {
        errorResponse.map { ErrorCode(rawValue: $0.code) }
    }

    /// The body of an error frame.
    var errorResponse: Aampe_V1_ErrorResponse? {
        guard header.status == .error else { return nil }
        return try? decodeBody(as: Aampe_V1_ErrorResponse.self)
    }

    static func ping(_ id: UInt32, payload: [UInt8] = []) -> Frame {
        var request = Aampe_V1_PingRequest()
        request.payload = Data(payload)
        return Frame(header: FrameHeader(opcode: .ping, requestID: id), message: request)
    }
}

// A trivial in-process responder for --self-test: greets, then answers every frame with its own header
// (status OK) and body, without parsing bodies or any protocol work. What the load generator achieves
// against it is its own ceiling on this machine, and what it costs per request is its own overhead.

import AampeProtocol
import Foundation
import NIOCore
import NIOPosix
import SwiftProtobuf

final class EchoResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let greeting: [UInt8]
    private var pending: ByteBuffer?
    private var needsFlush = false

    init(greeting: [UInt8]) {
        self.greeting = greeting
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: greeting.count)
        buffer.writeBytes(greeting)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var earlier = pending {
            pending = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        // Answers are the requests themselves: same header and body. A PING body echoed is a valid
        // PingResponse; the client does not parse the bodies of HELLO or STATS answers.
        var frameBytes = 0
        buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while raw.count - offset >= FrameHeader.length {
                let bodyLength = Int(
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                )
                guard raw.count - offset - FrameHeader.length >= bodyLength else { break }
                offset += FrameHeader.length + bodyLength
            }
            frameBytes = offset
        }
        if frameBytes > 0 {
            // Requests carry status OK and no flags already, so they go back unchanged, without a copy.
            let out = buffer.readSlice(length: frameBytes)!
            context.write(wrapOutboundOut(out), promise: nil)
            needsFlush = true
        }
        if buffer.readableBytes > 0 {
            var rest = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, 4096))
            rest.writeBuffer(&buffer)
            pending = rest
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The responder's listener and its event loop.
struct SelfTestServer {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let target: Target
    let socketDirectory: String?

    static func start(tcpHost: String?, tcpPort: Int) throws -> SelfTestServer {
        var greeting = Aampe_V1_Greeting()
        greeting.protocolMajor = 1
        greeting.serverVersion = "self-test"
        greeting.nonce = .init((0..<32).map { UInt8($0) })
        greeting.transport = tcpHost == nil ? "unix" : "tcp"
        let body: [UInt8] = try greeting.serializedBytes()
        var frame = ByteBufferAllocator().buffer(capacity: FrameHeader.length + body.count)
        frame.writeFrameHeader(FrameHeader(opcode: .greeting, requestID: 0), bodyLength: body.count)
        frame.writeBytes(body)
        let greetingBytes = Array(frame.readableBytesView)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoResponder(greeting: greetingBytes))
                }
            }
        if let tcpHost {
            let channel = try bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1).bind(
                host: tcpHost,
                port: tcpPort
            ).wait()
            let port = channel.localAddress?.port ?? tcpPort
            return SelfTestServer(
                group: group,
                channel: channel,
                target: .tcp(host: tcpHost, port: port),
                socketDirectory: nil
            )
        }
        let directory = makeTemporaryDirectory()
        let path = directory + "/self-test.sock"
        let channel = try bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        return SelfTestServer(group: group, channel: channel, target: .unix(path: path), socketDirectory: directory)
    }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        if let socketDirectory { removeDirectory(socketDirectory) }
    }
}

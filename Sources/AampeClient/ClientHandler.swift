internal import AampeProtocol
internal import NIOCore

/// A request on its way out: the frame, and where its answer goes.
struct PendingRequest {
    var frame: Frame
    var promise: EventLoopPromise<[Frame]>
    var timeout: TimeAmount
}

/// Matches response frames to requests by request id, collects MORE-flagged frames, and fails what is
/// pending when the connection closes or a request times out.
///
/// Not `Sendable`: it lives on its channel's event loop. Requests reach it as outbound writes, which
/// the channel delivers on the loop whatever thread wrote them.
final class ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = Frame

    private struct Entry {
        var opcode: Opcode
        var promise: EventLoopPromise<[Frame]>
        var frames: [Frame]
        var timer: Scheduled<Void>?
    }

    private var pending: [UInt32: Entry] = [:]
    let greeting: EventLoopPromise<Frame>
    private var hasGreeting = false

    init(greeting: EventLoopPromise<Frame>) {
        self.greeting = greeting
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        let id = request.frame.header.requestID
        let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
        let opcode = request.frame.header.opcode
        let timer = context.eventLoop.scheduleTask(in: request.timeout) {
            loop.value.fail(
                id,
                ClientError.timedOut(
                    opcode: opcode,
                    requestID: id,
                    afterMillis: Int(request.timeout.nanoseconds / 1_000_000)
                )
            )
        }
        pending[id] = Entry(opcode: opcode, promise: request.promise, frames: [], timer: timer)
        context.write(wrapOutboundOut(request.frame), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if !hasGreeting {
            hasGreeting = true
            if frame.header.opcode == .greeting && frame.header.status == .ok {
                greeting.succeed(frame)
            } else {
                greeting.fail(
                    ClientError.invalidResponse(opcode: frame.header.opcode, reason: "the first frame was not GREETING")
                )
            }
            return
        }
        let id = frame.header.requestID
        guard var entry = pending[id] else { return }  // an answer to a request that timed out
        entry.frames.append(frame)
        if frame.header.flags.contains(.more) && frame.header.status == .ok {
            pending[id] = entry
            return
        }
        pending[id] = nil
        entry.timer?.cancel()
        entry.promise.succeed(entry.frames)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !hasGreeting {
            hasGreeting = true
            greeting.fail(ClientError.connectionClosed(opcode: .greeting, requestID: 0))
        }
        for (id, entry) in pending {
            entry.timer?.cancel()
            entry.promise.fail(ClientError.connectionClosed(opcode: entry.opcode, requestID: id))
        }
        pending.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func fail(_ id: UInt32, _ error: ClientError) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        entry.promise.fail(error)
    }
}

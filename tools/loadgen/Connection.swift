// One load-generating connection: handshake, then D requests in flight (closed loop) or requests at
// their scheduled times with at most D in flight (open loop), responses matched by request id.
//
// Everything here runs on the connection's event loop. The hot path takes one clock reading per socket
// read, writes all the requests a read makes room for into one buffer copied from pre-built frames, and
// flushes once per read burst.

import AampeProtocol
import Crypto
import Foundation
import Histogram
import NIOCore
import SwiftProtobuf
import Synchronization

/// CLOCK_MONOTONIC in nanoseconds, the clock NIO schedules on.
@inline(__always)
func monotonicNanos() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

/// When a connection sends, shared by all connections of a run.
struct Plan: Sendable {
    /// Requests sent (closed loop) or scheduled (open loop) from here on are measured.
    var warmupEnd: UInt64
    /// No request is sent or scheduled at or after this (duration mode).
    var end: UInt64?
    /// Open loop: nanoseconds between this connection's scheduled requests.
    var interval: UInt64?
    /// Open loop: when this connection's first request is due (connections are staggered).
    var firstIntended: UInt64
}

/// Sent down every pipeline to start the load at once.
struct StartEvent: Sendable {
    var plan: Plan
}

/// What all connections share: the measured-request budget of `--requests`.
final class RunShared: Sendable {
    let requestLimit: Int?
    let issued = Atomic<Int>(0)
    init(requestLimit: Int?) { self.requestLimit = requestLimit }
}

struct ErrorTally: Sendable {
    var count: UInt64
    var message: String
}

/// What one connection measured.
struct ConnectionResult: Sendable {
    var index: Int
    /// Latency of measured OK responses, nanoseconds, per operation of the mix.
    var histograms: [Histogram<UInt64>]
    /// Measured responses, OK or error.
    var measured: UInt64 = 0
    /// Measured OK responses.
    var ok: UInt64 = 0
    /// All responses, warmup included (for CPU per request).
    var completed: UInt64 = 0
    /// Error frames received, warmup included.
    var errorFrames: UInt64 = 0
    var errorCodes: [UInt32: ErrorTally] = [:]
    /// Responses whose request id matched nothing in flight.
    var unmatched: UInt64 = 0
    /// Requests in flight when the connection failed.
    var lost: UInt64 = 0
    var failed = false
    var failure: String?
    var lastMeasuredCompletion: UInt64 = 0
    /// Body bytes of measured OK responses, per operation of the mix.
    var responseBodyBytes: [UInt64] = []
    /// Measured OK RECOMMEND responses with no item.
    var emptyRecommendations: UInt64 = 0
    /// Open loop: requests that left more than 1 ms after their scheduled time, and the worst delay.
    var lateSends: UInt64 = 0
    var maxLateNanos: UInt64 = 0
}

/// What a connection needs to know.
struct ConnectionSetup: Sendable {
    var index: Int
    var requests: RequestPlan
    var codec: Codec
    var depth: Int
    /// TCP: the token, proven with HMAC over the greeting's nonce. Unix: nil, no credential.
    var token: [UInt8]?
    var clientName: String
    var stallTimeoutNanos: UInt64
    var shared: RunShared
    var ready: EventLoopPromise<Void>
    var done: EventLoopPromise<ConnectionResult>
    /// Open loop: the pacer of the connection's event loop.
    var pacer: NIOLoopBound<Pacer>
    /// Seeds the connection's RECOMMEND user draws.
    var recommendSeed: UInt64
}

struct ConnectionFailure: Error, CustomStringConvertible {
    var description: String
}

/// The state and logic of one connection, driven by a thin inbound handler that cuts frames.
final class ConnectionDriver {
    private enum Phase { case awaitingGreeting, awaitingHello, ready, running, finished }

    private static let helloRequestID: UInt32 = 1
    private static let handshakeTimeoutNanos: UInt64 = 10_000_000_000

    private let setup: ConnectionSetup
    private var phase = Phase.awaitingGreeting
    private var plan = Plan(warmupEnd: 0, end: nil, interval: nil, firstIntended: 0)
    private var context: ChannelHandlerContext?
    private var needsFlush = false
    private var watchdog: RepeatedTask?
    private let createdAt = monotonicNanos()

    // Requests in flight, indexed by request id & slotMask. Raw memory: no bounds or exclusivity checks on
    // the hot path.
    private let depth: Int
    private let slotMask: Int
    private let slotID: UnsafeMutablePointer<UInt32>
    private let slotStart: UnsafeMutablePointer<UInt64>
    /// Bit 7: in use; bit 6: measured; bits 0-5: operation index.
    private let slotInfo: UnsafeMutablePointer<UInt8>
    private let sequence: [UInt8]
    private let sequenceMask: Int
    private let frames: [[UInt8]]
    private let largestFrame: Int
    /// The mix's RECOMMEND index (-1: none), whose frames are written per request for a drawn user.
    private let perUserIndex: Int
    private let perUser: UserFrameWriter?
    /// Whether the per-user operation is RECOMMEND, whose answers without items are counted.
    private let countsEmptyRecommendations: Bool
    private let userCount: Int
    private var userDraw: UserDraw
    /// Body bytes of measured OK responses per operation; raw memory like the slots.
    private let responseBytes: UnsafeMutablePointer<UInt64>

    private var nextID: UInt32 = 2
    private var position: Int
    private var inFlight = 0
    private var stopIssuing = false
    private var nextIntended: UInt64 = 0
    private var lastProgress: UInt64 = 0

    private var histograms: [Histogram<UInt64>]
    private var result: ConnectionResult

    init(setup: ConnectionSetup) {
        self.setup = setup
        self.depth = setup.depth
        var slots = 1024
        while slots < 4 * setup.depth { slots <<= 1 }
        self.slotMask = slots - 1
        slotID = .allocate(capacity: slots)
        slotID.initialize(repeating: 0, count: slots)
        slotStart = .allocate(capacity: slots)
        slotStart.initialize(repeating: 0, count: slots)
        slotInfo = .allocate(capacity: slots)
        slotInfo.initialize(repeating: 0, count: slots)
        sequence = setup.requests.sequence
        sequenceMask = sequence.count - 1
        frames = setup.requests.frames
        perUserIndex = setup.requests.perUserIndex
        perUser = setup.requests.perUser
        countsEmptyRecommendations = setup.requests.perUser?.opcode == .recommend
        userCount = perUser?.users.count ?? 0
        userDraw = UserDraw(seed: setup.recommendSeed, connection: setup.index)
        largestFrame = max(frames.map(\.count).max() ?? FrameHeader.length, perUser?.largestFrameBytes ?? 0)
        responseBytes = .allocate(capacity: frames.count)
        responseBytes.initialize(repeating: 0, count: frames.count)
        // Connections start at different points of the mix, so a mix is spread over them.
        position = setup.index &* 131
        let histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        histograms = Array(repeating: histogram, count: frames.count)
        result = ConnectionResult(index: setup.index, histograms: [])
    }

    deinit {
        slotID.deallocate()
        slotStart.deallocate()
        slotInfo.deallocate()
        responseBytes.deallocate()
    }

    // MARK: Channel events

    func added(context: ChannelHandlerContext) {
        self.context = context
    }

    func active(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) {
            _ in
            bound.value.watchdogFired()
        }
    }

    func inactive() {
        if phase != .finished {
            let lastError = result.errorCodes.values.first.map { ": last error frame: \($0.message)" } ?? ""
            fail("the connection was closed by the peer\(lastError)")
        }
    }

    func caught(_ error: any Error) {
        fail("connection error: \(error)")
    }

    func readComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    func userEvent(_ event: Any) -> Bool {
        guard let start = event as? StartEvent else { return false }
        guard phase == .ready, let context else { return true }
        phase = .running
        plan = start.plan
        let now = monotonicNanos()
        lastProgress = now
        nextIntended = plan.firstIntended
        if plan.interval != nil { setup.pacer.value.add(self) }
        sendDue(now: now)
        requestWake()
        flushIfNeeded(context)
        checkDone()
        return true
    }

    /// One whole frame received. `body` is read only for handshake and error frames; `firstBodyByte` is 0
    /// for an empty body.
    @inline(__always)
    func frame(
        opcode: UInt16,
        status: UInt8,
        flags: UInt8,
        requestID: UInt32,
        bodyLength: Int,
        firstBodyByte: UInt8,
        now: UInt64,
        body: () -> [UInt8]
    ) {
        if phase == .running {
            complete(
                requestID: requestID,
                status: status,
                flags: flags,
                bodyLength: bodyLength,
                firstBodyByte: firstBodyByte,
                now: now,
                body: body
            )
        } else {
            handshake(opcode: opcode, status: status, requestID: requestID, body: body())
        }
    }

    /// After a read's frames were handled: send what they made room for.
    @inline(__always)
    func afterRead(now: UInt64) {
        guard phase == .running else { return }
        sendDue(now: now)
        requestWake()
        checkDone()
    }

    // MARK: Handshake

    private func handshake(opcode: UInt16, status: UInt8, requestID: UInt32, body: [UInt8]) {
        if status != 0 {
            let message =
                (try? Aampe_V1_ErrorResponse(serializedBytes: body)).map {
                    "\(ErrorCode(rawValue: $0.code)): \($0.message)"
                } ?? "unparsable error body"
            return fail("refused during the handshake: \(message)")
        }
        switch phase {
        case .awaitingGreeting:
            guard opcode == Opcode.greeting.rawValue, let greeting = try? Aampe_V1_Greeting(serializedBytes: body)
            else {
                return fail("expected GREETING as the first frame, got opcode \(opcode)")
            }
            var hello = Aampe_V1_HelloRequest()
            hello.protocolMajor = UInt32(FrameHeader.currentMajorVersion)
            hello.clientName = setup.clientName
            if let token = setup.token {
                let mac = HMAC<SHA256>.authenticationCode(for: Array(greeting.nonce), using: SymmetricKey(data: token))
                hello.tokenHmac = .init(Array(mac))
            }
            let bytes: [UInt8] = try! hello.serializedBytes()
            phase = .awaitingHello
            writeFrame(opcode: .hello, requestID: Self.helloRequestID, body: bytes)
            context?.flush()
        case .awaitingHello:
            guard opcode == Opcode.hello.rawValue, requestID == Self.helloRequestID else {
                return fail("expected the HELLO response, got opcode \(opcode) request id \(requestID)")
            }
            phase = .ready
            setup.ready.succeed(())
        case .ready:
            // Nothing is in flight yet; an unsolicited OK frame is a protocol error.
            fail("unexpected frame (opcode \(opcode)) before the load started")
        case .running, .finished:
            break
        }
    }

    private func writeFrame(opcode: Opcode, requestID: UInt32, body: [UInt8]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: FrameHeader.length + body.count)
        switch setup.codec {
        case .raw:
            buffer.writeFrameHeader(FrameHeader(opcode: opcode, requestID: requestID), bodyLength: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(buffer), promise: nil)
        case .nio:
            buffer.writeBytes(body)
            context.write(
                NIOAny(Frame(header: FrameHeader(opcode: opcode, requestID: requestID), body: buffer)),
                promise: nil
            )
        }
    }

    // MARK: Responses

    @inline(__always)
    private func complete(
        requestID: UInt32,
        status: UInt8,
        flags: UInt8,
        bodyLength: Int,
        firstBodyByte: UInt8,
        now: UInt64,
        body: () -> [UInt8]
    ) {
        if status != 0 { recordError(body()) }
        // More frames of this response follow; the request is still in flight.
        if flags & 1 != 0 { return }
        let slot = Int(requestID) & slotMask
        let info = slotInfo[slot]
        guard info & 0x80 != 0, slotID[slot] == requestID else {
            // Unsolicited error frames (request id 0) were counted as errors above.
            if status == 0 { result.unmatched += 1 }
            return
        }
        slotInfo[slot] = 0
        inFlight -= 1
        result.completed += 1
        lastProgress = now
        guard info & 0x40 != 0 else { return }
        result.measured += 1
        result.lastMeasuredCompletion = now
        if status == 0 {
            result.ok += 1
            let operation = Int(info & 0x3F)
            let start = slotStart[slot]
            let latency = now > start ? now - start : 1
            _ = histograms[operation].record(min(latency, 60_000_000_000))
            responseBytes[operation] &+= UInt64(bodyLength)
            // A RecommendResponse with items starts with field 1 (items), tag 0x0A: SwiftProtobuf, which
            // aamped answers with, writes fields in number order. No items, no tag.
            if operation == perUserIndex && countsEmptyRecommendations && firstBodyByte != 0x0A {
                result.emptyRecommendations += 1
            }
        }
    }

    private func recordError(_ body: [UInt8]) {
        result.errorFrames += 1
        let decoded = try? Aampe_V1_ErrorResponse(serializedBytes: body)
        let code = decoded?.code ?? 0
        if result.errorCodes[code] == nil {
            let name =
                decoded.map { "\(ErrorCode(rawValue: $0.code).name): \($0.message)" }
                ?? "error frame with an unparsable body"
            result.errorCodes[code] = ErrorTally(count: 1, message: name)
        } else {
            result.errorCodes[code]!.count += 1
        }
    }

    // MARK: Sending

    /// May a request sent or scheduled at `time` go out? Consumes the shared budget when it is measured.
    @inline(__always)
    private func admit(_ time: UInt64) -> Bool {
        if time < plan.warmupEnd { return true }
        if let end = plan.end, time >= end { return false }
        if let limit = setup.shared.requestLimit {
            return setup.shared.issued.wrappingAdd(1, ordering: .relaxed).oldValue < limit
        }
        return true
    }

    /// Sends every request that is due and fits under the depth, in one buffer (raw) or one write per
    /// frame (nio), without flushing.
    private func sendDue(now: UInt64) {
        guard !stopIssuing, inFlight < depth, let context else { return }
        if plan.interval != nil && nextIntended > now { return }
        switch setup.codec {
        case .raw:
            var buffer = context.channel.allocator.buffer(capacity: (depth - inFlight) * largestFrame)
            issue(now: now) { operation, requestID in
                if operation == perUserIndex {
                    let user = userDraw.next(below: userCount)
                    perUser.unsafelyUnwrapped.write(user: user, requestID: requestID, into: &buffer)
                    return
                }
                let frame = frames[operation]
                let start = buffer.writerIndex
                buffer.writeBytes(frame)
                buffer.setInteger(requestID, at: start + 8, endianness: .little)
            }
            if buffer.readableBytes > 0 {
                context.write(NIOAny(buffer), promise: nil)
                needsFlush = true
            }
        case .nio:
            let requests = setup.requests
            issue(now: now) { operation, requestID in
                let header = FrameHeader(opcode: requests.opcodes[operation], requestID: requestID)
                var body = requests.bodies[operation]
                if operation == perUserIndex {
                    let user = userDraw.next(below: userCount)
                    body = perUser.unsafelyUnwrapped.body(user: user, allocator: context.channel.allocator)
                }
                context.write(NIOAny(Frame(header: header, body: body)), promise: nil)
                needsFlush = true
            }
        }
    }

    @inline(__always)
    private func issue(now: UInt64, _ emit: (Int, UInt32) -> Void) {
        if let interval = plan.interval {
            while inFlight < depth && nextIntended <= now {
                let intended = nextIntended
                guard admit(intended) else {
                    stopIssuing = true
                    return
                }
                let late = now - intended
                if late > 1_000_000 { result.lateSends += 1 }
                if late > result.maxLateNanos { result.maxLateNanos = late }
                emit(take(start: intended, measured: intended >= plan.warmupEnd), currentID)
                nextIntended = intended &+ interval
            }
        } else {
            while inFlight < depth {
                guard admit(now) else {
                    stopIssuing = true
                    return
                }
                emit(take(start: now, measured: now >= plan.warmupEnd), currentID)
            }
        }
    }

    private var currentID: UInt32 = 0

    /// Claims a slot and a request id (left in `currentID`) for the next operation of the mix; returns the
    /// operation's index.
    @inline(__always)
    private func take(start: UInt64, measured: Bool) -> Int {
        var id = nextID
        while slotInfo[Int(id) & slotMask] & 0x80 != 0 { id &+= 1 }
        nextID = id &+ 1
        let operation = Int(sequence[position & sequenceMask])
        position &+= 1
        let slot = Int(id) & slotMask
        slotID[slot] = id
        slotStart[slot] = start
        slotInfo[slot] = 0x80 | (measured ? 0x40 : 0) | UInt8(operation)
        inFlight += 1
        currentID = id
        return operation
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    // MARK: Open-loop pacing

    /// When this connection next needs the event loop to wake it: its next scheduled request, unless it
    /// is done issuing or at its depth (then a response wakes it).
    private var wantedWake: UInt64? {
        guard phase == .running, plan.interval != nil, !stopIssuing, inFlight < depth else { return nil }
        return nextIntended
    }

    private func requestWake() {
        if let wake = wantedWake { setup.pacer.value.wake(at: wake) }
    }

    /// Called by the pacer at or after a wake this connection asked for: sends what is due, flushes, and
    /// returns the next wake it needs.
    func paced(now: UInt64) -> UInt64? {
        guard phase == .running, let context else { return nil }
        sendDue(now: now)
        flushIfNeeded(context)
        checkDone()
        return wantedWake
    }

    // MARK: Ending

    private func watchdogFired() {
        let now = monotonicNanos()
        switch phase {
        case .awaitingGreeting, .awaitingHello:
            if now - createdAt > Self.handshakeTimeoutNanos { fail("no handshake within 10 s") }
        case .running:
            if inFlight > 0 && now - lastProgress > setup.stallTimeoutNanos {
                fail("\(inFlight) requests in flight and no response for \(Double(setup.stallTimeoutNanos) / 1e9) s")
            }
        case .ready, .finished:
            break
        }
    }

    private func checkDone() {
        if phase == .running && stopIssuing && inFlight == 0 { finish() }
    }

    private func finish() {
        guard phase != .finished else { return }
        let wasReady = phase == .ready || phase == .running
        phase = .finished
        watchdog?.cancel()
        watchdog = nil
        result.histograms = histograms
        result.responseBodyBytes = Array(UnsafeBufferPointer(start: responseBytes, count: frames.count))
        if !wasReady { setup.ready.fail(ConnectionFailure(description: result.failure ?? "handshake failed")) }
        setup.done.succeed(result)
    }

    /// Ends the connection as failed: what is in flight is lost.
    private func fail(_ message: String) {
        guard phase != .finished else { return }
        result.failed = true
        result.failure = result.failure ?? message
        result.lost += UInt64(inFlight)
        inFlight = 0
        stopIssuing = true
        finish()
        context?.close(promise: nil)
    }
}

// MARK: Pacer

/// Open loop: one timer per event loop for all its connections. When it fires, every connection sends
/// the requests that are due, and the timer is set for the earliest next one. Connections on one loop
/// share wakeups, and no scheduled task is made per request.
final class Pacer {
    private let eventLoop: any EventLoop
    private var drivers: [ConnectionDriver] = []
    private var task: Scheduled<Void>?
    private var deadline: UInt64 = .max

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func add(_ driver: ConnectionDriver) {
        drivers.append(driver)
    }

    /// Makes sure the loop wakes by `time`.
    func wake(at time: UInt64) {
        guard time < deadline else { return }
        task?.cancel()
        deadline = time
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        task = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(time)) { bound.value.fire() }
    }

    private func fire() {
        task = nil
        deadline = .max
        let now = monotonicNanos()
        var next = UInt64.max
        for driver in drivers {
            if let wake = driver.paced(now: now), wake < next { next = wake }
        }
        if next != .max { wake(at: next) }
    }
}

// MARK: Handlers

/// Cuts frames by hand from the raw byte stream: header fields read straight from memory, bodies skipped
/// unless a frame is an error or part of the handshake.
final class RawClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let driver: ConnectionDriver
    private var pending: ByteBuffer?

    init(setup: ConnectionSetup) {
        driver = ConnectionDriver(setup: setup)
    }

    func handlerAdded(context: ChannelHandlerContext) { driver.added(context: context) }
    func channelActive(context: ChannelHandlerContext) {
        driver.active(context: context)
        context.fireChannelActive()
    }
    func channelInactive(context: ChannelHandlerContext) {
        driver.inactive()
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { driver.caught(error) }
    func channelReadComplete(context: ChannelHandlerContext) { driver.readComplete(context: context) }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !driver.userEvent(event) { context.fireUserInboundEventTriggered(event) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var earlier = pending {
            pending = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        let now = monotonicNanos()
        let driver = self.driver
        var badMagic = false
        let consumed = buffer.withUnsafeReadableBytes { raw -> Int in
            var offset = 0
            let count = raw.count
            while count - offset >= FrameHeader.length {
                if raw[offset] != 0x61 || raw[offset + 1] != 0x6D {
                    badMagic = true
                    break
                }
                let bodyLength = Int(
                    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                )
                guard count - offset - FrameHeader.length >= bodyLength else { break }
                let opcode = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self))
                let requestID = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
                let bodyStart = offset + FrameHeader.length
                driver.frame(
                    opcode: opcode,
                    status: raw[offset + 7],
                    flags: raw[offset + 3],
                    requestID: requestID,
                    bodyLength: bodyLength,
                    firstBodyByte: bodyLength > 0 ? raw[bodyStart] : 0,
                    now: now
                ) {
                    Array(UnsafeRawBufferPointer(rebasing: raw[bodyStart..<(bodyStart + bodyLength)]))
                }
                offset = bodyStart + bodyLength
            }
            return offset
        }
        if badMagic {
            driver.caught(ConnectionFailure(description: "bad frame magic from the server"))
            return
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if buffer.readableBytes > 0 {
            var rest = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, 4096))
            rest.writeBuffer(&buffer)
            pending = rest
        }
        driver.afterRead(now: now)
    }
}

/// Uses AampeProtocol's FrameDecoder (before it in the pipeline) and FrameEncoder (for writes).
final class FrameClientHandler: ChannelInboundHandler {
    typealias InboundIn = Frame

    private let driver: ConnectionDriver
    private var burstNow: UInt64 = 0

    init(setup: ConnectionSetup) {
        driver = ConnectionDriver(setup: setup)
    }

    func handlerAdded(context: ChannelHandlerContext) { driver.added(context: context) }
    func channelActive(context: ChannelHandlerContext) {
        driver.active(context: context)
        context.fireChannelActive()
    }
    func channelInactive(context: ChannelHandlerContext) {
        driver.inactive()
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { driver.caught(error) }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !driver.userEvent(event) { context.fireUserInboundEventTriggered(event) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // One clock reading per read burst: the decoder delivers a socket read's frames back to back.
        if burstNow == 0 { burstNow = monotonicNanos() }
        let header = frame.header
        let body = frame.body
        driver.frame(
            opcode: header.opcode.rawValue,
            status: header.status.rawValue,
            flags: header.flags.rawValue,
            requestID: header.requestID,
            bodyLength: body.readableBytes,
            firstBodyByte: body.getInteger(at: body.readerIndex, as: UInt8.self) ?? 0,
            now: burstNow
        ) { Array(frame.body.readableBytesView) }
        driver.afterRead(now: burstNow)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        burstNow = 0
        driver.readComplete(context: context)
    }
}

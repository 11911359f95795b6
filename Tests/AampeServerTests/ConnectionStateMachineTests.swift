import AampeCore
import AampeProtocol
import NIOCore
import Testing

@testable import AampeServer

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var limits: ServerLimits {
        var limits = ServerLimits()
        limits.maximumInFlightRequests = 3
        limits.handshakeTimeoutMillis = 100
        limits.idleTimeoutMillis = 1000
        return limits
    }
    let session = Session(id: 1, transport: "unix", isAdmin: false, clientName: "test")

    func header(_ opcode: Opcode, _ id: UInt32) -> FrameHeader { FrameHeader(opcode: opcode, requestID: id) }

    func ready() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(limits: limits, now: start)
        #expect(machine.frameReceived(header(.hello, 1), now: start) == .authenticate)
        machine.helloSucceeded(session, now: start)
        return machine
    }

    @Test("only HELLO is accepted before the handshake")
    func handshakeFirst() {
        var machine = ConnectionStateMachine(limits: limits, now: start)
        guard case .reject(.handshakeRequired, _) = machine.frameReceived(header(.ping, 1), now: start) else {
            Issue.record("PING before HELLO was not refused")
            return
        }
        #expect(machine.frameReceived(header(.hello, 2), now: start) == .authenticate)
    }

    @Test("HELLO at a version newer than GREETING announces is refused, and the handshake may go on")
    func helloVersion() {
        var machine = ConnectionStateMachine(limits: limits, now: start)
        guard
            case .reject(.unsupportedOperationVersion, _) = machine.frameReceived(
                FrameHeader(opcode: .hello, opcodeVersion: 2, requestID: 1),
                now: start
            )
        else {
            Issue.record("HELLO version 2 was accepted")
            return
        }
        guard
            case .reject(.unsupportedOperationVersion, _) = machine.frameReceived(
                FrameHeader(opcode: .hello, opcodeVersion: 0, requestID: 1),
                now: start
            )
        else {
            Issue.record("HELLO version 0 was accepted")
            return
        }
        #expect(
            machine.frameReceived(FrameHeader(opcode: .hello, opcodeVersion: 1, requestID: 1), now: start)
                == .authenticate
        )
    }

    @Test("request id 0 is refused before and after HELLO, and nothing is put in flight")
    func requestIDZero() {
        var fresh = ConnectionStateMachine(limits: limits, now: start)
        guard case .reject(.invalidRequest, _) = fresh.frameReceived(header(.hello, 0), now: start) else {
            Issue.record("HELLO with request id 0 was accepted")
            return
        }
        // A request other than HELLO before the handshake is HANDSHAKE_REQUIRED first, whatever its id.
        guard case .reject(.handshakeRequired, _) = fresh.frameReceived(header(.ping, 0), now: start) else {
            Issue.record("PING 0 before HELLO was not HANDSHAKE_REQUIRED")
            return
        }
        var machine = ready()
        guard case .reject(.invalidRequest, _) = machine.frameReceived(header(.ping, 0), now: start) else {
            Issue.record("a request with id 0 was dispatched")
            return
        }
        #expect(machine.inFlight.isEmpty)
    }

    @Test("GREETING and error-status frames from a client are unexpected")
    func unexpectedFrames() {
        var machine = ready()
        guard case .reject(.unexpectedFrame, _) = machine.frameReceived(header(.greeting, 5), now: start) else {
            Issue.record("GREETING from a client was accepted")
            return
        }
        var errorStatus = header(.ping, 6)
        errorStatus.status = .error
        guard case .reject(.unexpectedFrame, _) = machine.frameReceived(errorStatus, now: start) else {
            Issue.record("a request with status ERROR was accepted")
            return
        }
    }

    @Test("in-flight requests are limited at their maximum, and freed by completion")
    func inFlightLimit() {
        var machine = ready()
        for id in UInt32(10)..<13 {
            #expect(machine.frameReceived(header(.ping, id), now: start) == .dispatch(session))
        }
        guard case .reject(.tooManyInFlight, _) = machine.frameReceived(header(.ping, 13), now: start) else {
            Issue.record("the request past the limit was dispatched")
            return
        }
        #expect(machine.responseCompleted(requestID: 10, now: start) == false)
        #expect(machine.frameReceived(header(.ping, 13), now: start) == .dispatch(session))
    }

    @Test("a request id still in flight cannot be reused")
    func duplicateID() {
        var machine = ready()
        #expect(machine.frameReceived(header(.ping, 7), now: start) == .dispatch(session))
        guard case .reject(.duplicateRequestID, _) = machine.frameReceived(header(.ping, 7), now: start) else {
            Issue.record("a duplicate id was dispatched")
            return
        }
        _ = machine.responseCompleted(requestID: 7, now: start)
        #expect(machine.frameReceived(header(.ping, 7), now: start) == .dispatch(session))
    }

    @Test("the handshake times out exactly at its deadline")
    func handshakeTimeout() {
        let machine = ConnectionStateMachine(limits: limits, now: start)
        let deadline = start + .milliseconds(100)
        #expect(machine.timerFired(now: deadline - .nanoseconds(1)) == .rearm(deadline))
        guard case .close(.handshakeTimeout, _) = machine.timerFired(now: deadline) else {
            Issue.record("no handshake timeout at the deadline")
            return
        }
    }

    @Test("an idle connection closes; one with requests in flight does not")
    func idleTimeout() {
        var machine = ready()
        let idleDeadline = start + .milliseconds(1000)
        #expect(machine.timerFired(now: idleDeadline - .nanoseconds(1)) == .rearm(idleDeadline))
        guard case .close(.idleTimeout, _) = machine.timerFired(now: idleDeadline) else {
            Issue.record("no idle timeout")
            return
        }
        #expect(machine.frameReceived(header(.ping, 1), now: start) == .dispatch(session))
        guard case .rearm = machine.timerFired(now: idleDeadline + .seconds(10)) else {
            Issue.record("a connection with a request in flight was closed as idle")
            return
        }
    }

    @Test("draining refuses new requests and closes when the last one is answered")
    func draining() {
        var machine = ready()
        #expect(machine.frameReceived(header(.ping, 1), now: start) == .dispatch(session))
        #expect(machine.beginDraining() == false)
        guard case .reject(.shuttingDown, _) = machine.frameReceived(header(.ping, 2), now: start) else {
            Issue.record("a new request was dispatched while draining")
            return
        }
        // SHUTTING_DOWN comes before the request id checks: a reused id gets it, not DUPLICATE_REQUEST_ID.
        guard case .reject(.shuttingDown, _) = machine.frameReceived(header(.ping, 1), now: start) else {
            Issue.record("a reused id while draining was not SHUTTING_DOWN")
            return
        }
        var errorStatus = header(.ping, 3)
        errorStatus.status = .error
        guard case .reject(.unexpectedFrame, _) = machine.frameReceived(errorStatus, now: start) else {
            Issue.record("UNEXPECTED_FRAME should come before SHUTTING_DOWN")
            return
        }
        #expect(machine.responseCompleted(requestID: 1, now: start) == true)
        var idle = ready()
        #expect(idle.beginDraining() == true)
    }
}

@Suite("HELLO client name")
struct ClientNameLimitTests {
    @Test("a client name of maximumClientNameCharacters is kept whole; one character more is cut to the limit")
    func clientNameLimit() {
        let limit = Limits.maximumClientNameCharacters
        let atLimit = String(repeating: "é", count: limit)
        #expect(Session.keptClientName(fromHello: atLimit) == atLimit)
        #expect(Session.keptClientName(fromHello: atLimit + "x") == atLimit)
    }
}

internal import AampeCore
internal import AampeOutbox
internal import AampeProtocol
internal import AampeServer
internal import SwiftProtobuf

/// PULL, ACK, CLOCK and REQUEUE: checks each request's fields against the limits (INVALID_REQUEST names
/// the field), changes the outbox's machines, builds the answer, and sends it once the changes are
/// durable (``OutboxCommitter``).
///
/// They answer from the event loop up to the durability wait: a PULL of 1,000 messages takes the lock for
/// the machine's work (microseconds per message) and then builds its answer from the mapped batch while
/// the journal syncs; the committer's thread sends it.
extension DaemonRequestHandler {
    func outboxService() throws(ProtocolError) -> OutboxService {
        guard let outbox else {
            throw ProtocolError(code: .unavailable, message: "the outbox is not served by this server")
        }
        return outbox
    }

    // MARK: PULL

    func pull(_ request: Aampe_V1_PullRequest, responder: Responder) throws {
        let outbox = try outboxService()
        let consumerBytes = request.consumer.utf8.count
        guard (1...Limits.maximumConsumerNameBytes).contains(consumerBytes) else {
            throw invalid("consumer is \(consumerBytes) bytes; it must be 1 ... \(Limits.maximumConsumerNameBytes)")
        }
        guard (1...Limits.maximumMessagesPerPull).contains(Int(request.maximumMessages)) else {
            throw invalid(
                "maximum_messages is \(request.maximumMessages); it must be 1 ... \(Limits.maximumMessagesPerPull)"
            )
        }
        let leaseRange = Limits.minimumLeaseSeconds...Limits.maximumLeaseSeconds
        guard leaseRange.contains(Int(request.leaseSeconds)) else {
            throw invalid(
                "lease_seconds is \(request.leaseSeconds); it must be \(leaseRange.lowerBound) ... \(leaseRange.upperBound)"
            )
        }
        var channels = OutboxChannelSet.all
        if !request.channels.isEmpty {
            channels = []
            for (index, name) in request.channels.enumerated() {
                guard let channel = OutboxChannel(name: name) else {
                    throw invalid(
                        "channels[\(index)] is not a channel; expected one of \(OutboxChannel.allCases.map(\.name).joined(separator: ", "))"
                    )
                }
                channels.formUnion(OutboxChannelSet([channel]))
            }
        }
        let pulled: (leases: [OutboxService.LeasedMessage], now: Timestamp, ticket: UInt64)
        do {
            pulled = try outbox.pull(
                consumer: request.consumer,
                maximum: Int(request.maximumMessages),
                leaseSeconds: Int(request.leaseSeconds),
                channels: channels
            )
        } catch OutboxService.ServiceError.journalFailed(let failure) {
            throw Self.journalFailed(failure)
        }
        // Built while the leases are being synced; a message that cannot be read fails the whole answer
        // (its lease lapses and it is handed out again).
        let failure: ProtocolError?
        let bytes: [UInt8]
        do {
            bytes = try Self.pullResponseBytes(pulled.leases, now: pulled.now)
            failure = nil
        } catch {
            bytes = []
            failure = ProtocolError(code: .internalError, message: "cannot read a leased message: \(error)")
        }
        outbox.whenDurable(pulled.ticket) { result in
            switch result {
            case .success:
                if let failure { return responder.fail(failure) }
                responder.respond(serializedMessage: bytes)
            case .failure(let error):
                responder.fail(Self.journalFailed(error))
            }
        }
    }

    /// The serialized `PullResponse` of `leases` (see ``PullResponseEncoder``).
    static func pullResponseBytes(_ leases: [OutboxService.LeasedMessage], now: Timestamp) throws -> [UInt8] {
        var encoder = PullResponseEncoder(capacity: leases.count * 384)
        for leased in leases {
            try leased.batch.withRawRow(at: Int(leased.lease.message.rawValue)) { row in
                try encoder.append(id: leased.id, lease: leased.lease, row: row)
            }
        }
        return encoder.finish(nowMicros: now.rawValue)
    }

    /// `leased` as the generated message: what ``PullResponseEncoder`` must encode byte for byte.
    static func message(_ leased: OutboxService.LeasedMessage) throws -> Aampe_V1_OutboxMessage {
        let record = try leased.batch.record(at: Int(leased.lease.message.rawValue))
        var message = Aampe_V1_OutboxMessage()
        message.messageID = leased.id.rawValue
        message.leaseToken = leased.lease.token.rawValue
        message.leaseUntilMicros = leased.lease.until.rawValue
        message.attempt = UInt32(leased.lease.attempt)
        message.userID = record.user
        message.campaign = record.campaign
        message.formula = record.formula
        message.variant = UInt32(clamping: record.variant)
        message.labels = record.labels
        message.channel = record.channel.name
        message.address = record.address
        message.subject = record.subject
        message.body = record.body
        message.fields = record.fields.map { field in
            var wire = Aampe_V1_OutboxField()
            wire.name = field.name
            wire.text = field.text
            return wire
        }
        message.items = record.items
        message.windowStartMicros = record.windowStart.rawValue
        message.windowEndMicros = record.windowEnd.rawValue
        message.propensity = record.propensity
        message.mode = record.mode
        return message
    }

    // MARK: ACK

    func ack(_ request: Aampe_V1_AckRequest, responder: Responder) throws {
        let outbox = try outboxService()
        let entries = request.acknowledgements
        guard entries.count <= Limits.maximumAcknowledgementsPerRequest else {
            throw invalid(
                "acknowledgements holds \(entries.count) entries; at most \(Limits.maximumAcknowledgementsPerRequest)"
            )
        }
        // Every entry is checked before any is settled, so an invalid request changes nothing.
        var acknowledgements: [OutboxService.Acknowledgement] = []
        acknowledgements.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            let status: MessageStateMachine.AckStatus
            switch entry.status {
            case .delivered: status = .delivered
            case .failed: status = .failed(reason: entry.reason)
            case .retry: status = .retry(reason: entry.reason)
            case .unspecified, .UNRECOGNIZED:
                throw invalid("acknowledgements[\(index)].status must be DELIVERED, FAILED or RETRY")
            }
            let reasonBytes = entry.reason.utf8.count
            guard reasonBytes <= Limits.maximumAckReasonBytes else {
                throw invalid(
                    "acknowledgements[\(index)].reason is \(reasonBytes) bytes; at most \(Limits.maximumAckReasonBytes)"
                )
            }
            acknowledgements.append(
                OutboxService.Acknowledgement(
                    message: OutboxMessageID(rawValue: entry.messageID),
                    token: LeaseToken(rawValue: entry.leaseToken),
                    status: status
                )
            )
        }
        let settled: (outcomes: [MessageStateMachine.AckOutcome], ticket: UInt64)
        do {
            settled = try outbox.ack(acknowledgements)
        } catch OutboxService.ServiceError.journalFailed(let failure) {
            throw Self.journalFailed(failure)
        }
        var response = Aampe_V1_AckResponse()
        response.results = zip(acknowledgements, settled.outcomes).map { acknowledgement, outcome in
            var result = Aampe_V1_AckResult()
            let id = acknowledgement.message
            switch outcome {
            case .acknowledged:
                response.acknowledged += 1
            case .alreadyAcknowledged:
                response.alreadyAcknowledged += 1
                result.repeated = true
            case .staleLease:
                result.code = ErrorCode.staleLease.rawValue
                result.message = "message \(id): lease \(acknowledgement.token) is not its latest lease"
            case .leaseExpired:
                result.code = ErrorCode.leaseExpired.rawValue
                result.message = "message \(id): lease \(acknowledgement.token) lapsed and the message expired or died"
            case .conflictingAcknowledgement:
                result.code = ErrorCode.conflictingAck.rawValue
                result.message = "message \(id): lease \(acknowledgement.token) was acknowledged with another status"
            case .unknownMessage:
                result.code = ErrorCode.unknownMessage.rawValue
                result.message = "message \(id): no served batch has it"
            }
            return result
        }
        let bytes: [UInt8] = try response.serializedBytes()
        outbox.whenDurable(settled.ticket) { result in
            switch result {
            case .success: responder.respond(serializedMessage: bytes)
            case .failure(let error): responder.fail(Self.journalFailed(error))
            }
        }
    }

    // MARK: CLOCK and REQUEUE

    func clock(_ request: Aampe_V1_ClockRequest, responder: Responder) throws {
        let clock = try outboxService().clock
        if request.hasSetMicros && request.advanceMicros != 0 {
            throw invalid("set_micros and advance_micros: give one, not both")
        }
        guard (0...Limits.maximumClockAdvanceMicros).contains(request.advanceMicros) else {
            throw invalid(
                "advance_micros is \(request.advanceMicros); it must be 0 ... \(Limits.maximumClockAdvanceMicros)"
            )
        }
        do throws(OutboxClock.MoveError) {
            if request.hasSetMicros {
                try clock.set(to: Timestamp(rawValue: request.setMicros))
            } else if request.advanceMicros > 0 {
                try clock.advance(byMicros: request.advanceMicros)
            }
        } catch .notSimulated {
            throw invalid(
                "\(request.hasSetMicros ? "set_micros" : "advance_micros"): aamped runs on the system clock; start it with --simulated-clock to move the clock"
            )
        } catch .wouldRunBack(let current, let requested) {
            throw invalid(
                "set_micros is \(requested.iso8601Microseconds), before the clock's \(current.iso8601Microseconds); time never runs back"
            )
        }
        var response = Aampe_V1_ClockResponse()
        response.nowMicros = clock.now().rawValue
        response.isSimulated = clock.isSimulated
        responder.respond(response)
    }

    func requeue(_ request: Aampe_V1_RequeueRequest, responder: Responder) throws {
        let outbox = try outboxService()
        guard request.dead else { throw invalid("dead must be true: dead messages are the only ones requeued") }
        let done: (requeued: Int, windowClosed: Int, ticket: UInt64)
        do {
            done = try outbox.requeueDead()
        } catch OutboxService.ServiceError.journalFailed(let failure) {
            throw Self.journalFailed(failure)
        }
        var answer = Aampe_V1_RequeueResponse()
        answer.requeued = UInt64(done.requeued)
        answer.windowClosed = UInt64(done.windowClosed)
        let response = answer
        outbox.whenDurable(done.ticket) { result in
            switch result {
            case .success: responder.respond(response)
            case .failure(let error): responder.fail(Self.journalFailed(error))
            }
        }
    }

    // MARK: Helpers

    private func invalid(_ message: String) -> ProtocolError {
        ProtocolError(code: .invalidRequest, message: message)
    }

    static func journalFailed(_ failure: OutboxError) -> ProtocolError {
        ProtocolError(
            code: .journalFailed,
            message:
                "the outbox journal failed (\(failure)); changes since the last successful sync may be lost, and PULL and ACK are refused until aamped restarts"
        )
    }
}

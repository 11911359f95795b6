import AampeClient
import AampeCore
import AampeProtocol
import AampeSimulator
import Foundation

/// The simulated messaging service: it plays what a push or email provider's bridge does against a running
/// `aamped`, over the wire protocol and nothing else.
///
/// Through the world's next day, in steps of `stepSeconds`, it moves the daemon's simulated clock to the
/// step (CLOCK), leases every message due then (PULL, until a pull comes back short), hands each to its
/// simulated user a minute later (``LiveWorld/deliver(_:source:)`` draws the response, and fails the
/// share that bad addresses and withdrawn consents fail), and settles each lease at once (ACK). A message
/// the daemon refuses to settle is an error: the loop must not silently lose a send.
struct MessagingService {
    var client: AampeClient
    var consumer: String
    var stepSeconds: Int64
    var leaseSeconds: Int
    var pullSize: Int
    /// Where to append each message as the user received it, when given: its pulled JSON line
    /// (``OutboxJSONLines``) with `delivered_at` and the ACK's `status` (and `reason`) added.
    var received: FileHandle?

    /// What one day of pulling did.
    struct Counts {
        var steps = 0
        var pulls = 0
        var pulled = 0
        var acknowledged = 0
    }

    /// Runs the day's pulls; the caller simulates the day afterwards.
    func deliverNextDay(of live: LiveWorld) async throws -> Counts {
        let dayStart = live.nextDayStartSeconds
        var counts = Counts()
        let now = try await client.clock()
        guard now.isSimulated else {
            throw MessagingServiceError(
                "aamped runs on the system clock; start it with --simulated-clock to deliver simulated days"
            )
        }
        let clockSeconds = now.nowMicros / 1_000_000
        guard clockSeconds < dayStart + 86_400 else {
            throw MessagingServiceError(
                "aamped's clock (\(Self.instant(clockSeconds))) is past \(live.nextDate), the day being simulated"
            )
        }
        var step = dayStart
        while step < dayStart + 86_400 {
            counts.steps += 1
            // Time never runs back: a step the clock has already passed pulls at the clock's own time.
            let atMicros = max(step * 1_000_000, now.nowMicros)
            let at = atMicros / 1_000_000
            _ = try await client.clock(setMicros: atMicros)
            while true {
                let response = try await client.pull(consumer: consumer, maximum: pullSize, leaseSeconds: leaseSeconds)
                counts.pulls += 1
                counts.pulled += response.messages.count
                if !response.messages.isEmpty {
                    counts.acknowledged += try await deliver(response.messages, at: at, live: live)
                }
                if response.messages.count < pullSize { break }
            }
            step += stepSeconds
        }
        return counts
    }

    /// Delivers `messages`, pulled at `at`, and ACKs each; returns how many the daemon settled.
    private func deliver(_ messages: [Aampe_V1_OutboxMessage], at: Int64, live: LiveWorld) async throws -> Int {
        let source = "PULL at \(Self.instant(at))"
        let deliveries = messages.enumerated().map { index, message in
            // The provider sends a minute after the pull, inside the window (a due message's window is
            // open at `at`, so `at` itself is always inside it).
            let windowEnd = message.windowEndMicros / 1_000_000
            let sent = at + 60 < windowEnd ? at + 60 : at
            return Delivery(
                messageID: message.messageID,
                leaseToken: String(message.leaseToken),
                user: message.userID,
                campaign: message.campaign,
                labels: message.labels,
                channel: message.channel,
                items: message.items,
                attempt: Int(message.attempt),
                deliveredAtSeconds: sent,
                windowStartSeconds: message.windowStartMicros / 1_000_000,
                windowEndSeconds: windowEnd,
                line: index + 1
            )
        }
        let acks = try live.deliver(deliveries, source: source)
        if let received {
            var text = ""
            for (index, message) in messages.enumerated() {
                var line = OutboxJSONLines.line(for: message)
                line.removeLast()
                line += ",\"delivered_at\":\"\(Self.instant(deliveries[index].deliveredAtSeconds))\","
                switch acks[index].status {
                case .delivered: line += "\"status\":\"delivered\"}\n"
                case .failed(let reason): line += "\"status\":\"failed\",\"reason\":\(JSONText.quoted(reason))}\n"
                }
                text += line
            }
            try received.write(contentsOf: Data(text.utf8))
        }
        var settled = 0
        var start = 0
        while start < acks.count {
            let chunk = acks[start..<min(acks.count, start + Limits.maximumAcknowledgementsPerRequest)]
            let response = try await client.ack(
                zip(chunk, messages[start..<(start + chunk.count)]).map { ack, message in
                    var acknowledgement = Aampe_V1_Acknowledgement()
                    acknowledgement.messageID = message.messageID
                    acknowledgement.leaseToken = message.leaseToken
                    switch ack.status {
                    case .delivered: acknowledgement.status = .delivered
                    case .failed(let reason):
                        acknowledgement.status = .failed
                        acknowledgement.reason = reason
                    }
                    return acknowledgement
                }
            )
            for (offset, result) in response.results.enumerated() where result.code != 0 {
                throw MessagingServiceError(
                    "\(source): aamped refused the ACK of message \(messages[start + offset].messageID): "
                        + "code \(result.code), \(result.message)"
                )
            }
            settled += Int(response.acknowledged + response.alreadyAcknowledged)
            start += chunk.count
        }
        return settled
    }

    static func instant(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }
}

/// A day of delivery the daemon did not let finish.
struct MessagingServiceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

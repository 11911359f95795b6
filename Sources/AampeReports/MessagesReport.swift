import AampeCore

/// `report messages`: what assignment decided and what became of each message, per day, channel and
/// campaign, and how many messages users get a week.
public enum MessagesReport {
    public struct Counts: Sendable, Hashable {
        public var assigned = 0
        public var sent = 0
        public var delivered = 0
        public var failed = 0
        public var expired = 0
        public var dead = 0
        public var pending = 0
        public var skipped = 0
        public var capped = 0
        public var control = 0

        /// The counts in the daily table's column order.
        var cells: [ReportValue] {
            [assigned, sent, delivered, failed, expired, dead, pending, skipped, capped, control].map { .integer($0) }
        }

        mutating func add(_ other: Counts) {
            assigned += other.assigned
            sent += other.sent
            delivered += other.delivered
            failed += other.failed
            expired += other.expired
            dead += other.dead
            pending += other.pending
            skipped += other.skipped
            capped += other.capped
            control += other.control
        }
    }

    public struct Key: Hashable, Comparable, Sendable {
        public var day: Int
        public var campaign: String
        public var channel: String

        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.day, lhs.campaign, lhs.channel) < (rhs.day, rhs.campaign, rhs.channel)
        }
    }

    /// Counts per (day, campaign, channel); decisions without a message have channel `-`. Counted in a
    /// flat array by integer codes, then keyed by names.
    public static func counts(_ data: ReportData) -> [Key: Counts] {
        let d = data.decisions
        let days = data.period.days
        let campaigns = d.campaigns.strings.count
        let channels = d.channels.strings.count + 1
        var cells = [Counts](repeating: Counts(), count: days * campaigns * channels)
        var touched = [Bool](repeating: false, count: cells.count)
        for row in 0..<d.count {
            let day = Int(d.day[row])
            guard day >= 0, day < days else { continue }
            let mode = d.mode[row]
            let channel = mode.isMessage ? Int(d.channel[row]) + 1 : 0
            let cell = (day * campaigns + Int(d.campaign[row])) * channels + channel
            touched[cell] = true
            switch mode {
            case .skipped: cells[cell].skipped += 1
            case .control: cells[cell].control += 1
            case .preferential, .conditioned, .sent:
                cells[cell].assigned += 1
                switch d.status[row] {
                case .delivered:
                    cells[cell].delivered += 1
                    cells[cell].sent += 1
                case .failed:
                    cells[cell].failed += 1
                    cells[cell].sent += 1
                case .expired: cells[cell].expired += 1
                case .dead: cells[cell].dead += 1
                case .assigned, .none: cells[cell].pending += 1
                }
            }
        }
        var result: [Key: Counts] = [:]
        for cell in cells.indices where touched[cell] {
            let channel = cell % channels
            let campaign = cell / channels % campaigns
            let day = cell / channels / campaigns
            let key = Key(
                day: day,
                campaign: d.campaigns.strings[campaign],
                channel: channel == 0 ? "-" : d.channels.strings[channel - 1]
            )
            result[key] = cells[cell]
        }
        for capped in data.capped {
            result[Key(day: capped.day, campaign: capped.campaign, channel: "-"), default: Counts()].capped +=
                capped.count
        }
        return result
    }

    /// Treated user-weeks by delivered messages that week: index k counts user-weeks with k messages, the
    /// last index "that many or more".
    public static func frequency(_ data: ReportData, buckets: Int = 6) -> [Int] {
        let d = data.decisions
        let weeks = (data.period.days + 6) / 7
        var perUserWeek = [UInt16](repeating: 0, count: data.arms.count * weeks)
        for row in 0..<d.count where d.mode[row].isMessage && d.status[row] == .delivered {
            let day = Int(d.day[row])
            guard day >= 0, day < data.period.days else { continue }
            let cell = Int(d.user[row]) * weeks + day / 7
            if perUserWeek[cell] < UInt16.max { perUserWeek[cell] += 1 }
        }
        var histogram = [Int](repeating: 0, count: buckets)
        for (user, arm) in data.arms.enumerated() where arm == .treated {
            for week in 0..<weeks { histogram[min(Int(perUserWeek[user * weeks + week]), buckets - 1)] += 1 }
        }
        return histogram
    }

    public static func section(_ data: ReportData) -> ReportSection {
        let counts = counts(data)
        var table = ReportTable(
            name: "daily",
            title: "Decisions and messages per day, campaign and channel",
            columns: [
                "date", "campaign", "channel", "assigned", "sent", "delivered", "failed", "expired", "dead",
                "pending", "skipped", "capped", "control",
            ]
        )
        var totals = Counts()
        for key in counts.keys.sorted() {
            let c = counts[key]!
            table.rows.append(
                [.text(data.period.date(ofDay: key.day).description), .text(key.campaign), .text(key.channel)]
                    + c.cells
            )
            totals.add(c)
        }
        table.rows.append([.text("total"), .text(""), .text("")] + totals.cells)
        let histogram = frequency(data)
        let userWeeks = histogram.reduce(0, +)
        var frequency = ReportTable(
            name: "frequency",
            title: "Treated users by messages delivered per week (user-weeks)",
            columns: ["messages per week", "user-weeks", "share"]
        )
        for (count, weeks) in histogram.enumerated() {
            frequency.rows.append([
                .text(count == histogram.count - 1 ? "\(count)+" : String(count)), .integer(weeks),
                .measured(userWeeks > 0 ? Double(weeks) / Double(userWeeks) : nil),
            ])
        }
        let d = data.decisions
        var reasonCounts = [Int](repeating: 0, count: d.skipReasons.strings.count + 1)
        for row in 0..<d.count where d.mode[row] == .skipped { reasonCounts[Int(d.skipReason[row]) + 1] += 1 }
        var reasons: [String: Int] = [:]
        for (code, count) in reasonCounts.enumerated() where count > 0 {
            reasons[code == 0 ? "unknown" : d.skipReasons.strings[code - 1], default: 0] += count
        }
        var skips = ReportTable(name: "skips", title: "Skipped decisions by reason", columns: ["reason", "decisions"])
        for (reason, count) in reasons.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            skips.rows.append([.text(reason), .integer(count)])
        }
        return ReportSection(
            kind: ReportKind.messages.rawValue,
            title: "Messages",
            notes: [
                "assigned: messages assignment wrote; sent: handed to a messaging service and acknowledged (delivered + failed); pending: not settled yet; expired: the send window closed unpulled; dead: out of attempts. skipped: the policy or the content found nothing worth sending; capped: held back by a campaign cap, a global cap or the user's cadence (counted per assignment run, by its reference day); control: held back for the control group.",
                "Days are the UTC day of the send window's start (the decision's time without a message).",
            ],
            tables: [table, frequency, skips]
        )
    }
}

import AampeCore

/// `report activity`: daily, weekly and monthly active users, stickiness, and weekly retention cohorts.
public enum ActivityReport {
    public struct Day: Sendable, Hashable {
        public var date: String
        /// Users with any event that day.
        public var daily: Int
        /// Users with any event in the 7 days ending that day.
        public var weekly: Int
        /// Users with any event in the 28 days ending that day.
        public var monthly: Int
        public var stickiness: Double? { monthly > 0 ? Double(daily) / Double(monthly) : nil }
    }

    public struct Cohort: Sendable, Hashable {
        /// `active before` or the first day of the cohort's week.
        public var name: String
        public var users: Int
        /// Share of the cohort active in each week of the period from the cohort's week on.
        public var retention: [Double]
    }

    /// Days and cohorts of `data`: every user with an event, experiment or not.
    public static func compute(_ data: ReportData) -> (days: [Day], cohorts: [Cohort]) {
        let bits = data.activity
        let offset = Limits.reportPrePeriodDays
        let days = data.period.days
        let weeks = (days + 6) / 7
        var daily = [Int](repeating: 0, count: days)
        var weekly = [Int](repeating: 0, count: days)
        var monthly = [Int](repeating: 0, count: days)
        // Cohort 0: active in the pre-period; cohort w + 1: first active in the period's week w.
        var cohortUsers = [Int](repeating: 0, count: weeks + 1)
        var cohortActive = [[Int]](repeating: [Int](repeating: 0, count: weeks), count: weeks + 1)
        let userCount = bits.stride == 0 ? 0 : bits.words.count / bits.stride
        var activeWeeks = [Bool](repeating: false, count: weeks)
        for user in 0..<userCount {
            var last = Int.min / 2
            var wasActiveBefore = false
            for day in 0..<offset where bits.isActive(user: user, day: day) {
                last = day
                wasActiveBefore = true
            }
            var firstWeek: Int?
            for w in 0..<weeks { activeWeeks[w] = false }
            for day in 0..<days {
                let absolute = offset + day
                if bits.isActive(user: user, day: absolute) {
                    last = absolute
                    daily[day] += 1
                    activeWeeks[day / 7] = true
                    if firstWeek == nil { firstWeek = day / 7 }
                }
                if absolute - last < 7 { weekly[day] += 1 }
                if absolute - last < 28 { monthly[day] += 1 }
            }
            let cohort: Int
            if wasActiveBefore {
                cohort = 0
            } else if let firstWeek {
                cohort = firstWeek + 1
            } else {
                continue
            }
            cohortUsers[cohort] += 1
            let start = max(0, cohort - 1)
            for w in start..<weeks where activeWeeks[w] { cohortActive[cohort][w - start] += 1 }
        }
        let result = (0..<days).map { day in
            Day(
                date: data.period.date(ofDay: day).description,
                daily: daily[day],
                weekly: weekly[day],
                monthly: monthly[day]
            )
        }
        var cohorts: [Cohort] = []
        for cohort in 0...weeks where cohortUsers[cohort] > 0 {
            let start = max(0, cohort - 1)
            let name = cohort == 0 ? "active before" : data.period.date(ofDay: (cohort - 1) * 7).description
            cohorts.append(
                Cohort(
                    name: name,
                    users: cohortUsers[cohort],
                    retention: (0..<(weeks - start)).map {
                        Double(cohortActive[cohort][$0]) / Double(cohortUsers[cohort])
                    }
                )
            )
        }
        return (result, cohorts)
    }

    public static func section(_ data: ReportData) -> ReportSection {
        let (days, cohorts) = compute(data)
        var table = ReportTable(
            name: "daily",
            title: "Active users per day",
            columns: ["date", "DAU", "WAU", "MAU", "stickiness (DAU/MAU)"]
        )
        for day in days {
            table.rows.append([
                .text(day.date), .integer(day.daily), .integer(day.weekly), .integer(day.monthly),
                .measured(day.stickiness),
            ])
        }
        let weeks = (data.period.days + 6) / 7
        var retention = ReportTable(
            name: "retention",
            title: "Weekly retention cohorts: share of the cohort active in each week",
            columns: ["cohort", "users"] + (0..<weeks).map { "week \($0)" }
        )
        for cohort in cohorts {
            var row: [ReportValue] = [.text(cohort.name), .integer(cohort.users)]
            for w in 0..<weeks { row.append(w < cohort.retention.count ? .number(cohort.retention[w]) : .missing) }
            retention.rows.append(row)
        }
        return ReportSection(
            kind: ReportKind.activity.rawValue,
            title: "Activity",
            notes: [
                "A user is active on a UTC day with any imported event that day. WAU and MAU count users active in the 7 and 28 days ending that day (the \(Limits.reportPrePeriodDays) days before the period are read for them).",
                "Cohorts: \"active before\" holds users active in the \(Limits.reportPrePeriodDays) days before the period; each dated cohort holds users first active in that week of the period after at least \(Limits.reportPrePeriodDays) days without events (new or returning). Week 0 is the cohort's own week.",
            ],
            tables: [table, retention]
        )
    }
}

import AampeTestSupport
import Foundation
import Testing

/// A small world with two obvious kinds of user, through `aampectl` as a user runs it: import, train
/// the landscape and timing, show and export them.
///
/// - u00…u19, "morning browsers": open the app at 08:30 local time every day and view three items.
///   Half live in Asia/Kathmandu (+05:45), half in Europe/Berlin (DST ends on 2026-10-25).
/// - u20…u39, "evening buyers": open the app at 20:00 local time every other day and buy one item,
///   in America/New_York. u39 has no time zone in its profile and lives on UTC, the default.
@Suite("aampectl train landscape and train timing on a hand-made world")
struct LandscapeTimingCommandTests {
    static let days = 28

    /// The UTC instant of `hour:minute` local time on October `day`, 2026, in `zone`.
    static func instant(day: Int, hour: Int, minute: Int, zone: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        return calendar.date(from: DateComponents(year: 2026, month: 10, day: day, hour: hour, minute: minute))!
    }

    static func zone(of user: Int) -> String {
        switch user {
        case 0..<10: "Asia/Kathmandu"
        case 10..<20: "Europe/Berlin"
        default: "America/New_York"
        }
    }

    /// An initialized data directory with the world imported.
    static func world(_ folder: TemporaryFolder) throws -> String {
        let data = folder.child("data")
        let formatter = ISO8601DateFormatter()
        var events = "user_id,event,timestamp,item_id,value,properties\n"
        for user in 0..<40 {
            let id = String(format: "u%02d", user)
            for day in 1...days {
                if user < 20 {
                    let opened = instant(day: day, hour: 8, minute: 30, zone: zone(of: user))
                    events += "\(id),app_opened,\(formatter.string(from: opened)),,,{}\n"
                    for view in 1...3 {
                        let at = opened.addingTimeInterval(Double(view) * 60)
                        events += "\(id),product_viewed,\(formatter.string(from: at)),i\(view + user % 3),,{}\n"
                    }
                } else if day % 2 == 0 {
                    let zone = user == 39 ? "UTC" : zone(of: user)
                    let opened = instant(day: day, hour: 20, minute: 0, zone: zone)
                    events += "\(id),app_opened,\(formatter.string(from: opened)),,,{}\n"
                    events += "\(id),purchase,\(formatter.string(from: opened.addingTimeInterval(300))),i9,50,{}\n"
                }
            }
        }
        var users = "user_id,first_name,timezone\n"
        for user in 0..<40 {
            users += String(format: "u%02d", user) + ",Name,\(user == 39 ? "" : zone(of: user))\n"
        }
        try folder.write("events.csv", events)
        try folder.write("users.csv", users)
        for arguments in [
            ["init", "--data-dir", data],
            ["import", "users", "--data-dir", data, folder.child("users.csv")],
            ["import", "events", "--data-dir", data, folder.child("events.csv")],
        ] {
            let result = try Aampectl.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
        }
        return data
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("the landscape separates the two kinds of user, and timing finds each one's window in local time")
    func separatesAndTimes() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)

        let landscape = try Aampectl.run([
            "train", "landscape", "--data-dir", data, "--clusters", "2", "--dimensions", "4", "--json",
        ])
        #expect(landscape.status == 0, "\(landscape.standardError)")
        let report = try Self.json(landscape.standardOutput)
        #expect(report["users"] as? Int == 40)
        #expect(report["clusters"] as? Int == 2)
        #expect(report["dimensions"] as? Int == 4)
        let ratios = try #require(report["explained_variance_ratio"] as? [Double])
        #expect(ratios.count == 4 && ratios.reduce(0, +) <= 1 + 1e-6 && ratios[0] >= ratios[1])

        let export = try Aampectl.run(["landscape", "export", "--data-dir", data])
        #expect(export.status == 0, "\(export.standardError)")
        let lines = export.standardOutput.split(separator: "\n").dropFirst()
        var clusterOf: [String: String] = [:]
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields.count == 2 + 4)
            clusterOf[String(fields[0])] = String(fields[1])
        }
        #expect(clusterOf.count == 40)
        let morning = Set((0..<20).map { clusterOf[String(format: "u%02d", $0)]! })
        let evening = Set((20..<40).map { clusterOf[String(format: "u%02d", $0)]! })
        #expect(morning.count == 1 && evening.count == 1 && morning != evening)

        let show = try Aampectl.run(["landscape", "show", "--data-dir", data])
        #expect(show.status == 0, "\(show.standardError)")
        #expect(show.standardOutput.contains("2 clusters") && show.standardOutput.contains("50.0 %"))

        let timing = try Aampectl.run(["train", "timing", "--data-dir", data, "--json"])
        #expect(timing.status == 0, "\(timing.standardError)")
        let timingReport = try Self.json(timing.standardOutput)
        let counts = try #require(timingReport["counts"] as? [String: Any])
        #expect(counts["users_without_time_zone"] as? Int == 1)
        #expect(counts["has_session_event"] as? Bool == true)
        #expect(timingReport["clusters"] as? Int == 2)
        #expect(timingReport["users_without_cluster"] as? Int == 0)
        let publication = try #require(timingReport["publication"] as? [String: Any])
        #expect(publication["carried_over"] as? [String] == ["landscape"])

        // Window 0 of each day is 07:00-10:00, window 4 is 19:00-22:00, in the user's own zone.
        for (user, slot) in [("u00", 0), ("u15", 0), ("u25", 4), ("u39", 4)] {
            let shown = try Aampectl.run(["timing", "show", user, "--data-dir", data, "--json"])
            #expect(shown.status == 0, "\(shown.standardError)")
            let output = try Self.json(shown.standardOutput)
            let propensity = try #require(output["window_propensity"] as? [Double])
            #expect(propensity.count == 35)
            #expect(abs(propensity.reduce(0, +) - 1) < 1e-4)
            let inSlot = (0..<7).map { propensity[$0 * 5 + slot] }.reduce(0, +)
            #expect(inSlot > 0.8, "\(user): \(inSlot) of the propensity in slot \(slot)")
            let counts = try #require(output["window_counts"] as? [Double])
            #expect(counts.reduce(0, +) == (user < "u20" ? Double(Self.days) : Double(Self.days / 2)))
            let active = try #require(output["probability_active"] as? Double)
            #expect(active > 0.5, "\(user) was active every day or two, so should be seen again within 7 days")
        }
        let timingExport = try Aampectl.run(["timing", "export", "--data-dir", data])
        #expect(timingExport.status == 0, "\(timingExport.standardError)")
        let exported = timingExport.standardOutput.split(separator: "\n")
        #expect(exported.count == 41)
        let header = exported[0].split(separator: ",").map(String.init)
        let u00Line = try #require(exported.first { $0.hasPrefix("u00,") })
        let u00 = u00Line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let shownU00 = try Self.json(
            try Aampectl.run(["timing", "show", "u00", "--data-dir", data, "--json"]).standardOutput
        )
        let shownPropensity = try #require(shownU00["window_propensity"] as? [Double])
        for window in 0..<35 {
            let exportedShare = try #require(Double(u00[header.firstIndex(of: "p\(window)")!]))
            #expect(abs(exportedShare - shownPropensity[window]) < 1e-6)
        }

        let heatmap = try Aampectl.run(["timing", "show", "u00", "--data-dir", data])
        #expect(heatmap.status == 0)
        #expect(heatmap.standardOutput.contains("Mon") && heatmap.standardOutput.contains("07:00"))
        #expect(heatmap.standardOutput.contains("cadence:"))

        let unknown = try Aampectl.run(["timing", "show", "nobody", "--data-dir", data])
        #expect(unknown.status != 0 && unknown.standardError.contains("nobody"))

        let verify = try Aampectl.run(["status", "--data-dir", data, "--verify"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
    }

    @Test("--as-of rebuilds an earlier state: later events are ignored and the reference time is the given instant")
    func asOf() throws {
        let folder = try TemporaryFolder()
        let data = try Self.world(folder)
        let result = try Aampectl.run([
            "train", "landscape", "--data-dir", data, "--clusters", "2", "--dimensions", "3",
            "--as-of", "2026-10-08T00:00:00Z", "--json",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try Self.json(result.standardOutput)
        #expect((report["reference_time"] as? String)?.hasPrefix("2026-10-08T00:00:00") == true)
        #expect((report["events_after_reference"] as? Int ?? 0) > 0)

        let timing = try Aampectl.run([
            "train", "timing", "--data-dir", data, "--as-of", "2026-10-08T00:00:00Z", "--json",
        ])
        #expect(timing.status == 0, "\(timing.standardError)")
        let shown = try Aampectl.run(["timing", "show", "u00", "--data-dir", data, "--json"])
        let counts = try #require(try Self.json(shown.standardOutput)["window_counts"] as? [Double])
        // Morning users opened the app once a day on October 1 to 7 before the reference time.
        #expect(counts.reduce(0, +) == 7)

        let bad = try Aampectl.run(["train", "timing", "--data-dir", data, "--as-of", "yesterday"])
        #expect(bad.status != 0 && bad.standardError.contains("--as-of"))
        let early = try Aampectl.run(["train", "timing", "--data-dir", data, "--as-of", "2020-01-01T00:00:00Z"])
        #expect(early.status != 0 && early.standardError.contains("no imported event"))
    }
}

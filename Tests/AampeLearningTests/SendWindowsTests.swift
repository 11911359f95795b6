import AampeCore
import AampeLearning
import Foundation
import Testing

@Suite("Send windows over a horizon, in local time, around quiet hours")
struct SendWindowsTests {
    static func instant(_ text: String) -> Timestamp { Timestamp(iso8601: text)! }

    static func zone(_ name: String) -> ZoneOffsets {
        ZoneOffsets(identifier: name, from: instant("2026-01-01T00:00:00Z"), to: instant("2027-01-01T00:00:00Z"))!
    }

    @Test("Kathmandu (+05:45): the day's five windows, in UTC, the one already open clipped to now")
    func kathmandu() {
        // 2026-10-29T03:00Z is 08:45 on Thursday in Kathmandu: the 07:00 window is open.
        let windows = SendWindows.upcoming(
            layout: .standard,
            zone: Self.zone("Asia/Kathmandu"),
            from: Self.instant("2026-10-29T03:00:00Z"),
            horizonSeconds: 86_400
        )
        #expect(
            windows.first
                == SendWindow(
                    index: 15,
                    start: Self.instant("2026-10-29T03:00:00Z"),
                    end: Self.instant("2026-10-29T04:15:00Z")
                )
        )
        #expect(windows.map(\.index) == [15, 16, 17, 18, 19, 20])
        #expect(windows[1].start == Self.instant("2026-10-29T04:15:00Z"))
        // Friday 07:00 local is 01:15Z, inside the horizon that ends at 03:00Z.
        #expect(
            windows.last
                == SendWindow(
                    index: 20,
                    start: Self.instant("2026-10-30T01:15:00Z"),
                    end: Self.instant("2026-10-30T04:15:00Z")
                )
        )
    }

    @Test("a window is offered when it starts before the horizon's end, and not when it starts at it")
    func horizonEdge() {
        let zone = ZoneOffsets(fixedOffsetSeconds: 0)
        let from = Self.instant("2026-10-29T07:00:00Z")
        let exactly = SendWindows.upcoming(layout: .standard, zone: zone, from: from, horizonSeconds: 3 * 3_600)
        #expect(exactly.map(\.index) == [15], "the 10:00 window starts at the horizon's end")
        let oneMore = SendWindows.upcoming(layout: .standard, zone: zone, from: from, horizonSeconds: 3 * 3_600 + 1)
        #expect(oneMore.map(\.index) == [15, 16])
        let closing = SendWindows.upcoming(
            layout: .standard,
            zone: zone,
            from: Self.instant("2026-10-29T21:59:59Z"),
            horizonSeconds: 3_600
        )
        #expect(
            closing == [
                SendWindow(
                    index: 19,
                    start: Self.instant("2026-10-29T21:59:59Z"),
                    end: Self.instant("2026-10-29T22:00:00Z")
                )
            ]
        )
        #expect(
            SendWindows.upcoming(
                layout: .standard,
                zone: zone,
                from: Self.instant("2026-10-29T22:00:00Z"),
                horizonSeconds: 3_600
            ).isEmpty
        )
    }

    @Test("quiet hours trim a window to its longest part outside them, and drop a window wholly inside")
    func quietTrims() {
        let quiet = QuietMinutes(startMinute: 20 * 60, endMinute: 9 * 60)
        #expect(quiet.longestAllowedPart(of: 7 * 60, 10 * 60) == 540..<600)
        #expect(quiet.longestAllowedPart(of: 19 * 60, 22 * 60) == 1140..<1200)
        #expect(quiet.longestAllowedPart(of: 10 * 60, 13 * 60) == 600..<780)
        #expect(quiet.longestAllowedPart(of: 21 * 60, 23 * 60) == nil)
        #expect(quiet.contains(20 * 60) && !quiet.contains(20 * 60 - 1))
        #expect(quiet.contains(9 * 60 - 1) && !quiet.contains(9 * 60))
        // A quiet stretch inside the window cuts it in two; the longer part wins, the earlier of equals.
        let lunch = QuietMinutes(startMinute: 12 * 60, endMinute: 12 * 60 + 30)
        #expect(lunch.longestAllowedPart(of: 10 * 60, 13 * 60) == 600..<720)
        #expect(lunch.longestAllowedPart(of: 11 * 60 + 30, 13 * 60) == 690..<720, "two halves of 30 minutes")
        #expect(lunch.longestAllowedPart(of: 11 * 60 + 45, 13 * 60) == 750..<780)
        #expect(QuietMinutes.none.longestAllowedPart(of: 0, 1440) == 0..<1440)
    }

    @Test("quiet hours apply in the user's own zone: Chatham (+13:45) and Marquesas (−09:30)")
    func quietInOddZones() {
        let quiet = QuietMinutes(startMinute: 20 * 60, endMinute: 9 * 60)
        let from = Self.instant("2026-10-29T00:00:00Z")
        for name in ["Pacific/Chatham", "Pacific/Marquesas"] {
            let zone = Self.zone(name)
            let windows = SendWindows.upcoming(
                layout: .standard,
                zone: zone,
                from: from,
                horizonSeconds: 86_400,
                quiet: quiet
            )
            #expect(!windows.isEmpty)
            for window in windows {
                let start = zone.localTime(window.start).minuteOfDay
                let last = zone.localTime(Timestamp(rawValue: window.end.rawValue - 1)).minuteOfDay
                #expect(start >= 9 * 60 && last < 20 * 60, "\(name): \(window)")
            }
        }
    }

    @Test("across a daylight-saving change the local window keeps its local hours")
    func daylightSaving() {
        // Berlin leaves summer time on 2026-10-25 at 03:00 local; 07:00 local is 05:00Z before, 06:00Z after.
        let zone = Self.zone("Europe/Berlin")
        let windows = SendWindows.upcoming(
            layout: .standard,
            zone: zone,
            from: Self.instant("2026-10-24T00:00:00Z"),
            horizonSeconds: 2 * 86_400
        )
        let mornings = windows.filter { $0.index % 5 == 0 }.map(\.start)
        #expect(mornings == [Self.instant("2026-10-24T05:00:00Z"), Self.instant("2026-10-25T06:00:00Z")])
    }
}

@Suite("Triggers fired by a user's events")
struct TriggerScanTests {
    static let cart: UInt32 = 1
    static let checkout: UInt32 = 2
    static let opened: UInt32 = 3
    static let trigger = TriggerDefinition.event(event: cart, delaySeconds: 900, cancelling: [checkout])

    static func at(_ seconds: Int64) -> Timestamp { Timestamp(secondsSinceEpoch: 1_000_000 + seconds) }

    static func fired(
        _ events: [(Int64, UInt32)],
        asOf: Int64,
        lookback: Int64 = 86_400,
        horizon: Int64 = 86_400
    ) -> [FiredTrigger] {
        TriggerScan.fired(
            trigger,
            events: events.map { (at($0.0), $0.1) },
            asOf: at(asOf),
            lookbackSeconds: lookback,
            horizonSeconds: horizon
        )
    }

    @Test("a cart fires its delay later; a checkout up to the due instant cancels it, one after does not")
    func delayAndCancel() {
        #expect(Self.fired([(0, Self.cart)], asOf: 10).map(\.due) == [Self.at(900)])
        #expect(Self.fired([(0, Self.cart)], asOf: 10).map(\.occasion) == ["event:\(Self.at(0).rawValue)"])
        #expect(Self.fired([(0, Self.cart), (900, Self.checkout)], asOf: 2_000).isEmpty, "checkout at the due instant")
        #expect(Self.fired([(0, Self.cart), (901, Self.checkout)], asOf: 2_000).count == 1, "checkout a second late")
        #expect(
            Self.fired([(0, Self.cart), (899, Self.opened)], asOf: 2_000).count == 1,
            "another event does not cancel"
        )
    }

    @Test("a checkout not yet known cannot cancel: events after as-of are not read")
    func unknownFuture() {
        #expect(Self.fired([(0, Self.cart), (500, Self.checkout)], asOf: 100).count == 1)
    }

    @Test("a second cart before the due instant restarts the wait: a burst fires once")
    func burst() {
        let fired = Self.fired([(0, Self.cart), (300, Self.cart), (600, Self.cart)], asOf: 5_000)
        #expect(fired.map(\.due) == [Self.at(1_500)])
        #expect(
            Self.fired([(0, Self.cart), (900, Self.cart)], asOf: 5_000).count == 2,
            "the second cart comes at the due instant"
        )
    }

    @Test("the due instant must lie in as-of − look-back ..< as-of + horizon")
    func window() {
        #expect(Self.fired([(0, Self.cart)], asOf: 900 + 3_600, lookback: 3_600).count == 1)
        #expect(Self.fired([(0, Self.cart)], asOf: 901 + 3_600, lookback: 3_600).isEmpty)
        #expect(Self.fired([(0, Self.cart)], asOf: 0, horizon: 901).count == 1)
        #expect(Self.fired([(0, Self.cart)], asOf: 0, horizon: 900).isEmpty)
    }

    @Test("inactivity fires once the last event is the duration old, and names that event")
    func inactivity() {
        let trigger = TriggerDefinition.inactivity(event: Self.opened, durationSeconds: 7 * 86_400)
        let events = [(Self.at(0), Self.opened), (Self.at(100), Self.cart)]
        #expect(
            TriggerScan.fired(
                trigger,
                events: events,
                asOf: Self.at(7 * 86_400 - 1),
                lookbackSeconds: 0,
                horizonSeconds: 1
            ).isEmpty
        )
        let fired = TriggerScan.fired(
            trigger,
            events: events,
            asOf: Self.at(7 * 86_400),
            lookbackSeconds: 0,
            horizonSeconds: 1
        )
        #expect(fired.map(\.occasion) == ["inactive:\(Self.at(0).rawValue)"])
        #expect(
            TriggerScan.fired(
                trigger,
                events: [(Self.at(0), Self.cart)],
                asOf: Self.at(30 * 86_400),
                lookbackSeconds: 0,
                horizonSeconds: 1
            ).isEmpty
        )
    }
}

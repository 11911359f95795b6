public import AampeCore

extension TimeWindowLayout {
    /// The window `instant` falls in, in the local time of `zone`, or `nil` outside the day's windows (at
    /// night, with the standard layout).
    public func window(of instant: Timestamp, in zone: ZoneOffsets) -> TimeWindow? {
        window(containing: zone.localTime(instant))
    }
}

/// The static part of a simulated world: settings, catalog, population, time zones and the encoder.
final class World: Sendable {
    let settings: WorldSettings
    let startEpochDay: Int
    let catalog: Catalog
    let population: Population
    let zoneOffsets: ZoneOffsets
    let encoder: DumpEncoder
    let windowLayout = WindowLayout()
    /// Mixed into every event key, so two worlds with different seeds share no keys.
    let keySalt: UInt64

    init(settings: WorldSettings, threads: Int) {
        self.settings = settings
        startEpochDay = CivilDate.epochDay(parsing: settings.startDate)!
        catalog = Catalog(settings: settings)
        population = Population(settings: settings, threads: threads)
        // Local days -1 ... days are simulated (see DaySimulator); dumps cover UTC days up to days + 5.
        zoneOffsets = ZoneOffsets(firstEpochDay: startEpochDay - 1, dayCount: settings.days + 2)
        encoder = DumpEncoder(
            settings: settings,
            catalog: catalog,
            firstEpochDay: startEpochDay - 1,
            dayCount: settings.days + 8
        )
        keySalt = SimRandom.mix(settings.seed ^ 0x5EED_0F_C0FFEE)
    }
}

/// The 35 weekly windows: 5 three-hour windows from 07:00 to 22:00 local time on each weekday, Monday
/// first, the same layout as aamped's default. Window `weekday * 5 + w`; Monday 07:00 is 0.
struct WindowLayout: Sendable {
    let firstWindowStartSeconds = 7 * 3_600
    let windowLengthSeconds = 3 * 3_600
    let windowsPerDay = 5

    /// `Mon 07-10` for window 0.
    func label(_ window: Int) -> String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let startHour = firstWindowStartSeconds / 3_600 + (window % windowsPerDay) * windowLengthSeconds / 3_600
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(names[window / windowsPerDay]) \(two(startHour))-\(two(startHour + windowLengthSeconds / 3_600))"
    }
}

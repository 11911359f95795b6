import Foundation

/// Where simulated users live: country, language, IANA time zone, first names and phone prefix.
///
/// The shares are loosely those of a consumer app with a US and European core. Names include non-ASCII
/// ones so that the engine's text handling meets them from the first demo.
struct Country {
    var code: String
    var language: String
    var share: Double
    /// Time zones and their share of the country's users.
    var zones: [(name: String, share: Double)]
    var phonePrefix: String
    /// First names, each with an ASCII form for the email address.
    var names: [(display: String, ascii: String)]

    static let all: [Country] = [
        Country(
            code: "US",
            language: "en-US",
            share: 0.30,
            zones: [
                ("America/New_York", 0.45), ("America/Chicago", 0.30), ("America/Denver", 0.07),
                ("America/Los_Angeles", 0.18),
            ],
            phonePrefix: "+1",
            names: [
                ("James", "james"), ("Mary", "mary"), ("Michael", "michael"), ("Jennifer", "jennifer"),
                ("Tyrone", "tyrone"), ("Ashley", "ashley"), ("Carlos", "carlos"), ("Mei", "mei"),
            ]
        ),
        Country(
            code: "GB",
            language: "en-GB",
            share: 0.10,
            zones: [("Europe/London", 1)],
            phonePrefix: "+44",
            names: [
                ("Oliver", "oliver"), ("Amelia", "amelia"), ("Harry", "harry"), ("Isla", "isla"),
                ("Siobhán", "siobhan"), ("Aarav", "aarav"),
            ]
        ),
        Country(
            code: "DE",
            language: "de-DE",
            share: 0.10,
            zones: [("Europe/Berlin", 1)],
            phonePrefix: "+49",
            names: [
                ("Lukas", "lukas"), ("Jürgen", "juergen"), ("Anna", "anna"), ("Sophie", "sophie"),
                ("Maximilian", "maximilian"), ("Özlem", "oezlem"),
            ]
        ),
        Country(
            code: "FR",
            language: "fr-FR",
            share: 0.08,
            zones: [("Europe/Paris", 1)],
            phonePrefix: "+33",
            names: [
                ("Chloé", "chloe"), ("Louis", "louis"), ("Léa", "lea"), ("Hugo", "hugo"), ("Inès", "ines"),
                ("Gabriel", "gabriel"),
            ]
        ),
        Country(
            code: "ES",
            language: "es-ES",
            share: 0.06,
            zones: [("Europe/Madrid", 1)],
            phonePrefix: "+34",
            names: [
                ("Lucía", "lucia"), ("Hugo", "hugo"), ("Martina", "martina"), ("Álvaro", "alvaro"), ("Sofía", "sofia"),
            ]
        ),
        Country(
            code: "MX",
            language: "es-MX",
            share: 0.06,
            zones: [("America/Mexico_City", 1)],
            phonePrefix: "+52",
            names: [
                ("José", "jose"), ("Ximena", "ximena"), ("Santiago", "santiago"), ("Valentina", "valentina"),
                ("Mateo", "mateo"),
            ]
        ),
        Country(
            code: "BR",
            language: "pt-BR",
            share: 0.08,
            zones: [("America/Sao_Paulo", 1)],
            phonePrefix: "+55",
            names: [("João", "joao"), ("Ana", "ana"), ("Miguel", "miguel"), ("Helena", "helena"), ("Arthur", "arthur")]
        ),
        Country(
            code: "IN",
            language: "en-IN",
            share: 0.10,
            zones: [("Asia/Kolkata", 1)],
            phonePrefix: "+91",
            names: [
                ("Priya", "priya"), ("Rahul", "rahul"), ("Ananya", "ananya"), ("Arjun", "arjun"), ("Saanvi", "saanvi"),
            ]
        ),
        Country(
            code: "JP",
            language: "ja-JP",
            share: 0.06,
            zones: [("Asia/Tokyo", 1)],
            phonePrefix: "+81",
            names: [("Haruto", "haruto"), ("Yui", "yui"), ("健太", "kenta"), ("Sakura", "sakura"), ("Ren", "ren")]
        ),
        Country(
            code: "AU",
            language: "en-AU",
            share: 0.06,
            zones: [("Australia/Sydney", 0.8), ("Australia/Perth", 0.2)],
            phonePrefix: "+61",
            names: [
                ("Jack", "jack"), ("Charlotte", "charlotte"), ("William", "william"), ("Olivia", "olivia"),
                ("Noah", "noah"),
            ]
        ),
    ]

    /// Every time zone used, in a fixed order; users refer to them by index.
    static let zoneNames: [String] = {
        var names: [String] = []
        for country in all { for zone in country.zones where !names.contains(zone.name) { names.append(zone.name) } }
        return names
    }()
}

/// UTC offsets of every simulated time zone on every simulated day, looked up once.
///
/// The offset of a day is the zone's offset at that date's local noon, so windows on a day when
/// daylight saving time changes (always at night) use the new offset all day.
struct ZoneOffsets: Sendable {
    let firstEpochDay: Int
    let dayCount: Int
    /// `offsets[zone * dayCount + day]`, seconds east of UTC.
    private let offsets: [Int32]

    init(firstEpochDay: Int, dayCount: Int) {
        self.firstEpochDay = firstEpochDay
        self.dayCount = dayCount
        var offsets: [Int32] = []
        offsets.reserveCapacity(Country.zoneNames.count * dayCount)
        for name in Country.zoneNames {
            // Every zone in the table ships with tzdata; a system without it gets UTC, never a crash.
            let zone = TimeZone(identifier: name) ?? TimeZone(secondsFromGMT: 0)!
            for day in 0..<dayCount {
                let noon = Date(timeIntervalSince1970: Double((firstEpochDay + day) * 86_400 + 12 * 3_600))
                offsets.append(Int32(zone.secondsFromGMT(for: noon)))
            }
        }
        self.offsets = offsets
    }

    @inline(__always)
    func secondsEast(zone: Int, epochDay: Int) -> Int {
        Int(offsets[zone * dayCount + (epochDay - firstEpochDay)])
    }
}

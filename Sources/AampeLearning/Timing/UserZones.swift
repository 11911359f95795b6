public import AampeCore

/// Each user's time zone as an index into a small table of ``ZoneOffsets``, built once from the
/// profiles, so that local time for millions of events is an array lookup and a binary search.
///
/// A user whose profile has no zone, or a zone name the time zone database does not know, gets the
/// default zone; ``usersWithoutZone`` and ``unknownZoneNames`` count them for the report.
public struct UserZones: Sendable {
    /// The distinct zones; index 0 is the default zone.
    public let zones: [ZoneOffsets]
    /// The zone names, parallel to ``zones``.
    public let zoneNames: [String]
    /// Per user: an index into ``zones``.
    public let zoneOfUser: [UInt16]
    /// Users whose profile named no zone.
    public let usersWithoutZone: Int
    /// Users whose profile named a zone the database does not know.
    public let usersWithUnknownZone: Int
    /// The unknown zone names with how many users named each, most first.
    public let unknownZoneNames: [(name: String, users: Int)]

    /// Zones for `userCount` users from `profileZones` (user index → IANA name; absent for none), over
    /// the instants `from ... to` (offsets outside the range still answer, from the nearest end).
    /// `defaultZone` must be a known name or a fixed offset such as `UTC`; an unknown default throws.
    public init(
        userCount: Int,
        profileZones: [Int: String],
        defaultZone: String,
        from: Timestamp,
        to: Timestamp
    ) throws {
        guard let fallback = ZoneOffsets(identifier: defaultZone, from: from, to: to) else {
            throw LearningError.invalidOption(
                name: "default-time-zone",
                reason:
                    "'\(defaultZone)' is not a time zone the database knows (try an IANA name such as Europe/Berlin)"
            )
        }
        var zones = [fallback]
        var names = [defaultZone]
        var indexOfName: [String: UInt16] = [defaultZone: 0]
        var unknown: [String: Int] = [:]
        var zoneOfUser = [UInt16](repeating: 0, count: userCount)
        var withoutZone = 0
        for user in 0..<userCount {
            guard let name = profileZones[user], !name.isEmpty else {
                withoutZone += 1
                continue
            }
            if let index = indexOfName[name] {
                zoneOfUser[user] = index
                continue
            }
            if unknown[name] != nil {
                unknown[name, default: 0] += 1
                continue
            }
            guard zones.count < Int(UInt16.max), let zone = ZoneOffsets(identifier: name, from: from, to: to) else {
                unknown[name, default: 0] += 1
                continue
            }
            let index = UInt16(zones.count)
            zones.append(zone)
            names.append(name)
            indexOfName[name] = index
            zoneOfUser[user] = index
        }
        self.zones = zones
        self.zoneNames = names
        self.zoneOfUser = zoneOfUser
        self.usersWithoutZone = withoutZone
        self.usersWithUnknownZone = unknown.values.reduce(0, +)
        self.unknownZoneNames = unknown.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { ($0.key, $0.value) }
    }

    /// The local time of `instant` for `user`.
    public func localTime(of user: Int, at instant: Timestamp) -> LocalTime {
        zones[Int(zoneOfUser[user])].localTime(instant)
    }
}

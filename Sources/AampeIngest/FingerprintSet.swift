/// The dedupe index: which event fingerprints were accepted, and on which UTC day.
///
/// A fingerprint is 96 bits of hash (of the source's idempotency key, or of the event's content) stored
/// with the event's day in 16 bytes. An event is a duplicate when the set holds its fingerprint with a day
/// at most the horizon away. With 10^8 fingerprints in one horizon the chance that any two unrelated
/// events share 96 bits is about 10^16 / 2^97, or 6 in 10^14.
///
/// Memory is what bounds dedupe, so the set holds only what the horizon needs: fingerprints of the
/// events this run accepted, and of stored events on days within the horizon of days this run has seen
/// (loaded on first use of a day, from the `key_high`/`key_low` columns of that day's segments). Open
/// addressing at a load of at most 3/4 costs 16 to 32 bytes per fingerprint, so 10^8 events within one
/// horizon take 1.6 to 3.2 GB, and a shorter horizon (`--dedupe-horizon-days`) takes less.
final class FingerprintSet {
    struct Fingerprint: Equatable {
        var high: UInt64
        /// 32 more bits of hash in the upper half; the lower half is free for the day.
        var low: UInt64
    }

    private var slots: UnsafeMutablePointer<Fingerprint>
    private var mask: Int
    private(set) var count = 0
    let horizonDays: Int64
    private var loadedDays = Set<Int64>()
    /// Days whose whole horizon is loaded, and the last one asked for.
    private var preparedDays = Set<Int64>()
    private var lastPreparedDay = Int64.min
    private let loadDay: (Int64) throws -> [(high: UInt64, low: UInt64)]

    /// A set for dedupe within `horizonDays`; `loadDay` returns the stored fingerprints of one day.
    init(horizonDays: Int64, loadDay: @escaping (Int64) throws -> [(high: UInt64, low: UInt64)]) {
        precondition(horizonDays >= 0, "negative dedupe horizon")
        self.horizonDays = horizonDays
        self.loadDay = loadDay
        mask = (1 << 16) - 1
        slots = HugePageMemory.allocate(Fingerprint.self, count: mask + 1)
    }

    deinit { HugePageMemory.deallocate(slots, count: mask + 1) }

    /// The stored form of a 128-bit hash and a day: the day replaces the low 32 bits.
    @inline(__always)
    static func fingerprint(high: UInt64, low: UInt64, day: Int64) -> Fingerprint {
        // A zero `high` marks an empty slot; the chance a real hash is zero is 2^-64, and it is moved.
        Fingerprint(
            high: high == 0 ? 1 : high,
            low: low & 0xffff_ffff_0000_0000 | UInt64(UInt32(truncatingIfNeeded: day))
        )
    }

    @inline(__always)
    static func day(of fingerprint: Fingerprint) -> Int64 {
        Int64(Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: fingerprint.low)))
    }

    /// Makes sure the stored fingerprints of every day within the horizon of `day` are in the set.
    @inline(__always)
    func prepare(day: Int64) throws {
        // Rows of one dump mostly share a day: skip the set lookup for a repeat.
        if day == lastPreparedDay { return }
        if !preparedDays.contains(day) {
            try load(around: day)
            preparedDays.insert(day)
        }
        lastPreparedDay = day
    }

    private func load(around day: Int64) throws {
        for neighbour in (day - horizonDays)...(day + horizonDays) where !loadedDays.contains(neighbour) {
            // Mark first: the stored fingerprints of a day are loaded once.
            loadedDays.insert(neighbour)
            for stored in try loadDay(neighbour) {
                insert(Fingerprint(high: stored.high, low: stored.low))
            }
        }
    }

    /// Whether a fingerprint equal to `fingerprint`'s hash is held with a day within the horizon.
    @inline(__always)
    func containsWithinHorizon(_ fingerprint: Fingerprint) -> Bool {
        let day = Self.day(of: fingerprint)
        let hashLow = fingerprint.low >> 32
        var slot = Int(truncatingIfNeeded: fingerprint.high) & mask
        while true {
            let entry = slots[slot]
            if entry.high == 0 { return false }
            if entry.high == fingerprint.high, entry.low >> 32 == hashLow, abs(Self.day(of: entry) - day) <= horizonDays
            {
                return true
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `fingerprint`.
    @inline(__always)
    func insert(_ fingerprint: Fingerprint) {
        var slot = Int(truncatingIfNeeded: fingerprint.high) & mask
        while true {
            let entry = slots[slot]
            if entry.high == 0 { break }
            if entry == fingerprint { return }
            slot = (slot + 1) & mask
        }
        slots[slot] = fingerprint
        count += 1
        if count * 4 > (mask + 1) * 3 { grow() }
    }

    private func grow() {
        let old = slots
        let oldCapacity = mask + 1
        mask = oldCapacity * 2 - 1
        slots = HugePageMemory.allocate(Fingerprint.self, count: mask + 1)
        for index in 0..<oldCapacity where old[index].high != 0 {
            var slot = Int(truncatingIfNeeded: old[index].high) & mask
            while slots[slot].high != 0 { slot = (slot + 1) & mask }
            slots[slot] = old[index]
        }
        HugePageMemory.deallocate(old, count: oldCapacity)
    }
}

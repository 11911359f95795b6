#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps byte strings (external user ids, item ids, event names) to dense indices 0, 1, 2, ... in first-seen
/// order, without making a `String` per lookup.
///
/// The importer looks up three ids per row. A `[String: UInt32]` would decode and hash a new `String`
/// each time; this table hashes the bytes where they lie in the input buffer and compares with `memcmp`,
/// and only keys seen for the first time are copied. Open addressing with linear probing; each slot
/// holds 32 bits of the hash and the index, so most mismatches are settled without touching the keys.
final class ByteInterner {
    /// One slot: 32 bits of hash and the index + 1 (0 when empty), then where the key lies in `storage`
    /// (start in the high 40 bits, length in the low 24). Keeping the location in the slot means a hit
    /// costs two cache misses on a large table (slot, key bytes) instead of three.
    struct Slot {
        var tagAndIndex: UInt64
        var location: UInt64
    }

    /// The keys, back to back.
    private var storage: UnsafeMutableRawPointer
    private var storageCapacity: Int
    private var storageUsed = 0
    /// `locations[i]` is key `i`'s location, packed as in ``Slot``.
    private var locations: [UInt64] = []
    private var slots: UnsafeMutablePointer<Slot>
    private var slotMask: Int
    private let seed: UInt64

    /// An empty table.
    init(seed: UInt64 = 0x2545_f491_4f6c_dd1d) {
        self.seed = seed
        storageCapacity = 1 << 16
        storage = .allocate(byteCount: storageCapacity, alignment: 8)
        slotMask = (1 << 10) - 1
        slots = HugePageMemory.allocate(Slot.self, count: slotMask + 1)
    }

    deinit {
        storage.deallocate()
        HugePageMemory.deallocate(slots, count: slotMask + 1)
    }

    /// The number of keys.
    var count: Int { locations.count }

    @inline(__always)
    private func bytes(at location: UInt64) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + Int(location >> 24), count: Int(location & 0xff_ffff))
    }

    /// The bytes of key `index`, valid until the next insertion.
    func key(at index: Int) -> UnsafeRawBufferPointer {
        bytes(at: locations[index])
    }

    /// Key `index` as a `String` (keys are valid UTF-8: the importer checks every record first).
    func string(at index: Int) -> String {
        String(decoding: key(at: index), as: UTF8.self)
    }

    /// The index of `key`, if present.
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        let hash = ByteHash.hash(key, seed: seed)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash & 0xffff_ffff_0000_0000
        while true {
            let entry = slots[slot]
            if entry.tagAndIndex == 0 { return nil }
            if entry.tagAndIndex & 0xffff_ffff_0000_0000 == tag, Self.equal(bytes(at: entry.location), key) {
                return Int(entry.tagAndIndex & 0xffff_ffff) - 1
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// The index of `key`, adding it with the next index when it is new.
    @inline(__always)
    func insert(_ key: UnsafeRawBufferPointer) -> (index: Int, isNew: Bool) {
        let hash = ByteHash.hash(key, seed: seed)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = hash & 0xffff_ffff_0000_0000
        while true {
            let entry = slots[slot]
            if entry.tagAndIndex == 0 { break }
            if entry.tagAndIndex & 0xffff_ffff_0000_0000 == tag, Self.equal(bytes(at: entry.location), key) {
                return (Int(entry.tagAndIndex & 0xffff_ffff) - 1, false)
            }
            slot = (slot + 1) & slotMask
        }
        let index = locations.count
        precondition(index < Int(UInt32.max) - 1, "more than 2^32 - 2 distinct keys")
        precondition(key.count < 1 << 24, "key longer than 16 MiB")
        let location = append(key)
        slots[slot] = Slot(tagAndIndex: tag | UInt64(index + 1), location: location)
        if locations.count * 2 > slotMask + 1 { grow() }
        return (index, true)
    }

    /// Adds `key`, which the caller knows is new (loading a stored dictionary).
    func insertNew(_ key: String) {
        var key = key
        key.withUTF8 { _ = insert(UnsafeRawBufferPointer($0)) }
    }

    /// Byte equality, inline for the short keys ids usually are.
    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let count = a.count
        guard count == b.count else { return false }
        if count == 0 { return true }
        let left = a.baseAddress!
        let right = b.baseAddress!
        if count >= 8 && count <= 16 {
            return left.loadUnaligned(as: UInt64.self) == right.loadUnaligned(as: UInt64.self)
                && left.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == right.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        }
        return memcmp(left, right, count) == 0
    }

    private func append(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if storageUsed + key.count > storageCapacity {
            var capacity = storageCapacity * 2
            while storageUsed + key.count > capacity { capacity *= 2 }
            precondition(capacity < 1 << 40, "dictionary keys exceed 1 TiB")
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: storage, byteCount: storageUsed)
            storage.deallocate()
            storage = grown
            storageCapacity = capacity
        }
        if let base = key.baseAddress, key.count > 0 {
            (storage + storageUsed).copyMemory(from: base, byteCount: key.count)
        }
        let location = UInt64(storageUsed) << 24 | UInt64(key.count)
        storageUsed += key.count
        locations.append(location)
        return location
    }

    private func grow() {
        let oldSlots = slots
        let oldCount = slotMask + 1
        let newCount = oldCount * 2
        slots = HugePageMemory.allocate(Slot.self, count: newCount)
        slotMask = newCount - 1
        for old in 0..<oldCount where oldSlots[old].tagAndIndex != 0 {
            let hash = ByteHash.hash(bytes(at: oldSlots[old].location), seed: seed)
            var slot = Int(truncatingIfNeeded: hash) & slotMask
            while slots[slot].tagAndIndex != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = oldSlots[old]
        }
        HugePageMemory.deallocate(oldSlots, count: oldCount)
    }
}

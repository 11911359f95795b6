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
    /// The keys, back to back.
    private var storage: UnsafeMutableRawPointer
    private var storageCapacity: Int
    private var storageUsed = 0
    /// `ends[i]` is where key `i` ends in `storage`; key `i` starts at `ends[i - 1]` (or 0).
    private var ends: [Int] = []
    /// `(hash & 0xffff_ffff_0000_0000) | (index + 1)`; 0 marks an empty slot.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotMask: Int
    private let seed: UInt64

    /// An empty table.
    init(seed: UInt64 = 0x2545_f491_4f6c_dd1d) {
        self.seed = seed
        storageCapacity = 1 << 16
        storage = .allocate(byteCount: storageCapacity, alignment: 8)
        slotMask = (1 << 10) - 1
        slots = .allocate(capacity: slotMask + 1)
        slots.initialize(repeating: 0, count: slotMask + 1)
    }

    deinit {
        storage.deallocate()
        slots.deallocate()
    }

    /// The number of keys.
    var count: Int { ends.count }

    /// The bytes of key `index`, valid until the next insertion.
    func key(at index: Int) -> UnsafeRawBufferPointer {
        let start = index == 0 ? 0 : ends[index - 1]
        return UnsafeRawBufferPointer(start: storage + start, count: ends[index] - start)
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
        let tag = (hash & 0xffff_ffff_0000_0000)
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry & 0xffff_ffff_0000_0000 == tag {
                let index = Int(entry & 0xffff_ffff) - 1
                if equals(index, key) { return index }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// The index of `key`, adding it with the next index when it is new.
    @inline(__always)
    func insert(_ key: UnsafeRawBufferPointer) -> (index: Int, isNew: Bool) {
        let hash = ByteHash.hash(key, seed: seed)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        let tag = (hash & 0xffff_ffff_0000_0000)
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xffff_ffff_0000_0000 == tag {
                let index = Int(entry & 0xffff_ffff) - 1
                if equals(index, key) { return (index, false) }
            }
            slot = (slot + 1) & slotMask
        }
        let index = ends.count
        precondition(index < Int(UInt32.max) - 1, "more than 2^32 - 2 distinct keys")
        append(key)
        slots[slot] = tag | UInt64(index + 1)
        if (ends.count) * 2 > slotMask + 1 { grow() }
        return (index, true)
    }

    /// Adds `key`, which the caller knows is new (loading a stored dictionary).
    func insertNew(_ key: String) {
        var key = key
        key.withUTF8 { _ = insert(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    private func equals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = index == 0 ? 0 : ends[index - 1]
        let length = ends[index] - start
        guard length == key.count else { return false }
        if length == 0 { return true }
        return memcmp(storage + start, key.baseAddress!, length) == 0
    }

    private func append(_ key: UnsafeRawBufferPointer) {
        if storageUsed + key.count > storageCapacity {
            var capacity = storageCapacity * 2
            while storageUsed + key.count > capacity { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: storage, byteCount: storageUsed)
            storage.deallocate()
            storage = grown
            storageCapacity = capacity
        }
        if let base = key.baseAddress, key.count > 0 {
            (storage + storageUsed).copyMemory(from: base, byteCount: key.count)
        }
        storageUsed += key.count
        ends.append(storageUsed)
    }

    private func grow() {
        let oldSlots = slots
        let oldCount = slotMask + 1
        let newCount = oldCount * 2
        slots = .allocate(capacity: newCount)
        slots.initialize(repeating: 0, count: newCount)
        slotMask = newCount - 1
        for old in 0..<oldCount where oldSlots[old] != 0 {
            let index = Int(oldSlots[old] & 0xffff_ffff) - 1
            let hash = ByteHash.hash(key(at: index), seed: seed)
            var slot = Int(truncatingIfNeeded: hash) & slotMask
            while slots[slot] != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = oldSlots[old]
        }
        oldSlots.deallocate()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed memory for the importer's large hash tables, mapped with transparent huge pages where the
/// kernel allows them (`madvise(MADV_HUGEPAGE)`).
///
/// Dedupe and dictionary lookups land on random slots of tables of hundreds of megabytes. With 4 KiB
/// pages nearly every lookup also misses the TLB and walks the page table, a second trip to memory;
/// 2 MiB pages keep the walk in cache (tools/bench-import measured the difference).
enum HugePageMemory {
    static let hugePageBytes = 2 << 20

    /// `count` zeroed elements of `T`. Zero must be a valid value of `T` (the tables use it for "empty").
    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(count * MemoryLayout<T>.stride, 1)
        let rounded = (bytes + hugePageBytes - 1) / hugePageBytes * hugePageBytes
        guard let address = mmap(nil, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            address != MAP_FAILED
        else { fatalError("out of memory: cannot map \(rounded) bytes for an import table") }
        #if os(Linux)
        if rounded >= hugePageBytes { _ = madvise(address, rounded, MADV_HUGEPAGE) }
        #endif
        return address.bindMemory(to: T.self, capacity: count)
    }

    /// Releases what ``allocate(_:count:)`` returned for the same `count`.
    static func deallocate<T>(_ pointer: UnsafeMutablePointer<T>, count: Int) {
        let bytes = max(count * MemoryLayout<T>.stride, 1)
        let rounded = (bytes + hugePageBytes - 1) / hugePageBytes * hugePageBytes
        munmap(UnsafeMutableRawPointer(pointer), rounded)
    }
}

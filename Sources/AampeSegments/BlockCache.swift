import Synchronization

/// A decompressed zstd block, shared read-only between readers.
final class DecodedBlock: Sendable {
    let bytes: [UInt8]
    /// Variable-length blocks: where each row starts in `bytes`, plus the end; empty for fixed-width.
    let rowOffsets: [UInt32]
    /// Where the row data begins in `bytes` (after the offsets table of a variable-length block).
    let dataStart: Int

    init(bytes: [UInt8], rowOffsets: [UInt32] = [], dataStart: Int = 0) {
        self.bytes = bytes
        self.rowOffsets = rowOffsets
        self.dataStart = dataStart
    }

    var cost: Int { bytes.count + rowOffsets.count * 4 + 64 }
}

/// A bounded least-recently-used cache of decompressed blocks, one per segment reader.
///
/// Its capacity in bytes is ``SegmentReaderConfiguration/blockCacheBytes``. A block larger than the
/// whole capacity is returned to its caller but not kept.
final class BlockCache: Sendable {
    struct Key: Hashable {
        var column: Int
        var block: Int
    }

    private struct State {
        var entries: [Key: (block: DecodedBlock, lastUse: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// The cached block for `key`, or the one `load` produces, which is then cached.
    func block(_ key: Key, load: () throws -> DecodedBlock) throws -> DecodedBlock {
        let cached = state.withLock { state -> DecodedBlock? in
            state.clock += 1
            guard let entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.entries[key]!.lastUse = state.clock
            return entry.block
        }
        if let cached { return cached }
        // Decompress outside the lock so other readers proceed; two racing loaders waste one decode.
        let loaded = try load()
        guard loaded.cost <= capacityBytes else { return loaded }
        state.withLock { state in
            if state.entries[key] != nil { return }
            while state.bytes + loaded.cost > capacityBytes,
                let victim = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.bytes -= victim.value.block.cost
                state.entries[victim.key] = nil
            }
            state.entries[key] = (loaded, state.clock)
            state.bytes += loaded.cost
        }
        return loaded
    }

    /// Bytes held now, and the hit and miss counts so far.
    var statistics: (bytes: Int, hits: Int, misses: Int) {
        state.withLock { ($0.bytes, $0.hits, $0.misses) }
    }
}

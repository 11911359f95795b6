import Dispatch
import Foundation
import Synchronization

/// Splits `count` rows into chunks of a fixed size and runs a body per chunk on up to `threads` threads.
///
/// The chunks depend only on `count` and `rowsPerChunk`, never on the thread count, and a caller that
/// reduces writes one partial result per chunk and adds them in chunk order afterwards. So a result is the
/// same, bit for bit, on one thread or many: the landscape's fits are deterministic for a seed.
struct ParallelChunks: Sendable {
    /// The number of rows split.
    let count: Int
    /// The rows of every chunk but possibly the last.
    let rowsPerChunk: Int
    /// The most threads to run on.
    let threads: Int

    init(count: Int, rowsPerChunk: Int, threads: Int) {
        precondition(rowsPerChunk > 0 && threads > 0)
        self.count = count
        self.rowsPerChunk = rowsPerChunk
        self.threads = threads
    }

    /// The number of chunks (at least one, so an empty input still runs one empty chunk).
    var chunkCount: Int { max(1, (count + rowsPerChunk - 1) / rowsPerChunk) }

    /// The rows of chunk `chunk`.
    func range(of chunk: Int) -> Range<Int> {
        let start = chunk * rowsPerChunk
        return min(start, count)..<min(count, start + rowsPerChunk)
    }

    /// Runs `body(chunk, rows)` once for every chunk; chunks are handed out from an atomic counter, so a
    /// slow thread does not hold the others back. `body` must write only its own chunk's outputs.
    func run(_ body: @Sendable (_ chunk: Int, _ rows: Range<Int>) -> Void) {
        let chunks = chunkCount
        let workers = min(threads, chunks)
        if workers <= 1 {
            for chunk in 0..<chunks { body(chunk, range(of: chunk)) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let chunk = next.add(1, ordering: .relaxed).oldValue
                if chunk >= chunks { break }
                body(chunk, range(of: chunk))
            }
        }
    }
}

/// The default thread count of the landscape's fits: every core the process may use.
var landscapeDefaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

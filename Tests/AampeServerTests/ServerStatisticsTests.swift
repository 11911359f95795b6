import AampeProtocol
import NIOCore
import NIOPosix
import Testing

@testable import AampeServer

@Suite("statistics: one shard per event loop, merged on read")
struct ServerStatisticsTests {
    @Test("each event loop records into its own shard; a snapshot adds every shard's counts and histograms")
    func shardsMergeOnRead() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let statistics = ServerStatistics()
        let first = statistics.shard(for: loops[0])
        let second = statistics.shard(for: loops[1])
        #expect(first === statistics.shard(for: loops[0]))  // looked up, not made again
        #expect(first !== second)

        // PING: 3 answers at 1 µs on the first loop, 1 at 1 ms (an error) on the second; RECOMMEND: one read
        // burst of two answers flushed 50 µs after their read; TRACK: only in the fallback shard.
        for _ in 0..<3 { first.record(.ping, nanoseconds: 1_000, isError: false) }
        second.record(.ping, nanoseconds: 1_000_000, isError: true)
        let read = NIODeadline.uptimeNanoseconds(10_000_000)
        second.record(
            [
                (opcode: .recommend, isError: false, receivedAt: read),
                (opcode: .recommend, isError: true, receivedAt: read),
            ],
            flushedAt: read + .microseconds(50)
        )
        statistics.fallbackShard.record(.track, nanoseconds: 2_000, isError: false)
        // An opcode past the known ones is kept apart and never reported.
        first.record(Opcode(rawValue: 999), nanoseconds: 1, isError: true)

        let snapshot = Dictionary(uniqueKeysWithValues: statistics.snapshot().map { ($0.opcode, $0) })
        #expect(Set(snapshot.keys) == [.ping, .recommend, .track])
        let ping = try #require(snapshot[.ping])
        #expect(ping.count == 4 && ping.errors == 1)
        #expect(ping.p50Nanos >= 990 && ping.p50Nanos <= 1_010)  // two significant digits
        #expect(ping.maxNanos >= 990_000 && ping.maxNanos <= 1_010_000)
        let recommend = try #require(snapshot[.recommend])
        #expect(recommend.count == 2 && recommend.errors == 1)
        #expect(recommend.p50Nanos >= 49_500 && recommend.p50Nanos <= 50_500)
        #expect(snapshot[.track]?.count == 1)
    }
}

// RECOMMEND requests: what the options ask for, and how a request's body is put together at send time.

import AampeProtocol
import NIOCore
import SwiftProtobuf

/// What every RECOMMEND request of a run asks for; only the user differs between requests.
struct RecommendOptions: Sendable {
    /// The most items a request may ask for here; the server refuses counts above its own limit.
    static let maximumCount = 10_000

    var count = 10
    var usersFile: String?
    var usersPattern: UserPattern?
    var usersCount: Int?
    var isInStockOnly = false
    var minimumPrice: Double?
    var maximumPrice: Double?
    var categories: [String] = []
    /// nil: the server's default (true).
    var excludeSeen: Bool?
    /// Seeds each connection's user draws (with the connection's index), so runs repeat.
    var seed: UInt64 = 1
    /// The options given on the command line, to refuse them when RECOMMEND is not in the mix.
    var givenOptions: [String] = []

    /// Everything but the user: count and filter, as the request's protobuf.
    var request: Aampe_V1_RecommendRequest {
        var request = Aampe_V1_RecommendRequest()
        request.count = UInt32(count)
        var filter = Aampe_V1_ItemFilter()
        filter.categories = categories
        filter.inStockOnly = isInStockOnly
        if let minimumPrice { filter.minimumPrice = minimumPrice }
        if let maximumPrice { filter.maximumPrice = maximumPrice }
        if filter != Aampe_V1_ItemFilter() { request.filter = filter }
        if let excludeSeen { request.excludeSeen = excludeSeen }
        return request
    }

    /// The filter in words, for the report.
    var filterText: String {
        var parts: [String] = []
        if isInStockOnly { parts.append("in stock") }
        if let minimumPrice { parts.append("price >= \(minimumPrice)") }
        if let maximumPrice { parts.append("price <= \(maximumPrice)") }
        if !categories.isEmpty { parts.append("category in [\(categories.joined(separator: ", "))]") }
        if let excludeSeen { parts.append("exclude_seen \(excludeSeen)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// Checks the options against each other once they are all parsed. `isInMix`: an operation that draws
    /// users (RECOMMEND or SCORE) is in the mix; `isRecommendInMix`: RECOMMEND itself is.
    mutating func validate(isInMix: Bool, isRecommendInMix: Bool) throws {
        if !isRecommendInMix, let option = givenOptions.first {
            throw UsageError("\(option) only applies to RECOMMEND: add recommend=W to --mix")
        }
        guard isInMix else { return }
        switch (usersFile, usersPattern, usersCount) {
        case (nil, nil, _?):
            throw UsageError("--users-count goes with --users-pattern PATTERN")
        case (nil, nil, nil):
            throw UsageError(
                "--mix has recommend or score, which need user ids: give --users-file FILE (one id a line) or --users-pattern PATTERN --users-count N"
            )
        case (_?, _?, _):
            throw UsageError("give either --users-file or --users-pattern, not both")
        case (_?, nil, _?):
            throw UsageError("--users-count goes with --users-pattern; --users-file takes every id in the file")
        case (nil, _?, nil):
            throw UsageError("--users-pattern needs --users-count N (ids are made for 0 ..< N)")
        default:
            break
        }
        if let minimumPrice, let maximumPrice, minimumPrice > maximumPrice {
            throw UsageError(
                "--recommend-min-price \(minimumPrice) is above --recommend-max-price \(maximumPrice): no item could match"
            )
        }
    }
}

/// Writes RECOMMEND or SCORE frames for any user from one pre-serialized tail.
///
/// A request body is the user id field followed by the bytes of a `RecommendRequest` (or `ScoreRequest`:
/// `user_id` is field 1 of both) that has every field but the user. Protobuf allows fields in any order and a parser concatenates them (the encoding guide,
/// "Message Structure": "a protocol buffer message is a series of key-value pairs"), and SwiftProtobuf
/// writes field 1 first anyway, so the body is what serializing the whole request would give:
///
/// ```
/// +------+---------------+----------------+---------------------------------------------+
/// | 0x0A | length varint | user id bytes  | tail: count (field 2), filter (field 3), ... |
/// +------+---------------+----------------+---------------------------------------------+
/// ```
struct UserFrameWriter: Sendable {
    let opcode: Opcode
    let users: UserPool
    /// The header of every frame with request id and body length 0, patched per request.
    let header: [UInt8]
    let tail: [UInt8]
    /// The largest frame, header included, for sizing a write buffer.
    let largestFrameBytes: Int

    /// Frames of `opcode` whose body is `request` with each user's id as its `user_id` (field 1).
    init<Request: UserRequest>(opcode: Opcode, request: Request, users: UserPool) {
        self.opcode = opcode
        self.users = users
        var headerBuffer = ByteBufferAllocator().buffer(capacity: FrameHeader.length)
        headerBuffer.writeFrameHeader(FrameHeader(opcode: opcode, requestID: 0), bodyLength: 0)
        header = Array(headerBuffer.readableBytesView)
        // The user id is field 1; everything else is serialized here once.
        precondition(request.userID.isEmpty, "the template request has no user")
        tail = try! request.serializedBytes()
        largestFrameBytes = FrameHeader.length + 1 + 2 + users.longestIDBytes + tail.count
        // The spliced body must decode to the request SwiftProtobuf would have written, for a short and
        // for the longest id (one and two length bytes).
        for index in [0, users.count - 1] {
            var expected = request
            expected.userID = users.id(at: index)
            let body = Array(self.body(user: index, allocator: ByteBufferAllocator()).readableBytesView)
            let decoded = try? Request(serializedBytes: body)
            precondition(decoded == expected, "the spliced \(opcode.name) body does not decode to the request")
            precondition(body == (try! expected.serializedBytes() as [UInt8]), "the spliced body differs")
        }
    }

    /// Appends one whole frame for user `index` of the pool: one bounds check and three copies.
    @inline(__always)
    func write(user index: Int, requestID: UInt32, into buffer: inout ByteBuffer) {
        let start = Int(users.offsets[index])
        let length = Int(users.offsets[index + 1]) - start
        // At most 1024 bytes (UserPool.maximumIDBytes): one or two varint bytes.
        let varintBytes = length < 0x80 ? 1 : 2
        let bodyLength = 1 + varintBytes + length + tail.count
        let frameLength = FrameHeader.length + bodyLength
        let source = users.bytes + start
        _ = header.withUnsafeBytes { header in
            tail.withUnsafeBytes { tail in
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: frameLength) { out in
                    let base = out.baseAddress!
                    base.copyMemory(from: header.baseAddress!, byteCount: FrameHeader.length)
                    base.storeBytes(of: requestID.littleEndian, toByteOffset: 8, as: UInt32.self)
                    base.storeBytes(of: UInt32(bodyLength).littleEndian, toByteOffset: 12, as: UInt32.self)
                    var offset = FrameHeader.length
                    base.storeBytes(of: UInt8(0x0A), toByteOffset: offset, as: UInt8.self)
                    if varintBytes == 1 {
                        base.storeBytes(of: UInt8(length), toByteOffset: offset + 1, as: UInt8.self)
                    } else {
                        base.storeBytes(of: UInt8(length & 0x7F | 0x80), toByteOffset: offset + 1, as: UInt8.self)
                        base.storeBytes(of: UInt8(length >> 7), toByteOffset: offset + 2, as: UInt8.self)
                    }
                    offset += 1 + varintBytes
                    (base + offset).copyMemory(from: source, byteCount: length)
                    offset += length
                    if tail.count > 0 { (base + offset).copyMemory(from: tail.baseAddress!, byteCount: tail.count) }
                    return frameLength
                }
            }
        }
    }

    /// The body alone, for the NIO codec (which writes the header itself).
    func body(user index: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: largestFrameBytes)
        write(user: index, requestID: 0, into: &buffer)
        buffer.moveReaderIndex(forwardBy: FrameHeader.length)
        return buffer
    }
}

/// A connection's source of uniform user indices: SplitMix64 (Steele, Lea and Flood 2014), reduced to a
/// range with Lemire's multiply-shift, which costs one multiplication and no division.
struct UserDraw {
    private var state: UInt64

    init(seed: UInt64, connection: Int) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(connection) &* 0xD1B5_4A32_D192_ED03 &+ 1
    }

    @inline(__always)
    mutating func next(below count: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z.multipliedFullWidth(by: UInt64(count)).high)
    }
}

/// A request whose `user_id` is field 1, so that `UserFrameWriter` can splice any user in front of the
/// rest of it.
protocol UserRequest: SwiftProtobuf.Message, Equatable {
    var userID: String { get set }
}

extension Aampe_V1_RecommendRequest: UserRequest {}
extension Aampe_V1_ScoreRequest: UserRequest {}

/// What every SCORE request of a run asks for; only the user differs between requests. Users come from
/// the same options as RECOMMEND's (`--users-file`, `--users-pattern`).
struct ScoreOptions: Sendable {
    /// Empty: the model's default goal.
    var goal = ""
    /// `set=label` names; empty: every label.
    var labels: [String] = []
    var includeWindows = false
    /// The options given on the command line, to refuse them when SCORE is not in the mix.
    var givenOptions: [String] = []

    /// Everything but the user, as the request's protobuf.
    var request: Aampe_V1_ScoreRequest {
        var request = Aampe_V1_ScoreRequest()
        request.goal = goal
        request.labels = labels
        request.includeWindows = includeWindows
        return request
    }

    var goalText: String { goal.isEmpty ? "(default)" : goal }
    var labelsText: String { labels.isEmpty ? "all" : labels.joined(separator: ",") }

    func validate(isInMix: Bool) throws {
        if !isInMix, let option = givenOptions.first {
            throw UsageError("\(option) only applies to SCORE: add score=W to --mix")
        }
    }
}

import AampeProtocol
import Foundation
import NIOCore
import NIOTestUtils
import SwiftProtobuf
import Testing

/// proto-spec/test-vectors.json, written by tools/clients/python/make_test_vectors.py from PROTOCOL.md. The
/// Python reference client's tests check the same file, so both implementations agree on every byte.
struct TestVectorFile: Decodable, Sendable {
    struct Operation: Decodable, Sendable {
        var opcode: UInt16
        var name: String
        var request: String?
        var response: String
    }

    struct ErrorCodeRow: Decodable, Sendable {
        var code: UInt32
        var name: String
        var connection: String
    }

    struct FrameFields: Decodable, Sendable {
        var magic: String
        var major: UInt8
        var flags: UInt8
        var opcode: UInt16
        var opcodeName: String?
        var opcodeVersion: UInt8
        var status: UInt8
        var requestId: UInt32
        var bodyLength: UInt32
        var messageType: String
    }

    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var direction: String
        var hex: String
        var frame: FrameFields
        var errorCode: UInt32?
        var errorName: String?
        /// `frame.message` as JSON text, for `Message(jsonString:)`; filled in after decoding.
        var messageJSON = ""

        enum CodingKeys: String, CodingKey {
            case name, direction, hex, frame, errorCode, errorName
        }

        var testDescription: String { name }
    }

    struct Malformed: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var hex: String
        var endOfStream: Bool
        var errorCode: UInt32
        var errorName: String
        var errorOpcode: UInt16
        var errorRequestId: UInt32

        var testDescription: String { name }
    }

    var maximumBodyBytes: Int
    var operations: [Operation]
    var errorCodes: [ErrorCodeRow]
    var vectors: [Vector]
    var malformed: [Malformed]

    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proto-spec/test-vectors.json").path

    /// Reads the file. Each vector's message is taken through SwiftProtobuf's own JSON (as a
    /// `google.protobuf.Struct`), so no number passes through Foundation's JSON and loses precision.
    static func load() throws -> TestVectorFile {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var file = try decoder.decode(TestVectorFile.self, from: data)
        let tree = try Google_Protobuf_Struct(jsonUTF8Data: data)
        let vectors = tree.fields["vectors"]?.listValue.values ?? []
        guard vectors.count == file.vectors.count else { throw TestVectorError.unreadable("vectors differ in count") }
        for index in vectors.indices {
            guard let message = vectors[index].structValue.fields["frame"]?.structValue.fields["message"] else {
                throw TestVectorError.unreadable("\(file.vectors[index].name) has no frame.message")
            }
            file.vectors[index].messageJSON = try message.jsonString()
        }
        return file
    }

    /// The file, or nil if it cannot be read (``TestVectorTests/fileLoads()`` then says why).
    static let loaded: TestVectorFile? = try? load()
}

enum TestVectorError: Error {
    case unreadable(String)
}

extension Array where Element == UInt8 {
    init(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// Checks that run with a vector's message type opened, one entry per message of aampe.proto.
enum MessageCheck {
    typealias Check = @Sendable (TestVectorFile.Vector, Frame) throws -> Void

    static let byName: [String: Check] = Dictionary(
        uniqueKeysWithValues: [
            entry(Aampe_V1_Greeting.self),
            entry(Aampe_V1_HelloRequest.self), entry(Aampe_V1_HelloResponse.self),
            entry(Aampe_V1_PingRequest.self), entry(Aampe_V1_PingResponse.self),
            entry(Aampe_V1_RecommendRequest.self), entry(Aampe_V1_RecommendResponse.self),
            entry(Aampe_V1_SimilarItemsRequest.self), entry(Aampe_V1_SimilarItemsResponse.self),
            entry(Aampe_V1_TrackRequest.self), entry(Aampe_V1_TrackResponse.self),
            entry(Aampe_V1_ScoreRequest.self), entry(Aampe_V1_ScoreResponse.self),
            entry(Aampe_V1_PullRequest.self), entry(Aampe_V1_PullResponse.self),
            entry(Aampe_V1_AckRequest.self), entry(Aampe_V1_AckResponse.self),
            entry(Aampe_V1_StatsRequest.self), entry(Aampe_V1_StatsResponse.self),
            entry(Aampe_V1_ReloadRequest.self), entry(Aampe_V1_ReloadResponse.self),
            entry(Aampe_V1_ClockRequest.self), entry(Aampe_V1_ClockResponse.self),
            entry(Aampe_V1_RequeueRequest.self), entry(Aampe_V1_RequeueResponse.self),
            entry(Aampe_V1_ErrorResponse.self),
        ]
    )

    static func entry<M: SwiftProtobuf.Message & Equatable>(_ type: M.Type) -> (String, Check) {
        (M.protoMessageName, { vector, frame in try check(M.self, vector: vector, frame: frame) })
    }

    /// The body parses as the stated message; re-encoding the stated header and message gives the hex.
    static func check<M: SwiftProtobuf.Message & Equatable>(
        _ type: M.Type,
        vector: TestVectorFile.Vector,
        frame: Frame
    ) throws {
        let expected = try M(jsonString: vector.messageJSON)
        let decoded = try frame.decodeBody(as: M.self)
        #expect(decoded == expected, "body of \(vector.name): decoded \(decoded), stated \(expected)")

        let fields = vector.frame
        var header = FrameHeader(
            opcode: Opcode(rawValue: fields.opcode),
            opcodeVersion: fields.opcodeVersion,
            requestID: fields.requestId,
            status: FrameStatus(rawValue: fields.status),
            flags: FrameFlags(rawValue: fields.flags)
        )
        header.majorVersion = fields.major
        var buffer = ByteBuffer()
        buffer.writeFrame(Frame(header: header, message: expected))
        #expect(Array(buffer.readableBytesView).hex == vector.hex, "re-encoding \(vector.name)")
    }
}

@Suite("Test vectors (proto-spec/test-vectors.json)")
struct TestVectorTests {
    static var allVectors: [TestVectorFile.Vector] { TestVectorFile.loaded?.vectors ?? [] }
    static var allMalformed: [TestVectorFile.Malformed] { TestVectorFile.loaded?.malformed ?? [] }

    @Test("the file loads and covers every operation and every error code")
    func fileLoads() throws {
        let file = try TestVectorFile.load()
        let opcodes = Set(file.vectors.map(\.frame.opcode))
        for opcode in Opcode.all { #expect(opcodes.contains(opcode.rawValue), "no vector for \(opcode.name)") }
        let codes = Set(file.vectors.compactMap(\.errorCode))
        for code in ErrorCode.all { #expect(codes.contains(code.rawValue), "no error vector for \(code)") }
        #expect(
            file.vectors.contains {
                $0.frame.opcode == Opcode.pull.rawValue && $0.frame.flags & FrameFlags.more.rawValue != 0
            }
        )
        #expect(file.malformed.count >= 5)
        for name in Set(file.vectors.map(\.frame.messageType)) {
            #expect(MessageCheck.byName[name] != nil, "no Swift type registered for \(name)")
        }
    }

    @Test("ErrorCode names and closing behaviour match PROTOCOL.md's Errors table")
    func errorCodeTable() throws {
        let file = try TestVectorFile.load()
        #expect(ErrorCode.all.map(\.rawValue) == file.errorCodes.map(\.code))
        for row in file.errorCodes {
            let code = ErrorCode(rawValue: row.code)
            #expect(code.name == row.name)
            #expect(code.closesConnection == (row.connection == "closed"), "\(code): connection \(row.connection)")
        }
        for vector in file.vectors where vector.frame.status == FrameStatus.error.rawValue {
            let code = try #require(vector.errorCode, "\(vector.name) has no error_code")
            #expect(ErrorCode(rawValue: code).name == vector.errorName, "\(vector.name)")
        }
    }

    @Test("Opcode names match PROTOCOL.md's Operations table")
    func opcodeTable() throws {
        let file = try TestVectorFile.load()
        #expect(Opcode.all.map(\.rawValue) == file.operations.map(\.opcode))
        for row in file.operations { #expect(Opcode(rawValue: row.opcode).name == row.name) }
    }

    @Test("decodes to the stated header and message, and re-encodes to the same bytes", arguments: allVectors)
    func vector(_ vector: TestVectorFile.Vector) throws {
        let file = try #require(TestVectorFile.loaded)
        let bytes = [UInt8](hex: vector.hex)
        var decoder = FrameDecoder(maximumBodyLength: file.maximumBodyBytes)
        var buffer = ByteBuffer(bytes: bytes)
        let frame = try #require(try decoder.decode(buffer: &buffer), "\(vector.name) does not decode to a frame")
        #expect(buffer.readableBytes == 0, "bytes left over after \(vector.name)")

        let fields = vector.frame
        var magic = ByteBuffer()
        magic.writeInteger(FrameHeader.magic, endianness: .little)
        #expect(Array(bytes.prefix(2)).hex == fields.magic)
        #expect(Array(magic.readableBytesView).hex == fields.magic)
        #expect(frame.header.majorVersion == fields.major)
        #expect(frame.header.flags.rawValue == fields.flags)
        #expect(frame.header.opcode.rawValue == fields.opcode)
        if let name = fields.opcodeName {
            #expect(frame.header.opcode.name == name)
        } else {
            #expect(!Opcode.all.contains(frame.header.opcode), "opcode \(fields.opcode) has no name in PROTOCOL.md")
        }
        #expect(frame.header.opcodeVersion == fields.opcodeVersion)
        #expect(frame.header.status.rawValue == fields.status)
        #expect(frame.header.requestID == fields.requestId)
        #expect(frame.body.readableBytes == Int(fields.bodyLength))

        let check = try #require(MessageCheck.byName[fields.messageType], "no Swift type for \(fields.messageType)")
        try check(vector, frame)
    }

    @Test("NIO's verifier: every vector decodes the same byte by byte and all in one buffer")
    func verifier() throws {
        let file = try TestVectorFile.load()
        let pairs = file.vectors.map { vector -> (ByteBuffer, [Frame]) in
            var decoder = FrameDecoder(maximumBodyLength: file.maximumBodyBytes)
            var buffer = ByteBuffer(bytes: [UInt8](hex: vector.hex))
            let frame = try? decoder.decode(buffer: &buffer)
            return (ByteBuffer(bytes: [UInt8](hex: vector.hex)), frame.map { [$0] } ?? [])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            FrameDecoder(maximumBodyLength: file.maximumBodyBytes)
        }
    }

    @Test("the frames of the split RECOMMEND response merge into the whole response")
    func splitResponse() throws {
        let file = try TestVectorFile.load()
        func frame(_ name: String) throws -> Frame {
            let vector = try #require(file.vectors.first { $0.name == name }, "no vector \(name)")
            var decoder = FrameDecoder(maximumBodyLength: file.maximumBodyBytes)
            var buffer = ByteBuffer(bytes: [UInt8](hex: vector.hex))
            return try #require(try decoder.decode(buffer: &buffer))
        }
        let whole: Aampe_V1_RecommendResponse = try frame("RECOMMEND response").decodeBody()
        let first = try frame("RECOMMEND response, split: frame 1 of 2 (MORE)")
        let last = try frame("RECOMMEND response, split: frame 2 of 2")
        #expect(first.header.flags.contains(.more) && !last.header.flags.contains(.more))
        var merged: Aampe_V1_RecommendResponse = try first.decodeBody()
        try merged.merge(serializedBytes: Array(last.body.readableBytesView))
        #expect(merged == whole)
    }

    @Test("malformed input is refused with the stated error code", arguments: allMalformed)
    func malformed(_ entry: TestVectorFile.Malformed) throws {
        let file = try #require(TestVectorFile.loaded)
        var decoder = FrameDecoder(maximumBodyLength: file.maximumBodyBytes)
        var buffer = ByteBuffer(bytes: [UInt8](hex: entry.hex))
        let expected = ErrorCode(rawValue: entry.errorCode)
        #expect(expected.name == entry.errorName)
        if entry.endOfStream {
            // Not an error while more bytes may come; an error when the stream ends there.
            #expect(try decoder.decode(buffer: &buffer) == nil)
            let error = #expect(throws: ProtocolError.self) { try decoder.decodeLast(buffer: &buffer, seenEOF: true) }
            #expect(error?.code == .malformedFrame)
            #expect(error?.code == expected)
            #expect(error?.opcode?.rawValue ?? 0 == entry.errorOpcode)
            #expect(error?.requestID ?? 0 == entry.errorRequestId)
        } else {
            let error = #expect(throws: ProtocolError.self) { _ = try decoder.decode(buffer: &buffer) }
            #expect(error?.code == expected)
            #expect(error?.opcode?.rawValue ?? 0 == entry.errorOpcode)
            #expect(error?.requestID ?? 0 == entry.errorRequestId)
        }
    }
}

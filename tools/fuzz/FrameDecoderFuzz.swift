// A libFuzzer target for the frame decoder and the protobuf bodies it carries. Built and run by
// `tools/fuzz-parsers frames`.
//
// Each input is a byte stream as a peer would send it. The target runs it through `FrameDecoder` inside
// NIO's `NIOSingleStepByteToMessageProcessor`, as `ConnectionHandler` does, three ways: in one read; in
// reads of random sizes (as NIO delivers a socket's bytes); and in one read with a 16-byte body limit.
// It checks that:
//
// - the decoded frames and the error that ends the stream are the same however the bytes are split
//   (the error's message names the stream offset, so that must agree too);
// - the frames, encoded again, are exactly the bytes they were decoded from, and a stream that ends
//   without an error was consumed to its last byte;
// - a stream ends only with one of the errors a decoder may throw (MALFORMED_FRAME,
//   UNSUPPORTED_MAJOR_VERSION, FRAME_TOO_LARGE), and the tight limit stops the stream at the first
//   frame whose body exceeds it, with FRAME_TOO_LARGE, after the same frames as before;
// - every frame's body, parsed with `Frame.decodeBody(as:)` (the call the server and the client make)
//   as the message its opcode and status name, either fails with INVALID_REQUEST naming the frame, or
//   gives a message that serializes, parses and serializes again to the same bytes.

import AampeProtocol
import NIOCore
import SwiftProtobuf

/// The server's default (`ServerConfiguration.maximumBodyBytes`, and test-vectors.json).
private let maximumBodyLength = 1 << 20
/// A limit small enough for the fuzzer's frames to cross it.
private let tightBodyLength = 16

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = decode(input, reads: [size], maximumBodyLength: maximumBodyLength)

    var random = SplitMix(seed: fnv1a(input))
    var reads: [Int] = []
    var remaining = size
    // Mostly short reads; a one-byte drip now and then, as ByteToMessageDecoderVerifier does.
    let longest = random.next() % 4 == 0 ? 1 : 1 + Int(random.next() % 64)
    while remaining > 0 {
        let read = min(remaining, 1 + Int(random.next() % UInt64(longest)))
        reads.append(read)
        remaining -= read
    }
    let split = decode(input, reads: reads, maximumBodyLength: maximumBodyLength)
    checkSame(whole, split, reads: reads)
    checkEncoding(whole, input)
    checkTightLimit(whole, decode(input, reads: [size], maximumBodyLength: tightBodyLength))
    for frame in whole.frames { parseBody(frame) }
    return 0
}

// The checks are separate functions, not inline in `fuzz`: Swift 6.3.1's optimizer crashes
// (CopyPropagation, "Found outside of lifetime use") on them there.

@inline(never)
private func checkSame(_ whole: Decoded, _ split: Decoded, reads: [Int]) {
    check(split.frames == whole.frames, "frames differ when the stream is split into reads \(reads)")
    check(
        split.error == whole.error,
        "the stream ends differently when split: \(String(describing: split.error)) vs \(String(describing: whole.error))"
    )
}

/// The frames are the bytes they came from.
@inline(never)
private func checkEncoding(_ whole: Decoded, _ input: UnsafeRawBufferPointer) {
    var encoded = ByteBuffer()
    for frame in whole.frames {
        check(
            frame.header.majorVersion == FrameHeader.currentMajorVersion,
            "a frame of major version \(frame.header.majorVersion)"
        )
        check(
            frame.body.readableBytes <= maximumBodyLength,
            "a body of \(frame.body.readableBytes) bytes passed the limit"
        )
        encoded.writeFrame(frame)
    }
    check(
        encoded.readableBytesView.elementsEqual(input.prefix(encoded.readableBytes)),
        "re-encoded frames differ from the input"
    )
    if let error = whole.error {
        check(
            [ErrorCode.malformedFrame, .unsupportedMajorVersion, .frameTooLarge].contains(error.code),
            "unexpected error \(error)"
        )
    } else {
        check(
            encoded.readableBytes == input.count,
            "a clean stream left \(input.count - encoded.readableBytes) bytes unread"
        )
    }
}

/// A tighter limit stops the stream at the first frame over it.
@inline(never)
private func checkTightLimit(_ whole: Decoded, _ tight: Decoded) {
    if let first = whole.frames.firstIndex(where: { $0.body.readableBytes > tightBodyLength }) {
        check(
            Array(whole.frames[..<first]) == tight.frames,
            "the tight limit changed the frames before the first large one"
        )
        check(
            tight.error?.code == .frameTooLarge,
            "a body over the limit ended the stream with \(String(describing: tight.error))"
        )
    } else {
        check(tight.frames == whole.frames, "the tight limit changed frames under it")
        // A frame cut short whose header announces a large body is refused for its size first.
        check(
            tight.error?.code == whole.error?.code || tight.error?.code == .frameTooLarge,
            "the tight limit changed the error"
        )
    }
}

// MARK: Decoding

private struct Decoded {
    var frames: [Frame] = []
    var error: ProtocolError?
}

/// Feeds `input` to a fresh decoder in reads of the given sizes, then ends the stream, as
/// `ConnectionHandler` does on channelRead and channelInactive.
private func decode(_ input: UnsafeRawBufferPointer, reads: [Int], maximumBodyLength: Int) -> Decoded {
    let processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maximumBodyLength: maximumBodyLength))
    var result = Decoded()
    var offset = 0
    do {
        for read in reads {
            var buffer = ByteBuffer()
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + read)]))
            offset += read
            try processor.process(buffer: buffer) { result.frames.append($0) }
        }
        try processor.finishProcessing(seenEOF: true) { result.frames.append($0) }
    } catch let error as ProtocolError {
        result.error = error
    } catch {
        check(false, "the decoder threw \(error), not a ProtocolError")
    }
    return result
}

// MARK: Bodies

/// Parses the body as every message the frame may carry: its request and response (or ErrorResponse
/// for an ERROR frame).
private func parseBody(_ frame: Frame) {
    if frame.header.status == .error {
        parse(frame, as: Aampe_V1_ErrorResponse.self)
        return
    }
    switch frame.header.opcode {
    case .greeting: parse(frame, as: Aampe_V1_Greeting.self)
    case .hello: parse(frame, Aampe_V1_HelloRequest.self, Aampe_V1_HelloResponse.self)
    case .ping: parse(frame, Aampe_V1_PingRequest.self, Aampe_V1_PingResponse.self)
    case .recommend: parse(frame, Aampe_V1_RecommendRequest.self, Aampe_V1_RecommendResponse.self)
    case .similarItems: parse(frame, Aampe_V1_SimilarItemsRequest.self, Aampe_V1_SimilarItemsResponse.self)
    case .track: parse(frame, Aampe_V1_TrackRequest.self, Aampe_V1_TrackResponse.self)
    case .score: parse(frame, Aampe_V1_ScoreRequest.self, Aampe_V1_ScoreResponse.self)
    case .pull: parse(frame, Aampe_V1_PullRequest.self, Aampe_V1_PullResponse.self)
    case .ack: parse(frame, Aampe_V1_AckRequest.self, Aampe_V1_AckResponse.self)
    case .stats: parse(frame, Aampe_V1_StatsRequest.self, Aampe_V1_StatsResponse.self)
    case .reload: parse(frame, Aampe_V1_ReloadRequest.self, Aampe_V1_ReloadResponse.self)
    default: break  // the server answers UNSUPPORTED_OPERATION without reading the body
    }
}

private func parse<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ frame: Frame,
    _ request: Request.Type,
    _ response: Response.Type
) {
    parse(frame, as: request)
    parse(frame, as: response)
}

private func parse<Message: SwiftProtobuf.Message>(_ frame: Frame, as type: Message.Type) {
    let message: Message
    do {
        message = try frame.decodeBody(as: type)
    } catch let error as ProtocolError {
        check(error.code == .invalidRequest, "a bad body gave \(error.code)")
        check(
            error.requestID == frame.header.requestID && error.opcode == frame.header.opcode,
            "the error names another frame"
        )
        return
    } catch {
        check(false, "decodeBody threw \(error), not a ProtocolError")
        return
    }
    // Compared as bytes, not with ==: a float field may hold a NaN, which equals nothing. Map entries
    // are written in key order, so equal messages give equal bytes.
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    do {
        let bytes: [UInt8] = try message.serializedBytes(options: options)
        let again: [UInt8] = try Message(serializedBytes: bytes).serializedBytes(options: options)
        check(again == bytes, "\(Message.protoMessageName) changed when serialized and parsed again")
    } catch {
        check(false, "a parsed \(Message.protoMessageName) did not serialize and parse again: \(error)")
    }
}

// MARK: Support

/// Traps with `message`: libFuzzer reports the input as a crash.
private func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("frame fuzz: \(message())") }
}

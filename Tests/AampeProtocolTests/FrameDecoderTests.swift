import AampeProtocol
import NIOCore
import NIOTestUtils
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    static func frame(_ opcode: Opcode, id: UInt32, body: [UInt8]) -> Frame {
        Frame(header: FrameHeader(opcode: opcode, requestID: id), body: ByteBuffer(bytes: body))
    }

    @Test("NIO's verifier: byte-at-a-time and many frames per buffer decode the same")
    func verifier() throws {
        let frames = [
            Self.frame(.ping, id: 1, body: []),
            Self.frame(.hello, id: 2, body: Array(repeating: 7, count: 300)),
            Self.frame(.stats, id: 3, body: [1, 2, 3]),
            Self.frame(Opcode(rawValue: 999), id: UInt32.max, body: [0xFF]),
        ]
        let pairs = frames.map { frame -> (ByteBuffer, [Frame]) in
            var buffer = ByteBuffer()
            buffer.writeFrame(frame)
            return (buffer, [frame])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            FrameDecoder(maximumBodyLength: 1024)
        }
    }
}

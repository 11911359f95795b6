/// Cuts a serialized message into pieces that each fit a frame body, for a response longer than the
/// receiver's `maximum_body_bytes` (PROTOCOL.md, "Streamed responses").
///
/// Pieces end at boundaries between top-level fields, so each piece is a valid message of the same type,
/// and reading the pieces one after another into one message gives the original. The Protocol Buffers
/// encoding guide ("Last One Wins") states why:
///
/// > concatenating two encoded messages produces the same result as if you had parsed the two messages
/// > separately and merged the resulting objects.
///
/// A repeated field is cut between its elements; no field is ever cut in two. A single field longer than
/// the limit cannot be split, and the caller answers with an error instead.
public enum MessageSplitter {
    /// The byte ranges of `bytes` to send, in order: one range when the message fits, and at least one
    /// for an empty message. Each range is at most `maximumBytes` long.
    ///
    /// Throws `INTERNAL_ERROR` naming the field when one top-level field is longer than `maximumBytes`,
    /// and when `bytes` is not a well-formed message (a caller's serializer never produces that).
    public static func split(_ bytes: [UInt8], maximumBytes: Int) throws(ProtocolError) -> [Range<Int>] {
        precondition(maximumBytes > 0, "maximumBytes must be positive")
        if bytes.count <= maximumBytes { return [0..<bytes.count] }
        var ranges: [Range<Int>] = []
        var pieceStart = 0
        var offset = 0
        while offset < bytes.count {
            let fieldStart = offset
            let tag = try readVarint(bytes, &offset)
            let fieldNumber = tag >> 3
            switch tag & 7 {
            case 0: _ = try readVarint(bytes, &offset)
            case 1: offset += 8
            case 2:
                let length = try readVarint(bytes, &offset)
                guard length <= UInt64(bytes.count - offset) else { throw malformed(fieldNumber) }
                offset += Int(length)
            case 5: offset += 4
            default: throw malformed(fieldNumber)
            }
            guard offset <= bytes.count else { throw malformed(fieldNumber) }
            guard offset - fieldStart <= maximumBytes else {
                throw ProtocolError(
                    code: .internalError,
                    message:
                        "response field \(fieldNumber) takes \(offset - fieldStart) bytes, more than the frame body limit of \(maximumBytes)"
                )
            }
            if offset - pieceStart > maximumBytes {
                ranges.append(pieceStart..<fieldStart)
                pieceStart = fieldStart
            }
        }
        ranges.append(pieceStart..<bytes.count)
        return ranges
    }

    private static func readVarint(_ bytes: [UInt8], _ offset: inout Int) throws(ProtocolError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count && shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw malformed(0)
    }

    private static func malformed(_ fieldNumber: UInt64) -> ProtocolError {
        ProtocolError(
            code: .internalError,
            message: "response is not a well-formed message (at field \(fieldNumber)); it cannot be split"
        )
    }
}

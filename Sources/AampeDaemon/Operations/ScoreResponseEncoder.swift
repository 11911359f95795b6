internal import AampeLearning
internal import AampeProtocol

/// Writes a `ScoreResponse`'s protobuf bytes straight from a packed summary and the model's vocabulary,
/// without building `Aampe_V1_LabelScore` values or splitting label names into new `String`s.
///
/// Fields go in field-number order and those equal to their default are left out, exactly as
/// SwiftProtobuf writes them (`ScoreResponseEncoderTests` compares the bytes). The wire helpers are
/// ``PullResponseEncoder``'s.
///
///     LabelScore                  WindowScore                   ScoreResponse
///     1 label_set          LEN    1 window             VARINT   1 baseline_probability  I64
///     2 label              LEN    2 score              I64      2 labels  LEN (repeated LabelScore)
///     3 score              I64    3 target_probability I64      3 windows LEN (repeated WindowScore)
///     4 target_probability I64    4 uncertainty        I64      4 generation VARINT, 5 is_known_user VARINT
///     5 uncertainty        I64                                  6 goal LEN, 7 source VARINT (enum)
struct ScoreResponseEncoder {
    private typealias Wire = PullResponseEncoder
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Field 1; call first.
    mutating func baseline(_ probability: Double) {
        Self.doubleField(1, probability, into: &bytes)
    }

    /// One `LabelScore` (field 2) for vocabulary entry `name` (`set=label`, split at its first `=`; an
    /// entry without one has an empty set), label `label` of `summary`.
    mutating func label(_ name: String, summary: PackedScoreSummary, label: Int, signature: Int, baseline: Double) {
        let target = summary.labelTarget(label, signature: signature)
        let score = target - baseline
        let uncertainty = summary.labelSD(label)
        var name = name
        name.withUTF8 { utf8 in
            let raw = UnsafeRawBufferPointer(utf8)
            let split = raw.firstIndex(of: UInt8(ascii: "="))
            let set =
                split.map { UnsafeRawBufferPointer(rebasing: raw[..<$0]) }
                ?? UnsafeRawBufferPointer(start: nil, count: 0)
            let label = split.map { UnsafeRawBufferPointer(rebasing: raw[($0 + 1)...]) } ?? raw
            var length = 0
            if !set.isEmpty { length += Wire.lengthOfBytesField(1, set) }
            if !label.isEmpty { length += Wire.lengthOfBytesField(2, label) }
            length += Self.lengthOfDoubles(score, target, uncertainty)
            Wire.tag(2, wireType: 2, into: &bytes)
            Wire.varint(UInt64(length), into: &bytes)
            Wire.bytesField(1, set, into: &bytes)
            Wire.bytesField(2, label, into: &bytes)
        }
        Self.doubleField(3, score, into: &bytes)
        Self.doubleField(4, target, into: &bytes)
        Self.doubleField(5, uncertainty, into: &bytes)
    }

    /// One `WindowScore` (field 3); call after every label.
    mutating func window(_ window: Int, summary: PackedScoreSummary, baseline: Double) {
        let target = summary.windowTarget(window)
        let score = target - baseline
        let uncertainty = summary.windowSD(window)
        let index = UInt64(window)
        var length = Self.lengthOfDoubles(score, target, uncertainty)
        if index != 0 { length += 1 + Wire.varintLength(index) }
        Wire.tag(3, wireType: 2, into: &bytes)
        Wire.varint(UInt64(length), into: &bytes)
        Wire.varintField(1, index, into: &bytes)
        Self.doubleField(2, score, into: &bytes)
        Self.doubleField(3, target, into: &bytes)
        Self.doubleField(4, uncertainty, into: &bytes)
    }

    /// Fields 4 to 7; returns the bytes.
    mutating func finish(
        generation: UInt64,
        isKnownUser: Bool,
        goal: String,
        source: Aampe_V1_ScoreResponse.Source
    ) -> [UInt8] {
        Wire.varintField(4, generation, into: &bytes)
        Wire.varintField(5, isKnownUser ? 1 : 0, into: &bytes)
        Wire.stringField(6, goal, into: &bytes)
        Wire.varintField(7, UInt64(source.rawValue), into: &bytes)
        return bytes
    }

    /// A double field, left out when its bits are 0 (proto3's default; -0.0 is written, as SwiftProtobuf
    /// does).
    private static func doubleField(_ field: UInt64, _ value: Double, into out: inout [UInt8]) {
        guard value.bitPattern != 0 else { return }
        Wire.tag(field, wireType: 1, into: &out)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    }

    /// The bytes of three double fields numbered below 16 (one tag byte each), the zero ones left out.
    private static func lengthOfDoubles(_ a: Double, _ b: Double, _ c: Double) -> Int {
        (a.bitPattern != 0 ? 9 : 0) + (b.bitPattern != 0 ? 9 : 0) + (c.bitPattern != 0 ? 9 : 0)
    }
}

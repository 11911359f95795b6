/// How many parts an SMS text takes.
///
/// > 3GPP TS 23.038 §6.2.1: the GSM 7-bit default alphabet, and its extension table reached through the
/// > escape character, so that an extension character (`^ { } \ [ ~ ] | €` and form feed) takes two
/// > septets.
///
/// A text made only of GSM-7 characters is sent in GSM-7: 160 septets fit one message, and a longer text
/// is split into parts of 153 (the user data header of concatenation takes 7). Any other character sends
/// the whole text in UCS-2: 70 UTF-16 code units in one message, 67 per part. A two-septet extension
/// character and a UTF-16 surrogate pair are never split across parts, so a part may hold one unit less.
public struct SMSLength: Hashable, Sendable {
    /// The encoding the text is sent in.
    public enum Encoding: String, Hashable, Sendable {
        case gsm7 = "GSM-7"
        case ucs2 = "UCS-2"
    }

    public var encoding: Encoding
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    public var units: Int
    /// Messages the text is sent as; 0 for an empty text.
    public var parts: Int

    public init(encoding: Encoding, units: Int, parts: Int) {
        self.encoding = encoding
        self.units = units
        self.parts = parts
    }

    /// Measures `text`.
    public init(_ text: String) {
        var costs: [Int] = []
        var isGSM = true
        for scalar in text.unicodeScalars {
            if Self.basic.contains(scalar) {
                costs.append(1)
            } else if Self.extended.contains(scalar) {
                costs.append(2)
            } else {
                isGSM = false
                break
            }
        }
        if !isGSM {
            costs = text.unicodeScalars.map { $0.utf16.count }
        }
        encoding = isGSM ? .gsm7 : .ucs2
        units = costs.reduce(0, +)
        let single = isGSM ? 160 : 70
        let perPart = isGSM ? 153 : 67
        if units == 0 {
            parts = 0
        } else if units <= single {
            parts = 1
        } else {
            var count = 1
            var used = 0
            for cost in costs {
                if used + cost > perPart {
                    count += 1
                    used = 0
                }
                used += cost
            }
            parts = count
        }
    }

    /// The GSM 7-bit default alphabet (one septet each).
    static let basic: Set<Unicode.Scalar> = {
        let characters =
            "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        return Set(characters.unicodeScalars)
    }()

    /// The extension table (two septets each: the escape, then the character).
    static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)
}

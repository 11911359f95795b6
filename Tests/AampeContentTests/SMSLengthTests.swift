import AampeContent
import Testing

/// SMS parts as 3GPP TS 23.038 counts them: GSM-7 160 single / 153 per part, UCS-2 70 / 67, extension
/// characters two septets, and neither an escape pair nor a surrogate pair split across parts.
@Suite("SMS length")
struct SMSLengthTests {
    static func a(_ count: Int) -> String { String(repeating: "a", count: count) }

    @Test(
        "GSM-7 part boundaries",
        arguments: [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
    )
    func gsm7(length: Int, parts: Int) {
        let measured = SMSLength(Self.a(length))
        #expect(measured.encoding == .gsm7)
        #expect(measured.units == length)
        #expect(measured.parts == parts)
    }

    @Test("extension characters count twice and are never split across parts")
    func extensionCharacters() {
        for character in ["^", "{", "}", "\\", "[", "~", "]", "|", "€"] {
            #expect(SMSLength(character).units == 2, "\(character)")
            #expect(SMSLength(character).encoding == .gsm7)
        }
        #expect(SMSLength(String(repeating: "€", count: 80)).parts == 1)  // 160 septets
        #expect(SMSLength(String(repeating: "€", count: 80) + "a").parts == 2)  // 161
        // 152 + 2 would be 154: the euro starts the second part, and the last "a" needs a third.
        let straddling = SMSLength(Self.a(152) + "€" + Self.a(152))
        #expect(straddling.units == 306)
        #expect(straddling.parts == 3)
        #expect(SMSLength(Self.a(151) + "€" + Self.a(153)).parts == 2)  // 153 + 153
    }

    @Test("one character outside GSM-7 sends the whole text in UCS-2: 70 single, 67 per part")
    func ucs2() {
        #expect(SMSLength("Привет") == SMSLength(encoding: .ucs2, units: 6, parts: 1))
        #expect(SMSLength(String(repeating: "я", count: 70)).parts == 1)
        #expect(SMSLength(String(repeating: "я", count: 71)).parts == 2)
        #expect(SMSLength(String(repeating: "я", count: 134)).parts == 2)
        #expect(SMSLength(String(repeating: "я", count: 135)).parts == 3)
        let mixed = SMSLength(Self.a(69) + "ç")  // lower-case ç is not in GSM-7 (only Ç is)
        #expect(mixed.encoding == .ucs2)
        #expect(mixed.parts == 1)
        #expect(SMSLength(Self.a(70) + "ç").parts == 2)
        #expect(SMSLength("Ça").encoding == .gsm7)
    }

    @Test("an emoji is a surrogate pair: two units, never split")
    func surrogatePairs() {
        #expect(SMSLength("😀").units == 2)
        #expect(SMSLength(String(repeating: "😀", count: 35)).parts == 1)  // 70 units
        // 36 emoji are 72 units: 33 fit in 66 of a part's 67, so 3 go to the second part.
        #expect(SMSLength(String(repeating: "😀", count: 36)).parts == 2)
        #expect(SMSLength(String(repeating: "😀", count: 67)).parts == 3)  // 33 + 33 + 1
    }
}

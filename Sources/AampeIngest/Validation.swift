import Foundation

/// Checks for typed profile fields.
enum Validation {
    /// ISO 3166-1 alpha-2: the 249 officially assigned codes.
    static let countryCodes: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO \
        JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
        MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO \
        RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV \
        TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """.split(separator: " ").map(String.init)
    )

    /// `tag` as a well-formed BCP 47 (RFC 5646) language tag in canonical case, or `nil`. `_` is read as
    /// `-`, as POSIX locales write it (`en_US`).
    ///
    /// > RFC 5646 §2.1: langtag = language ["-" script] ["-" region] *("-" variant) *("-" extension) ["-" privateuse]
    static func languageTag(_ tag: String) -> String? {
        let parts = tag.replacingOccurrences(of: "_", with: "-").split(separator: "-", omittingEmptySubsequences: false)
            .map(String.init)
        guard let language = parts.first, (2...8).contains(language.count), language.allSatisfy(\.isASCIILetter) else {
            return nil
        }
        var result = [language.lowercased()]
        var index = 1
        if index < parts.count, parts[index].count == 4, parts[index].allSatisfy(\.isASCIILetter) {
            result.append(parts[index].prefix(1).uppercased() + parts[index].dropFirst().lowercased())
            index += 1
        }
        if index < parts.count,
            (parts[index].count == 2 && parts[index].allSatisfy(\.isASCIILetter))
                || (parts[index].count == 3 && parts[index].allSatisfy(\.isASCIIDigit))
        {
            result.append(parts[index].uppercased())
            index += 1
        }
        // Variants, extensions and private use: 1 to 8 alphanumerics each.
        while index < parts.count {
            let part = parts[index]
            guard (1...8).contains(part.count), part.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit }) else {
                return nil
            }
            result.append(part.lowercased())
            index += 1
        }
        return result.joined(separator: "-")
    }

    /// Whether `name` is an IANA zone in the system's tz database (`/usr/share/zoneinfo`, Debian's
    /// `tzdata`), falling back to Foundation's list where that folder is absent.
    static func isTimeZone(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64, !name.contains(".."), !name.hasPrefix("/"),
            name.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "/_+-".contains($0) })
        else { return false }
        let database = "/usr/share/zoneinfo"
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: database, isDirectory: &isFolder), isFolder.boolValue {
            var isZoneFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: database + "/" + name, isDirectory: &isZoneFolder)
                && !isZoneFolder.boolValue && !["posixrules", "localtime", "Factory"].contains(name)
        }
        return TimeZone(identifier: name) != nil
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."),
            text.utf8.count <= 254, !text.contains(where: { $0.isWhitespace })
        else { return false }
        return true
    }

    /// The number with spaces, dashes, dots and parentheses removed, if 7 to 15 digits remain (E.164).
    static func phoneNumber(_ text: String) -> String? {
        var digits = ""
        var hasPlus = false
        for (index, character) in text.enumerated() {
            if character == "+" && index == 0 {
                hasPlus = true
                continue
            }
            if " -.()".contains(character) { continue }
            guard character.isASCIIDigit else { return nil }
            digits.append(character)
        }
        guard (7...15).contains(digits.count) else { return nil }
        return (hasPlus ? "+" : "") + digits
    }

    static func flag(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "y", "1", "t", "opted_in", "optin", "subscribed", "granted": true
        case "false", "no", "n", "0", "f", "opted_out", "optout", "unsubscribed", "denied": false
        default: nil
        }
    }
}

extension Character {
    var isASCIILetter: Bool { isASCII && isLetter }
    var isASCIIDigit: Bool { isASCII && isNumber }
}

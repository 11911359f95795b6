import AampeCore
import AampeStore
import Foundation

/// Why one profile or catalog row was rejected.
struct FieldFailure: Error {
    var reason: RejectReason
    var detail: String
}

/// Turns one profile row (attribute name → text) into a validated ``ProfileUpsert``.
///
/// Typed fields are recognised by name, case-insensitively, ignoring `_`, `-`, `.` and spaces, so that
/// `first_name`, `firstName`, `FIRST_NAME` and Pinpoint's `User.UserAttributes.FirstName` all match:
///
/// | field      | names                                                      | check                        |
/// |------------|------------------------------------------------------------|------------------------------|
/// | country    | country, country_code, address.country, Location.Country   | ISO 3166-1 alpha-2           |
/// | language   | language, lang, locale, Demographic.Locale                 | BCP 47 (`en_US` → `en-US`)   |
/// | time zone  | timezone, time_zone, tz, Demographic.Timezone              | IANA, in the system database |
/// | first name | first_name, given_name, User.UserAttributes.FirstName      | 1 to 100 bytes               |
/// | email      | email, e_mail, email_address                               | `local@domain.tld`           |
/// | sms        | phone, phone_number, mobile, sms                           | 7 to 15 digits, optional `+` |
/// | push       | push_token, device_token                                   | non-empty                    |
///
/// Consent per channel comes from `<channel>_consent` (`email_consent`, `sms_consent`,
/// `push_consent`; true/false, yes/no, 1/0). Without one, the channel is recorded without consent:
/// aamped never messages an address nobody agreed to. Everything else is kept in `attributes` as it came.
enum ProfileFields {
    static func normalize(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !"_-. ".unicodeScalars.contains($0) })
    }

    static let countryNames: Set<String> = [
        "country", "countrycode", "addresscountry", "locationcountry", "userattributescountry",
    ]
    static let languageNames: Set<String> = [
        "language", "lang", "locale", "demographiclocale", "userattributeslanguage",
    ]
    static let timeZoneNames: Set<String> = ["timezone", "tz", "demographictimezone", "userattributestimezone"]
    static let firstNameNames: Set<String> = ["firstname", "givenname", "userattributesfirstname"]
    static let emailNames: Set<String> = ["email", "emailaddress", "userattributesemail"]
    static let phoneNames: Set<String> = ["phone", "phonenumber", "mobile", "sms"]
    static let pushNames: Set<String> = ["pushtoken", "devicetoken"]
    static let consentNames: [String: Channel] = [
        "emailconsent": .email, "emailoptin": .email, "smsconsent": .sms, "phoneconsent": .sms, "smsoptin": .sms,
        "pushconsent": .push, "pushoptin": .push,
    ]

    /// A validated upsert from `attributes`, leaving out `idKey` (the column that held the user id).
    /// The upsert's user index is a placeholder for the caller to set.
    static func upsert(from attributes: [String: String], idKey: String?) -> Result<ProfileUpsert, FieldFailure> {
        var upsert = ProfileUpsert(userIndex: UserIndex(0))
        var others: [String: String] = [:]
        var addresses: [Channel: String] = [:]
        var consents: [Channel: Bool] = [:]
        for (name, rawValue) in attributes where name != idKey {
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            if value.isEmpty { continue }
            let key = normalize(name)
            if countryNames.contains(key) {
                let code = value.uppercased()
                guard code.utf8.count == 2, Validation.countryCodes.contains(code) else {
                    return .failure(
                        FieldFailure(
                            reason: .invalidField,
                            detail: "\(name): \"\(value)\" is not an ISO 3166-1 alpha-2 country code"
                        )
                    )
                }
                upsert.country = code
            } else if languageNames.contains(key) {
                guard let tag = Validation.languageTag(value) else {
                    return .failure(
                        FieldFailure(
                            reason: .invalidField,
                            detail: "\(name): \"\(value)\" is not a BCP 47 language tag"
                        )
                    )
                }
                upsert.language = tag
            } else if timeZoneNames.contains(key) {
                guard Validation.isTimeZone(value) else {
                    return .failure(
                        FieldFailure(
                            reason: .invalidField,
                            detail: "\(name): \"\(value)\" is not an IANA time zone of this system"
                        )
                    )
                }
                upsert.timeZone = value
            } else if firstNameNames.contains(key) {
                guard value.utf8.count <= 100 else {
                    return .failure(FieldFailure(reason: .invalidField, detail: "\(name): longer than 100 bytes"))
                }
                upsert.firstName = value
            } else if emailNames.contains(key) {
                guard Validation.isEmail(value) else {
                    return .failure(
                        FieldFailure(reason: .invalidField, detail: "\(name): \"\(value)\" is not an email address")
                    )
                }
                addresses[.email] = value
            } else if phoneNames.contains(key) {
                guard let phone = Validation.phoneNumber(value) else {
                    return .failure(
                        FieldFailure(reason: .invalidField, detail: "\(name): \"\(value)\" is not a phone number")
                    )
                }
                addresses[.sms] = phone
            } else if pushNames.contains(key) {
                addresses[.push] = value
            } else if let channel = consentNames[key] {
                guard let flag = Validation.flag(value) else {
                    return .failure(
                        FieldFailure(reason: .invalidField, detail: "\(name): \"\(value)\" is not true or false")
                    )
                }
                consents[channel] = flag
            } else {
                others[name] = rawValue
            }
        }
        upsert.channels = addresses.keys.sorted { $0.rawValue < $1.rawValue }.map { channel in
            ChannelAddress(channel: channel, address: addresses[channel]!, hasConsent: consents[channel] ?? false)
        }
        if !others.isEmpty { upsert.attributesJSON = JSONText.object(others) }
        return .success(upsert)
    }

    /// The members of the object at `parent`, flattened to `a.b` names with text values; arrays of
    /// scalars become `|`-separated text.
    static func flatten(_ scanner: JSONScanner, parent: Int, prefix: String = "") -> [String: String] {
        var result: [String: String] = [:]
        let arena = ByteArena(chunkBytes: 4096)
        for index in scanner.members.indices where scanner.members[index].parent == Int32(parent) {
            let member = scanner.members[index]
            var keyBytes: [UInt8] = []
            scanner.decodeEscapes(Int(member.keyStart), Int(member.keyEnd), into: &keyBytes)
            let name = prefix + String(decoding: keyBytes, as: UTF8.self)
            switch member.kind {
            case .object:
                result.merge(flatten(scanner, parent: index, prefix: name + "."), uniquingKeysWith: { $1 })
            case .string, .number, .true, .false:
                result[name] = String(decoding: scanner.text(index, arena: arena), as: UTF8.self)
            case .array:
                result[name] = JSONArrayText.joined(scanner.rawValue(index))
            case .null:
                continue
            }
        }
        return result
    }
}

/// Scalar arrays in JSON records (`"genres": ["Action", "Drama"]`) as `|`-separated text, the form
/// delimited files use for multi-values.
enum JSONArrayText {
    static func joined(_ raw: UnsafeRawBufferPointer) -> String {
        guard let data = try? JSONSerialization.jsonObject(with: Data(raw), options: [.fragmentsAllowed]),
            let array = data as? [Any]
        else { return String(decoding: raw, as: UTF8.self) }
        return array.map { "\($0)" }.joined(separator: "|")
    }
}

import AampeCore
public import AampeEvents
import AampeStore
import Foundation

/// Settings of `aampectl import users` and `aampectl import catalog`.
public struct AttributeImportOptions: Sendable {
    /// How the input text is encoded. Default UTF-8.
    public var encoding: TextEncoding = .utf8
    /// The delimiter of delimited files; `nil` decides from the name and header.
    public var delimiter: UInt8?
    /// The column (or JSON key) holding the id, when it is not one of the usual names.
    public var idColumn: String?

    /// The defaults: UTF-8, delimiter and id column decided per file.
    public init() {}
}

/// `aampectl import users` and `aampectl import catalog`: upserts profiles or catalog items, one SQLite
/// transaction per file, with every rejected row in the run's quarantine file.
public final class AttributeImporter {
    /// What the rows describe: `users` are profiles keyed by external user id, `catalog` catalog items
    /// keyed by external item id.
    public enum Subject: String, Sendable {
        case users, catalog
    }

    let events: EventStore
    let subject: Subject
    let options: AttributeImportOptions

    /// An importer of `subject` rows into the data directory behind `events`.
    public init(events: EventStore, subject: Subject, options: AttributeImportOptions) {
        self.events = events
        self.subject = subject
        self.options = options
    }

    static let userIDNames: [String] = ["userid", "useruserid", "user", "externalid", "distinctid", "customerid", "id"]
    static let itemIDNames: [String] = ["itemid", "productid", "sku", "id"]

    /// Imports `paths` (files or folders) under the import lock and returns what happened to every file.
    /// Throws for the data directory itself (the lock, SQLite, the quarantine); a file that cannot be
    /// read is reported in its summary and the others are still imported.
    public func run(paths: [String]) throws -> ImportSummary {
        let started = Date()
        let lock = try ImportLock(dataDirectory: events.dataDirectory)
        defer { withExtendedLifetime(lock) {} }
        let keys = try events.store.ingestion.keyDictionaries()
        var known: [String: Int] = [:]
        let existing = subject == .users ? keys.userIDs : keys.itemIDs
        for (index, key) in existing.enumerated() { known[key] = index }
        var count = existing.count
        let runID = try events.store.runs.begin(.import, subject: subject.rawValue)
        var result = ImportSummary(subject: subject.rawValue, runID: runID)
        let quarantine = Quarantine(path: events.dataDirectory.quarantinePath + "/\(runID).jsonl")
        do {
            for input in InputPaths.expand(paths) {
                var file = ImportFileSummary(path: input.path, format: "-", detection: "-")
                if let error = input.error {
                    file.error = error
                    result.files.append(file)
                    result.totals.add(file)
                    continue
                }
                var commit = IngestionCommit()
                let firstNew = count
                var newKeys: [String] = []
                do {
                    let reader = try InputReader(path: input.path)
                    let recordReader = AttributeRecordReader(encoding: options.encoding, delimiter: options.delimiter)
                    var layoutName: String?
                    let detection = try recordReader.read(reader, path: input.path) { record, line, raw in
                        file.rowsRead += 1
                        func reject(_ reason: RejectReason, _ detail: String?) {
                            file.reject(reason)
                            quarantine.write(file: input.path, line: line, reason: reason, detail: detail, raw: raw)
                        }
                        switch record {
                        case .reject(let reason, let detail):
                            reject(reason, detail)
                        case .attributes(let attributes, let header):
                            if layoutName == nil { layoutName = Self.layoutName(header: header, subject: subject) }
                            let idNames = subject == .users ? Self.userIDNames : Self.itemIDNames
                            guard let idKey = Self.idKey(in: attributes, explicit: options.idColumn, names: idNames),
                                let id = attributes[idKey]?.trimmingCharacters(in: .whitespaces), !id.isEmpty
                            else {
                                return reject(
                                    .missingID,
                                    "no \(subject == .users ? "user" : "item") id (looked for "
                                        + (options.idColumn ?? idNames.joined(separator: ", ")) + ")"
                                )
                            }
                            guard id.utf8.count <= Limits.maximumExternalIDBytes else {
                                return reject(
                                    .idTooLong,
                                    "id of \(id.utf8.count) bytes; the limit is \(Limits.maximumExternalIDBytes)"
                                )
                            }
                            func index() -> Int {
                                if let index = known[id] { return index }
                                known[id] = count
                                newKeys.append(id)
                                count += 1
                                return count - 1
                            }
                            switch subject {
                            case .users:
                                switch Self.profile(attributes, idKey: idKey) {
                                case .failure(let failure): reject(failure.reason, failure.detail)
                                case .success(var upsert):
                                    upsert.userIndex = UserIndex(index())
                                    commit.profiles.append(upsert)
                                    file.accepted += 1
                                }
                            case .catalog:
                                switch CatalogFields.upsert(from: attributes, idKey: idKey) {
                                case .failure(let failure): reject(failure.reason, failure.detail)
                                case .success(var upsert):
                                    upsert.itemIndex = ItemIndex(index())
                                    commit.catalogItems.append(upsert)
                                    file.accepted += 1
                                }
                            }
                        }
                    }
                    file.format = layoutName ?? detection.format.rawValue
                    file.detection = detection.reason
                } catch let error as ImportError {
                    file.error = error.description
                }
                if subject == .users {
                    commit.newUserIDs = ArraySlice(newKeys)
                    commit.firstNewUserIndex = firstNew
                    result.totals.newUsers += Int64(newKeys.count)
                } else {
                    commit.newItemIDs = ArraySlice(newKeys)
                    commit.firstNewItemIndex = firstNew
                    result.totals.newItems += Int64(newKeys.count)
                }
                try quarantine.flush(sync: true)
                try events.store.ingestion.commit(commit)
                result.files.append(file)
                result.totals.add(file)
            }
        } catch {
            do {
                try events.store.runs.fail(runID, error: "\(error)", counters: EventImporter.counters(result.totals))
            } catch let recordError {
                throw ImportError.unrecordedFailure(error: "\(error)", recordError: "\(recordError)")
            }
            throw error
        }
        result.quarantinePath = quarantine.count > 0 ? quarantine.path : nil
        result.elapsedSeconds = Date().timeIntervalSince(started)
        try events.store.runs.succeed(runID, counters: EventImporter.counters(result.totals))
        return result
    }

    static func idKey(in attributes: [String: String], explicit: String?, names: [String]) -> String? {
        if let explicit { return attributes.keys.first { $0.lowercased() == explicit.lowercased() } }
        let normalized = Dictionary(
            attributes.keys.map { (ProfileFields.normalize($0), $0) },
            uniquingKeysWith: { first, _ in first }
        )
        for name in names { if let key = normalized[name] { return key } }
        return nil
    }

    static func layoutName(header: [String], subject: Subject) -> String {
        let names = Set(header)
        if names.contains("User.UserId") { return "pinpoint" }
        if subject == .users, names.contains("USER_ID") { return "personalize" }
        if subject == .catalog, names.contains("ITEM_ID") { return "personalize" }
        if names.contains("traits.email") || names.contains("userId") { return "segment" }
        return header.isEmpty ? "json" : "csv"
    }

    /// A profile row, with Pinpoint's endpoint columns read as one channel address.
    ///
    /// > Pinpoint endpoint import: `ChannelType` (EMAIL, SMS, APNS, GCM, ...), `Address`, `OptOut`
    /// > (`ALL` means the user opted out, `NONE` means they did not), `User.UserId`,
    /// > `User.UserAttributes.<name>`.
    static func profile(_ attributes: [String: String], idKey: String) -> Result<ProfileUpsert, FieldFailure> {
        guard attributes["ChannelType"] != nil || attributes["Address"] != nil else {
            return ProfileFields.upsert(from: attributes, idKey: idKey)
        }
        var rest: [String: String] = [:]
        let endpointColumns: Set<String> = [
            "ChannelType", "Address", "OptOut", "Id", "EffectiveDate", "EndpointStatus",
        ]
        for (key, value) in attributes where !endpointColumns.contains(key) {
            let name = key.hasPrefix("User.UserAttributes.") ? String(key.dropFirst("User.UserAttributes.".count)) : key
            rest[name] = value
        }
        var upsert: ProfileUpsert
        switch ProfileFields.upsert(from: rest, idKey: idKey) {
        case .failure(let failure): return .failure(failure)
        case .success(let value): upsert = value
        }
        let type = (attributes["ChannelType"] ?? "").uppercased()
        let address = (attributes["Address"] ?? "").trimmingCharacters(in: .whitespaces)
        let hasConsent = (attributes["OptOut"] ?? "NONE").uppercased() != "ALL"
        guard !address.isEmpty else { return .success(upsert) }
        let channel: Channel
        switch type {
        case "EMAIL":
            guard Validation.isEmail(address) else {
                return .failure(
                    FieldFailure(reason: .invalidField, detail: "Address: \"\(address)\" is not an email address")
                )
            }
            channel = .email
        case "SMS", "VOICE":
            guard Validation.phoneNumber(address) != nil else {
                return .failure(
                    FieldFailure(reason: .invalidField, detail: "Address: \"\(address)\" is not a phone number")
                )
            }
            channel = .sms
        case "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "GCM", "BAIDU", "ADM":
            channel = .push
        default:
            return .failure(
                FieldFailure(reason: .invalidField, detail: "ChannelType: \"\(type)\" is not a Pinpoint channel type")
            )
        }
        let cleaned = channel == .sms ? Validation.phoneNumber(address)! : address
        upsert.channels.removeAll { $0.channel == channel }
        upsert.channels.append(ChannelAddress(channel: channel, address: cleaned, hasConsent: hasConsent))
        return .success(upsert)
    }
}

/// Turns one catalog row into a validated ``CatalogItemUpsert``.
///
/// | field     | names (case and `_` ignored)                          | check                                  |
/// |-----------|-------------------------------------------------------|----------------------------------------|
/// | title     | title, name                                           |                                        |
/// | category  | category, category_l1                                 | `|` separates several                  |
/// | in stock  | in_stock, is_in_stock, available, availability, stock | true/false, `in stock`/`out of stock`, or a quantity (> 0 is in stock) |
/// | price     | price                                                 | a number                               |
/// | url       | url, link                                             |                                        |
/// | image     | image, image_url, image_link                          |                                        |
///
/// Every other column is an attribute. A value with `|` is a multi-value (Personalize writes `GENRES`
/// as `Crime|Drama`), stored as a JSON array; each value is also indexed under the attribute's lower-case
/// name, so `genres = Action` finds the item.
enum CatalogFields {
    static func upsert(from attributes: [String: String], idKey: String) -> Result<CatalogItemUpsert, FieldFailure> {
        var upsert = CatalogItemUpsert(itemIndex: ItemIndex(0))
        var others: [String: Any] = [:]
        for (name, rawValue) in attributes where name != idKey {
            let value = rawValue.trimmingCharacters(in: .whitespaces)
            if value.isEmpty { continue }
            switch ProfileFields.normalize(name) {
            case "title", "name":
                upsert.title = value
            case "category", "categoryl1":
                upsert.category = value
                upsert.attributeValues["category"] = Self.split(value)
            case "instock", "isinstock", "available", "availability", "stock":
                guard let flag = Self.stock(value) else {
                    return .failure(
                        FieldFailure(
                            reason: .invalidField,
                            detail: "\(name): \"\(value)\" is not a stock flag or quantity"
                        )
                    )
                }
                upsert.isInStock = flag
            case "price":
                guard let price = Double(value), price.isFinite else {
                    return .failure(FieldFailure(reason: .notANumber, detail: "\(name): \"\(value)\" is not a number"))
                }
                upsert.price = price
            case "url", "link":
                upsert.url = value
            case "image", "imageurl", "imagelink":
                upsert.imageURL = value
            default:
                let values = Self.split(value)
                others[name] = values.count > 1 ? values : value
                upsert.attributeValues[name.lowercased()] = values
            }
        }
        if !others.isEmpty,
            let data = try? JSONSerialization.data(
                withJSONObject: others,
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
        {
            upsert.attributesJSON = String(decoding: data, as: UTF8.self)
        }
        return .success(upsert)
    }

    static func split(_ value: String) -> [String] {
        value.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func stock(_ value: String) -> Bool? {
        if let flag = Validation.flag(value) { return flag }
        switch value.lowercased().replacingOccurrences(of: "_", with: " ") {
        case "in stock", "instock", "available", "preorder", "pre order": return true
        case "out of stock", "outofstock", "unavailable", "discontinued", "sold out": return false
        default: break
        }
        if let quantity = Double(value), quantity.isFinite { return quantity > 0 }
        return nil
    }
}

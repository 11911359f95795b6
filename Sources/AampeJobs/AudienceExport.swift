import AampeCore
public import AampeLearning
public import AampeStore
import Foundation

/// An audience as a file another tool imports: Amazon Pinpoint's endpoint CSV, Braze's user CSV with a
/// custom attribute, or a plain CSV.
public enum AudienceExport {
    /// The file layouts: `pinpoint`, one endpoint a row; `braze`, one user a row with the score as a
    /// custom attribute; `csv`, one user a row with rank, score, count and share.
    public enum Format: String, CaseIterable, Sendable { case pinpoint, braze, csv }

    /// What an export wrote.
    public struct Summary: Codable, Sendable {
        /// The file written.
        public var path: String
        /// Data rows written, the header not counted; a Pinpoint user may take one row per address.
        public var rows: Int
        /// Distinct users with at least one row.
        public var usersExported: Int
        /// Pinpoint only: users left out because they have no consented address.
        public var usersWithoutAddress: Int

        enum CodingKeys: String, CodingKey {
            case path, rows
            case usersExported = "users_exported"
            case usersWithoutAddress = "users_without_address"
        }
    }

    /// Writes `ranked` (best first) to `path` in `format`. `audienceName` names the audience inside the
    /// file (Pinpoint's `Attributes.AampeAudience`, Braze's attribute name); push addresses go to
    /// Pinpoint only with a `pushChannelType` (APNS, GCM, ...).
    public static func write(
        _ ranked: [AttributeAffinity.UserScore],
        to path: String,
        format: Format,
        userIDs: [String],
        channels: [ChannelRow],
        audienceName: String,
        pushChannelType: String?
    ) throws -> Summary {
        var lines: [String] = []
        var exported = 0
        var withoutAddress = 0
        switch format {
        case .csv:
            lines.append("user_id,rank,score,count,share")
            for (rank, entry) in ranked.enumerated() {
                lines.append(
                    "\(field(userIDs[Int(entry.user)])),\(rank + 1),\(number(entry.score)),\(entry.count),\(number(entry.share))"
                )
            }
            exported = ranked.count
        case .braze:
            // Braze's user CSV import: external_id, then one column per custom attribute.
            let attribute =
                "aampe_affinity_"
                + audienceName.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) }.lowercased()
            lines.append("external_id,\(attribute)")
            for entry in ranked { lines.append("\(field(userIDs[Int(entry.user)])),\(number(entry.score))") }
            exported = ranked.count
        case .pinpoint:
            // Amazon Pinpoint's endpoint import CSV: one endpoint per row, the user id tying a user's
            // endpoints together; Attributes.* are string attributes, Metrics.* numbers.
            var byUser: [Int: [ChannelRow]] = [:]
            for row in channels where row.hasConsent { byUser[row.userIndex, default: []].append(row) }
            lines.append("User.UserId,ChannelType,Address,Attributes.AampeAudience,Metrics.AampeAffinity")
            for entry in ranked {
                var wrote = false
                for row in byUser[Int(entry.user)] ?? [] {
                    let type: String
                    switch row.channel {
                    case .email: type = "EMAIL"
                    case .sms: type = "SMS"
                    case .push:
                        guard let pushChannelType else { continue }
                        type = pushChannelType
                    }
                    lines.append(
                        "\(field(userIDs[Int(entry.user)])),\(type),\(field(row.address)),\(field(audienceName)),\(number(entry.score))"
                    )
                    wrote = true
                }
                if wrote { exported += 1 } else { withoutAddress += 1 }
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        // A crash leaves the old file or the whole new one, never half an audience.
        do {
            try FileIO.replaceAtomically(path, bytes: Array(text.utf8))
        } catch {
            throw JobError(.cannotWrite(path: path, detail: "\(error)"))
        }
        return Summary(path: path, rows: lines.count - 1, usersExported: exported, usersWithoutAddress: withoutAddress)
    }

    static func field(_ text: String) -> String { CSVText.field(text) }

    static func number(_ value: Double) -> String { String(format: "%.6g", value) }
}

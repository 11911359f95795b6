import AampeLearning
import AampeStore
import Foundation

/// Segment files other tools import.
enum SegmentExport {
    enum Format: String { case pinpoint, braze, csv }

    struct Summary: Codable {
        var path: String
        var rows: Int
        var usersExported: Int
        var usersWithoutAddress: Int
    }

    static func write(
        _ ranked: [AttributeAffinity.UserScore],
        to path: String,
        format: Format,
        userIDs: [String],
        channels: [ChannelRow],
        segmentName: String,
        pushChannelType: String?
    ) throws -> Summary {
        var lines: [String] = []
        var exported = 0
        var withoutAddress = 0
        switch format {
        case .csv:
            lines.append("user_id,rank,score,count,share")
            for (rank, entry) in ranked.enumerated() {
                lines.append("\(field(userIDs[Int(entry.user)])),\(rank + 1),\(number(entry.score)),\(entry.count),\(number(entry.share))")
            }
            exported = ranked.count
        case .braze:
            // Braze's user CSV import: external_id, then one column per custom attribute.
            let attribute = "aampe_affinity_" + segmentName.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) }.lowercased()
            lines.append("external_id,\(attribute)")
            for entry in ranked { lines.append("\(field(userIDs[Int(entry.user)])),\(number(entry.score))") }
            exported = ranked.count
        case .pinpoint:
            // Amazon Pinpoint's endpoint import CSV: one endpoint per row, the user id tying a user's
            // endpoints together; Attributes.* are string attributes, Metrics.* numbers.
            var byUser: [Int: [ChannelRow]] = [:]
            for row in channels where row.hasConsent { byUser[row.userIndex, default: []].append(row) }
            lines.append("User.UserId,ChannelType,Address,Attributes.AampeSegment,Metrics.AampeAffinity")
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
                    lines.append("\(field(userIDs[Int(entry.user)])),\(type),\(field(row.address)),\(field(segmentName)),\(number(entry.score))")
                    wrote = true
                }
                if wrote { exported += 1 } else { withoutAddress += 1 }
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw SegmentExportError(path: path)
        }
        return Summary(path: path, rows: lines.count - 1, usersExported: exported, usersWithoutAddress: withoutAddress)
    }

    static func field(_ text: String) -> String { TextTable.csvField(text) }

    static func number(_ value: Double) -> String { String(format: "%.6g", value) }
}

struct SegmentExportError: Error, CustomStringConvertible {
    var path: String
    var description: String { "cannot write the segment to \(path)" }
}

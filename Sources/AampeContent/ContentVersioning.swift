public import AampeStore
internal import Crypto
internal import Foundation

/// Applying content to a data directory's store: a new content version when anything changed.
///
/// Identity, so that applying the same folder twice changes nothing and an edit touches only what it
/// edits:
/// - the *content* is its canonical JSON (sorted keys); equal JSON is the same version;
/// - a *formula* is its name and the digest of its canonical JSON; a new digest under a known name is a
///   changed formula;
/// - a *variant* is its formula's name and the digest of what it sends: the channel, the field
///   templates, the derived fields, and, for each block, its name, label set and the chosen alternate's
///   label and text. Adding an alternate leaves the existing variants' identities alone, although their
///   numbers may shift.
///
/// Nothing is deleted: a formula or variant that a new version drops is archived, so that the message
/// log can always name what was sent.
public enum ContentVersioning {
    /// A stored version whose JSON no longer decodes as `Content` (written by another build).
    public struct UnreadableVersion: Error, CustomStringConvertible {
        public var version: Int64
        public var reason: String
        public var description: String { "content version \(version) cannot be read back: \(reason)" }
    }

    /// The latest applied content and its version id, read back; `nil` before any content is applied.
    /// Assignment, the message-log sync and the daemon's triggers all read content this way.
    public static func latest(in store: Store) throws -> (version: Int64, content: Content)? {
        guard let version = try store.content.latestVersion(),
            let document = try store.content.document(ofVersion: version.id)
        else { return nil }
        do {
            return (version.id, try JSONDecoder().decode(Content.self, from: Data(document.utf8)))
        } catch {
            throw UnreadableVersion(version: version.id, reason: "\(error)")
        }
    }

    /// Stores `content` as a new version (or, with `isDryRun`, only says what would change).
    public static func apply(_ content: Content, to store: Store, isDryRun: Bool) throws -> ContentChanges {
        try store.content.apply(try snapshot(of: content), isDryRun: isDryRun)
    }

    /// The rows that identify `content`, its formulas and its variants.
    public static func snapshot(of content: Content) throws -> ContentSnapshotRows {
        let document = try canonicalJSON(content)
        var formulas: [ContentSnapshotRows.FormulaRow] = []
        for formula in content.formulas {
            let formulaDocument = try canonicalJSON(formula)
            let frame = try canonicalJSON(
                Frame(
                    channel: formula.channel,
                    fields: formula.fields,
                    derivedFields: formula.derivedFields,
                    blocks: formula.blocks.map { [$0.name, $0.labelSet] }
                )
            )
            let variants = try formula.variants.map { variant in
                let chosen = zip(formula.blocks, variant.choices).map { $0.alternates[$1] }
                let identity = frame + "\n" + (try canonicalJSON(chosen))
                let labels = variant.labels(in: formula).map { "\($0.labelSet)=\($0.label)" }.joined(separator: ",")
                return ContentSnapshotRows.VariantRow(digest: sha256(identity), index: variant.index, labels: labels)
            }
            formulas.append(
                ContentSnapshotRows.FormulaRow(
                    name: formula.name,
                    digest: sha256(formulaDocument),
                    channel: formula.channel.rawValue,
                    document: formulaDocument,
                    variants: variants
                )
            )
        }
        return ContentSnapshotRows(document: document, digest: sha256(document), formulas: formulas)
    }

    /// What a variant's identity covers besides its chosen alternates.
    private struct Frame: Encodable {
        var channel: MessageChannel
        var fields: [Formula.Field]
        var derivedFields: [DerivedField]
        var blocks: [[String]]
    }

    static func canonicalJSON(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

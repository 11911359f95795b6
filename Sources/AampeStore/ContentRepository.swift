internal import AampeCore
internal import GRDB

/// A content folder reduced to what the store keeps: its canonical document, each formula's definition
/// and each variant's identity. AampeContent builds one (`ContentSnapshot(content)`); the store knows no
/// formula semantics.
public struct ContentSnapshotRows: Hashable, Sendable {
    /// The whole content as canonical JSON, and its SHA-256 in hex.
    public var document: String
    public var digest: String
    public var formulas: [FormulaRow]

    public init(document: String, digest: String, formulas: [FormulaRow]) {
        self.document = document
        self.digest = digest
        self.formulas = formulas
    }

    /// One formula's definition and its variants.
    public struct FormulaRow: Hashable, Sendable {
        public var name: String
        public var digest: String
        public var channel: String
        public var document: String
        public var variants: [VariantRow]

        public init(name: String, digest: String, channel: String, document: String, variants: [VariantRow]) {
            self.name = name
            self.digest = digest
            self.channel = channel
            self.document = document
            self.variants = variants
        }
    }

    /// One variant: its identity (the digest of its channel, fields and chosen alternates), its number in
    /// the formula, and its labels (`tone=playful,offer=discount`).
    public struct VariantRow: Hashable, Sendable {
        public var digest: String
        public var index: Int
        public var labels: String

        public init(digest: String, index: Int, labels: String) {
            self.digest = digest
            self.index = index
            self.labels = labels
        }
    }
}

/// What applying content changed, or would change on a dry run.
public struct ContentChanges: Hashable, Sendable {
    /// The new content version's id; nil when nothing changed or on a dry run.
    public var version: Int64?
    /// True when the content equals the latest applied version: nothing is written.
    public var isUnchanged: Bool
    public var addedFormulas: [String] = []
    /// Formulas whose definition differs from the active one of the same name.
    public var changedFormulas: [String] = []
    public var archivedFormulas: [String] = []
    /// Variants as `formula: labels`, in formula and variant order.
    public var addedVariants: [String] = []
    public var archivedVariants: [String] = []

    public init(version: Int64?, isUnchanged: Bool) {
        self.version = version
        self.isUnchanged = isUnchanged
    }
}

/// Content versions, formula definitions and variants. Rows are never deleted: a variant that was ever
/// stored can have been sent, and the message log must be able to name it.
public struct ContentRepository: Sendable {
    let store: Store

    /// The latest applied version's id and digest, if any.
    public func latestVersion() throws -> (id: Int64, digest: String)? {
        try store.read("read the latest content version") { db in
            try Row.fetchOne(db, sql: "SELECT id, digest FROM content_versions ORDER BY id DESC LIMIT 1")
                .map { (id: $0["id"], digest: $0["digest"]) }
        }
    }

    /// The document of version `id`.
    public func document(ofVersion id: Int64) throws -> String? {
        try store.read("read a content version") { db in
            try String.fetchOne(db, sql: "SELECT document FROM content_versions WHERE id = ?", arguments: [id])
        }
    }

    /// The active variants as `(formula, digest, labels)`, by formula and id.
    public func activeVariants() throws -> [(formula: String, digest: String, labels: String)] {
        try store.read("read active content variants") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT formula, digest, labels FROM content_variants WHERE archived_in IS NULL ORDER BY formula, id"
            ).map { (formula: $0["formula"], digest: $0["digest"], labels: $0["labels"]) }
        }
    }

    /// Counts of variant rows: active, and archived.
    public func variantCounts() throws -> (active: Int, archived: Int) {
        try store.read("count content variants") { db in
            let active =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM content_variants WHERE archived_in IS NULL") ?? 0
            let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM content_variants") ?? 0
            return (active, all - active)
        }
    }

    /// Stores `snapshot` as a new content version in one transaction, or, with `isDryRun`, only says what
    /// that would change. Content equal to the latest version changes nothing.
    public func apply(_ snapshot: ContentSnapshotRows, isDryRun: Bool) throws -> ContentChanges {
        let now = store.clock()
        let body: (Database) throws -> ContentChanges = { db in
            let latest = try String.fetchOne(db, sql: "SELECT digest FROM content_versions ORDER BY id DESC LIMIT 1")
            if latest == snapshot.digest { return ContentChanges(version: nil, isUnchanged: true) }
            var version: Int64?
            if !isDryRun {
                try db.execute(
                    sql: "INSERT INTO content_versions (digest, document, applied_at) VALUES (?, ?, ?)",
                    arguments: [snapshot.digest, snapshot.document, now.rawValue]
                )
                version = db.lastInsertedRowID
            }
            var changes = ContentChanges(version: version, isUnchanged: false)
            try Self.applyFormulas(snapshot, version: version, db: db, changes: &changes)
            try Self.applyVariants(snapshot, version: version, db: db, changes: &changes)
            return changes
        }
        return isDryRun
            ? try store.read("plan a content version", body) : try store.write("apply a content version", body)
    }

    /// Formula rows: a name whose digest is new archives the old row and adds (or revives) the new one.
    private static func applyFormulas(
        _ snapshot: ContentSnapshotRows,
        version: Int64?,
        db: Database,
        changes: inout ContentChanges
    ) throws {
        var active: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, digest FROM content_formulas WHERE archived_in IS NULL") {
            active[row["name"]] = row["digest"]
        }
        let names = Set(snapshot.formulas.map(\.name))
        for name in active.keys.sorted() where !names.contains(name) {
            changes.archivedFormulas.append(name)
            if let version {
                try db.execute(
                    sql: "UPDATE content_formulas SET archived_in = ? WHERE name = ? AND archived_in IS NULL",
                    arguments: [version, name]
                )
            }
        }
        for formula in snapshot.formulas {
            switch active[formula.name] {
            case formula.digest?: continue
            case nil: changes.addedFormulas.append(formula.name)
            case .some: changes.changedFormulas.append(formula.name)
            }
            guard let version else { continue }
            try db.execute(
                sql: "UPDATE content_formulas SET archived_in = ? WHERE name = ? AND archived_in IS NULL",
                arguments: [version, formula.name]
            )
            try db.execute(
                sql: """
                    INSERT INTO content_formulas (name, digest, channel, document, added_in) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name, digest) DO UPDATE SET archived_in = NULL
                    """,
                arguments: [formula.name, formula.digest, formula.channel, formula.document, version]
            )
        }
    }

    /// Variant rows: identity is (formula, digest). Missing ones are archived, new ones added or revived.
    private static func applyVariants(
        _ snapshot: ContentSnapshotRows,
        version: Int64?,
        db: Database,
        changes: inout ContentChanges
    ) throws {
        var active: [String: [String: String]] = [:]  // formula → digest → labels
        for row in try Row.fetchAll(
            db,
            sql: "SELECT formula, digest, labels FROM content_variants WHERE archived_in IS NULL ORDER BY formula, id"
        ) {
            active[row["formula"], default: [:]][row["digest"]] = row["labels"]
        }
        var kept = Set<String>()
        for formula in snapshot.formulas {
            var formulaID: Int64?
            if version != nil {
                formulaID = try Int64.fetchOne(
                    db,
                    sql: "SELECT id FROM content_formulas WHERE name = ? AND digest = ?",
                    arguments: [formula.name, formula.digest]
                )
            }
            for variant in formula.variants {
                let key = formula.name + "\u{0}" + variant.digest
                kept.insert(key)
                if active[formula.name]?[variant.digest] != nil { continue }
                changes.addedVariants.append("\(formula.name): \(variant.labels)")
                guard let version, let formulaID else { continue }
                try db.execute(
                    sql: """
                        INSERT INTO content_variants (formula, digest, formula_id, variant_index, labels, added_in)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (formula, digest) DO UPDATE SET archived_in = NULL
                        """,
                    arguments: [formula.name, variant.digest, formulaID, variant.index, variant.labels, version]
                )
            }
        }
        for (formula, variants) in active.sorted(by: { $0.key < $1.key }) {
            for (digest, labels) in variants.sorted(by: { $0.value < $1.value })
            where !kept.contains(formula + "\u{0}" + digest) {
                changes.archivedVariants.append("\(formula): \(labels)")
                guard let version else { continue }
                try db.execute(
                    sql: "UPDATE content_variants SET archived_in = ? WHERE formula = ? AND digest = ?",
                    arguments: [version, formula, digest]
                )
            }
        }
    }
}

extension Store {
    /// Content versions, formula definitions and variants.
    public var content: ContentRepository { ContentRepository(store: self) }
}

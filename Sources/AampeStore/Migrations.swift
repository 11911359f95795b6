internal import GRDB

/// The database schema, as an ordered list of migrations.
///
/// A migration is registered once and never edited after it lands: data directories in the field have
/// already run it. A later change adds a new migration at the end. The schema version of a database is
/// the number of migrations it has applied, which is also what `meta.schema_version` records.
enum Migrations {
    /// Every migration this build knows, in order.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("0001 meta and runs") { db in
            // One row: who this data directory is and what wrote it.
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        id                 INTEGER PRIMARY KEY CHECK (id = 1),
                        data_directory_id  TEXT    NOT NULL,
                        schema_version     INTEGER NOT NULL,
                        created_at         INTEGER NOT NULL  -- microseconds since the Unix epoch, UTC
                    ) STRICT
                    """
            )
            // Every import, training, assignment and report run, as it starts and as it ends.
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id           INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind         TEXT    NOT NULL,
                        subject      TEXT    NOT NULL,
                        status       TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
                        started_at   INTEGER NOT NULL,
                        finished_at  INTEGER,
                        counters     TEXT    NOT NULL DEFAULT '[]',  -- JSON array of {name, value}, in report order
                        error        TEXT,
                        CHECK ((status = 'running') = (finished_at IS NULL))
                    ) STRICT
                    """
            )
            try db.execute(sql: "CREATE INDEX runs_by_kind ON runs (kind, started_at)")
        }

        migrator.registerMigration("0002 ingestion") { db in
            // Dictionaries from external ids and names to the dense indices that segments store. An index
            // is assigned once, in import order, and never reused.
            //
            // `external_id` has no UNIQUE index on purpose: importers hold the import lock and keep the
            // whole dictionary in memory, so they never insert a duplicate, and a random-key B-tree index
            // made the first import of 10^6 users spend seconds in SQLite (tools/bench-import). Lookups by
            // external id go through the in-memory dictionary or, in the daemon, a dictionary segment.
            try db.execute(
                sql: """
                    CREATE TABLE user_keys (
                        user_index   INTEGER PRIMARY KEY,
                        external_id  TEXT    NOT NULL
                    ) STRICT;
                    CREATE TABLE item_keys (
                        item_index   INTEGER PRIMARY KEY,
                        external_id  TEXT    NOT NULL
                    ) STRICT;
                    CREATE TABLE event_types (
                        event_type_index  INTEGER PRIMARY KEY,
                        name              TEXT    NOT NULL UNIQUE
                    ) STRICT;
                    """
            )
            // One row per input file an import committed. A file's segments become visible together,
            // in the transaction that inserts this row.
            try db.execute(
                sql: """
                    CREATE TABLE event_sources (
                        id            INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id        INTEGER NOT NULL REFERENCES runs (id),
                        path          TEXT    NOT NULL,
                        format        TEXT    NOT NULL,
                        file_bytes    INTEGER NOT NULL,
                        rows_read     INTEGER NOT NULL,
                        accepted      INTEGER NOT NULL,
                        duplicates    INTEGER NOT NULL,
                        rejected      INTEGER NOT NULL,
                        committed_at  INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE event_segments (
                        id              INTEGER PRIMARY KEY AUTOINCREMENT,
                        source_id       INTEGER NOT NULL REFERENCES event_sources (id),
                        path            TEXT    NOT NULL UNIQUE,  -- relative to events/
                        utc_day         INTEGER NOT NULL,         -- days since 1970-01-01
                        rows            INTEGER NOT NULL,
                        min_timestamp   INTEGER NOT NULL,
                        max_timestamp   INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX event_segments_by_day ON event_segments (utc_day, id);
                    """
            )
            // Profiles: typed, validated fields, plus every other attribute as it came (a JSON object).
            try db.execute(
                sql: """
                    CREATE TABLE profiles (
                        user_index   INTEGER PRIMARY KEY REFERENCES user_keys (user_index),
                        country      TEXT,     -- ISO 3166-1 alpha-2, upper case
                        language     TEXT,     -- BCP 47 tag
                        time_zone    TEXT,     -- IANA name known to the system's tz database
                        first_name   TEXT,
                        attributes   TEXT    NOT NULL DEFAULT '{}',
                        updated_at   INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE user_channels (
                        user_index   INTEGER NOT NULL REFERENCES user_keys (user_index),
                        channel      TEXT    NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
                        address      TEXT    NOT NULL,
                        has_consent  INTEGER NOT NULL CHECK (has_consent IN (0, 1)),
                        updated_at   INTEGER NOT NULL,
                        PRIMARY KEY (user_index, channel)
                    ) STRICT;
                    """
            )
            // The catalog, and each attribute value of each item on its own row so that segment queries
            // (`genres = Action`) use an index instead of parsing JSON.
            try db.execute(
                sql: """
                    CREATE TABLE catalog_items (
                        item_index   INTEGER PRIMARY KEY REFERENCES item_keys (item_index),
                        title        TEXT,
                        category     TEXT,
                        is_in_stock  INTEGER CHECK (is_in_stock IN (0, 1)),
                        price        REAL,
                        url          TEXT,
                        image_url    TEXT,
                        attributes   TEXT    NOT NULL DEFAULT '{}',
                        updated_at   INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE item_attribute_values (
                        item_index  INTEGER NOT NULL REFERENCES item_keys (item_index),
                        attribute   TEXT    NOT NULL,
                        value       TEXT    NOT NULL,
                        PRIMARY KEY (item_index, attribute, value)
                    ) STRICT, WITHOUT ROWID;
                    CREATE INDEX item_attribute_values_by_value ON item_attribute_values (attribute, value);
                    """
            )
        }

        migrator.registerMigration("0003 content versions") { db in
            // Every applied content folder, as canonical JSON. Applying the same content again adds no row.
            try db.execute(
                sql: """
                    CREATE TABLE content_versions (
                        id          INTEGER PRIMARY KEY AUTOINCREMENT,
                        digest      TEXT    NOT NULL,  -- SHA-256 of document, hex
                        document    TEXT    NOT NULL,
                        applied_at  INTEGER NOT NULL   -- microseconds since the Unix epoch, UTC
                    ) STRICT
                    """
            )
            // Each distinct definition of a formula, and each distinct variant, kept for ever so that the
            // message log can always name what was sent. A row is active while archived_in is NULL; a
            // later version that drops it archives it, and one that brings it back clears archived_in.
            try db.execute(
                sql: """
                    CREATE TABLE content_formulas (
                        id           INTEGER PRIMARY KEY AUTOINCREMENT,
                        name         TEXT    NOT NULL,
                        digest       TEXT    NOT NULL,  -- SHA-256 of document, hex
                        channel      TEXT    NOT NULL,
                        document     TEXT    NOT NULL,  -- the formula as canonical JSON
                        added_in     INTEGER NOT NULL REFERENCES content_versions (id),
                        archived_in  INTEGER REFERENCES content_versions (id),
                        UNIQUE (name, digest)
                    ) STRICT;
                    CREATE TABLE content_variants (
                        id             INTEGER PRIMARY KEY AUTOINCREMENT,
                        formula        TEXT    NOT NULL,
                        digest         TEXT    NOT NULL,  -- SHA-256 of its channel, fields and chosen alternates
                        formula_id     INTEGER NOT NULL REFERENCES content_formulas (id),  -- as first added
                        variant_index  INTEGER NOT NULL,  -- its number in that formula row's document
                        labels         TEXT    NOT NULL,  -- label_set=label, comma-separated, in block order
                        added_in       INTEGER NOT NULL REFERENCES content_versions (id),
                        archived_in    INTEGER REFERENCES content_versions (id),
                        UNIQUE (formula, digest)
                    ) STRICT;
                    CREATE INDEX content_variants_active ON content_variants (formula) WHERE archived_in IS NULL;
                    """
            )
        }

        migrator.registerMigration("0004 message log") { db in
            // One row per message sent (or held back for the control group), written by assignment; the
            // outcome columns are filled later from the events. Timing reads sends and responses from
            // here for the responsiveness estimate, so it exists before assignment does and may be empty.
            try db.execute(
                sql: """
                    CREATE TABLE message_log (
                        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
                        run_id               INTEGER REFERENCES runs (id),
                        user_index           INTEGER NOT NULL REFERENCES user_keys (user_index),
                        campaign             TEXT    NOT NULL,
                        channel              TEXT    NOT NULL,
                        sent_at_micros       INTEGER NOT NULL,  -- since the Unix epoch, UTC
                        responded_at_micros  INTEGER            -- the first goal or click after it; NULL: none (yet)
                    ) STRICT;
                    CREATE INDEX message_log_by_user ON message_log (user_index, sent_at_micros);
                    """
            )
        }

        migrator.registerMigration("0005 assignment decisions") { db in
            // The message log becomes the log of every assignment decision: messages (preferential or
            // conditioned), control-group members held back, and users skipped with the reason. Columns
            // are added, not changed, so rows written before stay valid: their `mode` is NULL and they
            // read as delivered sends. README → "The message log" documents every column.
            try db.execute(
                sql: """
                    ALTER TABLE message_log ADD COLUMN occasion TEXT;
                    ALTER TABLE message_log ADD COLUMN mode TEXT
                        CHECK (mode IN ('preferential', 'conditioned', 'skipped', 'control'));
                    ALTER TABLE message_log ADD COLUMN skip_reason TEXT;
                    ALTER TABLE message_log ADD COLUMN goal TEXT;
                    ALTER TABLE message_log ADD COLUMN cluster INTEGER;
                    ALTER TABLE message_log ADD COLUMN formula TEXT;
                    ALTER TABLE message_log ADD COLUMN variant INTEGER;
                    ALTER TABLE message_log ADD COLUMN labels TEXT;
                    ALTER TABLE message_log ADD COLUMN window_index INTEGER;
                    ALTER TABLE message_log ADD COLUMN window_end_micros INTEGER;
                    ALTER TABLE message_log ADD COLUMN items TEXT;
                    ALTER TABLE message_log ADD COLUMN propensity REAL;
                    ALTER TABLE message_log ADD COLUMN expected_lift REAL;
                    ALTER TABLE message_log ADD COLUMN assigned_at_micros INTEGER;
                    ALTER TABLE message_log ADD COLUMN batch INTEGER;
                    ALTER TABLE message_log ADD COLUMN message_row INTEGER;
                    ALTER TABLE message_log ADD COLUMN status TEXT
                        CHECK (status IN ('assigned', 'delivered', 'failed', 'dead', 'expired'));
                    ALTER TABLE message_log ADD COLUMN status_reason TEXT;
                    ALTER TABLE message_log ADD COLUMN delivered_at_micros INTEGER;
                    ALTER TABLE message_log ADD COLUMN goal_count INTEGER;
                    ALTER TABLE message_log ADD COLUMN goal_value REAL;
                    ALTER TABLE message_log ADD COLUMN goal_delay_seconds INTEGER;
                    ALTER TABLE message_log ADD COLUMN outcome_joined_at_micros INTEGER;
                    CREATE UNIQUE INDEX message_log_by_occasion ON message_log (campaign, user_index, occasion)
                        WHERE occasion IS NOT NULL;
                    CREATE INDEX message_log_by_batch ON message_log (batch, message_row) WHERE batch IS NOT NULL;
                    CREATE INDEX message_log_by_start ON message_log (sent_at_micros);
                    """
            )
        }

        migrator.registerMigration("0006 assignment settings") { db in
            // The settings of the newest batch assignment run (policy, control group share and salt, seed),
            // as the JSON `AssignmentSettings` encodes, so that the daemon's real-time triggers decide with
            // the same control group and policy as the batch runs. One row.
            try db.execute(
                sql: """
                    CREATE TABLE assignment_settings (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        run_id INTEGER NOT NULL REFERENCES runs(id),
                        settings_json TEXT NOT NULL
                    );
                    """
            )
        }

        migrator.registerMigration("0007 label propensities") { db in
            // Per message: the probability the policy's outcome carried each label (a JSON object), so that
            // reports can value each label off-policy. NULL for rows written before, and for policies
            // that do not know their distribution.
            try db.execute(sql: "ALTER TABLE message_log ADD COLUMN label_propensities TEXT")
        }

        migrator.registerMigration("0008 catalog change times") { db in
            // When each catalog row's content last changed, beside `updated_at` (when it was last written).
            // A nightly re-import of a whole catalog writes every row but changes few: the daemon's catalog
            // overlay takes only the rows changed since training (`changed_at`), while a row written after
            // a TRACK `item_updated` patch still supersedes it (`updated_at`). Rows from before take their
            // write time.
            try db.execute(
                sql: """
                    ALTER TABLE catalog_items ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;
                    UPDATE catalog_items SET changed_at = updated_at;
                    CREATE INDEX catalog_items_by_change ON catalog_items (changed_at);
                    """
            )
        }

        return migrator
    }()

    /// The schema version this build writes: the number of migrations it knows.
    static var supportedSchemaVersion: Int { migrator.migrations.count }
}

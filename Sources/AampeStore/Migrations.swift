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

        return migrator
    }()

    /// The schema version this build writes: the number of migrations it knows.
    static var supportedSchemaVersion: Int { migrator.migrations.count }
}

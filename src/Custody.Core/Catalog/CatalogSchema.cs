using Microsoft.Data.Sqlite;

namespace EvidenceVault.Custody.Catalog;

/// <summary>
/// The embedded catalog's schema, versioned with <c>PRAGMA user_version</c>. Migrations only ever
/// add; a database newer than this code is refused rather than guessed at.
/// Three kinds of table: custody (ledger, subjects, Merkle nodes, checkpoints: append-only, guarded
/// by triggers), derived (clip tables, rebuilt from the ledger by <see cref="CatalogProjection"/>),
/// and, in later versions, operational state such as the work queue.
/// </summary>
internal static class CatalogSchema
{
    private static readonly string[] Migrations =
    [
        // 1: ledger, tree, checkpoints, clip catalog.
        """
        CREATE TABLE ledger_entry(
            idx INTEGER PRIMARY KEY,
            time_ns INTEGER NOT NULL,
            type TEXT NOT NULL,
            actor TEXT NOT NULL,
            entry BLOB NOT NULL);
        CREATE TABLE ledger_subject(
            subject TEXT NOT NULL,
            idx INTEGER NOT NULL,
            PRIMARY KEY(subject, idx)) WITHOUT ROWID;
        CREATE TABLE merkle_node(
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY(level, idx)) WITHOUT ROWID;
        CREATE TABLE checkpoint(
            size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            signed_ns INTEGER NOT NULL);

        CREATE TABLE clip(
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            first_ingested_idx INTEGER NOT NULL,
            first_ingested_ns INTEGER NOT NULL,
            custody_facts INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE clip_custody(
            idx INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            file_name TEXT NOT NULL,
            device_serial TEXT,
            officer_id TEXT,
            station TEXT,
            flags TEXT NOT NULL);
        CREATE INDEX clip_custody_by_clip ON clip_custody(sha256);
        """
        + AppendOnly("ledger_entry") + AppendOnly("ledger_subject") + AppendOnly("merkle_node") + AppendOnly("checkpoint"),

        // 2: what the dock needs to find a camera's file already in custody without reading it,
        // and the clip facts later stages query. Derived columns: filled by a catalog rebuild.
        """
        ALTER TABLE clip_custody ADD COLUMN size_on_camera INTEGER;
        ALTER TABLE clip_custody ADD COLUMN recorded_start TEXT;
        ALTER TABLE clip_custody ADD COLUMN important INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE clip_custody ADD COLUMN ingested_ns INTEGER;
        CREATE INDEX clip_custody_by_source ON clip_custody(device_serial, file_name);
        """,

        // 3: what the worker learns about clips (probe, speech), cases with their actions and clip
        // links, written explanations (all derived from the ledger), and the work queue (operational:
        // not custody, not rebuilt, written in the same transaction as the entry that causes the work).
        """
        CREATE TABLE clip_probe(
            sha256 TEXT PRIMARY KEY,
            idx INTEGER NOT NULL,
            ok INTEGER NOT NULL,
            duration_s REAL,
            facts TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE clip_speech(
            sha256 TEXT PRIMARY KEY,
            idx INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            facts TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE speech_review(
            sha256 TEXT PRIMARY KEY,
            idx INTEGER NOT NULL,
            heard INTEGER NOT NULL,
            reviewer TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE written_explanation(
            idx INTEGER PRIMARY KEY,
            resumed_sha256 TEXT NOT NULL,
            facts TEXT NOT NULL);
        CREATE INDEX written_explanation_by_clip ON written_explanation(resumed_sha256);
        CREATE TABLE case_file(
            case_number TEXT PRIMARY KEY,
            idx INTEGER NOT NULL,
            facts TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE case_action(
            idx INTEGER PRIMARY KEY,
            case_number TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            facts TEXT NOT NULL);
        CREATE TABLE clip_link(
            sha256 TEXT NOT NULL,
            case_number TEXT NOT NULL,
            action_idx INTEGER,
            idx INTEGER NOT NULL,
            PRIMARY KEY(sha256, case_number)) WITHOUT ROWID;
        CREATE TABLE work_item(
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before_ns INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_until_ns INTEGER,
            last_error TEXT,
            UNIQUE(kind, subject));
        CREATE INDEX work_item_ready ON work_item(state, not_before_ns);
        """,

        // 4: what the deadline monitor, statistics and retention read (derived from the ledger).
        """
        ALTER TABLE clip_custody ADD COLUMN unit_id TEXT;
        ALTER TABLE clip_custody ADD COLUMN recorded_start_ns INTEGER;
        -- One narrow row per custody fact with integer times and the binary digest: what a scan of a
        -- million clips reads (deadlines, interruptions) without string keys or joins.
        CREATE TABLE clip_timeline(
            idx INTEGER PRIMARY KEY,
            sha BLOB NOT NULL,
            device TEXT,
            officer TEXT,
            unit TEXT,
            start_ns INTEGER,
            length_ns INTEGER,
            probed INTEGER NOT NULL DEFAULT 0,
            ingested_ns INTEGER NOT NULL);
        CREATE INDEX clip_timeline_by_sha ON clip_timeline(sha);
        CREATE INDEX clip_timeline_by_device ON clip_timeline(device, idx);
        CREATE TABLE policy_selection(idx INTEGER PRIMARY KEY, profile_id TEXT NOT NULL);
        CREATE TABLE declaration(idx INTEGER PRIMARY KEY, officer_id TEXT NOT NULL, from_utc TEXT NOT NULL, return_utc TEXT NOT NULL, facts TEXT NOT NULL);
        CREATE TABLE case_status(case_number TEXT PRIMARY KEY, ended_utc TEXT, archived_utc TEXT) WITHOUT ROWID;
        CREATE TABLE action_approval(action_idx INTEGER PRIMARY KEY, idx INTEGER NOT NULL, approved_utc TEXT NOT NULL);
        CREATE TABLE work_record(idx INTEGER PRIMARY KEY, officer_id TEXT NOT NULL, filed_utc TEXT NOT NULL, reviewed_idx INTEGER, facts TEXT NOT NULL);
        CREATE TABLE retention_fact(idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, facts TEXT NOT NULL);
        """,
        // 5: API keys and roles, derived from AccountIssued, AccountRevoked and RoleGranted.
        """
        CREATE TABLE api_key(key_sha256 TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, idx INTEGER NOT NULL, revoked_idx INTEGER) WITHOUT ROWID;
        CREATE INDEX api_key_by_account ON api_key(account);
        CREATE TABLE role_grant(account TEXT NOT NULL, role TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY(account, role)) WITHOUT ROWID;
        """,
        // 6: a new custody fact takes its original's length and probe state from these in O(log n); with
        // the index on sha alone each insert read every earlier fact of that original (bench ledger:
        // 635 entries/s when one original had 10,000 facts; docs/benchmarks.md).
        """
        CREATE INDEX clip_timeline_by_sha_length ON clip_timeline(sha, length_ns);
        CREATE INDEX clip_timeline_by_sha_probed ON clip_timeline(sha, probed);
        DROP INDEX clip_timeline_by_sha;
        """,
        // 7: issue 18 §5: every appended batch is sealed with the vault's key (Ledger/EntrySeal.cs);
        // append-only like the entries it authenticates.
        """
        CREATE TABLE entry_seal(last_idx INTEGER PRIMARY KEY, first_idx INTEGER NOT NULL, node TEXT NOT NULL, signature BLOB NOT NULL);
        """ + AppendOnly("entry_seal"),
        // 8: issue 21 (R7 search): a page of one officer's or one camera's clips, or of a case's, through an index.
        """
        CREATE INDEX clip_custody_by_officer ON clip_custody(officer_id, idx);
        CREATE INDEX clip_custody_by_device ON clip_custody(device_serial, idx);
        CREATE INDEX clip_link_by_case ON clip_link(case_number, sha256);
        """,
        // 9: issue 21: access decisions read the few account, role, unit and label entries of their type on
        // every request (EntriesOfType); without this index each was a scan of the whole ledger. PostgreSQL
        // has had it from its first version.
        """
        CREATE INDEX IF NOT EXISTS ledger_entry_by_type ON ledger_entry(type, idx);
        """,
        // 10: issue 21 (R7 by unit, R8): the custody unit the vault gave each clip at ingest (ClipIngested.unit,
        // not the camera's unit_id); filled by the rebuild that follows.
        """
        ALTER TABLE clip_custody ADD COLUMN custody_unit TEXT;
        CREATE INDEX clip_custody_by_unit ON clip_custody(custody_unit, idx);
        """,
    ];

    /// <summary>Migrations after which the derived tables must be rebuilt from the ledger.</summary>
    public static readonly int[] RebuildAfter = [2, 3, 4, 5, 10];

    public static int CurrentVersion => Migrations.Length;

    /// <summary>Brings the schema up to date; true when a migration changed derived tables (rebuild them).</summary>
    public static bool Migrate(SqliteConnection connection, string path)
    {
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
        {
            throw new VaultException($"{path} has schema version {version}; this build knows up to {CurrentVersion}. Upgrade EvidenceVault.");
        }

        var rebuild = false;
        for (var next = version; next < Migrations.Length; next++)
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = Migrations[next] + $"\nPRAGMA user_version = {next + 1};";
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            rebuild |= version > 0 && RebuildAfter.Contains(next + 1);
        }

        return rebuild;
    }

    // R5 (002 §14, 004 §33) and R8: custody rows are never changed or removed, not even by the vault.
    private static string AppendOnly(string table) => $"""

        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: custody records cannot be changed (R5)'); END;
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: custody records cannot be deleted (R5)'); END;
        """;

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

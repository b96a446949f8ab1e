using Npgsql;

namespace EvidenceVault.Custody.Catalog;

/// <summary>
/// The deployment's ledger schema on PostgreSQL. Run once by the schema owner; the services connect
/// as an application role that may read and insert custody rows but holds no UPDATE, DELETE or
/// TRUNCATE grant on them, and triggers refuse those even to the owner (R5, R8): two locks, held by
/// two different people's keys, against rewriting custody.
/// </summary>
public static class PostgresSchema
{
    public const int Version = 2;

    private static readonly string[] CustodyTables = ["ledger_entry", "ledger_subject", "merkle_node", "checkpoint", "entry_seal"];

    /// <summary>
    /// Creates or upgrades the schema and grants <paramref name="applicationRole"/> what it needs,
    /// nothing more; returns the schema version it left. A database newer than this build is refused
    /// untouched. Safe to run again, and from two places at once (an advisory lock serialises them).
    /// </summary>
    public static int Migrate(NpgsqlDataSource owner, string applicationRole)
    {
        if (!applicationRole.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("A role name is ASCII letters, digits and '_'.", nameof(applicationRole));
        }

        using var connection = owner.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Run(connection, """
            SELECT pg_advisory_xact_lock(7302);
            CREATE TABLE IF NOT EXISTS schema_version(version int PRIMARY KEY);
            """, transaction);
        if (Found(connection, transaction) is > Version and var newer)
        {
            throw new VaultException($"The PostgreSQL schema is version {newer}; this build knows up to {Version}. Upgrade EvidenceVault; nothing was changed.");
        }

        Run(connection, """
            CREATE TABLE IF NOT EXISTS ledger_entry(idx bigint PRIMARY KEY, time_ns bigint NOT NULL, type text NOT NULL, actor text NOT NULL, entry bytea NOT NULL);
            CREATE TABLE IF NOT EXISTS ledger_subject(subject text NOT NULL, idx bigint NOT NULL, PRIMARY KEY(subject, idx));
            CREATE TABLE IF NOT EXISTS merkle_node(level int NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY(level, idx));
            CREATE TABLE IF NOT EXISTS checkpoint(size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT NULL, signed_ns bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS ledger_entry_by_type ON ledger_entry(type, idx);
            CREATE TABLE IF NOT EXISTS entry_seal(last_idx bigint PRIMARY KEY, first_idx bigint NOT NULL, node text NOT NULL, signature bytea NOT NULL);
            CREATE TABLE IF NOT EXISTS work_item(
                id bigserial PRIMARY KEY, kind text NOT NULL, subject text NOT NULL, state text NOT NULL DEFAULT 'pending',
                attempts int NOT NULL DEFAULT 0, not_before_ns bigint NOT NULL DEFAULT 0, lease_owner text, lease_until_ns bigint, last_error text,
                UNIQUE(kind, subject));
            CREATE INDEX IF NOT EXISTS work_item_ready ON work_item(state, not_before_ns);
            CREATE OR REPLACE FUNCTION evidencevault_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: custody records cannot be changed (R5)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$;
            """, transaction);
        foreach (var table in CustodyTables)
        {
            Run(connection, $"""
                DROP TRIGGER IF EXISTS {table}_append_only ON {table};
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION evidencevault_append_only();
                DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
                CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION evidencevault_append_only();
                REVOKE ALL ON {table} FROM PUBLIC;
                REVOKE ALL ON {table} FROM {applicationRole};
                GRANT SELECT, INSERT ON {table} TO {applicationRole};
                """, transaction);
        }

        Run(connection, $"""
            REVOKE ALL ON work_item FROM {applicationRole};
            GRANT SELECT, INSERT, UPDATE ON work_item TO {applicationRole};
            GRANT USAGE ON SEQUENCE work_item_id_seq TO {applicationRole};
            GRANT SELECT ON schema_version TO {applicationRole};
            INSERT INTO schema_version(version) VALUES ({Version}) ON CONFLICT DO NOTHING;
            """, transaction);
        transaction.Commit();
        return Version;
    }

    /// <summary>
    /// What a node checks before it reads or writes the ledger: the schema exists and is this build's
    /// version. The application role cannot create or alter it, so the remedy is named instead.
    /// </summary>
    public static void RequireCurrent(NpgsqlDataSource application)
    {
        using var connection = application.OpenConnection();
        int found;
        try
        {
            found = Found(connection, null);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            found = 0;
        }

        if (found == Version)
        {
            return;
        }

        throw new VaultException(found switch
        {
            0 => $"The deployment's PostgreSQL database {connection.Database} has no EvidenceVault schema: run `custody database migrate` as the schema owner (docs/deploy.md §2).",
            < Version => $"The deployment's PostgreSQL schema is version {found}; this build needs {Version}: run `custody database migrate` as the schema owner (docs/deploy.md §2).",
            _ => $"The deployment's PostgreSQL schema is version {found}; this build knows up to {Version}. Upgrade EvidenceVault on this node.",
        });
    }

    private static int Found(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection, transaction);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Run(NpgsqlConnection connection, string sql, NpgsqlTransaction transaction)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
